"""File-system primitives of the log files, shared by the sink and the tools that clear them.

The rotation lock, the append-only open, and the check for a partial last line a killed writer
left behind; see `shared.writer.sink` for the protocol they serve.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator

__all__ = [
    "ends_torn",
    "file_identity",
    "open_append",
    "rotation_lock",
    "stat_or_none",
    "unlink_quietly",
]

_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC

# A file seen ending inside a line on opening is looked at again after these pauses before the
# fragment is taken for a torn line: another process's write in progress looks the same while
# that writer is descheduled between two pages (the kernel grows the file page by page), which
# under load was seen to last over 50 ms. Only a file that ends so pays for the wait.
_TORN_SETTLE_S = (0.002, 0.05, 0.25)


@contextlib.contextmanager
def rotation_lock(lock_path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the exclusive lock writers take to rotate (``<log_dir>/<app_name>.log.lock``).

    Tools that rename, truncate or delete log files (``clear_logs``) hold it meanwhile.

    Args:
        lock_path: The lock file; created when missing.

    Raises:
        OSError: The lock file cannot be opened.
    """
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the flock


def open_append(path: str) -> int:
    """Open ``path`` for whole-line appends, creating it.

    Args:
        path: The log file.

    Returns:
        The file descriptor.

    Raises:
        OSError: The file cannot be opened for writing.
    """
    return os.open(path, _OPEN_FLAGS, 0o644)


def file_identity(st: os.stat_result) -> tuple[int, int]:
    """The file a stat result describes: (inode, device)."""
    return st.st_ino, st.st_dev


def ends_torn(path: str, identity: tuple[int, int]) -> bool:
    """Tell whether the file at ``path`` (if still ``identity``) ends inside a line."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False  # unreadable: append as before
    try:
        if file_identity(os.fstat(fd)) != identity:
            return False
        size = _size_if_unterminated(fd)
        for delay in _TORN_SETTLE_S:
            if size is None:
                return False
            time.sleep(delay)
            previous, size = size, _size_if_unterminated(fd)
            if size != previous:
                return False  # still growing: other writers are busy, and they end their lines
        return size is not None  # unchanged all along: a fragment left behind
    except OSError:
        return False
    finally:
        os.close(fd)


def _size_if_unterminated(fd: int) -> int | None:
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return None
    return size


def stat_or_none(path: str) -> os.stat_result | None:
    """``os.stat(path)``, or None when there is nothing at ``path``."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None


def unlink_quietly(path: str) -> None:
    """Delete ``path``, unless someone else did already."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return
