"""argparse's help formatter without its `shutil` import, for the commands that must start fast.

argparse builds a formatter for every option added (to check its metavar) and, for the first,
imports `shutil` (and with it bz2, lzma and fnmatch, about 2 ms here) only to read the terminal
width. `HelpFormatter` reads the width the way `shutil.get_terminal_size` does and formats
exactly as argparse's own class; `msc-logs query` and ``tail`` use it
(tests/backend/test_cli_start.py checks that they start without `shutil`).
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["HelpFormatter", "terminal_columns"]

#: The width when neither ``$COLUMNS`` nor a terminal on stdout says one (shutil's fallback).
FALLBACK_COLUMNS = 80


def terminal_columns() -> int:
    """The terminal's width as `shutil.get_terminal_size` finds it: a positive ``$COLUMNS``,
    else the width of the terminal on stdout, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    if stdout is None:  # no stdout at all (pythonw): as shutil, the fallback
        return FALLBACK_COLUMNS
    try:
        return os.get_terminal_size(stdout.fileno()).columns or FALLBACK_COLUMNS
    except (AttributeError, ValueError, OSError):
        return FALLBACK_COLUMNS


class HelpFormatter(argparse.HelpFormatter):
    """`argparse.HelpFormatter` with its default width found by `terminal_columns`."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse's own default: the terminal's width less 2.
        width = terminal_columns() - 2 if width is None else width
        super().__init__(prog, indent_increment, max_help_position, width)
