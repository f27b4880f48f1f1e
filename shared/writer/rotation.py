"""Shifting the numbered files of a writer's set by one, without listing the directory each time.

A rotation renames ``<active>.N`` → ``<active>.N+1`` from the highest N down, deletes those
numbered ``max_files`` or more, then renames ``<active>`` → ``<active>.1``. To know the numbers
it used to list the directory every time: with thousands of files in it that listing (and
sorting the names) was a third of the time of writing.

The lock file (``<active>.lock``, read and written only under its flock) now holds a *bound*: a
number K such that no ``<active>.N`` with N > K exists. Shifting from K down never renames onto
a file that exists, which is all the rotation needs (a number below K that is missing only makes
its rename fail, and the bound is then forgotten, so that the next rotation lists again).
Every writer keeps the bound up to date, so after the first rotation nobody lists.

A writer that does not keep it (another program, an older version of this one) moves the
highest file one number up per rotation: before trusting the bound, a rotation checks that
``<active>.K+1`` does not exist, and lists the directory when it does. A bound above
``max_files`` (a writer with a larger setting, or a hand-edited lock file) is not trusted either:
the work of a rotation stays bounded by ``max_files``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

__all__ = ["shift"]

_WIDTH = 20  # digits of the bound: fixed, so a shorter number needs no truncation
_BOUND = re.compile(rb"([0-9]{%d})\n" % _WIDTH)


def shift(active: str, max_files: int, lock_fd: int) -> None:
    """Rename ``active`` to ``active.1`` after moving the numbered files one number up.

    Call with the rotation lock held (``lock_fd`` is its file).

    Args:
        active: Path of the active file.
        max_files: Numbered files to keep; those that would be numbered higher are deleted.
        lock_fd: The lock file, which holds the bound.

    Raises:
        OSError: A rename or deletion failed (other than for a file that was already gone).
    """
    bound = _read_bound(lock_fd, active, max_files)
    numbers: Sequence[int] = range(bound, 0, -1) if bound is not None else _listed(active)
    highest = numbers[0] if numbers else 0
    # Written first: the new bound holds during the renames too, so a writer killed among them
    # leaves a bound that is still true.
    _store(lock_fd, b"%0*d\n" % (_WIDTH, min(highest + 1, max_files)))
    complete = True
    for number in numbers:
        try:
            if number >= max_files:
                os.unlink(f"{active}.{number}")
            else:
                os.rename(f"{active}.{number}", f"{active}.{number + 1}")
        except FileNotFoundError:  # a gap (a file deleted by hand): the bound is too high
            complete = False
    os.rename(active, f"{active}.1")
    if not complete:
        _store(lock_fd, b"")


def _read_bound(lock_fd: int, active: str, max_files: int) -> int | None:
    try:
        match = _BOUND.fullmatch(os.pread(lock_fd, _WIDTH + 2, 0))
    except OSError:
        return None
    if match is None or int(match.group(1)) > max_files:
        return None
    bound = int(match.group(1))
    try:
        os.lstat(f"{active}.{bound + 1}")
    except FileNotFoundError:
        return bound
    except OSError:
        return None
    return None  # rotated by a writer that does not keep the bound


def _listed(active: str) -> list[int]:
    # The numbers of ``<active>.N`` (N written without leading zeros, from 1), highest first.
    directory, base = os.path.split(active)
    prefix = base + "."
    numbers = []
    for name in os.listdir(directory or "."):
        suffix = name[len(prefix) :] if name.startswith(prefix) else ""
        if suffix.isdigit() and suffix.isascii() and suffix[0] != "0":
            numbers.append(int(suffix))
    return sorted(numbers, reverse=True)


def _store(lock_fd: int, content: bytes) -> None:
    # A failure leaves the previous bound, which the check of ``<active>.K+1`` catches, or an
    # unreadable one, which makes the next rotation list the directory: never a wrong rename.
    try:
        if content:
            os.pwrite(lock_fd, content, 0)
        else:
            os.ftruncate(lock_fd, 0)
    except OSError:
        return
