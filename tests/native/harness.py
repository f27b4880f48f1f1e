"""Drive the real desktop app: a private X server, the app as a child process, its page over CDP.

Shared by ``tests/native`` (through conftest.py's fixtures) and ``bench/desktop.py``. Nothing is
mocked: Xvfb is a real X server, the app is ``python -m backend`` (or the PyInstaller bundle) with
Qt WebEngine's DevTools port open, and the page is read with ``Runtime.evaluate``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cdp import CdpPage, find_page
from x11 import send_close

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
#: Upper bounds on waiting (never asserted as timings): starting Qt WebEngine on a busy 2-core
#: machine can take several seconds.
START_TIMEOUT = 60.0
EXIT_TIMEOUT = 30.0
APP_COMMAND = (sys.executable, "-m", "backend")
#: The visible rows of the virtual list (frontend/js/components/log-list.js, log-row.js).
ROWS = "msc-log-list .row:not([hidden])"
VISIBLE_MESSAGES = (
    f"[...document.querySelectorAll({ROWS!r})]"
    ".map(r => r.querySelector('.c-message .msg').textContent)"
)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class XServer:
    """A private Xvfb on a free display number (``-displayfd`` picks and reports it)."""

    def __init__(self, size: str = "1280x800x24") -> None:
        read, write = os.pipe()
        self.process = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number.isdigit():
            self.process.kill()
            raise RuntimeError("Xvfb did not report a display number")
        self.display = f":{number}"

    def screenshot(self, path: Path) -> Path:
        """Save the whole screen as PNG (imagemagick's ``import``)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["import", "-window", "root", "-display", self.display, str(path)],
            check=True,
            capture_output=True,
        )
        return path

    def stop(self) -> None:
        """End the X server."""
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def app_env(display: str, home: Path, cdp_port: int | None) -> dict[str, str]:
    """The app's environment: this display, private per-user dirs, and the DevTools port.

    The viewer's own log, locks and geometry go under ``home`` (``state/``, ``runtime/``,
    ``config/``; the writers' default log directory under ``data/``), never the real user's.
    """
    runtime = home / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "MSC_LOG")}
    env.update(
        DISPLAY=display,
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_DATA_HOME=str(home / "data"),
        PYTHONUNBUFFERED="1",
        MSC_ERROR_DIALOG="never",  # a failed start fails the test instead of waiting in a box
    )
    if cdp_port is not None:
        env["QTWEBENGINE_REMOTE_DEBUGGING"] = str(cdp_port)
    return env


def own_log_dir(env: Mapping[str, str]) -> Path:
    """The viewer's own log directory under ``env``'s XDG_STATE_HOME (backend._dirs)."""
    return Path(env["XDG_STATE_HOME"]) / "midi-software-center" / "log"


def read_records(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of a log file (none when it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().splitlines()]


@dataclass
class Viewer:
    """A running viewer: its process, its page and where it logs."""

    process: subprocess.Popen[bytes]
    display: str
    log_dir: Path
    output: Path
    env: dict[str, str] = field(default_factory=dict)
    page: CdpPage | None = None
    _closed: bool = field(default=False, repr=False)

    @property
    def own_log(self) -> Path:
        """The viewer's own active log file (``msc-logs-viewer.log`` in its own directory)."""
        return own_log_dir(self.env) / "msc-logs-viewer.log"

    def own_records(self) -> list[dict[str, Any]]:
        """The records of the viewer's own log."""
        return read_records(self.own_log)

    @classmethod
    def launch(
        cls,
        x: XServer,
        /,
        log_dir: Path,
        workdir: Path,
        *,
        command: Sequence[str] = APP_COMMAND,
        extra_args: Sequence[str] = (),
        pass_log_dir: bool = True,
        env: Mapping[str, str] | None = None,
        poll: float = 0.05,
        wait_rows: bool = True,
    ) -> Viewer:
        """Start the app and wait until its page is up and showing entries.

        Args:
            x: The X server to open the window on.
            log_dir: The directory the window shows (passed as ``--log-dir`` unless
                ``pass_log_dir`` is false, for a command that must find it by itself).
            workdir: Holds the app's output file and its per-user dirs (`app_env`).
            command: The program (``python -m backend`` or the bundle's executable).
            extra_args: More arguments.
            pass_log_dir: Whether to add ``--log-dir log_dir``.
            env: More environment variables.
            poll: Seconds between two looks at the page.
            wait_rows: Wait for rows in the list; otherwise only for the first fetch (an empty
                directory stays empty: the viewer never logs into it).
        """
        port = free_port()
        output = workdir / f"viewer-{port}.out"
        bundle = (Path(command[0]).parent / "_internal").is_dir()
        if os.environ.get("MSC_FRONTEND_DIR") and not bundle:
            # Try another frontend checkout against this backend (a bundle keeps its own copy).
            extra_args = [*extra_args, "--frontend-dir", os.environ["MSC_FRONTEND_DIR"]]
        where = ["--log-dir", str(log_dir)] if pass_log_dir else []
        full_env = {**app_env(x.display, workdir, port), **(env or {})}
        process = subprocess.Popen(
            [*command, *where, *extra_args],
            cwd=REPO,
            env=full_env,
            stdout=output.open("wb"),
            stderr=subprocess.STDOUT,
        )
        viewer = cls(process, x.display, log_dir, output, full_env)
        try:
            viewer.page = CdpPage(find_page(port, START_TIMEOUT))
            viewer.wait_for(
                "window.__mscDeliver !== undefined && !!window.pywebview?.api", poll=poll
            )
            if wait_rows:
                viewer.wait_for(f"document.querySelectorAll({ROWS!r}).length > 0", poll=poll)
            else:
                viewer.wait_for("window.__msc?.logStore.state.loaded === true", poll=poll)
        except BaseException:
            viewer.kill()
            raise
        return viewer

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page (promises are awaited)."""
        assert self.page is not None
        return self.page.evaluate(expression, await_promise=True)

    def wait_for(self, expression: str, timeout: float = START_TIMEOUT, poll: float = 0.05) -> Any:
        """Poll ``expression`` until it is truthy; return its value.

        Raises:
            TimeoutError: Still falsy after ``timeout`` seconds (with the app's output).
        """
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise TimeoutError(f"never true: {expression}\n{self.output_text()[-3000:]}")
            time.sleep(poll)

    def settle(self) -> None:
        """Wait until the page has painted its current state (before a screenshot).

        The DOM changes before Chromium's compositor has pushed the frame to the X server.
        """
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        time.sleep(1.0)

    def messages(self) -> list[str]:
        """The messages of the rows currently in the list's DOM."""
        value: list[str] = self.evaluate(VISIBLE_MESSAGES)
        return value

    def close(self) -> int:
        """Close the window as a window manager would, and return the exit code."""
        if self.page is not None:
            self.page.close()
            self.page = None
        sent = send_close(self.display, self.process.pid)
        if sent == 0:
            raise RuntimeError(f"no window of pid {self.process.pid} on {self.display}")
        self._closed = True
        return self.process.wait(EXIT_TIMEOUT)

    def kill(self) -> None:
        """End the app however it is doing (cleanup after a failure)."""
        if self.page is not None:
            with contextlib.suppress(OSError):
                self.page.close()
            self.page = None
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def output_text(self) -> str:
        """What the app wrote to stdout and stderr so far."""
        return self.output.read_text(errors="replace") if self.output.exists() else ""


#: The ``launch`` fixture: ``launch(log_dir, command=..., extra_args=...) -> Viewer``.
LaunchViewer = Callable[..., Viewer]

WRITER = """
import json, sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1], console_level="error"))
log = get_logger("tests.native.writer")
for message in json.loads(sys.argv[2]):
    log.info(message, category="midi")
"""


def write_entries(log_dir: Path, messages: Sequence[str]) -> None:
    """Log ``messages`` (info, category midi) from a separate Python process."""
    subprocess.run(
        [sys.executable, "-c", WRITER, str(log_dir), json.dumps(list(messages))],
        cwd=REPO,
        check=True,
        capture_output=True,
    )


def fill_rotated_set(log_dir: Path, app_name: str, rotated: int, file_bytes: int) -> int:
    """Write a full rotated set directly, in our record format: ``.rotated`` … ``.1``, active.

    What the writer leaves with ``max_files=rotated`` and files of ``file_bytes``, only faster.
    Returns the number of records; messages are ``entry <n>``, levels and categories cycle.
    """
    levels = ("trace", "debug", "info", "warn", "error")
    categories = ("database", "midi", "file", "network", "system", "performance", "user")
    log_dir.mkdir(parents=True, exist_ok=True)
    count = 0
    names = [f"{app_name}.log.{k}" for k in range(rotated, 0, -1)] + [f"{app_name}.log"]
    for name in names:
        chunk = bytearray()
        while len(chunk) < file_bytes - 400:
            hours, rest = divmod(count // 100, 3600)
            stamp = f"2026-01-01T{hours % 24:02d}:{rest // 60:02d}:{rest % 60:02d}"
            chunk += (
                f'{{"timestamp":"{stamp}.{count % 1_000_000:06d}Z","level":"{levels[count % 5]}",'
                f'"category":"{categories[count % 7]}","message":"entry {count}",'
                f'"target":"tests.native","fields":{{"n":{count},"request_id":"req-{count % 9}"}},'
                f'"span":null,"pid":4242}}\n'
            ).encode()
            count += 1
        (log_dir / name).write_bytes(bytes(chunk))
    return count


def snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every entry under ``root`` (itself included): mode, size, mtime and sha256."""
    seen: dict[str, tuple[int, int, int, str]] = {}
    for path in sorted([root, *root.rglob("*")]):
        info = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
        seen[path.relative_to(root).as_posix()] = (
            info.st_mode,
            info.st_size,
            info.st_mtime_ns,
            digest,
        )
    return seen


def age(root: Path, ns: int = 1_000_000_000 * 10**9) -> None:
    """Set the mtimes under ``root`` (itself included) far into the past: any write shows."""
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(ns, ns), follow_symlinks=False)
