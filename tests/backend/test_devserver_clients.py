"""Subscriptions belong to clients: several tabs on one real dev server, each with its own stream.

A tab names itself with a client id, on ``/events?client=<id>`` and as ``X-MSC-Client`` on
``/invoke``. ``subscribe_to_logs`` and ``unsubscribe_from_logs`` then concern that tab alone:
the follower runs while any client is subscribed, and entries go only to the subscribed ones.
"""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

DEADLINE_S = 30.0
HELLO = [{"event": "hello", "payload": {}}]


class Tab:
    """One client of the dev server: its event stream, and commands sent under its id."""

    def __init__(self, dev: Any, client: str) -> None:
        self.dev, self.client = dev, client
        self.connection = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=DEADLINE_S)
        self.connection.request("GET", f"/events?token={dev.token}&client={client}")
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        assert self.batch() == HELLO

    def invoke(self, command: str) -> tuple[int, Any]:
        """``POST /invoke/<command>`` as this client; status and decoded body."""
        headers = {"X-MSC-Token": self.dev.token, "X-MSC-Client": self.client}
        status, body = self.dev.request("POST", f"/invoke/{command}", b"{}", headers)
        return status, orjson.loads(body)

    def batch(self, end: float | None = None) -> list[dict[str, Any]]:
        """The next ``data:`` batch; fails once past ``end`` (heartbeats, every 15 s, keep an
        idle stream from reaching the socket timeout, so each line is a chance to give up)."""
        end = end or time.monotonic() + DEADLINE_S
        while time.monotonic() < end:
            line = self.response.fp.readline()
            if not line:
                pytest.fail(f"the event stream of {self.client} ended")
            if line.startswith(b"data: "):
                batch: list[dict[str, Any]] = orjson.loads(line[len(b"data: ") :])
                return batch
        pytest.fail(f"{self.client} received nothing awaited within {DEADLINE_S} s")

    def until_entry(self, message: str) -> list[str]:
        """Read until the log-entry ``message``; the messages of every log-entry seen."""
        seen: list[str] = []
        end = time.monotonic() + DEADLINE_S
        while True:
            for event in self.batch(end):
                if event["event"] == "log-entry":
                    seen.append(event["payload"]["message"])
                    if seen[-1] == message:
                        return seen

    def until_event(self, name: str) -> None:
        """Read until an event called ``name``."""
        end = time.monotonic() + DEADLINE_S
        while all(event["event"] != name for event in self.batch(end)):
            pass

    def close(self) -> None:
        """Hang up (the tab was closed); the response holds the socket too."""
        self.response.close()
        self.connection.close()


@pytest.fixture
def tabs(dev: Any) -> Iterator[Callable[[str], Tab]]:
    """Open tabs on `dev`: ``tabs(client_id)`` → a connected `Tab`."""
    opened: list[Tab] = []

    def open_tab(client: str) -> Tab:
        opened.append(Tab(dev, client))
        return opened[-1]

    yield open_tab
    for tab in opened:
        tab.close()


def open_log_files(pid: int, log_dir: Path) -> list[str]:
    """The files under ``log_dir`` that process ``pid`` holds open (its /proc fd links)."""
    held = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # closed meanwhile
            continue
        if target.startswith(str(log_dir)):
            held.append(target)
    return held


class TestPerClientSubscriptions:
    def test_one_client_unsubscribing_leaves_the_other_streaming(
        self, tabs: Callable[[str], Tab], writers: Callable[[], Any]
    ) -> None:
        """A unsubscribes; B still receives what another process writes afterwards."""
        writer = writers()
        a, b = tabs("tab-a"), tabs("tab-b")
        for tab in (a, b):
            assert tab.invoke("subscribe_to_logs") == (200, None)
            tab.until_event("log-subscribed")
        assert a.invoke("unsubscribe_from_logs") == (200, None)
        writer.send("log after a left")
        assert b.until_entry("after a left") == ["after a left"]

    def test_an_unsubscribed_client_gets_no_entries_until_it_subscribes_again(
        self, tabs: Callable[[str], Tab], writers: Callable[[], Any]
    ) -> None:
        """Entries written while A was unsubscribed never reach A; those after it resubscribed do.
        (A's stream is ordered: had "while away" been sent to A, it would come first.)"""
        writer = writers()
        a, b = tabs("tab-a"), tabs("tab-b")
        for tab in (a, b):
            tab.invoke("subscribe_to_logs")
        a.invoke("unsubscribe_from_logs")
        writer.send("log while away")
        b.until_entry("while away")
        assert a.invoke("subscribe_to_logs") == (200, None)
        writer.send("log back again")
        assert a.until_entry("back again") == ["back again"]

    def test_a_client_that_never_subscribed_gets_no_entries(
        self, tabs: Callable[[str], Tab], writers: Callable[[], Any]
    ) -> None:
        """Entries go to subscribed clients only; C's first entry is the one after its subscribe."""
        writer = writers()
        a, c = tabs("tab-a"), tabs("tab-c")
        a.invoke("subscribe_to_logs")
        writer.send("log for a only")
        a.until_entry("for a only")
        c.invoke("subscribe_to_logs")
        writer.send("log for both")
        assert c.until_entry("for both") == ["for both"]

    def test_the_last_unsubscribe_stops_the_follower(
        self, dev: Any, tabs: Callable[[str], Tab], active: Path, rec: Any, write: Any
    ) -> None:
        """The follower (which holds the active file open) runs until no client is subscribed."""
        write(active, [rec("present")])
        a, b = tabs("tab-a"), tabs("tab-b")
        a.invoke("subscribe_to_logs")
        b.invoke("subscribe_to_logs")
        assert open_log_files(dev.process.pid, active.parent) == [str(active)]
        a.invoke("unsubscribe_from_logs")
        assert open_log_files(dev.process.pid, active.parent) == [str(active)]
        b.invoke("unsubscribe_from_logs")
        assert open_log_files(dev.process.pid, active.parent) == []

    def test_closing_a_clients_stream_unsubscribes_it(
        self, dev: Any, tabs: Callable[[str], Tab], active: Path, rec: Any, write: Any
    ) -> None:
        """A tab that goes away without unsubscribing (closed, crashed) is unsubscribed."""
        write(active, [rec("present")])
        a = tabs("tab-a")
        a.invoke("subscribe_to_logs")
        assert open_log_files(dev.process.pid, active.parent) == [str(active)]
        a.close()
        end = time.monotonic() + DEADLINE_S
        while open_log_files(dev.process.pid, active.parent):
            if time.monotonic() > end:
                pytest.fail(f"the follower still runs {DEADLINE_S} s after the only tab left")
            time.sleep(0.05)

    def test_a_malformed_client_id_is_invalid_args(self, dev: Any) -> None:
        """A client id is 1 to 64 letters, digits, ``-`` or ``_``; anything else is refused."""
        headers = {"X-MSC-Token": dev.token, "X-MSC-Client": "../" + "x" * 100}
        status, body = dev.request("POST", "/invoke/subscribe_to_logs", b"{}", headers)
        assert status == 400
        answer = orjson.loads(body)
        assert answer["code"] == "invalid_args"
        assert "X-MSC-Client" in answer["message"]
        stream = http.client.HTTPConnection("127.0.0.1", dev.port, timeout=DEADLINE_S)
        try:
            stream.request("GET", f"/events?token={dev.token}&client=a%20b")
            assert stream.getresponse().status == 400
        finally:
            stream.close()
