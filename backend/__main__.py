"""`msc-logs` / `python -m backend`: the viewer and its command line doors.

Environment and argv are read here and nowhere else; everything below receives values.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    """The `msc-logs` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(prog="msc-logs", description=__doc__)
    parser.set_defaults(func=_no_viewer_yet)
    parser.add_subparsers(dest="command", metavar="COMMAND")
    return parser


def _no_viewer_yet(args: argparse.Namespace) -> int:
    print("msc-logs: the viewer window is not built yet (see the open issues).", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen subcommand; returns the exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
