"""The event queue and broadcaster shared by both transports."""

from __future__ import annotations

import threading

import pytest

from backend._events import Broadcaster, EventQueue, check_event_name


class TestEventQueue:
    def test_drain_returns_pending_events_oldest_first(self) -> None:
        """A drain returns the pending events in emit order as {event, payload}."""
        queue = EventQueue()
        queue.emit("log-entry", {"n": 1})
        queue.emit("logs-cleared", {})
        assert queue.drain() == [
            {"event": "log-entry", "payload": {"n": 1}},
            {"event": "logs-cleared", "payload": {}},
        ]
        assert queue.drain() == []

    def test_drain_takes_at_most_max_events(self) -> None:
        """A drain takes no more than max_events, leaving the rest for the next one."""
        queue = EventQueue()
        for n in range(5):
            queue.emit("log-entry", n)
        assert [e["payload"] for e in queue.drain(2)] == [0, 1]
        assert [e["payload"] for e in queue.drain(10)] == [2, 3, 4]

    def test_emit_on_a_full_queue_returns_and_keeps_the_bound(self) -> None:
        """Emitting far past capacity without a consumer always returns; the queue stays bounded."""
        queue = EventQueue(max_pending=100)
        for n in range(10_000):
            queue.emit("log-entry", n)
        assert len(queue) == 100

    def test_full_queue_drops_the_oldest_and_reports_how_many(self) -> None:
        """When full, the oldest events go and the next drain starts with events-dropped {count}."""
        queue = EventQueue(max_pending=3)
        for n in range(5):
            queue.emit("log-entry", n)
        assert queue.drain() == [
            {"event": "events-dropped", "payload": {"count": 2}},
            {"event": "log-entry", "payload": 2},
            {"event": "log-entry", "payload": 3},
            {"event": "log-entry", "payload": 4},
        ]

    def test_dropped_count_starts_over_after_a_drain(self) -> None:
        """The drop count covers only drops since the previous drain."""
        queue = EventQueue(max_pending=1)
        queue.emit("log-entry", 1)
        queue.emit("log-entry", 2)
        queue.drain()
        queue.emit("log-entry", 3)
        assert queue.drain() == [{"event": "log-entry", "payload": 3}]

    @pytest.mark.parametrize("name", ["", "Log-entry", "log entry", "1log", "log_entry", "-log"])
    def test_invalid_event_names_are_refused(self, name: str) -> None:
        """Event names must be lowercase words joined by hyphens."""
        with pytest.raises(ValueError, match="invalid event name"):
            EventQueue().emit(name, {})

    def test_valid_event_names_pass(self) -> None:
        """The protocol's names are valid."""
        for name in ("log-entry", "log-subscribed", "logs-cleared", "events-dropped", "dev-reload"):
            assert check_event_name(name) == name

    def test_wait_wakes_when_another_thread_emits(self) -> None:
        """A waiting consumer wakes up for an event emitted from another thread."""
        queue = EventQueue()
        emitter = threading.Thread(target=queue.emit, args=("log-entry", 1))
        emitter.start()
        assert queue.wait(30)
        emitter.join()
        assert queue.drain() == [{"event": "log-entry", "payload": 1}]

    def test_wait_reports_nothing_when_nothing_came(self) -> None:
        """A wait that times out on an empty queue says there is nothing to drain."""
        assert EventQueue().wait(0.01) is False

    def test_wait_reports_drops_as_news(self) -> None:
        """Drops alone make a wait return true, so the consumer learns about them."""
        queue = EventQueue(max_pending=1)
        queue.emit("log-entry", 1)
        queue.emit("log-entry", 2)
        queue.drain(1)  # takes the drop notice only
        assert queue.wait(0) is True

    def test_close_wakes_a_waiter_and_refuses_new_events(self) -> None:
        """Closing wakes a waiting consumer; later events are discarded."""
        queue = EventQueue()
        result: list[bool] = []
        waiter = threading.Thread(target=lambda: result.append(queue.wait(30)))
        waiter.start()
        queue.close()
        waiter.join()
        queue.emit("log-entry", 1)
        assert result == [False]
        assert queue.closed
        assert queue.drain() == []

    def test_many_threads_emitting_lose_nothing_below_capacity(self) -> None:
        """Concurrent emits below capacity all arrive."""
        queue = EventQueue()

        def emit_many(base: int) -> None:
            for n in range(1000):
                queue.emit("log-entry", base + n)

        threads = [threading.Thread(target=emit_many, args=(k * 1000,)) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        payloads = [e["payload"] for e in queue.drain(10_000)]
        assert sorted(payloads) == list(range(8000))

    def test_max_pending_must_be_positive(self) -> None:
        """A queue holds at least one event."""
        with pytest.raises(ValueError, match="max_pending"):
            EventQueue(max_pending=0)


class TestBroadcaster:
    def test_every_consumer_gets_every_event(self) -> None:
        """Each subscribed queue receives its own copy of each event."""
        broadcaster = Broadcaster()
        first, second = broadcaster.subscribe(), broadcaster.subscribe()
        broadcaster.emit("log-entry", {"n": 1})
        expected = [{"event": "log-entry", "payload": {"n": 1}}]
        assert first.drain() == expected
        assert second.drain() == expected

    def test_unsubscribed_queue_is_closed_and_gets_nothing(self) -> None:
        """After unsubscribing, a queue is closed and no longer fed."""
        broadcaster = Broadcaster()
        queue = broadcaster.subscribe()
        broadcaster.unsubscribe(queue)
        broadcaster.emit("log-entry", 1)
        assert queue.closed
        assert queue.drain() == []
        assert len(broadcaster) == 0

    def test_a_slow_consumer_drops_without_affecting_the_others(self) -> None:
        """A consumer that never drains loses its oldest events; a draining one loses none."""
        broadcaster = Broadcaster(max_pending=2)
        slow, fast = broadcaster.subscribe(), broadcaster.subscribe()
        received = []
        for n in range(5):
            broadcaster.emit("log-entry", n)
            received.extend(e["payload"] for e in fast.drain())
        assert received == [0, 1, 2, 3, 4]
        assert slow.drain()[0] == {"event": "events-dropped", "payload": {"count": 3}}

    def test_emit_without_consumers_is_discarded(self) -> None:
        """Emitting with nobody listening does nothing and does not fail."""
        broadcaster = Broadcaster()
        broadcaster.emit("log-entry", 1)
        assert broadcaster.subscribe().drain() == []

    def test_emit_checks_the_event_name(self) -> None:
        """The broadcaster refuses invalid names even without consumers."""
        with pytest.raises(ValueError, match="invalid event name"):
            Broadcaster().emit("Bad Name", {})

    def test_close_closes_every_queue(self) -> None:
        """Closing the broadcaster (shutdown) closes and forgets all consumers."""
        broadcaster = Broadcaster()
        queues = [broadcaster.subscribe(), broadcaster.subscribe()]
        broadcaster.close()
        assert all(q.closed for q in queues)
        assert len(broadcaster) == 0


class TestClients:
    def test_an_event_for_some_clients_reaches_only_their_queues(self) -> None:
        """``to`` names the clients; other queues (and queues of no client) get nothing."""
        broadcaster = Broadcaster()
        a, b, anonymous = (
            broadcaster.subscribe("a"),
            broadcaster.subscribe("b"),
            broadcaster.subscribe(),
        )
        broadcaster.emit("log-entry", 1, to={"a"})
        assert a.drain() == [{"event": "log-entry", "payload": 1}]
        assert b.drain() == []
        assert anonymous.drain() == []

    def test_an_event_for_everyone_reaches_every_queue(self) -> None:
        """Without ``to`` every queue, with or without a client, gets the event."""
        broadcaster = Broadcaster()
        queues = [broadcaster.subscribe("a"), broadcaster.subscribe()]
        broadcaster.emit("dev-reload", {"path": "x"})
        assert all(q.drain() == [{"event": "dev-reload", "payload": {"path": "x"}}] for q in queues)

    def test_connected_says_whether_a_client_has_an_open_queue(self) -> None:
        """A client is connected while any of its queues is subscribed."""
        broadcaster = Broadcaster()
        first, second = broadcaster.subscribe("a"), broadcaster.subscribe("a")
        assert first.client == "a"
        broadcaster.unsubscribe(first)
        assert broadcaster.connected("a")
        broadcaster.unsubscribe(second)
        assert not broadcaster.connected("a")
