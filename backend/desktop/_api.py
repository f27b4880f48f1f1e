"""What the desktop window exposes on ``window.pywebview.api``.

Every command of `backend.commands.REGISTRY` under its own name, through the same dispatcher as
the dev server (`backend._dispatch.respond`), answering the envelope the page's transport expects:
``{ok: value}`` or ``{error: {code, message}}``. The window is one client (`WINDOW_CLIENT`): its
calls and its event queue carry that id. pywebview exposes a function under its
``__name__`` and calls it with the JS arguments spread, so each wrapper takes one optional
argument object.

Plus the desktop-only commands, which need the window or the host and so live here rather than
in the shared registry: ``choose_export_path`` (the native save dialog), ``start_demo``,
``open_own_log`` (File ▸ Open the viewer's own log: a second viewer window on the viewer's own log
directory, as a new ``msc-logs`` process) and ``open_log_location`` (``{path}``: what File ▸ Open
Directory…, Open File… and Open Recent do with the path chosen, `backend.desktop._open`).
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import structlog

from backend._app import AppContext, CommandError, unknown_arguments
from backend._dirs import ViewerDirs
from backend._dispatch import respond
from backend.commands import REGISTRY
from backend.desktop._open import LogOpener, spawn_viewer
from backend.desktop.install import exec_command
from shared.writer.setup import get_logger

__all__ = [
    "WINDOW_CLIENT",
    "DemoRunner",
    "Exposed",
    "OwnLogOpener",
    "command_functions",
    "desktop_functions",
    "self_command",
]

Exposed = Callable[..., dict[str, Any]]
#: Seconds of demo activity the menu item and a bare ``start_demo`` start.
DEMO_SECONDS = 30
MAX_DEMO_SECONDS = 3600
#: The window's client id: its live-log subscription and its event queue belong together.
WINDOW_CLIENT = "window"
_log = get_logger(__name__)


class SaveDialog(Protocol):
    """Shows the native save dialog; returns the chosen path or None (pywebview's window)."""

    def __call__(self, directory: str, save_filename: str) -> str | None: ...


def _envelope(status: int, body: Any) -> dict[str, Any]:
    return {"ok": body} if status == 200 else {"error": body}


def _one_object(name: str, extra: tuple[Any, ...]) -> dict[str, Any] | None:
    if not extra:
        return None
    message = f"{name} takes one argument object, got {1 + len(extra)} arguments"
    return {"error": CommandError("invalid_args", message).to_dict()}


def command_function(app: AppContext, name: str, client: str | None = None) -> Exposed:
    """The exposed wrapper of registered command ``name`` (its ``__name__`` is ``name``),
    calling as ``client``."""

    def call(args: Any = None, *extra: Any) -> dict[str, Any]:
        return _one_object(name, extra) or _envelope(*respond(app, name, args, client=client))

    call.__name__ = call.__qualname__ = name
    call.__doc__ = REGISTRY[name].__doc__
    return call


def command_functions(app: AppContext, client: str | None = None) -> list[Exposed]:
    """One exposed wrapper per registered command, each calling as ``client``."""
    return [command_function(app, name, client) for name in REGISTRY]


def desktop_functions(
    save_dialog: SaveDialog, demo: DemoRunner, own_log: OwnLogOpener, opener: LogOpener
) -> list[Exposed]:
    """The desktop-only commands: ``choose_export_path``, ``start_demo``, ``open_own_log`` and
    ``open_log_location``."""

    def choose_export_path(args: Any = None, *extra: Any) -> dict[str, Any]:
        return _one_object("choose_export_path", extra) or _desktop_call(
            "choose_export_path", lambda: _choose(save_dialog, args)
        )

    def start_demo(args: Any = None, *extra: Any) -> dict[str, Any]:
        return _one_object("start_demo", extra) or _desktop_call(
            "start_demo", lambda: demo.start(_demo_seconds(args))
        )

    def open_own_log(args: Any = None, *extra: Any) -> dict[str, Any]:
        def run() -> dict[str, int]:
            _arguments(args, set())  # takes none
            return own_log.open()

        return _one_object("open_own_log", extra) or _desktop_call("open_own_log", run)

    def open_log_location(args: Any = None, *extra: Any) -> dict[str, Any]:
        def run() -> dict[str, object]:
            path = _arguments(args, {"path"}).get("path")
            if not isinstance(path, str):
                raise CommandError("invalid_args", f"path: must be a string, got {path!r}")
            return opener.open(path)

        return _one_object("open_log_location", extra) or _desktop_call("open_log_location", run)

    return [choose_export_path, start_demo, open_own_log, open_log_location]


def _desktop_call(name: str, run: Callable[[], Any]) -> dict[str, Any]:
    """Run a desktop-only command the way the dispatcher runs the others."""
    with structlog.contextvars.bound_contextvars(request_id=f"req-{uuid.uuid4().hex}"):
        try:
            result = run()
        except CommandError as exc:
            return {"error": exc.to_dict()}
        except Exception:  # as the dispatcher: traceback to the log, a generic error to the page
            _log.exception("command failed", category="system", command=name)
            return {"error": CommandError("internal", "internal error; see the log").to_dict()}
        _log.debug("command handled", category="system", command=name, outcome="ok")
        return {"ok": result}


def _arguments(args: Any, known: set[str]) -> Mapping[str, Any]:
    if args is None:
        return {}
    if not isinstance(args, Mapping):
        raise CommandError("invalid_args", "arguments must be an object")
    unknown = sorted(str(k) for k in args if k not in known)
    if unknown:
        raise CommandError("invalid_args", unknown_arguments(unknown, sorted(known)))
    return args


def _choose(save_dialog: SaveDialog, args: Any) -> dict[str, str] | None:
    given = _arguments(args, {"suggested_name", "suggestedName"})
    suggested = given.get("suggested_name", given.get("suggestedName")) or "logs.jsonl"
    if not isinstance(suggested, str):
        raise CommandError("invalid_args", f"suggested_name: must be a string, got {suggested!r}")
    suggestion = Path(os.path.expanduser(suggested))
    folder = suggestion.parent if suggestion.parent.is_dir() and suggestion.is_absolute() else None
    directory = str(folder or Path.home())
    chosen = save_dialog(directory, suggestion.name)
    _log.info("export path chosen" if chosen else "export dialog cancelled", category="user")
    return {"path": chosen} if chosen else None


def _demo_seconds(args: Any) -> int:
    given = _arguments(args, {"duration_s", "durationS"})
    seconds = given.get("duration_s", given.get("durationS", DEMO_SECONDS))
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise CommandError("invalid_args", f"duration_s: must be an integer, got {seconds!r}")
    if not 1 <= seconds <= MAX_DEMO_SECONDS:
        raise CommandError(
            "invalid_args", f"duration_s: must be between 1 and {MAX_DEMO_SECONDS}, got {seconds}"
        )
    return seconds


def self_command() -> list[str]:
    """How to start this program again: the bundle's executable, the venv's ``msc-logs`` script,
    or ``python -m backend``."""
    return exec_command()


class OwnLogOpener:
    """Opens the viewer's own log in a second viewer window: a new ``msc-logs`` process.

    The new viewer shows ``--log-dir <viewer log dir>`` (every file there: the viewer's log set);
    as it shows its own log directory, it logs to the console only (`backend._ownlog`). It runs
    in its own session and outlives this window.

    Args:
        dirs: The viewer's own directories.
        shows_own_log: This window already shows the viewer's own log (nothing to open).
    """

    def __init__(self, dirs: ViewerDirs, *, shows_own_log: bool) -> None:
        self._dirs = dirs
        self.available = not shows_own_log

    def command(self) -> list[str]:
        """The command line of the second viewer."""
        return [*self_command(), "--log-dir", str(self._dirs.log_dir)]

    def open(self) -> dict[str, int]:
        """Start the second viewer; returns ``{pid}``.

        Raises:
            CommandError: ``invalid_args`` when this window shows the viewer's own log already,
                ``not_found`` when the viewer's log directory does not exist (it could not be
                written).
        """
        if not self.available:
            raise CommandError("invalid_args", "this window shows the viewer's own log already")
        if not self._dirs.log_dir.is_dir():
            raise CommandError(
                "not_found", f"the viewer's own log directory {self._dirs.log_dir} does not exist"
            )
        pid = spawn_viewer(self._dirs.log_dir)
        _log.info("viewer's own log opened", category="user", pid=pid)
        return {"pid": pid}


class DemoRunner:
    """At most one ``msc-logs demo`` child writing into the viewer's log directory."""

    def __init__(self, log_dir: Path, app_name: str | None) -> None:
        self._log_dir = log_dir
        self._app_name = app_name
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None

    def start(self, seconds: int = DEMO_SECONDS) -> dict[str, Any]:
        """Start the demo for ``seconds`` unless one runs; returns ``{pid, already_running}``."""
        with self._lock:
            if self._child is not None and self._child.poll() is None:
                return {"pid": self._child.pid, "already_running": True}
            command = [*self_command(), "demo", "--log-dir", str(self._log_dir)]
            if self._app_name is not None:  # else the demo writes the default set
                command += ["--app-name", self._app_name]
            command += ["--duration", str(seconds)]
            self._child = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            pid = self._child.pid
            _log.info("demo activity started", category="user", pid=pid, seconds=seconds)
            return {"pid": self._child.pid, "already_running": False}

    def stop(self) -> None:
        """End the demo child if it still runs (the window is closing)."""
        with self._lock:
            child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.terminate()
            try:
                child.wait(5)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
