"""`msc-logs` with no subcommand: the viewer in a native window (pywebview; Qt on Linux).

The window shows ``frontend/index.html`` (served by pywebview's local HTTP server) on one log
directory. The page reaches the backend only through ``window.pywebview.api`` — every registered
command plus the desktop-only ``choose_export_path`` and ``start_demo`` (`backend.desktop._api`)
— and receives events through one ``evaluate_js`` call per batch (`backend.desktop._pump`).

The app logs its own activity into the directory it shows, remembers its size and position, and
refuses to open twice on the same directory. Without a display it says what to do instead of
letting Qt abort.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

from backend.desktop._state import InstanceLock
from backend.devserver import default_frontend_dir
from shared._config import DEFAULT_APP_NAME, LogConfig, LoggingError, default_log_dir
from shared._setup import init_logging

__all__ = ["add_arguments", "chromium_flags", "display_problem", "run_window"]

#: Exit code when there is no display to open a window on (argparse uses 2 for usage errors too).
EXIT_NO_DISPLAY = 2
EXIT_FAILED = 1

NO_DISPLAY = (
    "msc-logs: no display to open the viewer window on (DISPLAY and WAYLAND_DISPLAY are unset).\n"
    "  In a browser instead:      msc-logs dev\n"
    "  On a virtual display:      xvfb-run msc-logs\n"
    "  Query from the terminal:   msc-logs query --help"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The window's options (on the top-level ``msc-logs`` parser)."""
    parser.add_argument("--log-dir", type=Path, default=None, help="log directory to show")
    parser.add_argument("--app-name", default=DEFAULT_APP_NAME, help="base name of the log files")
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


def run_window(args: argparse.Namespace) -> int:
    """Open the viewer window and return when it is closed.

    Returns:
        0 after the window closed, 1 when logging cannot be set up or another viewer has the
        directory, 2 without a display.
    """
    problem = display_problem(os.environ, sys.platform)
    if problem is not None:
        print(problem, file=sys.stderr)
        return EXIT_NO_DISPLAY
    chromium_flags(os.environ, os.geteuid() if hasattr(os, "geteuid") else None)

    log_dir: Path = (args.log_dir or default_log_dir()).expanduser().resolve()
    try:
        init_logging(LogConfig(log_dir=log_dir, app_name=args.app_name))
        lock = InstanceLock(log_dir)
        holder = lock.acquire()
    except (LoggingError, OSError) as exc:
        print(f"msc-logs: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if holder is not None:
        who = f" (pid {holder})" if holder else ""
        print(f"msc-logs: a viewer is already open on {log_dir}{who}.", file=sys.stderr)
        return EXIT_FAILED
    try:
        frontend_dir: Path = (args.frontend_dir or default_frontend_dir()).resolve()
        return _open(log_dir, args.app_name, frontend_dir)
    finally:
        lock.release()


def _open(log_dir: Path, app_name: str, frontend_dir: Path) -> int:
    # Imported only now: Qt and pywebview take ~0.3 s to import, which `msc-logs query` and the
    # no-display path should not pay.
    from backend.desktop._app import DesktopApp  # noqa: PLC0415 - see above

    desktop = DesktopApp(log_dir, app_name, frontend_dir)
    desktop.run(gui=_gui())
    return 0


def _gui() -> Any:
    # Qt on Linux (pywebview's GTK backend would need PyGObject); the platform default elsewhere.
    return "qt" if sys.platform.startswith("linux") else None
