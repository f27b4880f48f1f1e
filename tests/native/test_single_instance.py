"""One window per directory, and start-up failures a desktop user can see.

A second launch on a directory already shown brings that window to the front (through the local
socket beside its one-instance lock) and writes nothing to any log; a failure to start opens a
real Qt message box on the X server when there is no terminal.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from harness import REPO, LaunchViewer, Viewer, XServer, app_env
from x11 import send_close, stacking_titles

from backend.desktop._instance import FocusServer, ask_to_focus, socket_path

DEADLINE_S = 60.0


def _write_log(directory: Path, message: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    line = (
        '{"timestamp":"2026-12-07T10:00:00.000000Z","level":"info","category":"system",'
        f'"message":"{message}","target":"t","fields":{{}},"span":null,"pid":1}}\n'
    )
    (directory / "midi-software-center.log").write_text(line)
    return directory


def _launch_again(viewer: Viewer, log_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in viewer.env.items() if k != "QTWEBENGINE_REMOTE_DEBUGGING"}
    return subprocess.run(
        [sys.executable, "-m", "backend", "--log-dir", str(log_dir)],
        cwd=REPO,
        check=False,
        env=env,  # the same user: the same runtime directory, so the same lock and socket
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
    )


def _front(xserver: XServer, log_dir: Path) -> bool:
    """Whether the viewer window on ``log_dir`` is the front one of the viewers' windows."""
    titles = stacking_titles(xserver.display, "-logs")
    return bool(titles) and titles[-1].endswith(str(log_dir))


def _wait(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class TestSecondLaunch:
    def test_a_second_launch_brings_the_first_window_to_the_front(
        self, launch: LaunchViewer, xserver: XServer, tmp_path: Path
    ) -> None:
        """The window on A goes back above the one on B, the launch exits 0 and logs nothing."""
        first_dir = _write_log(tmp_path / "first-logs", "first")
        other_dir = _write_log(tmp_path / "other-logs", "other")
        first = launch(first_dir)
        other = launch(other_dir, env={})
        _wait(lambda: _front(xserver, other_dir), "the second window on top")
        own_before = first.own_records()

        second = _launch_again(first, first_dir)

        assert second.returncode == 0, second.stderr
        assert f"open on {first_dir} (pid {first.process.pid}) was brought to the front" in (
            second.stdout
        )
        _wait(lambda: _front(xserver, first_dir), "the first window back on top")
        records = first.own_records()
        assert {r["pid"] for r in records} <= {first.process.pid, other.process.pid}
        new = [r["message"] for r in records[len(own_before) :]]
        assert "viewer brought to the front by a second launch" in new
        assert first.process.poll() is None  # still open

    def test_a_viewer_that_does_not_answer_is_reported(
        self, xserver: XServer, tmp_path: Path
    ) -> None:
        """The lock held by a process with no socket (an older viewer): exit 1 and say who."""
        log_dir = _write_log(tmp_path / "logs", "x")
        env = {**app_env(xserver.display, tmp_path, None), "MSC_ERROR_DIALOG": "never"}
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys, time; from pathlib import Path; "
                "from backend._dirs import ViewerDirs; "
                "from backend.desktop._state import InstanceLock; "
                "shown = Path(sys.argv[1]).resolve(); "
                "lock = InstanceLock(ViewerDirs.for_user().lock_file(shown)); "
                "assert lock.acquire() is None; print('held', flush=True); time.sleep(120)",
                str(log_dir),
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "held"
            second = subprocess.run(
                [sys.executable, "-m", "backend", "--log-dir", str(log_dir)],
                cwd=REPO,
                check=False,
                env=env,
                capture_output=True,
                text=True,
                timeout=DEADLINE_S,
            )
        finally:
            holder.kill()
            holder.wait()
        assert second.returncode == 1
        assert f"a viewer is already open on {log_dir} (pid {holder.pid})" in second.stderr
        assert not (tmp_path / "state").exists()  # nothing logged anywhere


class TestStartupErrorDialog:
    def test_a_missing_directory_opens_a_message_box_without_a_terminal(
        self, xserver: XServer, tmp_path: Path
    ) -> None:
        """Launched as from a menu (no terminal), the error shows in a Qt box until closed."""
        missing = tmp_path / "gone"
        env = app_env(xserver.display, tmp_path, None)
        env.pop("MSC_ERROR_DIALOG", None)
        process = subprocess.Popen(
            [sys.executable, "-m", "backend", "--log-dir", str(missing)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        try:
            _wait(
                lambda: stacking_titles(xserver.display, "did not open"),
                "the message box",
            )
            assert process.poll() is None  # waiting for the user
            assert send_close(xserver.display, process.pid, title="did not open") == 1
            _, stderr = process.communicate(timeout=DEADLINE_S)
        finally:
            if process.poll() is None:
                process.kill()
        assert process.returncode == 1
        assert f"{missing}" in stderr

    def test_a_terminal_user_gets_no_box(self, xserver: XServer, tmp_path: Path) -> None:
        """``MSC_ERROR_DIALOG=never`` (as a terminal would): the message and exit 1 only."""
        env = {**app_env(xserver.display, tmp_path, None), "MSC_ERROR_DIALOG": "never"}
        done = subprocess.run(
            [sys.executable, "-m", "backend", "--log-dir", str(tmp_path / "gone")],
            cwd=REPO,
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
        )
        assert done.returncode == 1
        assert "no such file or directory" in done.stderr
        assert not stacking_titles(xserver.display, "did not open")


class TestFocusSocket:
    def test_a_request_is_answered_after_the_callback_ran(self, tmp_path: Path) -> None:
        """``ask_to_focus`` returns True once the server's callback has run."""
        called = threading.Event()
        server = FocusServer(socket_path(tmp_path / "viewer-x.lock"), called.set)
        server.start()
        try:
            assert ask_to_focus(server.path)
            assert called.is_set()
        finally:
            server.close()
        assert not server.path.exists()
        assert not ask_to_focus(server.path)

    def test_a_path_longer_than_a_socket_address_still_works(self, tmp_path: Path) -> None:
        """A deep runtime directory (over 108 bytes) is reached through its descriptor."""
        deep = tmp_path / ("d" * 60) / ("e" * 60)
        deep.mkdir(parents=True)
        called = threading.Event()
        server = FocusServer(socket_path(deep / "viewer-x.lock"), called.set)
        server.start()
        try:
            assert len(os.fsencode(server.path)) > 108
            assert ask_to_focus(server.path)
            assert called.is_set()
        finally:
            server.close()

    def test_a_stranger_on_the_socket_does_not_stop_the_server(self, tmp_path: Path) -> None:
        """A client that sends something else is dropped; the next request is answered."""
        called = threading.Event()
        server = FocusServer(socket_path(tmp_path / "viewer-x.lock"), called.set)
        server.start()
        try:
            with socket.socket(socket.AF_UNIX) as stranger:
                stranger.connect(str(server.path))
                stranger.sendall(b"hello\n")
                assert stranger.recv(16) == b""
            assert not called.is_set()
            assert ask_to_focus(server.path)
        finally:
            server.close()
