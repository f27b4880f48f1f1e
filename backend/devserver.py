"""`msc-logs dev`: the page in an ordinary browser, against the real commands, with live reload.

A `ThreadingHTTPServer` bound to 127.0.0.1 serves ``frontend/`` (no token needed), answers
``POST /invoke/<command>`` and streams events over Server-Sent Events at ``GET /events`` (both need
the random token printed in the URL, as header ``X-MSC-Token`` or query ``?token=``). Requests
whose ``Host`` or ``Origin`` is not this server are refused (DNS rebinding, cross-site requests).
When a file under ``frontend/`` changes, a ``dev-reload`` event {path} tells the page to reload;
for a stylesheet (``.css``) the page swaps just that stylesheet, keeping its state.

Connections idle for 10 s are closed and at most 64 are served at once; the environment variables
``MSC_DEV_IDLE_TIMEOUT`` (seconds) and ``MSC_DEV_MAX_CONNECTIONS`` change that.

The server only reads the log directory it shows; its own records go to the viewer's own log
(`backend._ownlog`).
"""

from __future__ import annotations

import argparse
import math
import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from backend._app import AppContext
from backend._devhttp import IDLE_TIMEOUT, MAX_CONNECTIONS, DevHandler, DevHTTPServer, new_token
from backend._dirs import ViewerDirs
from backend._events import Broadcaster
from backend._location import LocationError, add_location_arguments, shown_log
from backend._ownlog import start_viewer_logging
from shared.reader.watch import DirectoryWatch
from shared.writer.config import LoggingError
from shared.writer.setup import get_logger

__all__ = [
    "DevServer",
    "FrontendWatcher",
    "add_arguments",
    "connection_limits",
    "default_frontend_dir",
    "main",
    "register",
    "run_dev",
]

#: Seconds between two looks at the frontend files' modification times, where inotify cannot
#: tell of changes; with inotify, the watcher sleeps until one comes (polling every 0.3 s was
#: half of an idle `msc-logs dev`'s CPU).
WATCH_INTERVAL = 0.3
#: With inotify: how long after the first change the files are looked at (an editor's save is
#: several writes, and a `git checkout` many).
SETTLE_S = 0.05

_log = get_logger(__name__)


def default_frontend_dir() -> Path:
    """The ``frontend/`` directory: beside the package, or inside a PyInstaller bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "frontend"
    return Path(__file__).resolve().parent.parent / "frontend"


class FrontendWatcher:
    """Watches the files under a directory and emits ``dev-reload`` {path} when one changes."""

    def __init__(self, root: Path, emitter: Broadcaster, interval: float = WATCH_INTERVAL) -> None:
        self._root = root
        self._emitter = emitter
        self._interval = interval
        self._stop = threading.Event()
        self._watch = DirectoryWatch(root, tree=True)
        self._thread = threading.Thread(target=self._run, name="msc-dev-watch", daemon=True)

    def start(self) -> None:
        """Take the first snapshot and start polling."""
        self._seen = self._snapshot()
        self._thread.start()

    def stop(self) -> None:
        """Stop watching and wait for the thread."""
        self._stop.set()
        self._watch.wake()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        watch = self._watch
        try:
            while not self._stop.is_set():
                if watch.mode == "inotify":
                    if not watch.wait(3600) or self._stop.wait(SETTLE_S):
                        continue
                else:
                    watch.wait(self._interval)
                self._compare()
        finally:
            watch.close()

    def _compare(self) -> None:
        current = self._snapshot()
        changed = sorted({path for path, _ in set(current.items()) ^ set(self._seen.items())})
        self._seen = current
        for path in _reload_paths(changed):
            self._emitter.emit("dev-reload", {"path": path})

    def _snapshot(self) -> dict[str, tuple[int, int]]:
        seen: dict[str, tuple[int, int]] = {}
        for folder, dirs, files in os.walk(self._root):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                if name.startswith(".") or name.endswith("~"):  # editor scratch files
                    continue
                path = Path(folder, name)
                try:
                    stat = path.stat()
                except OSError:  # removed between the listing and the stat
                    continue
                seen[path.relative_to(self._root).as_posix()] = (stat.st_mtime_ns, stat.st_size)
        return seen


def _reload_paths(changed: list[str]) -> list[str]:
    """The ``dev-reload`` paths for one poll's changed files.

    Stylesheets alone: each one, as the page swaps a stylesheet in place (keeping filters and
    scroll). Anything else: just the first other file, as one reload is enough however many
    files changed at once.
    """
    others = [path for path in changed if not path.endswith(".css")]
    return others[:1] if others else changed


@dataclass
class DevServer:
    """The dev server: an HTTP server, its app context, event broadcaster and file watcher.

    ``idle_timeout`` (seconds) and ``max_connections`` bound what clients can hold.
    """

    app: AppContext
    broadcaster: Broadcaster
    frontend_dir: Path
    port: int = 0
    token: str = ""
    idle_timeout: float = IDLE_TIMEOUT
    max_connections: int = MAX_CONNECTIONS

    def __post_init__(self) -> None:
        self.token = self.token or new_token()
        self.stopping = threading.Event()
        self.httpd = DevHTTPServer(
            ("127.0.0.1", self.port),
            DevHandler,
            app=self.app,
            broadcaster=self.broadcaster,
            frontend_dir=self.frontend_dir,
            token=self.token,
            stopping=self.stopping,
            idle_timeout=self.idle_timeout,
            max_connections=self.max_connections,
        )
        self.port = self.httpd.server_address[1]
        self._watcher = FrontendWatcher(self.frontend_dir, self.broadcaster)
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, name="msc-dev-http", daemon=True
        )

    @property
    def url(self) -> str:
        """The page's address, token included."""
        return f"http://127.0.0.1:{self.port}/?token={self.token}"

    def start(self) -> None:
        """Serve in a background thread and watch the frontend files."""
        self._watcher.start()
        self._thread.start()

    def stop(self) -> None:
        """Close the event streams, stop serving, stop the follower and the watcher."""
        self.stopping.set()
        self.broadcaster.close()
        self.httpd.shutdown()
        self.httpd.server_close()
        self._watcher.stop()
        self.app.close()


def register(subparsers: Any) -> None:
    """Add ``dev`` to the ``msc-logs`` subcommands."""
    parser = subparsers.add_parser(
        "dev", help="serve the viewer to a browser (live reload)", description=__doc__
    )
    add_arguments(parser, top=False)
    parser.set_defaults(func=run_dev)


def add_arguments(parser: argparse.ArgumentParser, *, top: bool = True) -> None:
    """The options of ``msc-logs dev`` (``top``: the parser holds the location defaults)."""
    add_location_arguments(parser, top=top)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    hidden = argparse.SUPPRESS
    parser.add_argument("--frontend-dir", type=Path, default=None if top else hidden, help=hidden)


def run_dev(args: argparse.Namespace, dirs: ViewerDirs) -> int:
    """Run the dev server until Ctrl-C or SIGTERM; the URL is the first line on stdout.

    Args:
        args: The parsed options.
        dirs: The viewer's own directories (its log goes there).

    Returns:
        0 after a clean shutdown, 1 when the log directory, logging or the port cannot be set up.
    """
    frontend_dir: Path = args.frontend_dir or default_frontend_dir()
    try:
        shown = shown_log(args, dirs)
        note = start_viewer_logging(dirs, shown.log_dir)
        idle_timeout, max_connections = connection_limits(os.environ)
        broadcaster = Broadcaster()
        app = AppContext(log_dir=shown.log_dir, app_name=shown.app_name, emitter=broadcaster)
        server = DevServer(
            app,
            broadcaster,
            frontend_dir.resolve(),
            port=args.port,
            idle_timeout=idle_timeout,
            max_connections=max_connections,
        )
    except (LocationError, LoggingError, OSError, ValueError) as exc:
        print(f"msc-logs dev: {exc}", file=sys.stderr)
        return 1
    if note:
        print(f"msc-logs dev: {note}", file=sys.stderr)
    log_dir = shown.log_dir
    stop = threading.Event()
    _on_signals(stop)
    server.start()
    print(server.url, flush=True)
    _log.info("dev server started", category="system", port=server.port, log_dir=str(log_dir))
    if not args.no_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    while not stop.wait(0.5):
        pass
    server.stop()
    _log.info("dev server stopped", category="system", port=server.port)
    return 0


_Number = TypeVar("_Number", int, float)


def connection_limits(environ: Mapping[str, str]) -> tuple[float, int]:
    """The idle timeout and the connection cap: ``MSC_DEV_IDLE_TIMEOUT`` (seconds) and
    ``MSC_DEV_MAX_CONNECTIONS`` when set, else the defaults.

    Raises:
        ValueError: A variable that is not a positive number, naming it.
    """
    idle_timeout = _positive(environ, "MSC_DEV_IDLE_TIMEOUT", float, IDLE_TIMEOUT)
    return idle_timeout, _positive(environ, "MSC_DEV_MAX_CONNECTIONS", int, MAX_CONNECTIONS)


def _positive(
    environ: Mapping[str, str], name: str, kind: Callable[[str], _Number], default: _Number
) -> _Number:
    text = environ.get(name)
    if text is None:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = kind("0")
    if not 0 < value < math.inf:
        raise ValueError(f"{name} must be a positive number, got {text!r}")
    return value


def _on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def main(argv: list[str] | None = None) -> int:
    """``python -m backend.devserver [options]``: `run_dev` without the ``msc-logs`` front."""
    parser = argparse.ArgumentParser(prog="python -m backend.devserver", description=__doc__)
    add_arguments(parser)
    return run_dev(parser.parse_args(argv), ViewerDirs.for_user())


if __name__ == "__main__":
    sys.exit(main())
