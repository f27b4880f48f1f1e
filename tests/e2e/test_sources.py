"""A log directory of several sources in the page: every row says where it comes from, a line
that is no record is shown raw and tagged so, a level written otherwise than as its band is shown
as written; the status bar says how many entries are loaded of about how many, and how many lines
are shown raw (a button listing their places, with a filter to them); source chips narrow the
list. The files are written here: our own JSON lines, a pino file, a plain-text file with a
Python traceback, a slog line with ``ERROR+4``, and a line of junk.
"""

from __future__ import annotations

import json
import re
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from injection_vectors import FIND_INJECTED, INSTALL_PROBES, PROBE_STATE
from playwright.sync_api import Dialog, Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    APP,
    DevServer,
    append_text,
    open_viewer,
    record,
    shot,
    wait_loaded,
    write_records,
)

JUNK = "%%% junk: no record here %%%"
EVIL = "<img src=x onerror=top.__pwned.push(1)>"
SOURCES = ["app", APP, "pino", "worker"]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Several:
    """What `write_several` wrote: where the junk line is, and the start time."""

    junk_offset: int
    start: datetime


def write_several(log_dir: Path) -> Several:
    """Four sources whose entries interleave in time, one line of junk among ours."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    at = lambda s: start + timedelta(seconds=s)  # noqa: E731 (a local shorthand)
    write_records(
        log_dir,
        [record("ours first", at=at(0)), record("ours error", level="error", at=at(1))],
    )
    junk_offset = (log_dir / f"{APP}.log").stat().st_size
    append_text(log_dir, f"{APP}.log", JUNK + "\n")
    write_records(log_dir, [record("ours after junk", level="warn", at=at(3))])
    stack = "Error: boom\n    at handler (/srv/app.js:10:5)\n    at process (/srv/lib.js:3:1)"
    pino = {
        "level": 60,  # pino's fatal: in the error band, its name kept as level_name
        "time": int(at(2).timestamp() * 1000),
        "pid": 7,
        "hostname": "web-1",
        "msg": "request failed",
        "err": {"type": "Error", "message": "boom", "stack": stack},
    }
    append_text(log_dir, "pino.log", json.dumps(pino) + "\n")
    clock = at(4).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    append_text(
        log_dir,
        "app.log",
        f"{clock} - app.worker - ERROR - worker crashed\n"
        "Traceback (most recent call last):\n"
        '  File "worker.py", line 3, in <module>\n'
        "    run()\n"
        "ValueError: bad value\n",
    )
    slog = {"time": stamp(at(5)), "level": "ERROR+4", "msg": "slog above error"}
    append_text(log_dir, "worker.jsonl", json.dumps(slog) + "\n")
    return Several(junk_offset, start)


# Every row of the list (the sets here fit on one screen), top to bottom.
READ_ROWS = """() => [...document.querySelectorAll('msc-log-list .row:not([hidden])')]
  .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
  .map((r) => {
    const origin = r.querySelector('.c-origin');
    const msg = r.querySelector('.c-message .msg');
    return {
      origin: origin.textContent, originShown: getComputedStyle(origin).display !== 'none',
      level: r.querySelector('.c-level').textContent,
      levelColor: getComputedStyle(r.querySelector('.c-level')).color,
      raw: r.querySelectorAll('.c-message .tag--raw').length,
      rawText: r.querySelector('.c-message .tag--raw')?.textContent ?? null,
      message: msg.textContent,
      height: r.getBoundingClientRect().height,
    };
  })"""

# The filtered view's entries (what the list would show), with where they come from.
SHOWN = """() => document.querySelector('msc-log-list').entries
  .map((e) => ({ id: e.id, origin: e.origin ?? null, raw: e.raw === true, message: e.message }))"""
# The list takes the store's state at the next frame: the helpers flush it first, so that the list
# shows what the store holds now (a test waits for the store, then reads the list).
FLUSH = "() => window.__msc.logStore.flush()"


def rows(page: Page) -> list[dict[str, Any]]:
    page.evaluate(FLUSH)
    result: list[dict[str, Any]] = page.evaluate(READ_ROWS)
    return result


def shown(page: Page) -> list[dict[str, Any]]:
    page.evaluate(FLUSH)
    result: list[dict[str, Any]] = page.evaluate(SHOWN)
    return result


def invoke(page: Page, command: str, args: dict[str, Any]) -> Any:
    """Call a backend command through the page's bridge (the dev server's /invoke)."""
    return page.evaluate(
        """async ([command, args]) => (await import('/js/bridge/core.js')).invoke(command, args)""",
        [command, args],
    )


def wait_rows(page: Page, count: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelector('msc-log-list').entries.length === n", arg=count
    )


def wait_info(page: Page) -> None:
    """Until the page has the log info (asked for at start, next to the first fetch)."""
    page.wait_for_function("() => window.__msc.logInfo.state.info !== null")


@pytest.fixture
def several(log_dir: Path) -> Several:
    return write_several(log_dir)


# ---- rows ---------------------------------------------------------------------------------


class TestRows:
    def test_each_row_shows_its_source_when_the_set_has_several(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """A Source column, each row's cell holding its entry's source name."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        expect(page.locator("msc-log-list .list-head .c-origin")).to_be_visible()
        found = rows(page)
        assert all(r["originShown"] for r in found)
        # The junk line has the time of the line before it (ours, at 1 s).
        assert [r["origin"] for r in found] == [
            APP, APP, APP, "pino", APP, "app", "worker"
        ]  # fmt: skip
        shot(page, "sources-rows")

    def test_a_line_that_is_no_record_is_tagged_raw(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """The junk line is a row of its own with a "raw" tag; no other row has one."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        tagged = [(r["message"], r["rawText"]) for r in rows(page) if r["raw"]]
        assert tagged == [(JUNK, "raw")]
        raw_message = page.locator("msc-log-list .row[data-raw] .msg")
        family = raw_message.evaluate("(m) => getComputedStyle(m).fontFamily")
        assert "mono" in family.lower()

    def test_a_level_written_otherwise_is_shown_as_written_in_its_band_colour(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """slog's ERROR+4 reads ERROR+4, coloured as our own error; pino's 60 reads fatal."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        by_message = {r["message"].split(" ⏎ ")[0]: r for r in rows(page)}
        slog, ours_error = by_message["slog above error"], by_message["ours error"]
        assert (slog["level"], ours_error["level"]) == ("ERROR+4", "ERROR")
        assert by_message["request failed"]["level"] == "FATAL"  # shown upper-case, as ERROR
        assert slog["levelColor"] == ours_error["levelColor"]
        assert slog["levelColor"] != by_message["ours first"]["levelColor"]

    def test_a_multi_line_message_shows_its_first_line_in_a_one_line_row(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """The traceback's row starts with its first line, the rest dimmed after it; 22 px high."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        row = page.locator("msc-log-list .row", has_text="worker crashed")
        first = row.evaluate("(r) => r.querySelector('.msg').firstChild.textContent")
        more = row.locator(".msg__more")
        assert first == "worker crashed"
        expect(more).to_contain_text("Traceback (most recent call last):")
        assert more.evaluate("(m) => getComputedStyle(m).color") != row.locator(".msg").evaluate(
            "(m) => getComputedStyle(m).color"
        )
        assert {r["height"] for r in rows(page)} == {22}


# ---- status bar ---------------------------------------------------------------------------


class TestStatusBar:
    def test_count_says_how_many_are_loaded_of_about_how_many(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """ "7 loaded of about 7": the loaded entries against the set's estimate."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        count = page.locator("msc-status-bar .count")
        expect(count).to_have_text(re.compile(r"^7 loaded of about \d+$"))
        estimate = int(count.inner_text().rsplit(" ", 1)[1])
        assert estimate >= 7

    def test_raw_button_lists_the_place_of_the_junk_line(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """ "1 line shown raw" opens a list: the file, its byte offset and a reason."""
        open_viewer(page, dev_server)
        button = page.locator("msc-status-bar .status__unparsed")
        expect(button).to_have_text("1 line shown raw")
        button.click()
        dialog = page.locator("msc-unparsed-dialog dialog")
        expect(dialog).to_be_visible()
        places = dialog.locator(".unparsed__row:not(.unparsed__row--head)")
        expect(places).to_have_count(1)
        cells = places.first.locator("[role=cell]")
        expect(cells).to_have_count(3)
        assert cells.nth(0).inner_text() == f"{APP}.log"
        assert cells.nth(1).inner_text().replace(",", "") == str(several.junk_offset)
        assert cells.nth(2).inner_text().strip() != ""
        shot(page, "sources-unparsed-dialog")

    def test_show_raw_lines_leaves_only_raw_rows_until_undone(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """With a page of 2 (not all loaded), the server is asked for raw lines only; the
        "raw lines only" chip takes the filter away again."""
        open_viewer(page, dev_server, page=2)
        page.locator("msc-status-bar .status__unparsed").click()
        page.get_by_role("button", name="Show raw lines").click()
        expect(page.locator("msc-unparsed-dialog dialog")).not_to_be_visible()
        page.wait_for_function("() => window.__msc.logStore.state.loadedQuery.raw_only === true")
        wait_loaded(page)
        assert [(e["message"], e["raw"]) for e in shown(page)] == [(JUNK, True)]
        assert [r["raw"] for r in rows(page)] == [1]
        shot(page, "sources-raw-only")
        page.locator("msc-toolbar [data-clear='rawOnly']").click()
        page.wait_for_function("() => !('raw_only' in window.__msc.logStore.state.loadedQuery)")
        wait_loaded(page)
        assert [e["message"].split("\n")[0] for e in shown(page)] == [
            "worker crashed",
            "slog above error",
        ]

    def test_new_raw_lines_are_counted_while_streaming(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """The info is asked for again while streaming (here every 300 ms): a second junk line
        makes it "2 lines shown raw", and the line itself streams in tagged raw."""
        open_viewer(page, dev_server, info_ms=300)
        button = page.locator("msc-status-bar .status__unparsed")
        expect(button).to_have_text("1 line shown raw")
        append_text(dev_server.log_dir, f"{APP}.log", "more junk, written later\n")
        expect(button).to_have_text("2 lines shown raw")
        row = page.locator("msc-log-list .row", has_text="more junk, written later")
        expect(row.locator(".tag--raw")).to_have_text("raw")

    def test_the_info_is_asked_for_again_when_the_log_is_cleared(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """Another process empties our file (junk line and all): on `logs-cleared` the page asks
        again, and the raw button goes (no polling here: every 10 minutes)."""
        open_viewer(page, dev_server, info_ms=600_000)
        button = page.locator("msc-status-bar .status__unparsed")
        expect(button).to_have_text("1 line shown raw")
        (dev_server.log_dir / f"{APP}.log").write_bytes(b"")
        expect(button).to_be_hidden()


# ---- source chips -------------------------------------------------------------------------


class TestSourceChips:
    def test_a_single_source_has_no_chips_and_no_source_column(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Only our own file: nothing to tell apart."""
        write_records(dev_server.log_dir, [record("alone"), record("still alone")])
        open_viewer(page, dev_server)
        wait_info(page)
        expect(page.locator("msc-source-filter")).to_be_hidden()
        expect(page.locator("msc-log-list .list-head .c-origin")).to_be_hidden()
        assert not any(r["originShown"] for r in rows(page))

    def test_one_chip_per_source(self, page: Page, several: Several, dev_server: DevServer) -> None:
        """ "All", then the sources by name."""
        open_viewer(page, dev_server)
        chips = page.locator("msc-source-filter .chip")
        expect(chips.locator(".chip__name")).to_have_text(SOURCES)
        expect(chips.first).to_have_text("All")
        expect(chips.first).to_have_attribute("aria-pressed", "true")

    def test_a_chip_narrows_the_list_to_its_source_and_again_shows_all(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """With a page of 2 the server is asked (``source``); its answer is what the page shows."""
        open_viewer(page, dev_server, page=2)
        chip = page.locator("msc-source-filter .chip--source", has_text=APP)
        chip.click()
        expect(chip).to_have_attribute("aria-pressed", "true")
        page.wait_for_function(f"() => window.__msc.logStore.state.loadedQuery.source === '{APP}'")
        wait_loaded(page)
        expected = invoke(page, "get_recent_logs", {"limit": 2, "source": APP})
        assert [e["id"] for e in shown(page)] == [e["id"] for e in expected]
        assert {e["origin"] for e in shown(page)} == {APP}
        assert [e["message"] for e in shown(page)] == [JUNK, "ours after junk"]
        shot(page, "sources-chip")
        chip.click()
        expect(chip).to_have_attribute("aria-pressed", "false")
        page.wait_for_function("() => !('source' in window.__msc.logStore.state.loadedQuery)")
        wait_loaded(page)
        deadline = time.monotonic() + 5  # the unfiltered page replaces the rows shortly after
        while {e["origin"] for e in shown(page)} != {
            "app",
            "worker",
        } and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert {e["origin"] for e in shown(page)} == {"app", "worker"}

    def test_source_filter_agrees_with_the_server_on_loaded_entries(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """Everything loaded, the page filters by itself: the same entries the server picks."""
        open_viewer(page, dev_server)
        wait_rows(page, 7)
        for source in SOURCES:
            page.evaluate("(s) => window.__msc.logStore.setFilter({ source: s })", source)
            page.wait_for_function(
                "(s) => document.querySelector('msc-log-list').entries"
                ".every((e) => e.origin === s)",
                arg=source,
            )
            expected = invoke(page, "get_recent_logs", {"limit": 100, "source": source})
            assert [e["id"] for e in shown(page)] == [e["id"] for e in expected], source
        page.evaluate("window.__msc.logStore.setFilter({ source: null, rawOnly: true })")
        expected = invoke(page, "get_recent_logs", {"limit": 100, "raw_only": True})
        # The raw line only (the last source may also show one entry, before the filter lands).
        page.wait_for_function(
            "() => { const shown = document.querySelector('msc-log-list').entries;"
            " return shown.length === 1 && shown[0].raw === true; }"
        )
        assert [e["id"] for e in shown(page)] == [e["id"] for e in expected]

    def test_clear_filters_also_clears_the_source(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """The source is a filter like the others: "Clear filters" takes it away."""
        open_viewer(page, dev_server)
        page.locator("msc-source-filter .chip--source", has_text="pino").click()
        wait_rows(page, 1)
        page.locator("msc-toolbar .clear-filters").click()
        wait_rows(page, 7)
        expect(page.locator("msc-source-filter .chip").first).to_have_attribute(
            "aria-pressed", "true"
        )


# ---- untrusted names ------------------------------------------------------------------------


class TestInjection:
    def test_hostile_source_name_level_name_and_raw_line_stay_text(
        self, page: Page, several: Several, dev_server: DevServer
    ) -> None:
        """A file named like markup, a level written as markup and a raw line of markup: shown
        verbatim in rows, chips, detail pane and the list of places; nothing runs or is made."""
        dialogs: list[str] = []

        def on_dialog(dialog: Dialog) -> None:
            dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.add_init_script(INSTALL_PROBES)
        log_dir = dev_server.log_dir
        late = stamp(several.start + timedelta(seconds=10))
        evil_level = {"time": late, "level": EVIL, "msg": "hostile level"}
        append_text(log_dir, "worker.jsonl", json.dumps(evil_level) + "\n")
        evil_file = {"time": late, "level": "info", "msg": "from a hostile file"}
        append_text(log_dir, f"{EVIL}.log", json.dumps(evil_file) + "\n" + EVIL + "\n")
        open_viewer(page, dev_server)
        wait_rows(page, 10)
        found = rows(page)
        assert [r["level"] for r in found if r["message"] == "hostile level"] == [EVIL.upper()]
        assert [r["origin"] for r in found if r["message"] == "from a hostile file"] == [EVIL]
        assert [(r["origin"], r["raw"]) for r in found if r["message"] == EVIL] == [(EVIL, 1)]
        expect(page.locator("msc-source-filter .chip__name").first).to_have_text(EVIL)
        for message in ("hostile level", EVIL):
            page.locator("msc-log-list .row .msg", has_text=message).first.click()
            pane = page.locator("msc-detail-pane")
            expect(pane.locator(".detail__message")).to_have_text(message)
        expect(page.locator("msc-detail-pane .detail__origin")).to_have_text(EVIL)
        expect(page.locator("msc-detail-pane .detail__raw")).to_have_text("raw line")
        page.locator("msc-status-bar .status__unparsed").click()
        places = page.locator("msc-unparsed-dialog .unparsed__list")
        expect(places.get_by_text(f"{EVIL}.log", exact=True)).to_have_count(1)
        shot(page, "sources-injection")
        page.keyboard.press("Escape")
        page.locator("msc-source-filter .chip--source").first.click()
        wait_rows(page, 2)
        assert page.evaluate(PROBE_STATE) == {"pwned": [], "csp": [], "dialogs": []}
        assert dialogs == []
        assert page.evaluate(FIND_INJECTED) == []
