"""The ``where`` filter in the page: typed in the search box (sent to the server as ``where``),
its errors under the box, field values clicked in the detail pane, live entries filtered by the
page's copy of the evaluator (frontend/js/where.js), which agrees with the server's."""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, open_viewer, record, shown, wait_until, write_records

from shared.reader.where import WhereError, parse_where
from shared.reader.where_match import compile_where

EXPRESSION = "duration_ms>500 and category=database"
PAGE = 60
START = datetime.now(UTC) - timedelta(minutes=30)


def records(count: int, *, start: datetime = START, tag: str = "old") -> list[dict[str, Any]]:
    """Records with durations of every type (ints, floats, numeric and other strings, none)."""
    rng = random.Random(count)
    out = []
    for index in range(count):
        fields: dict[str, Any] = {"seq": index}
        duration = rng.choice([10, 500, 501, 499.5, 2.5e3, "700", "slow", None, "-"])
        if duration != "-":
            fields["duration_ms"] = duration
        fields["user"] = rng.choice(["alice", "bob", "ALICE"])
        out.append(
            record(
                f"{tag} {index}",
                level=rng.choice(["debug", "info", "warn", "error"]),
                category=rng.choice(["database", "midi", "file"]),
                fields=fields,
                at=start + timedelta(milliseconds=index),
            )
        )
    return out


def oracle(items: list[dict[str, Any]]) -> list[str]:
    """The messages of the records whose numeric duration is over 500, in category database."""
    found = []
    for item in items:
        duration = item["fields"].get("duration_ms")
        try:
            number = float(duration) if not isinstance(duration, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is not None and number > 500 and item["category"] == "database":
            found.append(item["message"])
    return found


def type_search(page: Page, text: str) -> None:
    """Type ``text`` into the search box as a person would."""
    field = page.locator("msc-search-box input")
    field.fill("")
    field.press_sequentially(text)


def shown_messages(page: Page) -> list[str]:
    """The messages of the filtered view, once the store is idle."""
    page.wait_for_function("() => !window.__msc.logStore.state.loading")
    return [entry["message"] for entry in shown(page)]


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> tuple[Page, list[dict[str, Any]]]:
    items = records(300)
    write_records(dev_server.log_dir, items)
    open_viewer(page, dev_server, page=PAGE)  # fewer than the set: filters ask the server
    return page, items


class TestSearchBox:
    def test_a_typed_expression_filters_as_the_oracle(
        self, viewer: tuple[Page, list[dict[str, Any]]]
    ) -> None:
        """Typing the expression shows exactly the oracle's entries, asked as ``where``."""
        page, items = viewer
        type_search(page, EXPRESSION)
        expected = oracle(items)
        wait_until(lambda: shown_messages(page) == expected)
        loaded = page.evaluate("() => window.__msc.logStore.state.loadedQuery")
        assert loaded == {"where": EXPRESSION}
        assert 10 < len(expected) < len(items)

    def test_a_bad_expression_shows_its_column_under_the_box(
        self, viewer: tuple[Page, list[dict[str, Any]]]
    ) -> None:
        """A parse error is shown under the box, with its column, and nothing is asked."""
        page, _items = viewer
        type_search(page, "duration_ms>=")
        error = page.locator("msc-search-box .search__error")
        expect(error).to_have_text("where: column 14: expected a value after '>='")
        expect(error).to_be_visible()
        type_search(page, "duration_ms>=600")
        expect(error).to_be_hidden()

    def test_plain_words_stay_a_search(self, viewer: tuple[Page, list[dict[str, Any]]]) -> None:
        """Words without an operator are sent as ``search``, as before."""
        page, _items = viewer
        type_search(page, "old 12")
        wait_until(
            lambda: (
                page.evaluate("() => window.__msc.logStore.state.loadedQuery")
                == {"search": "old 12"}
            )
        )


class TestDetailPane:
    def test_clicking_a_field_value_adds_key_value(
        self, viewer: tuple[Page, list[dict[str, Any]]]
    ) -> None:
        """A click adds ``key=value``; a shift-click ``key!=value``; the list follows."""
        page, items = viewer
        page.locator("msc-log-list .row .msg", has_text="old 299").first.click()
        user = items[299]["fields"]["user"]
        page.locator("msc-detail-pane [data-where-key='user']").click()
        field = page.locator("msc-search-box input")
        expect(field).to_have_value(f"user={user}")
        want = [item["message"] for item in items if item["fields"]["user"] == user]
        assert len(want) > PAGE
        wait_until(lambda: shown_messages(page) == want[-PAGE:])
        page.locator("msc-detail-pane [data-where-key='seq']").click(modifiers=["Shift"])
        expect(field).to_have_value(f"user={user} and seq!=299")
        wait_until(lambda: shown_messages(page) == want[:-1][-PAGE:])


class TestLive:
    def test_entries_arriving_live_are_filtered_the_same_way(
        self, viewer: tuple[Page, list[dict[str, Any]]], dev_server: DevServer
    ) -> None:
        """With the expression applied, streamed entries pass exactly when the oracle says."""
        page, items = viewer
        type_search(page, EXPRESSION)
        wait_until(lambda: shown_messages(page) == oracle(items))
        fresh = records(120, start=datetime.now(UTC), tag="live")
        write_records(dev_server.log_dir, fresh)
        wait_until(lambda: shown_messages(page) == oracle(items) + oracle(fresh))


ENTRIES: list[dict[str, Any]] = [
    {**record("Query done", category="database", target="db.pool"), "origin": "app"},
    {**record("ALICE logged in", level="warn"), "fields": {"user": "alice", "n": 100.0, "s": "7x"}},
    {
        **record("x", level="error"),
        "fields": {"http.status_code": 503, "path": "/music/songs/a.mid"},
    },
    {
        **record("y", level="trace"),
        "fields": {"a": {"b": [1]}, "ok": True, "big": 1.5e17, "z": None},
    },
    {**record("ü straße", category="user"), "fields": {"d": "2026-03-01", "e": "1e2", "neg": -0.0}},
]
CASES = [
    "duration_ms>500", "user=alice", "user!=alice", "user~ALI", "user!~ali", "n=100", "n~.0",
    "n~100", "s>5", "s<=7x", "s>7", "http.status_code>=500", "fields.http.status_code=503",
    "path~/songs/", "fields.a.b=1", "ok=true", "ok~RU", "big~1500", "big>1e17", "z=null",
    "z!=null", "e=100", "e~1e", "neg=0", "level>=warn", "level<info", "level!=trace",
    "category=database", "category~data", "message~LOGGED", "target=db.pool", "origin=app",
    "pid=4242", "pid<5000", "source~e2e", "span.id=x", "span.id!=x",
    "timestamp>=2020-01-01", "timestamp<2020-01-01T00:00:00+01:00", "timestamp~T",
    "alice", "STRASSE", '"query done"', "query done", "not alice", "alice or songs",
    "(alice or songs) and level>=error", "user = alice", "x=and", 'user="alice"',
    "a and", "(a", "a)", "=1", "level>=warning", "timestamp<soon", '"open', "x..y=1",
    "duration_ms >= or x", "not", "and", "ü=1", "k=" + "é" * 50,
]  # fmt: skip


def python_results() -> list[Any]:
    """Each case through the server's parser and evaluator: a list of booleans, or the error."""
    out: list[Any] = []
    for case in CASES:
        try:
            node = parse_where(case)
        except WhereError as exc:
            out.append(str(exc))
            continue
        assert node is not None
        out.append([compile_where(node)(entry) for entry in ENTRIES])
    return out


class TestParity:
    def test_page_and_server_agree_on_every_case(
        self, viewer: tuple[Page, list[dict[str, Any]]]
    ) -> None:
        """Every case parses (or fails, with the same message) and matches the same entries."""
        page, _items = viewer
        page_results = page.evaluate(
            """async ([cases, entries]) => {
              const { parseWhere, compileWhere } = await import('/js/where.js');
              return cases.map((c) => {
                try { return entries.map(compileWhere(parseWhere(c))); }
                catch (e) { return e.message; }
              });
            }""",
            [CASES, ENTRIES],
        )
        assert dict(zip(CASES, page_results, strict=True)) == dict(
            zip(CASES, python_results(), strict=True)
        )
