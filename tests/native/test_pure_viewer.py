"""The real window is a pure reader, and File ▸ Open the viewer's own log works.

Like tests/backend/test_pure_reader.py, but in the desktop window (Xvfb, Qt WebEngine, the page
driven over the DevTools protocol): every read command from the page, then the window closed;
the directory shown is byte for byte, mtime for mtime, as it was.

The read-only directory is viewed by a process without capabilities (``setpriv --bounding-set
-all``): the tests run as root, whom permission bits do not stop, and the window cannot run as
an unprivileged uid here (Python and Qt WebEngine, whose helper process it executes, live under
/root, mode 0700). Without CAP_DAC_OVERRIDE root is held to the bits like anyone else.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from harness import (
    APP_COMMAND,
    LaunchViewer,
    Viewer,
    age,
    fill_rotated_set,
    own_log_dir,
    read_records,
    snapshot,
    write_entries,
)
from x11 import send_close

API = "window.pywebview.api"
APP = "midi-software-center"
#: The set `LogConfig(max_file_size_mb=12, max_files=8)` leaves: nine files just under 12 MiB.
OWN_SET_FILES, OWN_SET_BYTES = 8, 12 * 1024 * 1024 - 1024
UNPRIVILEGED = ("setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--")

pytestmark = pytest.mark.skipif(shutil.which("setpriv") is None, reason="needs util-linux setpriv")


def call(viewer: Viewer, command: str, args: dict[str, Any] | None = None) -> Any:
    """``window.pywebview.api.<command>(args)``; returns the result, failing on an error."""
    reply = viewer.evaluate(f"{API}.{command}({json.dumps(args or {})})")
    assert "ok" in reply, (command, args, reply)
    return reply["ok"]


def read_everything(viewer: Viewer, out: Path) -> None:
    """What a user's session asks of the backend: filters, paging, info, metrics, export, stream."""
    for args in (
        {},
        {"level": "error"},
        {"min_level": "warn"},
        {"category": "database"},
        {"search": "entry 1"},
        {"search": r"entry \d+7$", "regex": True},
        {"since": "2026-01-01T00:01:00Z", "until": "2026-01-01T00:02:00Z"},
        {"request_id": "req-3"},
    ):
        call(viewer, "get_recent_logs", {"limit": 300, **args})
    page = call(viewer, "get_recent_logs", {"limit": 100})
    for _ in range(3):
        if page:
            page = call(viewer, "get_recent_logs", {"limit": 100, "before": page[0]["id"]})
    call(viewer, "get_log_info")
    viewer.evaluate("document.querySelector('[data-view=\"metrics\"]').click(), true")
    for _ in range(5):
        call(viewer, "get_performance_metrics")
    viewer.evaluate("document.querySelector('[data-view=\"logs\"]').click(), true")
    call(viewer, "export_logs", {"output_path": str(out / "export.jsonl"), "min_level": "warn"})
    call(viewer, "unsubscribe_from_logs")
    call(viewer, "subscribe_to_logs")
    time.sleep(1.0)  # the follower polls meanwhile


class TestPureReader:
    """The window leaves the directory it shows exactly as it was."""

    def test_our_own_full_rotated_set(self, launch: LaunchViewer, tmp_path: Path) -> None:
        """All nine files of a 12 MB x 8 set (it used to lose .6 to .8 within seconds)."""
        log_dir = tmp_path / "own-set"
        fill_rotated_set(log_dir, APP, OWN_SET_FILES, OWN_SET_BYTES)
        age(log_dir)
        before = snapshot(log_dir)
        viewer = launch(log_dir)
        read_everything(viewer, tmp_path)
        names = [f["name"] for f in call(viewer, "get_log_info")["files"]]
        assert len(names) == OWN_SET_FILES + 1
        assert viewer.close() == 0
        assert snapshot(log_dir) == before
        handled = {r["fields"]["command"] for r in viewer.own_records() if "command" in r["fields"]}
        assert {"get_recent_logs", "export_logs", "get_performance_metrics"} <= handled

    def test_a_read_only_directory_opens_and_cannot_be_cleared(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """0555/0444: the window opens on it (it used to refuse), reads, and clear is
        permission_denied with a message; nothing changes."""
        log_dir = tmp_path / "read-only"
        fill_rotated_set(log_dir, APP, 2, 64 * 1024)
        for path in log_dir.iterdir():
            path.chmod(0o444)
        log_dir.chmod(0o555)
        age(log_dir)
        before = snapshot(log_dir)
        try:
            viewer = launch(log_dir, command=[*UNPRIVILEGED, *APP_COMMAND])
            assert _capabilities(viewer.process.pid) == 0
            read_everything(viewer, tmp_path)
            reply = viewer.evaluate(f"{API}.clear_logs()")
            assert reply["error"]["code"] == "permission_denied"
            assert str(log_dir) in reply["error"]["message"]
            assert viewer.close() == 0
            assert "Traceback" not in viewer.output_text()
            assert snapshot(log_dir) == before
        finally:
            log_dir.chmod(0o755)


class TestOwnLog:
    """The viewer's own log, in a window of its own."""

    def test_own_log_flag_shows_it_and_adds_nothing_to_it(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """``msc-logs --own-log`` shows the records of an earlier viewer; its own go to the
        console, none into the directory it shows."""
        log_dir = tmp_path / "logs"
        write_entries(log_dir, ["an app's entry"])
        first = launch(log_dir)
        call(first, "get_log_info")
        assert first.close() == 0
        own_dir = own_log_dir(first.env)
        age(own_dir)
        before = snapshot(own_dir)
        second = launch(own_dir, pass_log_dir=False, extra_args=["--own-log"])
        messages = [e["message"] for e in call(second, "get_recent_logs", {"limit": 1000})]
        assert "viewer opened" in messages
        assert "viewer closed" in messages
        read_everything(second, tmp_path)
        assert second.close() == 0
        assert snapshot(own_dir) == before
        assert "logging initialized" in second.output_text()

    def test_open_own_log_starts_a_second_window(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """File ▸ Open the viewer's own log (its api twin here): a new msc-logs process opens a
        window on the viewer's log directory and writes no record of its own there."""
        log_dir = tmp_path / "logs"
        write_entries(log_dir, ["an app's entry"])
        viewer = launch(log_dir)
        pid = call(viewer, "open_own_log")["pid"]
        own_dir = own_log_dir(viewer.env)
        opened = f"viewer opened log_dir={own_dir} pid={pid}"  # its console: our output file
        try:
            deadline = time.monotonic() + 60
            while opened not in viewer.output_text() or not send_close(viewer.display, pid):
                assert _alive(pid), viewer.output_text()[-3000:]
                assert time.monotonic() < deadline, "no window on the viewer's own log"
                time.sleep(0.2)
            while _alive(pid):  # closed like a window manager closes it: it exits
                assert time.monotonic() < deadline, "the second window did not close"
                time.sleep(0.1)
        finally:
            if _alive(pid):
                os.kill(pid, 9)
        records = read_records(own_dir / "msc-logs-viewer.log")
        assert pid not in {r["pid"] for r in records}
        assert any(r["message"] == "viewer's own log opened" for r in records)
        assert viewer.close() == 0


def _capabilities(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("CapEff:"))
    return int(line.split()[1], 16)


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (not a zombie: the parent window reaps it in its own time)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
