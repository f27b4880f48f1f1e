"""The metrics panel in a real browser against the real dev server.

Metrics come from a real second process: a Python child that logs through `shared`, records
counters, timings and gauges, and writes a ``metrics snapshot`` record into the log directory the
dev server shows (docs/PROTOCOL.md).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Route, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    APP,
    ARTIFACTS,
    REPO,
    DevServer,
    open_viewer,
    start_dev_server,
    stop_dev_server,
)

XSS = "<img src=x onerror=window.__xss=1>"

# A child process recording metrics like an importer would, then writing one snapshot.
RECORDER = textwrap.dedent(
    r"""
    import sys
    from pathlib import Path
    from shared.writer.config import LogConfig
    from shared._metrics import increment_counter_by, record_timing, set_gauge
    from shared._metrics import write_metrics_snapshot
    from shared.writer.setup import get_logger, init_logging
    init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error"))
    xss = sys.argv[2]
    scale = int(sys.argv[3])
    increment_counter_by("midi.files_imported", 1234 * scale)
    increment_counter_by(xss, 1)
    for _ in range(12):
        record_timing("db.query", 0.002)
    for ms in range(10, 101, 10):
        record_timing("midi.parse", ms / 1000)
    for _ in range(3):
        record_timing("import_file", 1.5)
    record_timing(xss, 0.0005)
    set_gauge("memory.rss_mb", 412.75)
    set_gauge("import.queue", 7)
    set_gauge(xss, 1)
    log = get_logger("tests.importer")
    for i in range(4):
        log.error(f"import failed {i}", category="file")
    for i in range(6):
        log.warning(f"slow import {i}", category="file")
    write_metrics_snapshot()
    """
)


def record_metrics(log_dir: Path, scale: int = 1) -> int:
    """Run the recorder process to completion; returns its pid."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-c", RECORDER, str(log_dir), XSS, str(scale)]
    subprocess.run(command, env=env, capture_output=True, timeout=60, check=True)
    # The recorder's pid is in its records: read it back from its (newest) snapshot line.
    lines = (log_dir / f"{APP}.log").read_text().splitlines()
    snapshot = [line for line in lines if '"metrics snapshot"' in line][-1]
    match = re.search(r'"pid":(\d+)', snapshot)
    assert match is not None
    return int(match.group(1))


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """The log directory of the dev server, holding one snapshot of another process."""
    path = tmp_path / "logs"
    path.mkdir()
    record_metrics(path)
    return path


@pytest.fixture
def recorder_pid(log_dir: Path) -> int:
    """The pid of the process that wrote the snapshot."""
    text = (log_dir / f"{APP}.log").read_text()
    match = re.search(r'"metrics snapshot".*?"pid":(\d+)', text)
    assert match is not None
    return int(match.group(1))


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> Page:
    open_viewer(page, dev_server)
    return page


def show_metrics(page: Page) -> Locator:
    """Switch the shell to its Metrics tab and return the panel."""
    page.get_by_role("tab", name="Metrics").click()
    panel = page.locator("msc-metrics-panel")
    expect(panel).to_be_visible()
    return panel


def card_value(panel: Locator, kind: str, name: str) -> Locator:
    return (
        panel.locator(f"[data-{kind}]")
        .filter(has=panel.page.locator(".msc-metrics__card-name", has_text=name))
        .locator(".msc-metrics__card-value")
    )


def timing_rows(panel: Locator) -> Locator:
    """The timing table's name cells, in display order (asserted with retrying expect)."""
    return panel.locator("tbody tr th.name")


def wait_for_chart(page: Page, kind: str, min_width: int, min_height: int) -> None:
    """Wait until the panel's ``kind`` chart is drawn at least that large (it is redrawn as
    entries and metrics arrive, so one element may be replaced while it is measured)."""
    page.wait_for_function(
        """([kind, w, h]) => {
            const svg = document.querySelector(`msc-metrics-panel svg.msc-chart--${kind}`);
            const box = svg?.getBoundingClientRect();
            return Boolean(box && box.width >= w && box.height >= h);
        }""",
        arg=[kind, min_width, min_height],
    )


class TestProcesses:
    def test_selector_offers_this_viewer_and_the_other_process(
        self, viewer: Page, dev_server: DevServer, recorder_pid: int
    ) -> None:
        """The selector lists this viewer by pid and the recorder with its snapshot time."""
        panel = show_metrics(viewer)
        options = panel.locator("select option")
        expect(options).to_have_count(2)
        expect(options.nth(0)).to_have_text(f"This viewer (pid {dev_server.proc.pid})")
        expect(options.nth(1)).to_have_text(
            re.compile(rf"^pid {recorder_pid} — snapshot \d\d:\d\d:\d\d, \d+ s ago$")
        )

    def test_an_idle_viewer_opens_on_the_process_with_data(
        self, viewer: Page, recorder_pid: int
    ) -> None:
        """This viewer records no metrics of its own, so the recorder is selected first."""
        panel = show_metrics(viewer)
        expect(panel.locator("select")).to_have_value(str(recorder_pid))

    def test_choosing_this_viewer_shows_its_own_empty_metrics(self, viewer: Page) -> None:
        """Switching to this viewer replaces the recorder's counters with "none recorded"."""
        panel = show_metrics(viewer)
        panel.locator("select").select_option("self")
        expect(panel.locator("[data-counter]")).to_have_count(0)
        expect(panel.get_by_text("No counters recorded.")).to_be_visible()


class TestValues:
    def test_counters_and_gauges_show_the_snapshot_values(self, viewer: Page) -> None:
        """Counters are grouped by thousands, gauges keep their decimals."""
        panel = show_metrics(viewer)
        expect(card_value(panel, "counter", "midi.files_imported")).to_have_text("1,234")
        expect(card_value(panel, "gauge", "memory.rss_mb")).to_have_text("412.75")
        expect(card_value(panel, "gauge", "import.queue")).to_have_text("7")

    def test_timings_table_shows_count_avg_p95_and_max(self, viewer: Page) -> None:
        """Each timing row has its count, average, p95 and maximum, formatted with units."""
        panel = show_metrics(viewer)
        for name in ("db.query", "midi.parse", "import_file"):
            # all_inner_texts() does not wait: let the table render first.
            expect(panel.locator(f'tr[data-timing="{name}"] td')).to_have_count(4)
        cells = {
            name: panel.locator(f'tr[data-timing="{name}"] td').all_inner_texts()
            for name in ("db.query", "midi.parse", "import_file")
        }
        assert cells["db.query"] == ["12", "2 ms", "2 ms", "2 ms"]
        assert cells["midi.parse"][:2] == ["10", "55 ms"]
        assert cells["midi.parse"][3] == "100 ms"
        # p95 of 10..100 ms is the 10th sample, 100 ms, within the documented 1 %.
        assert re.fullmatch(r"(99\.\d|100|101) ms", cells["midi.parse"][2])
        assert cells["import_file"] == ["3", "1.5 s", "1.5 s", "1.5 s"]

    def test_refresh_shows_a_newer_snapshot(self, viewer: Page, log_dir: Path) -> None:
        """A snapshot written after the viewer opened appears after pressing Refresh."""
        panel = show_metrics(viewer)
        expect(card_value(panel, "counter", "midi.files_imported")).to_have_text("1,234")
        pid = record_metrics(log_dir, scale=2)
        panel.get_by_role("button", name="Refresh").click()
        panel.locator("select").select_option(str(pid))
        expect(card_value(panel, "counter", "midi.files_imported")).to_have_text("2,468")

    def test_the_panel_refreshes_itself_while_visible(self, viewer: Page, log_dir: Path) -> None:
        """Without any click, a new process shows up in the selector within one period."""
        panel = show_metrics(viewer)
        expect(panel.locator("select option")).to_have_count(2)
        record_metrics(log_dir, scale=3)
        expect(panel.locator("select option")).to_have_count(3, timeout=12_000)


class TestSorting:
    def test_headers_sort_the_rows_and_announce_it(self, viewer: Page) -> None:
        """Count sorts descending first, then ascending; aria-sort follows; Name is reset."""
        panel = show_metrics(viewer)
        expect(panel.locator('th:has([data-sort="name"])')).to_have_attribute(
            "aria-sort", "ascending"
        )
        count = panel.locator('th:has([data-sort="count"])')
        count.locator("button").click()
        expect(count).to_have_attribute("aria-sort", "descending")
        expect(panel.locator('th:has([data-sort="name"])')).to_have_attribute("aria-sort", "none")
        expect(timing_rows(panel)).to_have_text(["db.query", "midi.parse", "import_file", XSS])
        count.locator("button").click()
        expect(count).to_have_attribute("aria-sort", "ascending")
        expect(timing_rows(panel)).to_have_text([XSS, "import_file", "midi.parse", "db.query"])

    def test_sorting_by_max_orders_the_chart_rows_too(self, viewer: Page) -> None:
        """The distribution chart draws its bars in the table's order."""
        panel = show_metrics(viewer)
        panel.locator('[data-sort="max_ms"]').click()
        expect(timing_rows(panel)).to_have_text(["import_file", "midi.parse", "db.query", XSS])
        labels = panel.locator("svg.msc-chart--timings text.label").all_text_contents()
        assert labels[:3] == ["import_file", "midi.parse", "db.query"]


class TestCharts:
    def test_timing_chart_has_a_bar_per_timing(self, viewer: Page) -> None:
        """One row of four nested bars per timing; 0.5 ms to 1.5 s calls for a log scale."""
        panel = show_metrics(viewer)
        chart = panel.locator("svg.msc-chart--timings")
        wait_for_chart(viewer, "timings", 200, 80)
        expect(chart.locator("g.row")).to_have_count(4)
        expect(chart.locator("rect.bar-max")).to_have_count(4)
        expect(chart).to_have_attribute("data-scale", "log")
        widths = [
            float(w)
            for w in chart.locator("rect.bar-max").evaluate_all(
                "rs => rs.map(r => r.getAttribute('width'))"
            )
        ]
        assert all(w > 0 for w in widths)

    def test_volume_chart_counts_the_loaded_entries_by_level(self, viewer: Page) -> None:
        """The histogram's legend totals match the entries the recorder wrote."""
        panel = show_metrics(viewer)
        chart = panel.locator("svg.msc-chart--volume")
        wait_for_chart(viewer, "volume", 200, 100)
        assert chart.locator("rect.lvl-error").count() >= 1
        legend = panel.locator(".msc-metrics__volume figcaption")
        expect(legend).to_contain_text("error 4")
        expect(legend).to_contain_text("warn 6")

    def test_screenshots(self, viewer: Page) -> None:
        """Light and dark screenshots of the panel, for a person to look at."""
        panel = show_metrics(viewer)
        expect(panel.locator("svg.msc-chart--timings")).to_be_visible()
        for scheme in ("light", "dark"):
            viewer.emulate_media(color_scheme=scheme)
            viewer.wait_for_timeout(100)
            panel.screenshot(path=str(ARTIFACTS / f"metrics-panel-{scheme}.png"))


class TestUntrustedNames:
    def test_markup_in_metric_names_stays_text(self, viewer: Page) -> None:
        """A counter, gauge and timing named like an <img> tag render as that text, inertly."""
        panel = show_metrics(viewer)
        expect(panel.locator(".msc-metrics__card-name", has_text=XSS)).to_have_count(2)
        expect(panel.locator(f'tr[data-timing="{XSS}"] th')).to_have_text(XSS)
        viewer.wait_for_timeout(300)
        assert panel.locator("img").count() == 0
        assert viewer.evaluate("window.__xss") is None


class TestStates:
    def test_an_empty_log_dir_explains_where_metrics_come_from(
        self, page: Page, tmp_path: Path
    ) -> None:
        """With no snapshot anywhere and an idle viewer, the panel explains snapshots."""
        empty_dir = tmp_path / "empty-logs"
        empty_dir.mkdir()
        server = start_dev_server(empty_dir)
        try:
            open_viewer(page, server)
            panel = show_metrics(page)
            empty = panel.locator(".msc-metrics__empty")
            expect(empty).to_contain_text("No metrics yet")
            expect(empty).to_contain_text("start_metrics_snapshots(N)")
            expect(panel.locator("table")).to_have_count(0)
            panel.screenshot(path=str(ARTIFACTS / "metrics-panel-empty.png"))
        finally:
            stop_dev_server(server)

    def test_a_failing_command_shows_its_code_and_message_and_can_retry(self, viewer: Page) -> None:
        """An error answer is shown with its code; "Try again" loads the metrics once it works."""

        def fail(route: Route) -> None:
            route.fulfill(
                status=500,
                content_type="application/json",
                body='{"code":"internal","message":"internal error; the details are in the log"}',
            )

        viewer.route("**/invoke/get_performance_metrics", fail)
        viewer.reload()
        panel = show_metrics(viewer)
        error = panel.locator(".msc-metrics__error")
        expect(error).to_contain_text("internal")
        expect(error).to_contain_text("internal error; the details are in the log")
        viewer.unroute("**/invoke/get_performance_metrics")
        error.get_by_role("button", name="Try again").click()
        expect(panel.locator(".msc-metrics__error")).to_have_count(0)
        expect(card_value(panel, "counter", "midi.files_imported")).to_have_text("1,234")
