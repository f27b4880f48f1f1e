"""A client's next query calls off its slow one: the search box asks again as the user types,
and a scan nobody waits for must not hold the server. Against the real ``msc-logs dev``."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson

#: A plain-text log a regex without literal needles reads whole, slowly (every line parsed).
LINES = 600_000


def slow_log(log_dir: Path) -> None:
    line = "2026-12-06 10:00:{:02d},000 - app - INFO - filler line {} with some words in it\n"
    (log_dir / "worker.log").write_text("".join(line.format(i % 60, i) for i in range(LINES)))


def ask(dev: Any, client: str | None, args: dict[str, Any]) -> tuple[int, Any]:
    headers = {"X-MSC-Token": dev.token}
    if client is not None:
        headers["X-MSC-Client"] = client
    status, body = dev.request("POST", "/invoke/get_recent_logs", orjson.dumps(args), headers)
    return status, orjson.loads(body)


def in_background(dev: Any, client: str | None, args: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: answer.update(reply=ask(dev, client, args)))
    thread.start()
    answer["thread"] = thread
    return answer


SLOW = {"search": "x.*y.*q", "regex": True, "limit": 10}


class TestSupersededQueries:
    def test_the_same_clients_next_query_calls_the_slow_one_off(
        self, dev: Any, log_dir: Path
    ) -> None:
        """The slow query answers ``cancelled`` once the tab's next query arrives; the next
        one, and another tab's query meanwhile, are answered."""
        slow_log(log_dir)
        slow = in_background(dev, "tab-a", SLOW)
        other = in_background(dev, "tab-b", {"limit": 1})
        time.sleep(0.5)  # the slow scan is under way (it needs seconds)
        status, entries = ask(dev, "tab-a", {"limit": 1})
        assert status == 200
        assert [e["message"] for e in entries] == [f"filler line {LINES - 1} with some words in it"]
        slow["thread"].join(timeout=120)
        other["thread"].join(timeout=120)
        assert slow["reply"] == (
            409,
            {"code": "cancelled", "message": "a newer query from this client replaced it"},
        )
        assert other["reply"][0] == 200

    def test_a_caller_without_a_client_is_never_called_off(self, dev: Any, log_dir: Path) -> None:
        """A script names no client: its queries run to the end whatever follows."""
        slow_log(log_dir)
        slow = in_background(dev, None, SLOW)
        time.sleep(0.5)
        assert ask(dev, None, {"limit": 1})[0] == 200
        slow["thread"].join(timeout=120)
        assert slow["reply"] == (200, [])


class TestCatastrophicRegex:
    def test_answered_while_another_request_is_served(self, dev: Any, log_dir: Path) -> None:
        """(a+)+$ over lines of 26 to 60 a's (exponential for a backtracking engine) is
        answered by RE2, and a page request made meanwhile is served too."""
        lines = [
            orjson.dumps({"time": "2026-12-06T10:00:00Z", "msg": "a" * n + "!"})
            for n in range(26, 60)
        ]
        (log_dir / "aaa.jsonl").write_bytes(b"\n".join(lines) + b"\n")
        regex = in_background(dev, "tab", {"search": "(a+)+$", "regex": True, "limit": 100})
        static = dev.request("GET", "/index.html", None, {})
        regex["thread"].join(timeout=120)
        assert static[0] == 200
        assert regex["reply"] == (200, [])
        status, found = ask(dev, "tab", {"search": "(a+)+!$", "regex": True, "limit": 100})
        assert (status, len(found)) == (200, len(lines))
