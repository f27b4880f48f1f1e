"""`msc-logs install-desktop`: put the viewer in the desktop's application menu (per user).

Writes ``msc-logs.desktop`` (from the template beside this file, with ``Exec``/``TryExec``
pointing at this installation) to ``$XDG_DATA_HOME/applications`` and the icon to
``$XDG_DATA_HOME/icons/hicolor/{scalable,256x256}/apps`` (``$XDG_DATA_HOME`` defaults to
``~/.local/share``). Then the menu shows "MIDI Software Center Logs" and a double-click opens the
window. ``--uninstall`` removes the three files. No root needed, nothing outside the user's home.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from backend._dirs import ViewerDirs
from backend.desktop import ICON_PNG, ICON_SVG

__all__ = ["desktop_entry", "exec_command", "install", "register", "run_install", "uninstall"]

ENTRY_NAME = "msc-logs.desktop"
TEMPLATE = Path(__file__).resolve().parent / ENTRY_NAME
ICON_NAME = "msc-logs"
# Characters the Desktop Entry spec reserves in Exec arguments (they force quoting).
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    given = environ.get("XDG_DATA_HOME", "")
    return Path(given) if os.path.isabs(given) else Path.home() / ".local" / "share"


def exec_command() -> list[str]:
    """How the menu should start the viewer: the bundle, the venv's script, or the module."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.executable).parent / "msc-logs"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    return [sys.executable, "-m", "backend"]


def _quote(argument: str) -> str:
    argument = argument.replace("%", "%%")  # field codes start with %
    if not argument or _RESERVED & set(argument):
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
        # The key value is itself unescaped once more, so each backslash is doubled again.
        return '"' + escaped.replace("\\", "\\\\") + '"'
    return argument


def desktop_entry(command: Sequence[str]) -> str:
    """The template with ``Exec`` (and ``TryExec``: the program) set to ``command``."""
    replacements = {
        "Exec=": "Exec=" + " ".join(_quote(a) for a in command),
        "TryExec=": "TryExec=" + command[0],
    }
    lines = [
        next((new for key, new in replacements.items() if line.startswith(key)), line)
        for line in TEMPLATE.read_text(encoding="utf-8").splitlines()
    ]
    return "\n".join(lines) + "\n"


def _targets(home: Path) -> dict[str, Path]:
    icons = home / "icons" / "hicolor"
    return {
        "entry": home / "applications" / ENTRY_NAME,
        "svg": icons / "scalable" / "apps" / f"{ICON_NAME}.svg",
        "png": icons / "256x256" / "apps" / f"{ICON_NAME}.png",
    }


def install(home: Path, command: Sequence[str]) -> list[Path]:
    """Write the entry and the icons under ``home`` (a data dir); returns the files written."""
    targets = _targets(home)
    for path in targets.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    targets["entry"].write_text(desktop_entry(command), encoding="utf-8")
    targets["entry"].chmod(0o755)  # some file managers only launch executable entries
    shutil.copyfile(ICON_SVG, targets["svg"])
    shutil.copyfile(ICON_PNG, targets["png"])
    _refresh(home)
    return list(targets.values())


def uninstall(home: Path) -> list[Path]:
    """Remove what `install` wrote; returns the files removed."""
    removed = []
    for path in _targets(home).values():
        if path.exists():
            path.unlink()
            removed.append(path)
    _refresh(home)
    return removed


def _refresh(home: Path) -> None:
    # Menus pick up new entries by themselves on most desktops; these make it immediate where
    # the tools exist. Failing to run them changes nothing that matters.
    tools = [
        ["update-desktop-database", "-q", str(home / "applications")],
        ["gtk-update-icon-cache", "-q", "-t", "-f", str(home / "icons" / "hicolor")],
    ]
    for tool in tools:
        if shutil.which(tool[0]):
            subprocess.run(tool, check=False, capture_output=True)


def register(subparsers: Any) -> None:
    """Add ``install-desktop`` to the ``msc-logs`` subcommands."""
    parser = subparsers.add_parser(
        "install-desktop", help="add the viewer to the desktop menu (per user)", description=__doc__
    )
    parser.add_argument("--uninstall", action="store_true", help="remove the entry and icons")
    parser.add_argument(
        "--exec", dest="exec_path", default=None, help="program the entry starts (default: this)"
    )
    parser.set_defaults(func=run_install)


def run_install(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """Install (or uninstall) the desktop entry; prints the files concerned.

    The entry opens the per-user log directory; a ``--log-dir`` or ``--own-log`` given before
    ``install-desktop`` is refused rather than silently left out of the entry.
    """
    if getattr(args, "log_dir", None) is not None or getattr(args, "own_log", False):
        print("msc-logs install-desktop: --log-dir and --own-log do not apply", file=sys.stderr)
        return 2
    home = data_home(os.environ)
    try:
        if args.uninstall:
            files = uninstall(home)
            verb = "removed"
        else:
            command = [args.exec_path] if args.exec_path else exec_command()
            files = install(home, command)
            verb = "installed"
    except OSError as exc:
        print(f"msc-logs install-desktop: {exc}", file=sys.stderr)
        return 1
    for path in files:
        print(f"{verb} {path}")
    if not args.uninstall:
        print("The menu now lists 'MIDI Software Center Logs'.")
    return 0
