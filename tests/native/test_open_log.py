"""File ▸ Open Directory…, Open File… and Open Recent, driven through the api the menu calls.

``open_log_location({path})`` starts a viewer on the path in a window of its own (or brings the
window already showing it forward) and remembers it for Open Recent; bad paths are refused.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

from harness import LaunchViewer, Viewer, XServer
from x11 import stacking_titles

DEADLINE_S = 60.0


def _log(directory: Path, message: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    line = (
        '{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","category":"system",'
        f'"message":"{message}","target":"t","fields":{{}},"span":null,"pid":1}}\n'
    )
    (directory / "midi-software-center.log").write_text(line)
    return directory


def _open(viewer: Viewer, path: object) -> dict[str, Any]:
    reply: dict[str, Any] = viewer.evaluate(
        f"window.pywebview.api.open_log_location({json.dumps({'path': path})})"
    )
    return reply


def _windows_on(xserver: XServer, path: Path) -> int:
    return sum(title.endswith(f"— {path}") for title in stacking_titles(xserver.display, "Logs"))


def _wait(condition: Any, what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _recent(viewer: Viewer) -> list[str]:
    path = Path(viewer.env["XDG_CONFIG_HOME"]) / "midi-software-center" / "recent.json"
    recent: list[str] = json.loads(path.read_text())
    return recent


def _stop(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return


class TestOpenLogLocation:
    def test_a_directory_opens_in_a_new_window_and_is_remembered(
        self, launch: LaunchViewer, xserver: XServer, tmp_path: Path
    ) -> None:
        """A second directory gets its own window; recent.json lists it before the first."""
        first = launch(_log(tmp_path / "first", "a"))
        other = _log(tmp_path / "other", "b")
        assert _recent(first) == [str(first.log_dir)]
        reply = _open(first, str(other))
        assert reply["ok"]["path"] == str(other)
        try:
            _wait(lambda: _windows_on(xserver, other) == 1, "a window on the other directory")
            assert _recent(first) == [str(other), str(first.log_dir)]
        finally:
            _stop(reply["ok"]["pid"])

    def test_a_file_opens_too(self, launch: LaunchViewer, xserver: XServer, tmp_path: Path) -> None:
        """Open File…: the window shows that one file."""
        first = launch(_log(tmp_path / "first", "a"))
        single = _log(tmp_path / "single", "c") / "midi-software-center.log"
        reply = _open(first, str(single))
        try:
            _wait(lambda: _windows_on(xserver, single) == 1, "a window on the file")
        finally:
            _stop(reply["ok"]["pid"])

    def test_the_directory_shown_comes_forward_instead_of_opening_twice(
        self, launch: LaunchViewer, xserver: XServer, tmp_path: Path
    ) -> None:
        """Opening the log a window already shows: the new process focuses it and exits."""
        first = launch(_log(tmp_path / "first", "a"))
        before = len(first.own_records())
        reply = _open(first, str(first.log_dir))
        pid = reply["ok"]["pid"]
        _wait(
            lambda: (
                "viewer brought to the front by a second launch"
                in [r["message"] for r in first.own_records()[before:]]
            ),
            "the first window to come forward",
        )
        _wait(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), "the launch to exit")
        assert _windows_on(xserver, first.log_dir) == 1

    def test_bad_paths_are_refused_with_the_error_shape(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """Missing → not_found; a FIFO or a non-string → invalid_args; nothing is started."""
        first = launch(_log(tmp_path / "first", "a"))
        fifo = tmp_path / "pipe"
        os.mkfifo(fifo)
        assert _open(first, str(tmp_path / "gone"))["error"]["code"] == "not_found"
        assert _open(first, str(fifo))["error"]["code"] == "invalid_args"
        assert _open(first, 42)["error"]["code"] == "invalid_args"
        assert _open(first, "")["error"]["code"] == "invalid_args"
        assert _recent(first) == [str(first.log_dir)]


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].startswith("Z")
    except (OSError, IndexError):
        return True
