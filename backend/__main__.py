"""`msc-logs` / `python -m backend`: the viewer and its command line doors.

Environment and argv are read here and nowhere else; everything below receives values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

#: What `msc-logs --help` says first: for users, unlike the module docstring.
_DESCRIPTION = (
    "A viewer for the structured JSON logs of the MIDI Software Center. Opens a desktop "
    "window on a log directory, or prints and follows the log in a terminal: `query` prints "
    "the last matching entries, `tail` follows the log, `export` writes it to a file (JSON "
    "Lines, CSV, text, OpenTelemetry, CLEF or a support bundle), `dev` serves the viewer to a "
    "browser, `demo` writes demo activity, `install-desktop` adds the viewer to the desktop menu."
)
_READER_COMMANDS = frozenset({"query", "tail"})
_COMMANDS = frozenset({"dev", "demo", "export", "install-desktop", "ship", *_READER_COMMANDS})


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The `msc-logs` argument parser with every subcommand registered.

    Args:
        command: Register only this subcommand, for an ``argv`` that names it after location
            options only (see `subcommand`): the other subcommands', the window's and
            ``--version``'s imports are then not made.
    """
    parser = argparse.ArgumentParser(
        prog="msc-logs",
        description=_DESCRIPTION,
        epilog="Without a COMMAND: open the viewer window on --log-dir, or on the directory or "
        "log file given as `msc-logs PATH` (default: the per-user log directory). --log-dir, "
        "--app-name and --own-log may also follow the COMMAND. The viewer never writes into "
        "the directory it shows: its own log is in its per-user log directory (--own-log).",
    )
    from backend._location import add_location_arguments  # noqa: PLC0415 -- see `main`

    if command is None:
        parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    add_location_arguments(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    if command in (None, "dev"):  # `dev` serves the page from the window's --frontend-dir
        # The window imports Qt and pywebview only when it opens.
        from backend import window  # noqa: PLC0415

        window.add_arguments(parser)
        parser.set_defaults(func=window.run_window)
    _register(subparsers, command)
    return parser


def _register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], command: str | None
) -> None:
    """Add every subcommand (in the order `--help` lists them), or only ``command``: a module
    is imported only when its command is registered. The imports are plain statements, not
    names in a table, so that the bundle's analysis (build.spec) finds them."""
    if command in (None, "dev"):
        from backend import devserver  # noqa: PLC0415

        devserver.register(subparsers)
    if command in (None, "query", "tail"):
        from backend import cli_query  # noqa: PLC0415

        cli_query.register(subparsers)
    if command in (None, "export"):
        from backend import cli_export  # noqa: PLC0415

        cli_export.register(subparsers)
    if command in (None, "demo"):
        from backend import demo  # noqa: PLC0415

        demo.register(subparsers)
    if command in (None, "install-desktop"):
        from backend.desktop import install  # noqa: PLC0415

        install.register(subparsers)
    if command in (None, "ship"):
        from backend import ship  # noqa: PLC0415

        ship.register(subparsers)


def _version() -> str:
    """The installed distribution's version (the bundle has no metadata: 'unknown')."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("msc-logging")
    except PackageNotFoundError:
        return "unknown"


def subcommand(argv: Sequence[str]) -> str | None:
    """The COMMAND word of ``argv`` when only location options precede it, else None."""
    from backend._location import OWN_LOG, VALUE_OPTIONS  # noqa: PLC0415 -- see `main`

    index = 0
    while index < len(argv):
        token = argv[index]
        if token in VALUE_OPTIONS:
            index += 2
        elif token == OWN_LOG or token.startswith(tuple(f"{o}=" for o in VALUE_OPTIONS)):
            index += 1
        else:
            return None if token.startswith("-") else token
    return None


def _path_as_log_dir(argv: list[str]) -> list[str]:
    """``msc-logs PATH`` (like ``lnav FILE``): an existing directory or file in place of the
    COMMAND is the window's ``--log-dir``."""
    word = subcommand(argv)
    if word is None or word in _COMMANDS or not Path(word).exists():
        return argv
    index = argv.index(word)
    return [*argv[:index], "--log-dir", word, *argv[index + 1 :]]


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code.

    The viewer's own directories (`ViewerDirs`) are found here, once, and passed down.

    Imports are made where they are needed, not here at the top: what a command does not use
    it does not load (tests/backend/test_cli_start.py lists what ``query`` must not import).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv == ["--version"]:  # answered before the reader's and the subcommands' imports
        print(f"msc-logs {_version()}")
        return 0
    argv = _path_as_log_dir(argv)
    command = subcommand(argv)
    if command in _READER_COMMANDS:
        # `query`/`tail` answer in scripts and pipes: skip importing the writer, the dev
        # server and the window (several hundred ms) that registering them would cost, and
        # build the parser of that one command only.
        from backend import cli_query  # noqa: PLC0415

        return cli_query.main(argv, command)
    from backend._dirs import ViewerDirs  # noqa: PLC0415

    args = build_parser(command if command in _COMMANDS else None).parse_args(argv)
    code: int = args.func(args, ViewerDirs.for_user())
    return code


if __name__ == "__main__":
    sys.exit(main())
