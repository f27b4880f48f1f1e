"""Investigating in the real window: the trace waterfall, and marks that survive a restart.

The window's page is driven over the DevTools protocol (clicks on its elements, key presses as
input events); the view state is kept by the window's backend in the viewer's own state
directory, so a second window process on the same log directory gets the marks back.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness import REPO, LaunchViewer, Viewer

TRACED = r"""
import sys, time
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.context import span
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error", file_level="trace"))
log = get_logger("tests.native.trace")
for i in range(5):
    log.info(f"plain {i}", category="midi")
with span("import_song", request_id="req-native"):
    log.info("import begins", category="file")
    with span("parse_tracks"):
        time.sleep(0.02)
        log.info("tracks parsed", category="midi")
    with span("write_db"):
        time.sleep(0.01)
        log.error("write failed", category="database")
"""

LIST = "document.querySelector('msc-log-list')"


def write_trace(log_dir: Path) -> None:
    """Log a request with nested spans through the real library, from another process."""
    subprocess.run(
        [sys.executable, "-c", TRACED, str(log_dir)], cwd=REPO, check=True, capture_output=True
    )


def select(viewer: Viewer, message: str) -> None:
    """Select the list's entry with ``message`` (as a click on its row does)."""
    index = viewer.evaluate(f"{LIST}.entries.findIndex((e) => e.message === {json.dumps(message)})")
    assert index >= 0, message
    viewer.evaluate(f"{LIST}.select({index})")


def press(viewer: Viewer, key: str) -> None:
    """Press ``key`` as keyboard input to the page."""
    assert viewer.page is not None
    for kind in ("keyDown", "keyUp"):
        viewer.page.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "text": key})


def marked(viewer: Viewer) -> list[str]:
    """The messages of the marked rows in the list."""
    value: list[str] = viewer.evaluate(
        "[...document.querySelectorAll('msc-log-list .row.marked:not([hidden]) .msg')]"
        ".map((m) => m.textContent)"
    )
    return value


class TestInvestigateWindow:
    def test_the_request_link_opens_the_waterfall(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """In the window, the request link of an entry opens its spans nested, the error red."""
        log_dir = tmp_path / "logs"
        write_trace(log_dir)
        viewer = launch(log_dir)
        viewer.wait_for(f"{LIST}.entries.some((e) => e.message === 'write failed')")
        select(viewer, "write failed")
        viewer.evaluate(
            "document.querySelector('msc-detail-pane [data-filter=\"requestId\"]').click()"
        )
        names = viewer.wait_for(
            "(n => n.length === 3 && n)([...document.querySelectorAll("
            "'msc-waterfall .wf__row .wf__label')].map((l) => l.textContent))"
        )
        assert names == ["import_song", "parse_tracks", "write_db"]
        levels = viewer.evaluate(
            "[...document.querySelectorAll('msc-waterfall .wf__row')].map((r) => r.dataset.level)"
        )
        assert levels == ["error", "info", "error"]
        assert viewer.close() == 0

    def test_marks_survive_a_restart_of_the_window(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """Two entries marked with `m`; the window closed and started again: both still marked."""
        log_dir = tmp_path / "logs"
        write_trace(log_dir)
        viewer = launch(log_dir)
        viewer.wait_for(f"{LIST}.entries.some((e) => e.message === 'plain 3')")
        for message in ("plain 1", "plain 3"):
            select(viewer, message)
            press(viewer, "m")
        assert marked(viewer) == ["plain 1", "plain 3"]
        viewer.wait_for(
            "window.pywebview.api.get_view_state({}).then((r) => (r.ok?.marks ?? []).length === 2)"
        )
        assert viewer.close() == 0

        again = launch(log_dir)
        again.wait_for("document.querySelectorAll('msc-log-list .row.marked').length === 2")
        assert marked(again) == ["plain 1", "plain 3"]
        assert again.evaluate("window.__msc.marks.size") == 2
        assert again.close() == 0
