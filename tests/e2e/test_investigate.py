"""Investigating in the page: the trace waterfall, context around an entry, marks and search
hits, the whole-log histogram, the minimap, and the view that survives a restart."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    APP,
    REPO,
    DevServer,
    open_viewer,
    record,
    shown,
    start_dev_server,
    stop_dev_server,
    wait_until,
    write_records,
)

SHOTS = Path("/tmp/shots")

# A request handled by the real library: a root span with two nested ones (the second holding
# an error), each closed with its measured duration ("span closed", fields.duration_ms).
TRACED = r"""
import sys, time
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.context import span
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error", file_level="trace"))
log = get_logger("tests.e2e.trace")
log.info("before the request", category="network")
with span("handle_request", request_id="req-7"):
    log.info("request begins", category="network")
    with span("load_file"):
        time.sleep(0.06)
        log.info("file loaded", category="file")
    with span("render"):
        time.sleep(0.03)
        log.error("render failed", category="system")
log.info("after the request", category="network")
"""


def write_trace(log_dir: Path) -> dict[str, dict[str, Any]]:
    """Log the traced request from another process; the spans' close records by span name."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-c", TRACED, str(log_dir)], check=True, env=env, cwd=REPO)
    lines = (log_dir / f"{APP}.log").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    return {r["span"]["name"]: r for r in records if r["message"] == "span closed"}


def duration_text(ms: float) -> str:
    """How the waterfall writes a duration of ``ms`` below a second (waterfall.js)."""
    return f"{float(f'{ms:.1f}'):g} ms" if ms < 100 else f"{int(ms + 0.5)} ms"


def selected(page: Page) -> str | None:
    """The message of the list's selected entry."""
    result: str | None = page.evaluate(
        "() => document.querySelector('msc-log-list').selected?.message ?? null"
    )
    return result


def row_top(page: Page, message: str) -> float:
    """The top of the row showing ``message``, relative to the list's viewport."""
    top: float = page.evaluate(
        """(m) => { const vp = document.querySelector('msc-log-list .viewport');
          const row = [...vp.querySelectorAll('.row:not([hidden])')]
            .find((r) => r.querySelector('.msg').textContent === m);
          return row.getBoundingClientRect().top - vp.getBoundingClientRect().top; }""",
        message,
    )
    return top


def view_state(page: Page) -> dict[str, Any]:
    """What the backend keeps as the view state of the log shown."""
    state: dict[str, Any] = page.evaluate(
        "async () => (await import('/js/bridge/core.js')).invoke('get_view_state')"
    )
    return state


def numbered(log_dir: Path, count: int, needles: tuple[int, ...] = ()) -> datetime:
    """``line <i>`` one second apart, ending a minute ago; ``needle <i>`` at ``needles``."""
    start = datetime.now(UTC) - timedelta(seconds=count + 60)
    write_records(
        log_dir,
        [
            record(f"needle {i}" if i in needles else f"line {i}", at=start + timedelta(seconds=i))
            for i in range(count)
        ],
    )
    return start


class TestWaterfall:
    def test_nested_spans_show_as_a_nested_waterfall_with_their_durations(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The request link opens one bar per span, children under their parent, each with the
        duration its close record measured, bars as long as their durations, the error red."""
        closed = write_trace(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="file loaded").click()
        page.locator('msc-detail-pane [data-filter="requestId"]').click()
        waterfall = page.locator("msc-waterfall")
        expect(waterfall.locator(".wf__row")).to_have_count(3)
        rows = waterfall.locator(".wf__row")
        expect(rows.locator(".wf__label")).to_have_text(["handle_request", "load_file", "render"])
        pads = rows.locator(".wf__label").evaluate_all(
            "ls => ls.map((l) => parseFloat(getComputedStyle(l).paddingLeft))"
        )
        assert pads[1] == pads[2] > pads[0]
        geometry = rows.evaluate_all(
            """rs => rs.map((r) => ({
                 bar: r.querySelector('.wf__bar').getBoundingClientRect().width,
                 track: r.querySelector('.wf__track').getBoundingClientRect().width,
                 duration: r.querySelector('.wf__dur').textContent,
                 color: getComputedStyle(r.querySelector('.wf__bar')).backgroundColor }))"""
        )
        total = closed["handle_request"]["fields"]["duration_ms"]
        for name, shape in zip(("handle_request", "load_file", "render"), geometry, strict=True):
            ms = closed[name]["fields"]["duration_ms"]
            assert shape["duration"] == duration_text(ms)
            # The axis spans the request: a bar's share of it is its share of the time (±3 px).
            assert abs(shape["bar"] - shape["track"] * ms / total) <= 3, (name, shape, ms, total)
        error = page.evaluate(
            "() => getComputedStyle(document.body).getPropertyValue('--level-error').trim()"
        )
        probe = page.evaluate(
            "(c) => { const d = document.createElement('div'); d.style.color = c;"
            " document.body.append(d); const v = getComputedStyle(d).color; d.remove();"
            " return v; }",
            error,
        )
        # The root holds the error of a span nested in it: red too; load_file is not.
        assert [g["color"] == probe for g in geometry] == [True, False, True]
        page.screenshot(path=str(SHOTS / "waterfall.png"))

    def test_clicking_a_bar_shows_that_spans_entries(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """A click on the load_file bar leaves the entries of that span in the list."""
        write_trace(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="render failed").click()
        page.locator('msc-detail-pane [data-filter="requestId"]').click()
        bar = page.locator("msc-waterfall .wf__row", has_text="load_file").locator(".wf__bar")
        bar.click()
        page.wait_for_function(
            "() => { const s = window.__msc.logStore.state; return s.filter.spanId && !s.loading; }"
        )
        assert sorted(e["message"] for e in shown(page)) == ["file loaded", "span closed"]
        expect(page.locator("msc-toolbar [data-clear='spanId']")).to_be_visible()
        page.keyboard.press("Escape")
        expect(page.locator("msc-waterfall")).to_be_hidden()


class TestContext:
    def test_context_shows_the_neighbours_and_esc_returns_to_the_same_place(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """`c` on a search hit shows its unfiltered neighbours, the hits highlighted; Esc brings
        the filtered list back with the same entry selected at the same height."""
        numbered(dev_server.log_dir, 400, needles=(50, 120, 123, 300))
        open_viewer(page, dev_server)
        page.get_by_role("searchbox", name="Search logs").fill("needle")
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        expect(page.locator(".row:not([hidden])")).to_have_count(4)
        page.locator(".row .c-message", has_text="needle 120").click()
        before = row_top(page, "needle 120")
        page.keyboard.press("c")
        expect(page.locator("msc-log-list .mode-bar")).to_be_visible()
        list_messages = page.evaluate(
            "() => document.querySelector('msc-log-list').entries.map((e) => e.message)"
        )
        at = list_messages.index("needle 120")
        assert list_messages[at - 1 : at + 4] == [
            "line 119",
            "needle 120",
            "line 121",
            "line 122",
            "needle 123",
        ]
        assert selected(page) == "needle 120"
        hits = page.locator(".row.hit:not([hidden]) .msg").all_text_contents()
        assert "needle 120" in hits
        assert "needle 123" in hits
        assert not any(h.startswith("line") for h in hits)
        page.screenshot(path=str(SHOTS / "context.png"))
        page.keyboard.press("Escape")
        expect(page.locator("msc-log-list .mode-bar")).to_be_hidden()
        expect(page.locator(".row:not([hidden])")).to_have_count(4)
        assert selected(page) == "needle 120"
        assert row_top(page, "needle 120") == before
        expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("needle")

    def test_the_row_button_opens_the_context_and_n_walks_the_hits(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """A row's "context" button opens its context; `n` and `N` go to the next and previous
        search hits among the neighbours."""
        numbered(dev_server.log_dir, 200, needles=(90, 95, 99))
        open_viewer(page, dev_server)
        page.get_by_role("searchbox", name="Search logs").fill("needle")
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        row = page.locator(".row:not([hidden])", has_text="needle 95")
        row.hover()
        row.locator(".row-ctx").click()
        expect(page.locator("msc-log-list .mode-bar")).to_be_visible()
        assert selected(page) == "needle 95"
        page.keyboard.press("n")
        assert selected(page) == "needle 99"
        page.keyboard.press("Shift+N")
        page.keyboard.press("Shift+N")
        assert selected(page) == "needle 90"


class TestMarks:
    def test_m_marks_u_and_shift_u_jump_and_the_marked_chip_shows_only_marks(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """`m` marks three entries (a dot on their rows), `u`/`U` walk them, the Marked chip
        shows only them, again shows the list, and `m` on a marked entry unmarks it."""
        numbered(dev_server.log_dir, 30)
        open_viewer(page, dev_server)
        for n in (5, 12, 20):
            page.locator(".row .c-message", has_text=re.compile(rf"^line {n}\b")).click()
            page.keyboard.press("m")
        expect(page.locator(".row.marked:not([hidden]) .msg")).to_have_text(
            ["line 5", "line 12", "line 20"]
        )
        expect(page.locator("msc-level-filter [data-marked] .chip__n")).to_have_text("3")
        page.keyboard.press("Shift+U")
        assert selected(page) == "line 12"
        page.keyboard.press("Shift+U")
        assert selected(page) == "line 5"
        page.keyboard.press("u")
        assert selected(page) == "line 12"
        page.locator("msc-level-filter [data-marked]").click()
        expect(page.locator(".row:not([hidden]) .msg")).to_have_text(
            ["line 5", "line 12", "line 20"]
        )
        expect(page.locator("msc-level-filter [data-marked]")).to_have_attribute(
            "aria-pressed", "true"
        )
        page.locator("msc-level-filter [data-marked]").click()
        expect(page.locator(".row:not([hidden])")).to_have_count(30)
        page.keyboard.press("m")  # line 12 is selected: unmark it
        expect(page.locator(".row.marked:not([hidden]) .msg")).to_have_text(["line 5", "line 20"])

    def test_the_marked_entries_alone_can_be_exported(
        self, page: Page, dev_server: DevServer, tmp_path: Path
    ) -> None:
        """Export… ▸ "Only the 2 marked entries" writes exactly those, oldest first."""
        numbered(dev_server.log_dir, 30)
        open_viewer(page, dev_server)
        for n in (20, 7):
            page.locator(".row .c-message", has_text=re.compile(rf"^line {n}\b")).click()
            page.keyboard.press("m")
        page.locator("msc-toolbar").get_by_role("button", name="Export…", exact=True).click()
        dialog = page.locator("msc-export-dialog dialog")
        dialog.get_by_label("Only the 2 marked entries").check()
        target = tmp_path / "marked.jsonl"
        dialog.get_by_label("Save to").fill(str(target))
        dialog.get_by_role("button", name="Export", exact=True).click()
        expect(dialog.locator(".msc-export__status.is-success")).to_be_visible()
        lines = target.read_bytes().splitlines()
        assert [json.loads(line)["message"] for line in lines] == ["line 7", "line 20"]

    def test_the_shortcuts_table_lists_every_key(self, page: Page, dev_server: DevServer) -> None:
        """`?` lists the new keys: n, N, c, m, u, U."""
        numbered(dev_server.log_dir, 3)
        open_viewer(page, dev_server)
        page.keyboard.press("?")
        keys = page.locator("msc-shortcuts-help kbd").all_text_contents()
        for key in ("n", "N", "c", "m", "u", "U", "e", "E", "/", "Esc"):
            assert key in keys


LEVELS = ("trace", "debug", "info", "warn", "error")


def mixed(log_dir: Path, count: int) -> list[dict[str, Any]]:
    """``count`` records, levels and categories cycling unevenly, 100 ms apart, an hour ago."""
    start = datetime.now(UTC) - timedelta(hours=1)
    records = [
        record(
            f"entry {i}",
            level=LEVELS[(i * i) % 5],
            category=("midi", "file", "network")[i % 3],
            at=start + timedelta(milliseconds=100 * i),
        )
        for i in range(count)
    ]
    write_records(log_dir, records)
    return records


def wait_histogram(page: Page) -> dict[str, Any]:
    """The histogram state once it answers the current filter."""
    page.wait_for_function(
        "() => { const h = window.__msc.histogram; return h.current()"
        " && h.state.data.counts.info.length === h.buckets; }"
    )
    state: dict[str, Any] = page.evaluate(
        "() => ({ ...window.__msc.histogram.state, data: window.__msc.histogram.state.data })"
    )
    return state


class TestHistogram:
    def test_counts_equal_the_log_and_the_chips_show_them(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Every bucket count summed per level equals the log's count, more than are loaded;
        the chips and, with a filter, the status bar show the whole-log numbers."""
        records = mixed(dev_server.log_dir, 12_000)
        open_viewer(page, dev_server, page=1000)
        state = wait_histogram(page)
        oracle = Counter(r["level"] for r in records)
        assert state["totals"] == {level: oracle[level] for level in LEVELS}
        assert not state["data"].get("approximate")
        assert page.evaluate("() => window.__msc.logStore.state.entries.length") < 12_000
        error = page.locator('msc-level-filter [data-level="error"] .chip__n')
        expect(error).to_have_text(f"{oracle['error']:,}")
        page.locator("msc-toolbar select[name='category']").select_option("midi")
        page.wait_for_function("() => window.__msc.histogram.current()")
        midi = Counter(r["level"] for r in records if r["category"] == "midi")
        expect(error).to_have_text(f"{midi['error']:,}")
        expect(page.locator("msc-status-bar .matches")).to_have_text(
            f"{sum(midi.values()):,} match in the log"
        )
        page.screenshot(path=str(SHOTS / "histogram-minimap.png"))

    def test_dragging_across_the_histogram_sets_the_time_range(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """A drag from a quarter to three quarters of the chart sets since/until to that part of
        the log's time, and the list then holds only entries inside it."""
        records = mixed(dev_server.log_dir, 2000)
        open_viewer(page, dev_server)
        wait_histogram(page)
        chart = page.locator("msc-histogram .hist__chart")
        box = chart.bounding_box()
        assert box is not None
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.25, y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=4)
        page.mouse.move(box["x"] + box["width"] * 0.75, y, steps=4)
        page.mouse.up()
        page.wait_for_function(
            "() => { const s = window.__msc.logStore.state; return s.filter.since && !s.loading; }"
        )
        flt = page.evaluate("() => window.__msc.logStore.state.filter")
        since, until = (datetime.fromisoformat(flt[k]) for k in ("since", "until"))
        first = datetime.fromisoformat(records[0]["timestamp"])
        last = datetime.fromisoformat(records[-1]["timestamp"])
        span = (last - first).total_seconds()
        assert abs((since - first).total_seconds() - span * 0.25) < span * 0.03
        assert abs((until - first).total_seconds() - span * 0.75) < span * 0.03
        inside = [r for r in records if since <= datetime.fromisoformat(r["timestamp"]) <= until]
        assert [e["message"] for e in shown(page)] == [r["message"] for r in inside]
        expect(page.locator("msc-time-range [data-action='custom']")).to_contain_text("→")

    def test_clicking_a_bar_selects_its_first_entry(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """A click on a bar of loaded entries selects the first entry of that bar's time."""
        mixed(dev_server.log_dir, 600)
        open_viewer(page, dev_server)
        state = wait_histogram(page)
        box = page.locator("msc-histogram .hist__chart").bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] - 2)
        page.wait_for_function("() => document.querySelector('msc-log-list').selected")
        chosen = page.evaluate("() => document.querySelector('msc-log-list').selected.timestamp")
        data = state["data"]
        buckets = len(data["counts"]["info"])
        index = int(0.4 * buckets)
        t0 = datetime.fromisoformat(data["start"]) + timedelta(
            milliseconds=index * data["bucket_ms"]
        )
        t1 = t0 + timedelta(milliseconds=data["bucket_ms"])
        assert t0 <= datetime.fromisoformat(chosen) < t1


class TestMinimap:
    def test_errors_are_ticks_and_a_click_on_one_selects_it(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Each error of the loaded entries is a tick at its place; clicking it selects it."""
        start = datetime.now(UTC) - timedelta(minutes=10)
        errors = (7, 33, 61, 88)
        write_records(
            dev_server.log_dir,
            [
                record(
                    f"step {i}",
                    level="error" if i in errors else "info",
                    at=start + timedelta(seconds=i),
                )
                for i in range(100)
            ],
        )
        open_viewer(page, dev_server)
        ticks = page.locator("msc-minimap .tick--error")
        expect(ticks).to_have_count(len(errors))
        assert [int(i) for i in ticks.evaluate_all("ts => ts.map((t) => t.dataset.index)")] == list(
            errors
        )
        box = ticks.nth(1).bounding_box()
        assert box is not None
        page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert selected(page) == "step 33"
        page.keyboard.press("j")  # the next entry: on screen whatever the list's height
        assert selected(page) == "step 34"
        page.keyboard.press("m")
        expect(page.locator("msc-minimap .tick--mark")).to_have_count(1)


class TestViewState:
    def test_search_filters_and_marks_come_back_after_a_restart(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """A new `msc-logs dev` on the same log shows the same search, level, category and
        marks, its first screen already filtered."""
        start = datetime.now(UTC) - timedelta(minutes=10)
        write_records(
            dev_server.log_dir,
            [
                record(
                    f"{'needle' if i % 2 else 'hay'} {i}",
                    level="error" if i % 3 == 0 else "info",
                    category="midi" if i % 4 else "file",
                    at=start + timedelta(seconds=i),
                )
                for i in range(60)
            ],
        )
        open_viewer(page, dev_server)
        page.get_by_role("searchbox", name="Search logs").fill("needle")
        page.locator('msc-level-filter [data-level="error"]').click()
        page.locator("msc-toolbar select[name='category']").select_option("midi")
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        expected = [e["message"] for e in shown(page)]
        assert expected
        page.locator(".row .c-message", has_text=expected[1]).click()
        page.keyboard.press("m")
        wait_until(lambda: view_state(page).get("marks", []) != [])
        wait_until(lambda: view_state(page)["filter"]["category"] == "midi")
        stop_dev_server(dev_server)

        again = start_dev_server(dev_server.log_dir)
        try:
            page.goto(again.page_url("/"))
            page.wait_for_function("() => window.__msc?.logStore.state.loaded")
            expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("needle")
            expect(page.locator('msc-level-filter [data-level="error"]')).to_have_attribute(
                "aria-pressed", "true"
            )
            expect(page.locator("msc-toolbar select[name='category']")).to_have_value("midi")
            calls = page.evaluate("() => window.__msc.logStore.state.loadedQuery")
            assert calls == {"level": "error", "category": "midi", "search": "needle"}
            assert [e["message"] for e in shown(page)] == expected
            expect(page.locator(".row.marked:not([hidden]) .msg")).to_have_text([expected[1]])
            assert selected(page) == expected[1]
        finally:
            stop_dev_server(again)

    def test_the_url_hash_gives_the_filter_and_follows_it(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Opening `#q=needle&level=error` shows that view; changing the filter rewrites it."""
        start = datetime.now(UTC) - timedelta(minutes=10)
        write_records(
            dev_server.log_dir,
            [
                record("needle a", level="error", at=start),
                record("needle b", level="info", at=start + timedelta(seconds=1)),
                record("hay c", level="error", at=start + timedelta(seconds=2)),
            ],
        )
        page.goto(dev_server.page_url("/") + "#q=needle&level=error")
        page.wait_for_function("() => window.__msc?.logStore.state.loaded")
        expect(page.locator(".row:not([hidden]) .msg")).to_have_text(["needle a"])
        expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("needle")
        page.locator('msc-level-filter [data-level="error"]').click()  # all levels again
        page.wait_for_function("() => location.hash === '#q=needle'")
        expect(page.locator(".row:not([hidden]) .msg")).to_have_text(["needle a", "needle b"])

    def test_reset_view_forgets_everything(self, page: Page, dev_server: DevServer) -> None:
        """Reset view clears the filter, the marks, the hash and what is stored."""
        numbered(dev_server.log_dir, 20, needles=(4, 9))
        page.goto(dev_server.page_url("/") + "#q=needle")
        page.wait_for_function("() => window.__msc?.logStore.state.loaded")
        page.locator(".row .c-message", has_text="needle 4").click()
        page.keyboard.press("m")
        wait_until(lambda: view_state(page).get("marks", []) != [])
        page.get_by_role("button", name="Reset view").click()
        expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("")
        expect(page.locator(".row.marked")).to_have_count(0)
        assert page.evaluate("() => location.hash") == ""
        wait_until(
            lambda: (
                not view_state(page).get("marks")
                and not view_state(page).get("filter", {}).get("search")
            )
        )
        page.reload()
        page.wait_for_function("() => window.__msc?.logStore.state.loaded")
        expect(page.locator(".row:not([hidden])")).to_have_count(20)
