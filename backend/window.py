"""`msc-logs` with no subcommand: the viewer in a native window (pywebview; Qt on Linux).

The window shows ``frontend/index.html`` (served by pywebview's local HTTP server) on one log
directory. The page reaches the backend only through ``window.pywebview.api`` — every registered
command plus the desktop-only ``choose_export_path``, ``start_demo`` and ``open_own_log``
(`backend.desktop._api`) — and receives events through one ``evaluate_js`` call per batch
(`backend.desktop._pump`). Files and folders dropped onto the window open as File ▸ Open opens
them (`backend.desktop._drop`).

The app only reads the directory it shows: its own records go to the viewer's own log
(`backend._ownlog`; the console only when it shows that log), its one-instance lock and focus
socket to the runtime directory and its size and position to the config directory
(`backend._dirs`). A second launch on the same directory brings the open window to the front and
exits (`backend.desktop._instance`). Without a display it says what to do instead of letting Qt
abort; other start-up failures also open a message box when there is no terminal to read them
(`backend.desktop._dialog`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from backend._dirs import ViewerDirs
from backend._location import LocationError, Shown, shown_log
from backend._ownlog import start_viewer_logging
from backend.desktop._dialog import show_error, wants_dialog
from backend.desktop._instance import FocusServer, ask_to_focus, socket_path
from backend.desktop._render import prepare_drawing
from backend.desktop._state import InstanceLock
from backend.devserver import default_frontend_dir
from shared.writer.config import LoggingError
from shared.writer.setup import get_logger

__all__ = ["add_arguments", "chromium_flags", "display_problem", "run_window"]

#: Exit code when there is no display to open a window on (argparse uses 2 for usage errors too).
EXIT_NO_DISPLAY = 2
EXIT_FAILED = 1
#: Seconds the process may take to exit once the window is closed and shut down.
EXIT_GRACE_S = 3.0

NO_DISPLAY = (
    "msc-logs: no display to open the viewer window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
    "  In a browser instead:      msc-logs dev\n"
    "  On a virtual display:      xvfb-run msc-logs\n"
    "  Query from the terminal:   msc-logs query --help"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The window's own options (on the top-level ``msc-logs`` parser, beside the location)."""
    parser.add_argument("--frontend-dir", type=Path, default=None, help=argparse.SUPPRESS)


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why no window can open here, or None (only Linux and the BSDs need a display server)."""
    if not (platform.startswith("linux") or "bsd" in platform):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return NO_DISPLAY


def chromium_flags(environ: MutableMapping[str, str], euid: int | None) -> None:
    """As root, Qt WebEngine's Chromium refuses to start inside its sandbox: turn it off."""
    if euid == 0:
        environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox")


def run_window(args: argparse.Namespace, dirs: ViewerDirs) -> int:
    """Open the viewer window and return when it is closed.

    Args:
        args: The parsed options.
        dirs: The viewer's own directories: its log, its lock, its geometry.

    Returns:
        0 after the window closed (or when the window already open on the directory came to
        the front), 1 when the log directory does not exist, logging cannot be set up or
        another viewer has the directory and does not answer, 2 without a display.
    """
    problem = display_problem(os.environ, sys.platform)
    dialog = problem is None and wants_dialog(os.environ, sys.stderr)
    try:
        shown = shown_log(args, dirs)
    except LocationError as exc:
        return _failed(f"msc-logs: {exc}", dialog)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    chromium_flags(os.environ, os.geteuid() if hasattr(os, "geteuid") else None)
    drawing = prepare_drawing(os.environ)

    lock = InstanceLock(dirs.lock_file(shown.log_dir))
    try:
        holder = lock.acquire()
        note = start_viewer_logging(dirs, shown.log_dir) if holder is None else None
    except (LoggingError, OSError) as exc:
        lock.release()
        return _failed(f"msc-logs: {exc}", dialog)
    if holder is not None:  # another viewer shows it: bring that one forward, log nothing
        who = f" (pid {holder})" if holder else ""
        if ask_to_focus(socket_path(lock.path)):
            print(f"msc-logs: the viewer open on {shown.log_dir}{who} was brought to the front.")
            return 0
        return _failed(f"msc-logs: a viewer is already open on {shown.log_dir}{who}.", dialog)
    if note:
        print(f"msc-logs: {note}", file=sys.stderr)
    try:
        frontend_dir: Path = (args.frontend_dir or default_frontend_dir()).resolve()
        return _open(shown, dirs, frontend_dir, socket_path(lock.path), drawing)
    finally:
        lock.release()


def _failed(message: str, dialog: bool) -> int:
    print(message, file=sys.stderr)
    if dialog:
        show_error(message.removeprefix("msc-logs: "))
    return EXIT_FAILED


def _open(
    shown: Shown, dirs: ViewerDirs, frontend_dir: Path, focus_socket: Path, drawing: dict[str, Any]
) -> int:
    # Imported only now: Qt and pywebview take ~0.3 s to import, which `msc-logs query` and the
    # no-display path should not pay.
    from backend.desktop._app import DesktopApp  # noqa: PLC0415 - see above
    from backend.desktop._front import bring_to_front  # noqa: PLC0415 - imports pywebview

    get_logger(__name__).info("window drawing", category="system", **drawing)
    desktop = DesktopApp(shown.log_dir, shown.app_name, frontend_dir, dirs)
    focus = FocusServer(focus_socket, lambda: bring_to_front(desktop.window))
    try:
        focus.start()
    except OSError as exc:  # a second launch will then say a viewer is open, as before
        print(f"msc-logs: a second launch cannot bring this window forward: {exc}", file=sys.stderr)
    try:
        desktop.run(gui=_gui())
    finally:
        focus.close()
        _exit_despite_stray_calls(0)
    return 0


def _exit_despite_stray_calls(code: int) -> None:
    """Make sure the process ends once the window is gone.

    pywebview answers each page call on a thread of its own (not a daemon) and hands the
    answer back with ``evaluate_js``, which waits for the page forever once the window is gone:
    a call in flight at close (a histogram, a saved view) would keep the interpreter waiting
    for that thread at exit. A daemon timer ends the process after `EXIT_GRACE_S` if the normal
    exit has not happened by then; everything of ours is shut down and written already.
    """

    def leave() -> None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)

    timer = threading.Timer(EXIT_GRACE_S, leave)
    timer.daemon = True
    timer.start()


def _gui() -> Any:
    # Qt on Linux (pywebview's GTK backend would need PyGObject); the platform default elsewhere.
    return "qt" if sys.platform.startswith("linux") else None
