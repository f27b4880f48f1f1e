"""Which log a command works on: one vocabulary for every ``msc-logs`` command.

``--log-dir DIR`` and ``--app-name NAME`` (and ``--own-log``, the viewer's own log) are accepted
before the subcommand (``msc-logs --log-dir D query``) and after it (``msc-logs query --log-dir
D``); after wins. Subcommands register them with ``default=SUPPRESS``, so a value given before the
subcommand is not overwritten by the subcommand's default. ``query`` and ``tail`` also keep their
old spellings ``--dir`` and ``--app`` as hidden aliases.

An explicit ``--log-dir`` (a directory or one log file) must exist, and an ``--app-name`` (alias
``--source``) must name a source in it: a typo should not show an empty log. The default
directory may be missing, and the viewer then shows its empty state. Nothing here creates a
directory.

Imports neither pydantic nor Qt: ``msc-logs query`` parses its options with it. The viewer's
directories (`backend._dirs`, platformdirs) are imported only when the default one is needed.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from shared.reader.sources import find_sources

if TYPE_CHECKING:
    from backend._dirs import ViewerDirs

__all__ = [
    "VALUE_OPTIONS",
    "LocationError",
    "Shown",
    "add_location_arguments",
    "shown_log",
]

#: The location options that take a value (``main`` skips them looking for the subcommand).
VALUE_OPTIONS = ("--log-dir", "--app-name", "--source")
OWN_LOG = "--own-log"


class LocationError(Exception):
    """The options name no log that can be shown (the message is for stderr)."""


class Shown(NamedTuple):
    """The log a command shows.

    Attributes:
        log_dir: The directory or file, absolute and resolved (it may not exist: the default
            directory).
        app_name: Only this source (a base name and its rotations); None: every log file.
    """

    log_dir: Path
    app_name: str | None


def add_location_arguments(
    parser: argparse.ArgumentParser,
    *,
    top: bool,
    own_log: bool = True,
    aliases: bool = False,
) -> None:
    """Add ``--log-dir``, ``--app-name`` (and ``--own-log``) to ``parser``.

    Args:
        parser: The top-level parser or a subcommand's.
        top: The top-level parser holds the defaults; a subcommand's options only override them
            when given (``default=SUPPRESS``).
        own_log: Offer ``--own-log`` (viewing commands only).
        aliases: Accept the hidden old spellings ``--dir`` and ``--app`` (``query``, ``tail``).
    """

    def default(value: object) -> object:
        return value if top else argparse.SUPPRESS

    parser.add_argument(
        "--log-dir",
        type=Path,
        default=default(None),
        metavar="DIR",
        help="log directory (default: the per-user log directory)",
    )
    parser.add_argument(
        "--app-name",
        "--source",
        dest="app_name",
        default=default(None),
        metavar="NAME",
        help="only this source: a log file's base name, with its rotations"
        " (default: every log file of the directory)",
    )
    if own_log:
        parser.add_argument(
            OWN_LOG,
            action="store_true",
            default=default(False),
            help="show the viewer's own log (its per-user log directory)",
        )
    if aliases:
        hidden = argparse.SUPPRESS
        parser.add_argument("--dir", dest="log_dir", type=Path, default=hidden, help=hidden)
        parser.add_argument("--app", dest="app_name", default=hidden, help=hidden)


def shown_log(args: argparse.Namespace, dirs: ViewerDirs | None) -> Shown:
    """The log the parsed options name.

    Args:
        args: Parsed with `add_location_arguments` (``log_dir``, ``app_name``, ``own_log``).
        dirs: The viewer's directories (for ``--own-log``; None when the command has none).

    Raises:
        LocationError: ``--log-dir`` names nothing that exists, or ``--own-log`` was combined
            with ``--log-dir`` or given to a command that does not view.
    """
    given: Path | None = args.log_dir
    if getattr(args, "own_log", False):
        if given is not None:
            raise LocationError(f"{OWN_LOG} and --log-dir name two different logs; give one")
        if dirs is None:
            raise LocationError(f"{OWN_LOG} applies to viewing commands only")
        return Shown(dirs.log_dir.resolve(), None)
    if given is None:
        # Imported here: a query that names its directory starts without the viewer's dirs.
        from backend._dirs import default_log_dir  # noqa: PLC0415

        shown = Shown(default_log_dir().resolve(), args.app_name)
        if shown.log_dir.exists():
            _check_source(shown)
        return shown
    path = given.expanduser()
    if not path.exists():
        raise LocationError(f"--log-dir {given}: no such file or directory")
    shown = Shown(path.resolve(), args.app_name)
    _check_source(shown)
    return shown


def _check_source(shown: Shown) -> None:
    """An ``--app-name`` that names no log file is a mistake to report, not an empty log."""
    if shown.app_name is None or find_sources(shown.log_dir, shown.app_name):
        return
    names = ", ".join(source.name for source in find_sources(shown.log_dir)) or "none"
    raise LocationError(
        f"--app-name {shown.app_name}: no log file of that name in {shown.log_dir}"
        f" (sources there: {names})"
    )
