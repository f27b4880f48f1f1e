"""File-system primitives of the log files, shared by the sink and the tools that clear them.

The rotation lock, the append-only open, and the check for a partial last line a killed writer
left behind; see `shared.writer.sink` for the protocol they serve.

Nothing is opened through a symbolic link (``O_NOFOLLOW``) or kept open unless it is a regular
file: whoever may write to the log directory must not be able to make the writer append to, or
create, a file elsewhere (``app.log -> ~/.bashrc``), nor stall it on a FIFO (``O_NONBLOCK``, so
that opening one without a reader fails instead of waiting for one).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Iterator

__all__ = [
    "ends_torn",
    "file_identity",
    "is_regular",
    "open_append",
    "open_regular",
    "rotation_lock",
    "stat_or_none",
]

_SAFE = os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NONBLOCK
_OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT

# A file seen ending inside a line on opening is looked at again after these pauses before the
# fragment is taken for a torn line: another process's write in progress looks the same while
# that writer is descheduled between two pages (the kernel grows the file page by page), which
# under load was seen to last over 50 ms. Only a file that ends so pays for the wait.
_TORN_SETTLE_S = (0.002, 0.05, 0.25)


@contextlib.contextmanager
def rotation_lock(lock_path: str | os.PathLike[str]) -> Iterator[int]:
    """Hold the exclusive lock writers take to rotate (``<log_dir>/<app_name>.log.lock``).

    Tools that rename, truncate or delete log files (``clear_logs``) hold it meanwhile. The file
    also holds what `shared.writer.rotation` knows of the rotated set.

    Args:
        lock_path: The lock file; created when missing.

    Yields:
        The lock file's descriptor.

    Raises:
        OSError: The lock file cannot be opened, is a symbolic link or no regular file.
    """
    fd = open_regular(os.fspath(lock_path), os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield fd
    finally:
        os.close(fd)  # releases the flock


def open_append(path: str) -> int:
    """Open ``path`` for whole-line appends, creating it.

    Args:
        path: The log file.

    Returns:
        The file descriptor.

    Raises:
        OSError: The file cannot be opened for writing, or ``path`` is a symbolic link
            (``strerror`` says so) or no regular file.
    """
    return open_regular(path, _OPEN_FLAGS)


def open_regular(path: str, flags: int) -> int:
    """Open the regular file ``path`` (``0644`` if created), never through a symbolic link.

    Args:
        path: The file.
        flags: ``os.open`` flags; ``O_NOFOLLOW``, ``O_NONBLOCK`` and ``O_CLOEXEC`` are added,
            and ``O_NONBLOCK`` is cleared again once the file is known to be regular.

    Returns:
        The file descriptor.

    Raises:
        OSError: The file cannot be opened; ``ELOOP`` (strerror "is a symbolic link, not
            followed") for a link, ``EINVAL`` ("is not a regular file") for a FIFO, device,
            socket or directory.
    """
    try:
        fd = os.open(path, flags | _SAFE, 0o644)
    except OSError as exc:
        refusal = _refusal(path)
        if refusal is None:
            raise
        raise refusal from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _not_regular(path)
        os.set_blocking(fd, True)  # some file systems (FUSE) pass O_NONBLOCK on to reads
    except BaseException:
        os.close(fd)
        raise
    return fd


def _refusal(path: str) -> OSError | None:
    # Why an open failed, when the cause is what sits at ``path`` (O_NOFOLLOW's ELOOP reads as
    # "too many levels of symbolic links"; a FIFO without a reader fails with ENXIO).
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return None
    if stat.S_ISLNK(mode):
        return OSError(errno.ELOOP, "is a symbolic link, not followed", path)
    return None if stat.S_ISREG(mode) else _not_regular(path)


def _not_regular(path: str) -> OSError:
    return OSError(errno.EINVAL, "is not a regular file", path)


def is_regular(path: str | os.PathLike[str]) -> bool:
    """Tell whether ``path`` itself (not what a link points to) is a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def file_identity(st: os.stat_result) -> tuple[int, int]:
    """The file a stat result describes: (inode, device)."""
    return st.st_ino, st.st_dev


def ends_torn(path: str, identity: tuple[int, int]) -> bool:
    """Tell whether the file at ``path`` (if still ``identity``) ends inside a line."""
    try:
        fd = os.open(path, os.O_RDONLY | _SAFE)
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


def stat_or_none(path: str, *, follow_symlinks: bool = True) -> os.stat_result | None:
    """``os.stat(path)``, or None when there is nothing at ``path``.

    Args:
        path: What to look at.
        follow_symlinks: False: describe a link itself (``lstat``).
    """
    try:
        return os.stat(path, follow_symlinks=follow_symlinks)
    except (FileNotFoundError, NotADirectoryError):
        return None
