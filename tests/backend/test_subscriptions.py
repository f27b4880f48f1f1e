"""Live-log subscriptions per client, through the dispatcher (the one door of every transport).

Tauri's semantics: a client's ``subscribe_to_logs`` is idempotent, its ``unsubscribe_from_logs``
ends its own stream only, and the one follower runs while any client is subscribed. The client
is the caller's identity (a tab, the window), passed by the transport, never an argument.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch, respond
from backend._events import Broadcaster


def followers() -> list[threading.Thread]:
    """The follower threads alive in this process."""
    return [t for t in threading.enumerate() if t.name == "msc-log-follower"]


class TestPerClient:
    def test_the_follower_runs_while_any_client_is_subscribed(self, app: AppContext) -> None:
        """A and B subscribe; A leaving keeps it running, B leaving stops it."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        dispatch(app, "subscribe_to_logs", {}, client="b")
        dispatch(app, "unsubscribe_from_logs", {}, client="a")
        assert app.subscription.running
        assert app.subscription.clients == {"b"}
        dispatch(app, "unsubscribe_from_logs", {}, client="b")
        assert not app.subscription.running
        assert followers() == []

    def test_subscribing_is_idempotent_per_client(self, app: AppContext) -> None:
        """Twice subscribed is subscribed once: one unsubscribe ends it (not a call counter)."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        dispatch(app, "subscribe_to_logs", {}, client="a")
        assert len(followers()) == 1
        dispatch(app, "unsubscribe_from_logs", {}, client="a")
        assert not app.subscription.running

    def test_unsubscribing_a_client_that_is_not_subscribed_changes_nothing(
        self, app: AppContext
    ) -> None:
        """B's unsubscribe (B never subscribed) leaves A streaming."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        dispatch(app, "unsubscribe_from_logs", {}, client="b")
        assert app.subscription.running

    def test_entries_go_only_to_subscribed_clients(
        self, app: AppContext, broadcaster: Broadcaster, active: Path, rec: Any, wait_event: Any
    ) -> None:
        """A subscribed client's queue gets the entry; another client's queue does not."""
        a, b = broadcaster.subscribe("a"), broadcaster.subscribe("b")
        dispatch(app, "subscribe_to_logs", {}, client="a")
        with active.open("ab") as out:
            out.write(orjson.dumps(rec("for a")) + b"\n")
        seen = wait_event(a, lambda e: e["event"] == "log-entry")
        assert seen[0] == {"event": "log-subscribed", "payload": {"log_dir": str(app.log_dir)}}
        assert seen[-1]["payload"]["message"] == "for a"
        assert b.drain() == []

    def test_a_call_without_a_client_streams_to_every_consumer(
        self, app: AppContext, broadcaster: Broadcaster, active: Path, rec: Any, wait_event: Any
    ) -> None:
        """No client (a script, a test) is the app as a whole: every queue gets the stream."""
        a, b = broadcaster.subscribe("a"), broadcaster.subscribe()
        dispatch(app, "subscribe_to_logs", {})
        with active.open("ab") as out:
            out.write(orjson.dumps(rec("for everyone")) + b"\n")
        for queue in (a, b):
            seen = wait_event(queue, lambda e: e["event"] == "log-entry")
            assert seen[-1]["payload"]["message"] == "for everyone"

    def test_unsubscribe_unless_still_wanted_keeps_the_client(self, app: AppContext) -> None:
        """A stream that ends while the tab has another open one: ``unless`` says keep it."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        app.subscription.unsubscribe("a", unless=lambda: True)
        assert app.subscription.clients == {"a"}
        app.subscription.unsubscribe("a", unless=lambda: False)
        assert app.subscription.clients == frozenset()

    def test_a_subscribe_made_while_unless_is_asked_is_not_undone(self, app: AppContext) -> None:
        """The old stream's "no other stream of this tab?" and the unsubscribe are one step: a
        tab that reconnects and subscribes again meanwhile stays subscribed."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        again = threading.Thread(
            target=dispatch, args=(app, "subscribe_to_logs", {}), kwargs={"client": "a"}
        )

        def no_other_stream_yet() -> bool:
            again.start()  # the tab's new stream opened, and it subscribes again now
            again.join(0.2)  # long enough to finish, were it not waiting for this call
            return False

        app.subscription.unsubscribe("a", unless=no_other_stream_yet)
        again.join()
        assert app.subscription.clients == {"a"}
        assert app.subscription.running

    def test_closing_the_app_unsubscribes_everyone(self, app: AppContext) -> None:
        """Shutdown stops the follower whoever is subscribed."""
        dispatch(app, "subscribe_to_logs", {}, client="a")
        dispatch(app, "subscribe_to_logs", {})
        app.close()
        assert app.subscription.clients == frozenset()
        assert followers() == []


class TestTheClientIsNoArgument:
    @pytest.mark.parametrize("key", ["caller", "client"])
    def test_the_page_cannot_pass_a_client_as_an_argument(self, app: AppContext, key: str) -> None:
        """The client comes from the transport; as an argument it is an unknown one."""
        with pytest.raises(CommandError) as caught:
            dispatch(app, "unsubscribe_from_logs", {key: "a"}, client="b")
        assert caught.value.code == "invalid_args"
        assert f"unknown argument(s) {key}; expected: none" in caught.value.message

    def test_respond_passes_the_client_through(self, app: AppContext) -> None:
        """The transports' entry point carries the client to the command."""
        assert respond(app, "subscribe_to_logs", {}, client="tab") == (200, None)
        assert app.subscription.clients == {"tab"}
