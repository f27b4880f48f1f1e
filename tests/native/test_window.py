"""The native window, for real: Xvfb, the app process, its page read over the DevTools protocol.

One viewer is shared by the tests that only read (module scope); tests that close the window,
start a demo or need their own configuration launch their own.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from harness import (
    ARTIFACTS,
    REPO,
    VISIBLE_MESSAGES,
    LaunchViewer,
    Viewer,
    XServer,
    write_entries,
)
from x11 import send_close

PREEXISTING = [f"preexisting entry {i}" for i in range(5)]
XSS = "<img src=x onerror=window.__xss=1>"
# U+2028/U+2029 are line terminators in older JavaScript: they must arrive as text, intact.
TRICKY = f"{XSS} \u2028 line\u2029 separators </script> \\u0041 \"quoted\" 'single'"
API = "window.pywebview.api"


def _records(log_dir: Path) -> list[dict[str, object]]:
    path = log_dir / "midi-software-center.log"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="module")
def viewer(xserver: XServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Viewer]:
    """A viewer on a directory that held five entries before it opened."""
    workdir = tmp_path_factory.mktemp("viewer")
    log_dir = workdir / "logs"
    write_entries(log_dir, PREEXISTING)
    running = Viewer.launch(xserver, log_dir, workdir)
    yield running
    running.kill()


class TestStartup:
    """Opening the window on a directory."""

    def test_shows_the_entries_already_in_the_directory(
        self, viewer: Viewer, xserver: XServer
    ) -> None:
        """Every entry written before the window opened is a row of the list."""
        messages = viewer.wait_for(
            f"(m => {PREEXISTING!r}.every(p => m.includes(p)) && m)({_visible()})"
        )
        assert [m for m in messages if m.startswith("preexisting")] == PREEXISTING
        viewer.settle()
        xserver.screenshot(ARTIFACTS / "native-window.png")

    def test_logs_its_own_start_into_its_own_directory(self, viewer: Viewer) -> None:
        """The viewer's own records go to its own log, none to the directory it shows."""
        own = viewer.own_records()
        assert [r["message"] for r in own][:1] == ["logging initialized"]
        assert any(r["message"] == "viewer opened" and r["pid"] == viewer.process.pid for r in own)
        assert set(PREEXISTING) <= {r["message"] for r in _records(viewer.log_dir)}
        assert viewer.process.pid not in {r["pid"] for r in _records(viewer.log_dir)}

    def test_its_lock_is_in_the_runtime_directory(self, viewer: Viewer) -> None:
        """The one-instance lock lives in XDG_RUNTIME_DIR, holding the pid; nothing in the log
        directory but the writer's files."""
        runtime = Path(viewer.env["XDG_RUNTIME_DIR"]) / "midi-software-center"
        (lock,) = runtime.glob("viewer-*.lock")
        assert lock.read_text() == str(viewer.process.pid)
        assert sorted(p.name for p in viewer.log_dir.iterdir()) == ["midi-software-center.log"]

    def test_announces_the_native_save_dialog_to_the_page(self, viewer: Viewer) -> None:
        """The page learns it may offer "Browse…", and the desktop-only commands are exposed."""
        capabilities = viewer.evaluate("window.__mscCapabilities")
        exposed = viewer.evaluate(f"['choose_export_path', 'start_demo'].map(n => typeof {API}[n])")
        assert capabilities == {"saveDialog": True, "demo": True}
        assert exposed == ["function", "function"]


class TestLiveEntries:
    """Entries written after the window opened reach it through evaluate_js."""

    def test_entry_from_another_process_appears(self, viewer: Viewer) -> None:
        """A line logged by a separate process becomes a row without any reload."""
        write_entries(viewer.log_dir, ["written by another process"])
        viewer.wait_for(f"{_visible()}.includes('written by another process')")

    def test_pushed_log_text_stays_text(self, viewer: Viewer) -> None:
        """Markup, line separators and quotes in a pushed message render as the same text."""
        write_entries(viewer.log_dir, [TRICKY])
        shown = viewer.wait_for(f"{_visible()}.find(m => m.includes('separators'))")
        assert shown == TRICKY
        assert viewer.evaluate("typeof window.__xss") == "undefined"
        assert viewer.evaluate("document.querySelectorAll('msc-log-list img').length") == 0


class TestCommands:
    """The registered commands on window.pywebview.api, through the dev server's dispatcher."""

    def test_get_recent_logs_returns_the_matching_entries(self, viewer: Viewer) -> None:
        """A call from the page answers {ok: entries}, oldest first, with ids."""
        reply = viewer.evaluate(f"{API}.get_recent_logs({{search: 'preexisting', limit: 10}})")
        assert [e["message"] for e in reply["ok"]] == PREEXISTING
        assert all(isinstance(e["id"], str) for e in reply["ok"])

    def test_bad_argument_answers_the_error_envelope(self, viewer: Viewer) -> None:
        """An out-of-range argument comes back as {error: {code, message}} naming it."""
        reply = viewer.evaluate(f"{API}.get_recent_logs({{limit: 0}})")
        assert reply["error"]["code"] == "invalid_args"
        assert reply["error"]["message"].startswith("limit:")

    def test_page_invoke_rejects_with_code_and_message(self, viewer: Viewer) -> None:
        """The page's own invoke() rejects with the error shape for a wrongly typed argument."""
        error = viewer.evaluate(
            "import(new URL('js/bridge/core.js', location.href).href)"
            ".then(m => m.invoke('get_recent_logs', {limit: 'many'})).then(() => null, e => e)"
        )
        assert error["code"] == "invalid_args"
        assert "limit" in error["message"]

    def test_each_call_gets_a_request_id_in_the_log(self, viewer: Viewer) -> None:
        """The dispatcher's 'command handled' record (in the viewer's log) has a request id."""
        viewer.evaluate(f"{API}.get_log_info()")
        handled = [r for r in viewer.own_records() if r["message"] == "command handled"]
        fields = [r["fields"] for r in handled]
        assert any(f["command"] == "get_log_info" for f in fields)  # type: ignore[index]
        assert all(str(f["request_id"]).startswith("req-") for f in fields)  # type: ignore[index]


class TestSaveDialog:
    """choose_export_path opens the native save dialog."""

    def test_cancelling_the_dialog_answers_null(self, viewer: Viewer) -> None:
        """The dialog appears as its own window; closing it is a cancel: {ok: null}."""
        viewer.evaluate(
            f"{API}.choose_export_path({{suggested_name: 'export.jsonl'}})"
            ".then(r => { window.__chosen = r; }); true"
        )
        deadline = time.monotonic() + 60
        while not send_close(viewer.display, viewer.process.pid, title="Save"):
            assert time.monotonic() < deadline, "no save dialog appeared"
            time.sleep(0.1)
        assert viewer.wait_for("window.__chosen !== undefined && window.__chosen") == {"ok": None}
        assert viewer.process.poll() is None


class TestDemo:
    """Demo activity started from the page."""

    def test_start_demo_fills_the_window(
        self, launch: LaunchViewer, tmp_path: Path, xserver: XServer
    ) -> None:
        """start_demo runs `msc-logs demo` as a child whose entries stream into the window."""
        (tmp_path / "logs").mkdir()
        viewer = launch(tmp_path / "logs", wait_rows=False)
        reply = viewer.evaluate(f"{API}.start_demo({{duration_s: 5}})")
        assert reply["ok"]["already_running"] is False
        viewer.wait_for(f"{_visible()}.filter(m => m === 'note_on').length >= 3")
        again = viewer.evaluate(f"{API}.start_demo()")
        assert again["ok"]["pid"] == reply["ok"]["pid"]
        viewer.settle()
        xserver.screenshot(ARTIFACTS / "native-window-demo.png")

    def test_bad_duration_is_invalid_args(self, viewer: Viewer) -> None:
        """A duration out of range is refused before anything starts."""
        reply = viewer.evaluate(f"{API}.start_demo({{duration_s: 0}})")
        assert reply["error"]["code"] == "invalid_args"


class TestClosing:
    """Closing the window the way a window manager does."""

    def test_exits_0_and_stops_the_demo_child(self, launch: LaunchViewer, tmp_path: Path) -> None:
        """Close → exit code 0, 'viewer closed' logged, no demo child left running."""
        (tmp_path / "logs").mkdir()
        viewer = launch(tmp_path / "logs", wait_rows=False)
        pid = viewer.evaluate(f"{API}.start_demo({{duration_s: 600}})")["ok"]["pid"]
        assert viewer.close() == 0
        assert "Traceback" not in viewer.output_text()
        assert "viewer closed" in [r["message"] for r in viewer.own_records()]
        assert not Path(f"/proc/{pid}").exists()

    def test_restores_and_saves_size_and_position(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """A saved geometry sizes the window; closing writes the geometry back."""
        state = tmp_path / "config" / "midi-software-center" / "window.json"
        state.parent.mkdir(parents=True)
        state.write_text(json.dumps({"width": 900, "height": 600, "x": 30, "y": 40}))
        (tmp_path / "logs").mkdir()
        viewer = launch(tmp_path / "logs", wait_rows=False)
        assert viewer.evaluate("[window.innerWidth, window.screenX, window.screenY]") == [
            900,
            30,
            40,
        ]
        state.unlink()
        assert viewer.close() == 0
        assert json.loads(state.read_text())["width"] == 900


class TestQuietPush:
    """The push path never writes into the log it pushes."""

    def test_pushing_entries_adds_no_records_of_the_viewer(self, viewer: Viewer) -> None:
        """200 streamed entries leave the viewer's own record count unchanged."""

        def own() -> int:
            records = viewer.own_records()
            return sum(1 for r in records if r["message"] != "command handled")

        before = own()
        write_entries(viewer.log_dir, [f"quiet {i}" for i in range(200)])
        viewer.wait_for(f"{_visible()}.includes('quiet 199')")
        assert own() == before


class TestDesktopEntry:
    """The menu entry `msc-logs install-desktop` writes, launched as a desktop would."""

    def test_entry_opens_the_viewer_on_the_default_directory(
        self, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """Its Exec line alone opens the window on the per-user log directory (missing: the
        empty state, and the directory is not created)."""
        data_home = tmp_path / "data"
        env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
        subprocess.run(
            [sys.executable, "-m", "backend", "install-desktop"], cwd=REPO, env=env, check=True
        )
        entry = (data_home / "applications" / "msc-logs.desktop").read_text()
        exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
        default_dir = data_home / "midi-software-center" / "logs"
        viewer = launch(
            default_dir,
            command=shlex.split(exec_line.removeprefix("Exec=")),
            pass_log_dir=False,
            env={"XDG_DATA_HOME": str(data_home)},
            wait_rows=False,
        )
        info = viewer.evaluate(f"{API}.get_log_info()")["ok"]
        assert info["log_dir"] == str(default_dir)
        viewer.wait_for(  # past the loading state
            "!(document.querySelector('.state__title')?.textContent ?? 'Loading')"
            ".startsWith('Loading')"
        )
        assert viewer.evaluate("document.querySelector('.state__title').textContent") == (
            "No log entries yet"
        )
        assert not default_dir.exists()
        assert "viewer opened" in [r["message"] for r in viewer.own_records()]


class TestRefusals:
    """When the viewer does not open."""

    def test_without_a_display_exits_2_with_advice(self, tmp_path: Path) -> None:
        """No DISPLAY/WAYLAND_DISPLAY: a clear message naming the alternatives, exit code 2."""
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        result = subprocess.run(
            [sys.executable, "-m", "backend", "--log-dir", str(tmp_path)],
            cwd=REPO,
            check=False,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2
        assert "msc-logs dev" in result.stderr
        assert "xvfb-run msc-logs" in result.stderr


def _visible() -> str:
    return f"({VISIBLE_MESSAGES})"
