"""The file sink: whole-line appends to ``<app_name>.log`` with size rotation, multi-process safe.

Writing
    The active file is opened ``O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW`` and every record is one
    ``os.write`` of the whole line: no user-space buffer, so a record has reached the kernel when
    the logging call returns and a crash (even ``os._exit``) loses nothing already logged. With
    ``O_APPEND`` the kernel appends each write at the end of the file, so lines of several
    processes never overwrite or tear each other.

Size rotation (checked after every write)
    With ``O_APPEND`` the offset after a write is the file size we just produced, so
    ``lseek(fd, 0, SEEK_CUR)`` costs one cheap syscall. When it reaches ``max_bytes``:

    1. open ``<app_name>.log.lock`` (``O_RDWR|O_CREAT``) in the log directory and take
       ``flock(LOCK_EX)`` on it;
    2. ``lstat`` the path ``<app_name>.log``. If it is still the inode our descriptor writes to
       (``st_ino``/``st_dev`` equal ``fstat`` of our fd) and still at least ``max_bytes``:
       delete ``<app_name>.log.N`` for N ≥ ``max_files``, rename the others ``.log.N`` →
       ``.log.N+1`` from the highest N down, then ``.log`` → ``.log.1``. If the path is another
       inode (another process rotated already), a link, or is missing, nothing is renamed. The
       numbers come from a bound kept in the lock file, not from listing the directory each
       time (`shared.writer.rotation`);
    3. reopen ``<app_name>.log`` (creating it), then close the lock file, which releases the lock.

    A writer whose descriptor still points at a just-rotated file appends its next line there
    (complete, not lost), finds that file over the limit, takes the lock, sees the path is no
    longer its inode and only reopens: each rotation happens once, whoever notices first.

Other tools (the reader's ``clear_logs``)
    Take the same ``flock(LOCK_EX)`` on ``<app_name>.log.lock`` (`rotation_lock`), truncate
    ``<app_name>.log`` in place (``O_APPEND`` writers continue at the new end; a writer that
    finds the file below the limit under the lock does not rotate) and delete the
    ``<app_name>.log.N``. Do not delete or rename the active file: truncate it. The lock file
    holds the writers' bound on the numbers in use (`shared.writer.rotation`): deleting files
    keeps it true; a tool that renames them to higher numbers should empty the lock file.

Links and other non-regular files
    Nothing is opened through a symbolic link (``O_NOFOLLOW``, the lock file too) and only a
    regular file is written to: a link, FIFO or directory in the active file's place makes
    `FileSink` raise on opening (``init_logging`` then raises `LoggingError` naming it), and met
    later (on the path check, or after a rotation) it is reported once on stderr, like a file
    that cannot be recreated, while records go on to the file already open. Rotation only renames
    and deletes names: a link among the numbered files is moved or deleted as a link, its target
    never opened.

Reliability
    Ten times a second at most (and when the file grew by 64 KiB) a writer also ``stat``\\ s the
    path; when the file or the directory was deleted or replaced it recreates them and reopens.
    When the directory was deleted it also writes again the records it sent to the deleted file
    since the previous check, if that was within the last second: a busy writer loses none, and
    a record written just before the deletion may come back once.
    Failed writes (``ENOSPC``, ``EFBIG`` under ``RLIMIT_FSIZE``, a vanished directory) never
    raise: the first failure of an episode is reported as one line on stderr, records are
    counted as dropped, every later record tries again, and the ``on_resume`` callback learns
    how many were lost once writing works again.
    A line cut short by a partial write is terminated by a newline before the next record, and
    so is a partial last line found when the sink opens the file (a writer killed in the middle
    of a write, then the app restarted): the first record starts on a line of its own instead
    of being glued to the fragment. A rotation that fails because the directory is gone is no
    outage of its own: the next record checks the path and recreates the directory.
"""

from __future__ import annotations

import errno
import os
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path

from shared.writer.diag import complain
from shared.writer.fileops import (
    ends_torn,
    file_identity,
    open_append,
    rotation_lock,
    stat_or_none,
)
from shared.writer.rotation import shift

__all__ = ["FileSink"]

_CHECK_INTERVAL_S = 0.1
# What a writer keeps of its own records until the next path check, to write them again if its
# file turns out to have been deleted under it: a check comes sooner once the file grew this much,
# and only written again when the previous check is this recent. After a longer pause the
# deletion may have come long after them (a clear, say): they stay deleted.
_RECENT_BYTES = 64 * 1024
_REWRITE_WITHIN_S = 1.0
_ROTATE_RETRY_S = 1.0

# Bound once: the fast path runs per record.
_write = os.write
_lseek = os.lseek
_SEEK_CUR = os.SEEK_CUR
_monotonic = time.monotonic

_sinks: weakref.WeakSet[FileSink] = weakref.WeakSet()


class FileSink:
    """Appends encoded records to ``<log_dir>/<app_name>.log`` and rotates it by size."""

    def __init__(
        self,
        log_dir: Path,
        app_name: str,
        max_bytes: int,
        max_files: int,
        on_resume: Callable[[int, str], None] | None = None,
    ) -> None:
        """Open (creating) the active file.

        Args:
            log_dir: An existing directory.
            app_name: Base name of the files.
            max_bytes: Rotate once the active file reaches this size.
            max_files: Rotated files to keep.
            on_resume: Called with ``(dropped_count, problem)`` after a failure episode ends.

        Raises:
            OSError: The active file cannot be opened.
        """
        self.path = log_dir / f"{app_name}.log"
        self.lock_path = log_dir / f"{app_name}.log.lock"
        self._dir = os.fspath(log_dir)
        self._path = os.fspath(self.path)
        self._max_bytes = max_bytes
        self._max_files = max_files
        #: Called with ``(dropped_count, problem)`` after a failure episode ends.
        self.on_resume = on_resume
        self._lock = threading.Lock()
        self._fd = open_append(self._path)
        self._identity = file_identity(os.fstat(self._fd))
        self._next_check = time.monotonic() + _CHECK_INTERVAL_S
        self._recent: list[bytes] = []  # written since the last path check
        self._checked_at = time.monotonic()
        self._checked_end = self._size()  # the file's end then: bounds what _recent holds
        self._dir_identity = _identity_or_none(self._dir)
        self._rotate_after = 0.0
        self._problems: dict[str, str] = {}
        self._last_problem = ""
        self._dropped = 0
        self._torn = ends_torn(self._path, self._identity)
        self._closed = False
        # False while anything needs the slow path: a problem, a torn line, closed.
        self._healthy = not self._torn
        _sinks.add(self)

    def write(self, data: bytes) -> None:
        """Append ``data`` (one or more whole lines) and rotate if the file is now full.

        Never raises: failures are reported once per episode on stderr and counted.

        Args:
            data: Encoded records, each ending in a newline.
        """
        written = 0
        # Fast path, no lock: healthy and not due for the path check, one write and one lseek.
        # The descriptor number never changes (reopening dup2()s the new file onto it), so a
        # concurrent rotation at worst sends this line, whole, to the file just rotated.
        if self._healthy and _monotonic() < self._next_check:
            try:
                written = _write(self._fd, data)
            except OSError:
                written = 0  # the slow path tries again and reports
            if written == len(data):
                self._recent.append(data)
                end = _lseek(self._fd, 0, _SEEK_CUR)
                if end - self._checked_end > _RECENT_BYTES:  # ours, or others' too: check sooner
                    self._next_check = 0.0
                if end >= self._max_bytes:
                    with self._lock:
                        self._try_rotate(data)
                return
        with self._lock:
            if self._closed:
                return
            resumed = self._write_slow(data, written)
        if resumed is not None and self.on_resume is not None:
            # Outside the lock: the callback logs, which writes through this sink.
            self.on_resume(*resumed)

    def _write_slow(self, data: bytes, written: int) -> tuple[int, str] | None:
        try:
            if written == 0 and time.monotonic() >= self._next_check:
                self._verify_path()
            self._append(data, written)
        except OSError as exc:
            self._dropped += 1
            self._next_check = 0.0  # the file may be gone: look again before the next attempt
            self._problem("write", f"cannot write {self._path}: {_describe(exc)}")
            return None
        self._solved("write")
        if self._size() >= self._max_bytes:
            self._try_rotate(data)
        if self._problems or not self._dropped:
            return None
        dropped, self._dropped = self._dropped, 0
        return dropped, self._last_problem

    def _append(self, data: bytes, written: int) -> None:
        # ``written`` bytes of ``data`` are already in the file (a partial write).
        record = data
        if written == 0:
            if self._torn:
                data = b"\n" + data
            written = os.write(self._fd, data)
        view = memoryview(data)
        while written < len(data):
            # Partial write (file size limit, disk nearly full): finish the line or leave it
            # torn; the next record then starts with a newline so only this one is damaged.
            self._set_torn(True)
            step = os.write(self._fd, view[written:])
            if step <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            written += step
        self._set_torn(False)
        self._recent.append(record)

    def _size(self) -> int:
        try:
            return os.lseek(self._fd, 0, os.SEEK_CUR)
        except OSError:
            return 0

    def _try_rotate(self, last: bytes) -> None:
        # ``last``: the record just written, which may have gone to a deleted file (see _rotate).
        now = time.monotonic()
        if now < self._rotate_after:
            return
        try:
            self._rotate(last)
        except OSError as exc:
            # Keep writing to the full file; retrying on every record would cost a lock each.
            self._rotate_after = now + _ROTATE_RETRY_S
            if not os.path.isdir(self._dir):
                # Deleted: not a rotation problem. The next record checks the path, recreates
                # the directory and reports only if that fails.
                self._next_check = 0.0
                self._healthy = False
                return
            self._problem("rotate", f"cannot rotate {self._path}: {_describe(exc)}")
            return
        self._solved("rotate")

    def _rotate(self, last: bytes) -> None:
        with rotation_lock(self.lock_path) as lock_fd:
            current = stat_or_none(self._path, follow_symlinks=False)
            lost = False
            if current is not None and file_identity(current) == self._identity:
                if current.st_size < self._max_bytes:
                    return  # truncated meanwhile (clear_logs): keep writing here
                shift(self._path, self._max_files, lock_fd)
            else:
                # Another writer rotated our file away; if it has been deleted since (clear_logs,
                # or max_files reached), the record just written went nowhere: write it again.
                # The ones before it were in the file before the deletion: readers may have seen
                # them, and a clear meant them gone.
                lost = os.fstat(self._fd).st_nlink == 0
            self._reopen()
            self._catch_up(lost=False)
            if lost:
                self._append(last, 0)

    def _verify_path(self) -> None:
        self._next_check = time.monotonic() + _CHECK_INTERVAL_S
        current = stat_or_none(self._path, follow_symlinks=False)
        if current is not None and file_identity(current) == self._identity:
            self._catch_up(lost=False)
            self._solved("reopen")
            return
        # Our file deleted with its directory: what we wrote since the last check went nowhere.
        # (A file deleted alone, as clear_logs does to rotated files, is meant to be gone.)
        lost = os.fstat(self._fd).st_nlink == 0 and self._dir_replaced()
        try:
            os.makedirs(self._dir, exist_ok=True)
            self._reopen()
        except OSError as exc:
            # Keep the old descriptor: better a deleted file than raising into the host.
            if lost:
                self._dropped += len(self._recent)
                self._catch_up(lost=False)
            self._problem("reopen", f"cannot recreate {self._path}: {_describe(exc)}")
            return
        self._catch_up(lost)
        self._solved("reopen")
        self._solved("rotate")  # the file that could not be rotated is no longer ours

    def _reopen(self) -> None:
        fd = open_append(self._path)
        try:
            # Atomically repoint our descriptor number, so lock-free writers never hold a
            # closed (and perhaps reused) number.
            os.dup2(fd, self._fd, inheritable=False)
        finally:
            os.close(fd)
        self._identity = file_identity(os.fstat(self._fd))
        # Not looked at for a fragment here: a new file other writers are busy filling can
        # look torn for a moment; a crashed writer's fragment is met on starting (see __init__).
        self._set_torn(False)

    def _catch_up(self, lost: bool) -> None:
        # Forget the records written since the last check, first writing them again into the
        # new file if they went to a deleted one. Records written just before a deletion (or a
        # clear) therefore come back once: better than losing those written after it.
        now = time.monotonic()
        recent, self._recent = self._recent, []
        if lost and now - self._checked_at <= _REWRITE_WITHIN_S:
            for data in recent:
                self._append(data, 0)
        self._checked_at, self._checked_end = now, self._size()
        self._dir_identity = _identity_or_none(self._dir)

    def _dir_replaced(self) -> bool:
        return _identity_or_none(self._dir) != self._dir_identity

    def _problem(self, kind: str, message: str) -> None:
        if not self._problems:
            if kind == "rotate":
                complain(f"{message} (writing on to the full file until it works again)")
            else:
                complain(f"{message} (records are dropped until it works again)")
        self._problems[kind] = message
        self._last_problem = message
        self._healthy = False

    def _solved(self, kind: str) -> None:
        self._problems.pop(kind, None)
        self._update_health()

    def _set_torn(self, torn: bool) -> None:
        self._torn = torn
        self._update_health()

    def _update_health(self) -> None:
        self._healthy = not (self._problems or self._torn or self._closed)

    def close(self) -> None:
        """Close the file; later writes are ignored.

        Not meant to race with writers of other threads (a writer already past its checks could
        use the closed descriptor number); `reset_logging` is for tests.
        """
        with self._lock:
            if not self._closed:
                self._closed = True
                self._healthy = False
                os.close(self._fd)

    def _after_fork(self) -> None:
        # The parent's lock may have been held by another thread at fork time; the parent's
        # records are the parent's to write again.
        self._lock = threading.Lock()
        self._recent, self._checked_at = [], time.monotonic()


def _identity_or_none(path: str) -> tuple[int, int] | None:
    current = stat_or_none(path)
    return None if current is None else file_identity(current)


def _describe(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _reinit_after_fork() -> None:
    for sink in list(_sinks):
        sink._after_fork()


os.register_at_fork(after_in_child=_reinit_after_fork)
