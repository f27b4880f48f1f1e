"""Events from the backend to the page: one queue per consumer, fed by a broadcaster.

Both transports use this module: the dev server gives every ``GET /events`` stream its own
`EventQueue`, and the desktop window pump drains one. Commands and background threads only ever
call `Emitter.emit`, which never blocks: a consumer that cannot keep up loses its *oldest* pending
events, and the next `EventQueue.drain` starts with an ``events-dropped`` event saying how many.

A queue may belong to a *client* (a browser tab, the window; a short id the transport knows it
by), so that an event can be addressed to some clients only (``emit(..., to={"tab-1"})``: the
live-log stream goes to the clients that subscribed to it).

Nothing here logs. The push path must never write into the log it may be streaming (a stream that
feeds itself never ends), so misuse raises and everything else is silent.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Collection
from typing import Any, Protocol

__all__ = [
    "DEFAULT_MAX_PENDING",
    "EVENT_NAME",
    "Broadcaster",
    "Emitter",
    "EventQueue",
    "check_event_name",
]

#: Valid event names: lowercase words joined by hyphens (``log-entry``, ``events-dropped``).
EVENT_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
#: Pending events one consumer may hold before the oldest are dropped.
DEFAULT_MAX_PENDING = 50_000
#: The event a drain puts first after drops: payload ``{count}``.
DROPPED_EVENT = "events-dropped"


def check_event_name(event: str) -> str:
    """Return ``event`` if it is a valid event name.

    Raises:
        ValueError: ``event`` does not match `EVENT_NAME`.
    """
    if not isinstance(event, str) or not EVENT_NAME.fullmatch(event):
        raise ValueError(f"invalid event name {event!r}: expected {EVENT_NAME.pattern}")
    return event


class Emitter(Protocol):
    """Something events can be sent to (Tauri's ``AppHandle.emit`` and ``emit_to``)."""

    def emit(self, event: str, payload: Any, to: Collection[str | None] | None = None) -> None:
        """Queue ``payload`` under ``event`` for the clients ``to`` (None: every one); never
        blocks."""


class EventQueue:
    """A bounded queue of ``{event, payload}`` for one consumer; drops the oldest when full.

    Args:
        max_pending: Most events held before the oldest are dropped.
        client: The client this consumer belongs to, if it said (see `Broadcaster.emit`).
    """

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING, client: str | None = None) -> None:
        if max_pending < 1:
            raise ValueError(f"max_pending must be at least 1, got {max_pending}")
        self.client = client
        self._pending: deque[dict[str, Any]] = deque()
        self._max_pending = max_pending
        self._dropped = 0
        self._closed = False
        self._ready = threading.Condition(threading.Lock())

    def emit(self, event: str, payload: Any) -> None:
        """Append one event; when full, drop the oldest pending one and count it.

        Raises:
            ValueError: ``event`` is not a valid event name.
        """
        self._put({"event": check_event_name(event), "payload": payload})

    def _put(self, item: dict[str, Any]) -> None:
        with self._ready:
            if self._closed:
                return
            if len(self._pending) >= self._max_pending:
                self._pending.popleft()
                self._dropped += 1
            self._pending.append(item)
            self._ready.notify_all()

    def drain(self, max_events: int = 1000) -> list[dict[str, Any]]:
        """Take up to ``max_events`` pending events, oldest first.

        When events were dropped since the last drain, the batch starts with
        ``{"event": "events-dropped", "payload": {"count": n}}`` (counted in ``max_events``).

        Returns:
            The batch; empty when nothing is pending.
        """
        batch: list[dict[str, Any]] = []
        with self._ready:
            if self._dropped:
                batch.append({"event": DROPPED_EVENT, "payload": {"count": self._dropped}})
                self._dropped = 0
            while self._pending and len(batch) < max(1, max_events):
                batch.append(self._pending.popleft())
        return batch

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until an event is pending or the queue is closed.

        Returns:
            Whether something can be drained now.
        """
        with self._ready:
            self._ready.wait_for(lambda: self._has_news() or self._closed, timeout)
            return self._has_news()

    def _has_news(self) -> bool:
        return bool(self._pending) or self._dropped > 0

    def close(self) -> None:
        """Stop accepting events and wake every waiter (a server shutting down)."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    @property
    def closed(self) -> bool:
        """Whether `close` was called."""
        return self._closed

    def __len__(self) -> int:
        with self._ready:
            return len(self._pending)


class Broadcaster:
    """An `Emitter` that copies every event into each subscribed `EventQueue` it is for."""

    def __init__(self, max_pending: int = DEFAULT_MAX_PENDING) -> None:
        self._max_pending = max_pending
        self._queues: tuple[EventQueue, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, client: str | None = None) -> EventQueue:
        """Add a consumer (one browser tab, one window) of ``client`` and return its queue."""
        queue = EventQueue(self._max_pending, client)
        with self._lock:
            self._queues = (*self._queues, queue)
        return queue

    def unsubscribe(self, queue: EventQueue) -> None:
        """Remove and close a consumer's queue; unknown queues are ignored."""
        with self._lock:
            self._queues = tuple(q for q in self._queues if q is not queue)
        queue.close()

    def emit(self, event: str, payload: Any, to: Collection[str | None] | None = None) -> None:
        """Send one event to the consumers of the clients ``to`` (None: to every consumer);
        without consumers it is discarded.

        Raises:
            ValueError: ``event`` is not a valid event name.
        """
        item = {"event": check_event_name(event), "payload": payload}
        # The tuple is replaced, never mutated, so iterating it needs no lock.
        for queue in self._queues:
            if to is None or queue.client in to:
                queue._put(item)

    def connected(self, client: str) -> bool:
        """Whether ``client`` has a consumer (an open event stream)."""
        return any(queue.client == client for queue in self._queues)

    def close(self) -> None:
        """Close every consumer's queue (shutdown)."""
        with self._lock:
            queues, self._queues = self._queues, ()
        for queue in queues:
            queue.close()

    def __len__(self) -> int:
        return len(self._queues)
