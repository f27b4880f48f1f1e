"""`msc-logs` / `python -m backend`: the viewer and its command line doors.

Environment and argv are read here and nowhere else; everything below receives values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

_READER_COMMANDS = frozenset({"query", "tail"})


def build_parser() -> argparse.ArgumentParser:
    """The `msc-logs` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="msc-logs",
        description=__doc__,
        epilog="Without a COMMAND: open the viewer window on --log-dir "
        "(default: the per-user log directory).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    # The window imports Qt and pywebview only when it opens.
    from backend import cli_query, demo, devserver, window  # noqa: PLC0415
    from backend.desktop import install  # noqa: PLC0415

    window.add_arguments(parser)
    parser.set_defaults(func=window.run_window)
    devserver.register(subparsers)
    cli_query.register(subparsers)
    demo.register(subparsers)
    install.register(subparsers)
    return parser


def _version() -> str:
    """The installed distribution's version (the bundle has no metadata: 'unknown')."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return version("msc-logging")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in _READER_COMMANDS:
        # `query`/`tail` answer in scripts and pipes: skip importing the writer, the dev
        # server and the window (several hundred ms) that registering them would cost.
        from backend import cli_query  # noqa: PLC0415

        return cli_query.main(argv)
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
