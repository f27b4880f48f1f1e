"""Drive the real desktop app: a private X server, the app as a child process, its page over CDP.

Shared by ``tests/native`` (through conftest.py's fixtures) and ``bench/desktop.py``. Nothing is
mocked: Xvfb is a real X server, the app is ``python -m backend`` (or the PyInstaller bundle) with
Qt WebEngine's DevTools port open, and the page is read with ``Runtime.evaluate``.
"""

from __future__ import annotations

import contextlib
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


def app_env(display: str, config_home: Path, cdp_port: int | None) -> dict[str, str]:
    """The app's environment: this display, a private config dir, and the DevTools port."""
    env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "MSC_LOG")}
    env.update(DISPLAY=display, XDG_CONFIG_HOME=str(config_home), PYTHONUNBUFFERED="1")
    if cdp_port is not None:
        env["QTWEBENGINE_REMOTE_DEBUGGING"] = str(cdp_port)
    return env


@dataclass
class Viewer:
    """A running viewer: its process, its page and where it logs."""

    process: subprocess.Popen[bytes]
    display: str
    log_dir: Path
    output: Path
    page: CdpPage | None = None
    _closed: bool = field(default=False, repr=False)

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
    ) -> Viewer:
        """Start the app and wait until its page is up and showing entries.

        Args:
            x: The X server to open the window on.
            log_dir: Where the app logs (passed as ``--log-dir`` unless ``pass_log_dir`` is
                false, for a command that must find it by itself).
            workdir: Holds the app's output file and its config dir.
            command: The program (``python -m backend`` or the bundle's executable).
            extra_args: More arguments.
            pass_log_dir: Whether to add ``--log-dir log_dir``.
            env: More environment variables.
            poll: Seconds between two looks at the page.
        """
        port = free_port()
        output = workdir / f"viewer-{port}.out"
        bundle = (Path(command[0]).parent / "_internal").is_dir()
        if os.environ.get("MSC_FRONTEND_DIR") and not bundle:
            # Try another frontend checkout against this backend (a bundle keeps its own copy).
            extra_args = [*extra_args, "--frontend-dir", os.environ["MSC_FRONTEND_DIR"]]
        where = ["--log-dir", str(log_dir)] if pass_log_dir else []
        process = subprocess.Popen(
            [*command, *where, *extra_args],
            cwd=REPO,
            env={**app_env(x.display, workdir / "config", port), **(env or {})},
            stdout=output.open("wb"),
            stderr=subprocess.STDOUT,
        )
        viewer = cls(process, x.display, log_dir, output)
        try:
            viewer.page = CdpPage(find_page(port, START_TIMEOUT))
            viewer.wait_for(
                "window.__mscDeliver !== undefined && !!window.pywebview?.api", poll=poll
            )
            viewer.wait_for(f"document.querySelectorAll({ROWS!r}).length > 0", poll=poll)
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
from shared._config import LogConfig
from shared._setup import get_logger, init_logging
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
