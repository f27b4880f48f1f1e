"""The viewer's own directories and its own log: records go there, never where it reads.

`ViewerDirs` come from platformdirs (the XDG variables here); the viewer's records (start-up,
"command handled", the clear audit) land in
``<state>/midi-software-center/log/msc-logs-viewer.log``; showing that very directory logs to the
console only (``LogConfig(log_dir=None)``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import AppContext
from backend._dirs import VIEWER_APP_NAME, ViewerDirs, default_log_dir, same_directory
from backend._dispatch import dispatch
from backend._ownlog import start_viewer_logging, viewer_log_config
from shared.writer.config import LogConfig
from shared.writer.config import default_log_dir as writer_default_log_dir
from shared.writer.setup import current_config, get_logger, init_logging

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 30.0
Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]


def xdg(root: Path) -> dict[str, str]:
    """XDG variables putting a user's directories under ``root`` (private runtime dir)."""
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
    }


def records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of ``path``."""
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def listing(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its size and mtime."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
    }


@pytest.fixture
def user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """This process's XDG variables, pointing into `tmp_path`."""
    env = xdg(tmp_path / "user")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


class TestViewerDirs:
    """Where the viewer keeps its own things."""

    def test_follow_the_xdg_variables(self, user: dict[str, str]) -> None:
        """Log and state under XDG_STATE_HOME, locks under XDG_RUNTIME_DIR, config under
        XDG_CONFIG_HOME, all in the midi-software-center namespace."""
        dirs = ViewerDirs.for_user()
        state = Path(user["XDG_STATE_HOME"]) / "midi-software-center"
        assert dirs.log_dir == state / "log"
        assert dirs.state_dir == state
        assert dirs.runtime_dir == Path(user["XDG_RUNTIME_DIR"]) / "midi-software-center"
        assert dirs.geometry_file == Path(user["XDG_CONFIG_HOME"]) / "midi-software-center" / (
            "window.json"
        )

    def test_finding_them_creates_nothing(self, user: dict[str, str], tmp_path: Path) -> None:
        """Building the value only computes paths."""
        before = listing(tmp_path)
        ViewerDirs.for_user()
        assert listing(tmp_path) == before

    def test_a_runtime_dir_others_may_enter_is_not_used_and_not_warned_about(
        self, user: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """XDG_RUNTIME_DIR must be private (XDG spec); otherwise platformdirs' fallback serves,
        without a warning on the terminal."""
        shared_run = tmp_path / "shared-run"
        shared_run.mkdir(mode=0o777)
        shared_run.chmod(0o777)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared_run))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            dirs = ViewerDirs.for_user()
        assert not dirs.runtime_dir.is_relative_to(shared_run)

    def test_default_log_dir_is_the_writers(self, user: dict[str, str]) -> None:
        """The pydantic-free default (query, tail) is shared's default_log_dir."""
        assert default_log_dir() == writer_default_log_dir()

    def test_one_lock_per_directory_in_the_runtime_dir(self, tmp_path: Path) -> None:
        """The lock is named by a hash of the path: same path, same lock; never inside it."""
        dirs = ViewerDirs(*(tmp_path / n for n in ("log", "state", "run", "config")))
        first, second = tmp_path / "a", tmp_path / "b"
        assert dirs.lock_file(first) == dirs.lock_file(first)
        assert dirs.lock_file(first) != dirs.lock_file(second)
        assert dirs.lock_file(first).parent == tmp_path / "run"
        assert dirs.lock_file(first).name.startswith("viewer-")

    def test_own_log_is_recognized_through_a_symlink(self, tmp_path: Path) -> None:
        """Another spelling of the viewer's log directory is still its log directory."""
        dirs = ViewerDirs(*(tmp_path / n for n in ("log", "state", "run", "config")))
        dirs.log_dir.mkdir()
        (tmp_path / "alias").symlink_to(dirs.log_dir)
        assert dirs.is_own_log(tmp_path / "alias")
        assert dirs.is_own_log(tmp_path / "log" / ".." / "log")
        assert not dirs.is_own_log(tmp_path / "state")
        assert same_directory(tmp_path / "missing", tmp_path / "x" / ".." / "missing")


class TestConsoleOnly:
    """``LogConfig(log_dir=None)``: no file sink."""

    def test_records_go_to_the_console_and_nothing_is_written(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Records reach stderr; no directory or file is created anywhere under the cwd."""
        monkeypatch.chdir(tmp_path)
        init_logging(LogConfig(log_dir=None, app_name="quiet"))
        get_logger("tests.console").warning("only on the console", category="system")
        assert "only on the console" in capfd.readouterr().err
        assert list(tmp_path.iterdir()) == []

    def test_the_configuration_says_there_is_no_file(self) -> None:
        """current_config() keeps log_dir None; log_file is None."""
        init_logging(LogConfig(log_dir=None))
        config = current_config()
        assert config is not None
        assert config.log_dir is None
        assert config.log_file is None


class TestViewerLogging:
    """`start_viewer_logging`: the viewer's own log, or the console when it shows that log."""

    @pytest.fixture
    def dirs(self, tmp_path: Path) -> ViewerDirs:
        return ViewerDirs(*(tmp_path / "me" / n for n in ("log", "state", "run", "config")))

    def test_logs_into_its_own_directory_not_the_one_shown(
        self, dirs: ViewerDirs, log_dir: Path, write: Write, rec: Rec
    ) -> None:
        """Records land in msc-logs-viewer.log of the viewer's log dir; the shown set is as was."""
        write(log_dir / "midi-software-center.log", [rec("theirs")])
        before = listing(log_dir)
        assert start_viewer_logging(dirs, log_dir, console_level="error") is None
        app = AppContext(log_dir=log_dir)
        dispatch(app, "get_recent_logs", {})
        own = [r["message"] for r in records(dirs.log_dir / f"{VIEWER_APP_NAME}.log")]
        assert own[:1] == ["logging initialized"]
        assert "command handled" in own
        assert listing(log_dir) == before

    def test_showing_its_own_log_logs_to_the_console_only(
        self, dirs: ViewerDirs, tmp_path: Path, capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Through any spelling of the directory, nothing is added to the viewer's own log."""
        dirs.log_dir.mkdir(parents=True)
        (dirs.log_dir / f"{VIEWER_APP_NAME}.log").write_bytes(b"")
        (tmp_path / "alias").symlink_to(dirs.log_dir)
        before = listing(dirs.log_dir)
        assert viewer_log_config(dirs, tmp_path / "alias").log_dir is None
        assert start_viewer_logging(dirs, tmp_path / "alias") is None
        app = AppContext(log_dir=tmp_path / "alias", app_name=VIEWER_APP_NAME)
        dispatch(app, "get_recent_logs", {})
        dispatch(app, "get_log_info", {})
        assert listing(dirs.log_dir) == before
        assert "logging initialized" in capfd.readouterr().err

    def test_showing_a_directory_above_its_own_log_logs_to_the_console_only(
        self, dirs: ViewerDirs
    ) -> None:
        """Logging would create the log directory inside the one shown: it does not."""
        shown = dirs.log_dir.parent
        shown.mkdir(parents=True)
        assert start_viewer_logging(dirs, shown, console_level="error") is None
        assert list(shown.iterdir()) == []
        assert not dirs.is_own_log(shown)  # File ▸ Open the viewer's own log still applies

    def test_an_unusable_own_directory_falls_back_to_the_console(
        self, tmp_path: Path, log_dir: Path
    ) -> None:
        """The viewer still opens (with a note saying why) when its log dir cannot be made."""
        blocker = tmp_path / "plain-file"
        blocker.write_text("not a directory")
        dirs = ViewerDirs(blocker / "log", blocker, blocker / "run", blocker / "config")
        note = start_viewer_logging(dirs, log_dir, console_level="error")
        assert note is not None
        assert "console only" in note
        config = current_config()
        assert config is not None
        assert config.log_dir is None


class TestProcesses:
    """The dev server as a real process, with its own per-user directories."""

    def dev(self, env: dict[str, str], *argv: str) -> tuple[subprocess.Popen[str], str, str]:
        process = subprocess.Popen(
            [sys.executable, "-m", "backend", *argv, "dev", "--port", "0", "--no-browser"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, **env, "PYTHONPATH": str(REPO), "NO_COLOR": "1"},
        )
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.communicate(timeout=DEADLINE_S)
        return process, url.split(":")[2].split("/")[0], url.rsplit("token=", 1)[-1]

    def call(self, port: str, token: str, command: str) -> Any:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=DEADLINE_S)
        headers = {"X-MSC-Token": token, "Content-Type": "application/json"}
        connection.request("POST", f"/invoke/{command}", b"{}", headers)
        body = orjson.loads(connection.getresponse().read())
        connection.close()
        return body

    def stop(self, process: subprocess.Popen[str]) -> str:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=DEADLINE_S)
        assert process.returncode == 0, err
        return err

    def test_the_dev_servers_records_go_to_the_viewers_log(
        self, tmp_path: Path, log_dir: Path
    ) -> None:
        """Start-up, every call (with its request id) and the stop: in the viewer's own log."""
        env = xdg(tmp_path / "user")
        process, port, token = self.dev(env, "--log-dir", str(log_dir))
        self.call(port, token, "get_log_info")
        self.call(port, token, "get_recent_logs")
        self.stop(process)
        own_log = Path(env["XDG_STATE_HOME"]) / "midi-software-center" / "log"
        own = records(own_log / f"{VIEWER_APP_NAME}.log")
        messages = [r["message"] for r in own]
        assert messages[0] == "logging initialized"
        assert messages[-1] == "dev server stopped"
        (started,) = [r for r in own if r["message"] == "dev server started"]
        assert started["fields"]["log_dir"] == str(log_dir)
        handled = [r["fields"] for r in own if r["message"] == "command handled"]
        assert [f["command"] for f in handled] == ["get_log_info", "get_recent_logs"]
        assert all(f["request_id"].startswith("req-") for f in handled)
        assert list(log_dir.iterdir()) == []

    def test_own_log_shows_it_and_writes_nothing_there(self, tmp_path: Path, log_dir: Path) -> None:
        """``--own-log`` shows the viewer's records and logs its own to stderr only."""
        env = xdg(tmp_path / "user")
        first, port, token = self.dev(env, "--log-dir", str(log_dir))
        self.call(port, token, "get_log_info")
        self.stop(first)
        own_log = Path(env["XDG_STATE_HOME"]) / "midi-software-center" / "log"
        before = listing(own_log)
        second, port, token = self.dev(env, "--own-log")
        shown = [e["message"] for e in self.call(port, token, "get_recent_logs")]
        info = self.call(port, token, "get_log_info")
        err = self.stop(second)
        assert "dev server started" in shown
        assert info["log_dir"] == str(own_log)
        assert info["app_name"] is None  # every file of the viewer's log directory
        assert listing(own_log) == before
        assert "logging initialized" in err
