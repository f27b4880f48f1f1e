"""`LogFollower`: new entries of every source as they are written, across rotation and clears.

Each source with an active file (see `shared.reader.sources`) is followed on its own; the directory
is listed again for sources that appear later as soon as inotify reports a new name in it, and every
`DISCOVER_EVERY_S` anyway; one poll's entries of several sources are merged by time. `follow` sleeps
on an inotify watch of the directory and polls as soon as anything there changes
(`shared.reader.watch`: 0.05 ms from a write in another process), and every `SAFETY_POLL_S` anyway
(`BUSY_POLL_S` while a text entry awaits its quiet end or a rotated-away file is drained); `wake`
ends a wait at once, for a stop. Where inotify cannot see changes, it polls every ``poll_interval``
(10 ms). A poll that finds nothing new costs a few ``stat`` calls and a 4 KiB ``pread``. Per poll:

1. The followed file is checked for truncation (smaller than our position, or a different first
   line): that is a clear; the batch says ``cleared``, what the batch held and the files rotated
   away are dropped, and reading restarts at offset 0.
2. Files rotated away are still read for a grace period (a writer in another process may append
   a late line or two before it notices the rotation), oldest first, then the followed file.
   Each is read up to a size taken newest file first, which keeps every writer's lines in order.
   A partial last line waits for its newline.
3. When the path names another file, the old one has been rotated: the new active file is
   opened, the files rotated in between (``.k-1`` … ``.1``) are found by walking the set up to
   the first file already read, and all are read in the same poll. A file is known by its inode
   and first line: once retired it is never opened again, and a walk during which the active
   file changed again is thrown away and walked again. When the old file was deleted instead
   (``clear_logs`` deletes the rotated files), the batch says ``cleared``.
"""

from __future__ import annotations

import heapq
import math
import os
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from types import TracebackType
from typing import Any

from shared.reader.parse import line_records
from shared.reader.scan import ScanStats, chunks_forward
from shared.reader.sources import (
    active_name,
    compute_generation,
    fd_reader,
    find_sources,
    format_id,
    line_end,
    mtime_text,
    rotation_names,
)
from shared.reader.textmode import SNIFF, Grouper, sniff_text
from shared.reader.watch import DirectoryWatch

__all__ = ["FollowBatch", "LogFollower"]

#: How long a rotated-away file is still drained for late lines of other writers.
RETIRE_AFTER_S = 2.0
#: With inotify, how often `follow` polls anyway: to notice changes inotify does not report
#: (then it falls back to polling). Each poll costs a few ``stat`` calls and a ``pread``: ten a
#: second were a third of an idle subscribed ``msc-logs dev``'s 0.8 % of a core.
SAFETY_POLL_S = 1.0
#: ... and while a text entry waits for its quiet end (`TEXT_QUIET_S`) or a rotated-away file
#: is still drained (`RETIRE_AFTER_S`): those need a poll without any event.
BUSY_POLL_S = 0.1
#: How often a rotation walk is tried again when the active file changed during it.
WALK_ATTEMPTS = 8
#: How many closed files a follower remembers, so that a walk never reads one again.
REMEMBER_CLOSED = 256
#: How often the directory is listed again for new sources.
DISCOVER_EVERY_S = 1.0
#: A plain-text entry is complete when its file has had no new line for this long (or when the
#: next entry starts): a traceback is written line by line.
TEXT_QUIET_S = 0.3
# Non-blocking: a FIFO named like the active file must not hang the follower (see sources.py).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(slots=True)
class FollowBatch:
    """What a poll found: new entries (oldest → newest), whether the log was cleared first.

    A dataclass, not a pydantic model: ``msc-logs tail`` starts without importing pydantic.
    """

    entries: list[dict[str, Any]] = field(default_factory=list)
    cleared: bool = False
    """The log was cleared (truncated) before ``entries`` were written."""
    malformed: int = 0


@dataclass(slots=True)
class _Tracked:
    name: str
    fd: int
    inode: int
    pos: int
    generation: str | None
    retired_at: float = 0.0
    last_time: str | None = None  # of the last entry read: the time of a raw line after it
    grouper: Grouper | None = None  # a plain-text file's pending entry; None: JSON lines
    sniffed: bool = False
    quiet_since: float = 0.0


class LogFollower:
    """Follows every source of a log directory (or one source, or one file); see the module doc."""

    def __init__(
        self,
        log_dir: Path,
        app_name: str | None = None,
        *,
        from_start: bool = False,
        poll_interval: float = 0.01,
    ) -> None:
        """Start following.

        Args:
            log_dir: The log directory (it and the files may appear later), or one log file.
            app_name: Only this source; None: every source, those appearing later included.
            from_start: Also yield what the active files already hold.
            poll_interval: Seconds between polls while `follow` waits for news, where the
                directory cannot be watched with inotify.
        """
        self._dir = log_dir
        self._app = app_name
        self._interval = poll_interval
        self._from_start = from_start
        self._sets: dict[str, _SetFollower] = {}
        self._watch: DirectoryWatch | None = None
        self._discovered = 0.0
        self._discover(initial=True)
        self._refuse_if_nothing_opens()
        self.watch_mode = "polling"
        """How `follow` learns of changes: ``inotify`` (woken by the directory's changes) or
        ``polling`` (every ``poll_interval``): see `shared.reader.watch`."""

    @property
    def start_cursor(self) -> str | None:
        """An id for where following began: ``before=`` it, a query returns what came earlier.

        None when the active file held no complete line when following began, or when several
        sources are followed (one id cannot say where each began).
        """
        if len(self._sets) != 1:
            return None
        return next(iter(self._sets.values())).start_cursor

    def start_points(self) -> dict[str, tuple[int, int]]:
        """Where following began in each source: ``{source: (inode, offset)}`` of its active file.

        What lies before these points is history, for a reader of the files to hand over at
        exactly there (`msc-logs ship` does): nothing is read twice or missed in between. A
        source missing here had no active file when following began (it is read from its start
        when it appears), or appeared later.
        """
        points = {name: follower.start_point for name, follower in self._sets.items()}
        return {name: point for name, point in points.items() if point is not None}

    def poll(self) -> FollowBatch:
        """Whatever is new since the last call; never blocks."""
        if time.monotonic() - self._discovered > DISCOVER_EVERY_S or not self._sets:
            self._discover(initial=False)
        batches = [(name, follower.poll()) for name, follower in self._sets.items()]
        if len(batches) == 1:
            return batches[0][1]
        merged = FollowBatch()
        for _name, batch in batches:
            merged.cleared |= batch.cleared
            merged.malformed += batch.malformed
        ranks = {name: rank for rank, (name, _) in enumerate(batches)}
        merged.entries = list(
            heapq.merge(
                *(batch.entries for _, batch in batches),
                key=lambda e: (e["timestamp"], ranks[e["origin"]]),
            )
        )
        return merged

    def _discover(self, *, initial: bool) -> None:
        self._discovered = time.monotonic()
        found = {
            s.name: (s.directory, s.active) for s in find_sources(self._dir, self._app) if s.active
        }
        if self._app is not None and not found and not self._dir.is_file():
            found = {self._app: (self._dir, active_name(self._app))}  # the name ours will create
        for name, (directory, active) in found.items():
            if name not in self._sets and active is not None:
                from_start = self._from_start or not initial  # a new source: all of it is news
                self._sets[name] = _SetFollower(directory, active, name, from_start=from_start)

    def _refuse_if_nothing_opens(self) -> None:
        """Raise the refusal when every source's active file is there but cannot be opened.

        As `shared.reader.sources.open_set` does for a snapshot, and as an unreadable directory
        does from its listing: a follower that can follow nothing says so instead of waiting
        quietly. When only some are refused, the others are followed, and the refused ones are
        tried again every poll (permissions may be fixed).
        """
        refused = [follower.refused for follower in self._sets.values()]
        first = refused[0] if refused else None
        if first is not None and all(refused):
            self.close()
            raise first

    def follow(self, stop: threading.Event) -> Iterator[FollowBatch]:
        """Yield non-empty batches as entries arrive, until ``stop`` is set.

        Args:
            stop: Set it (from another thread) to end the iteration.

        Returns:
            A blocking iterator of batches with entries or a clear.
        """
        watch = self._watch = DirectoryWatch(self._dir if self._dir.is_dir() else self._dir.parent)
        self.watch_mode = watch.mode
        timed_out = False
        try:
            while not stop.is_set():
                batch = self.poll()
                if batch.entries or batch.cleared:
                    if timed_out and watch.missed():  # no event announced it: poll from now on
                        self.watch_mode = watch.mode
                    timed_out = False
                    yield batch
                elif watch.mode == "inotify":
                    busy = any(follower.busy for follower in self._sets.values())
                    timed_out = not watch.wait(BUSY_POLL_S if busy else SAFETY_POLL_S)
                    if watch.appeared():  # perhaps a new source: list the directory now
                        self._discovered = -math.inf
                else:
                    watch.wait(self._interval)
        finally:
            self._watch = None
            watch.close()

    def wake(self) -> None:
        """Make a waiting `follow` look at its ``stop`` now (call after setting it)."""
        watch = self._watch
        if watch is not None:
            watch.wake()

    def close(self) -> None:
        """Close the followed files."""
        for follower in self._sets.values():
            follower.close()
        self._sets = {}

    def __enter__(self) -> LogFollower:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class _SetFollower:
    """Follows one source: its active file, across rotation and clears."""

    def __init__(self, directory: Path, active: str, origin: str, *, from_start: bool) -> None:
        self._dir = directory
        self._active = active
        self._origin = origin
        # A str, built once: a poll that finds nothing costs ~10 µs, Path arithmetic ~5 of them.
        self._active_path = os.path.join(directory, active)
        self.refused: OSError | None = None
        """Why the active file, which is there, could not be opened at the last try (else None)."""
        self._current = self._open(active, at_end=not from_start)
        # The set was empty when following began: every file that appears in it is news.
        self._fresh = self._current is None and not rotation_names(directory, active)
        self._retired: list[_Tracked] = []
        # Files read and closed: (inode, generation), as an inode alone may be reused.
        self._closed: deque[tuple[int, str | None]] = deque(maxlen=REMEMBER_CLOSED)
        self._start = (self._current, self._current.pos) if self._current else None

    @property
    def start_cursor(self) -> str | None:
        """See `LogFollower.start_cursor`."""
        if self._start is None:
            return None
        tracked, pos = self._start
        generation = tracked.generation or compute_generation(fd_reader(tracked.fd), tracked.inode)
        return None if generation is None else format_id(generation, pos)

    @property
    def busy(self) -> bool:
        """Whether a poll is due without any event: a text entry waits for its quiet end, or a
        rotated-away file is still drained."""
        if self._retired:
            return True
        current = self._current
        return current is not None and current.grouper is not None and bool(current.grouper.pending)

    @property
    def start_point(self) -> tuple[int, int] | None:
        """See `LogFollower.start_points`."""
        return None if self._start is None else (self._start[0].inode, self._start[1])

    def poll(self) -> FollowBatch:
        """What is new in this source."""
        batch = FollowBatch()
        if self._current is None:
            self._first_open()
        if self._current is not None:
            self._read(batch)
            if self._path_moved(self._current) and self._switch(batch):
                self._read(batch)  # the files found by the switch, in the same poll
        now = time.monotonic()
        for tracked in [*self._retired, self._current]:
            if tracked is not None:
                self._flush_quiet(tracked, batch, now=now)
        for retired in list(self._retired):
            if now - retired.retired_at > RETIRE_AFTER_S:
                self._retired.remove(retired)
                self._flush_quiet(retired, batch)
                self._forget(retired)
        return batch

    def close(self) -> None:
        """Close the followed files."""
        for tracked in [self._current, *self._retired]:
            if tracked is not None:
                os.close(tracked.fd)
        self._current, self._retired = None, []

    def _first_open(self) -> None:
        """Open the active file that was missing; in a fresh set, also the files rotated since."""
        if not self._fresh:
            self._current = self._open(self._active, at_end=False)
            return
        walked = self._walk(None)
        if walked is not None:
            self._current, between, _met = walked
            now = time.monotonic()
            for tracked in between:
                tracked.retired_at = now
            self._retired.extend(between)

    def _open(self, name: str, *, at_end: bool) -> _Tracked | None:
        try:
            fd = os.open(os.path.join(self._dir, name), _OPEN_FLAGS)
        except FileNotFoundError:  # not there (yet): the next poll tries again
            return None
        except OSError as exc:  # there but refused (permissions): the next poll tries again
            if name == self._active:
                self.refused = exc
            return None
        if name == self._active:
            self.refused = None
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode):
            os.close(fd)
            return None
        pread = fd_reader(fd)
        pos = line_end(pread, stat.st_size) if at_end else 0
        generation = compute_generation(pread, stat.st_ino)
        return _Tracked(name, fd, stat.st_ino, pos, generation)

    def _read(self, batch: FollowBatch) -> None:
        """Read every tracked file, oldest first, each up to a size taken newest first.

        Sizes newest first: a writer's line in a newer file was written before that file's size
        was taken, so its earlier lines (late lines in older files included) were written before
        the older files' sizes were taken, and come first. Order per writer holds.
        """
        current = self._current
        assert current is not None
        size = os.fstat(current.fd).st_size
        if self._truncated(current, size):
            self._clear(batch)
            current.pos = 0
            current.generation = compute_generation(fd_reader(current.fd), current.inode)
        sizes = [os.fstat(tracked.fd).st_size for tracked in reversed(self._retired)]
        for tracked, end in zip(self._retired, reversed(sizes), strict=True):
            self._drain(tracked, batch, end)
        self._drain(current, batch, size)

    def _clear(self, batch: FollowBatch) -> None:
        """The log was cleared: what was read before, and the rotated files, are gone."""
        batch.entries.clear()
        batch.cleared = True
        for tracked in self._retired:
            self._forget(tracked)
        self._retired = []

    def _truncated(self, tracked: _Tracked, size: int) -> bool:
        if size < tracked.pos:
            return True
        # Truncated and refilled up to or past our position between two polls: the first line
        # changed. Looked at every poll (about 1 µs): the refill may end at the very size seen
        # last time, within the same clock tick (so neither size nor mtime tells).
        generation = compute_generation(fd_reader(tracked.fd), tracked.inode)
        if tracked.generation is None:
            tracked.generation = generation
            return False
        return generation != tracked.generation

    def _drain(self, tracked: _Tracked, batch: FollowBatch, size: int) -> None:
        if size <= tracked.pos:
            return
        end = line_end(fd_reader(tracked.fd), size)
        if end <= tracked.pos:
            return  # only a partial line so far
        if tracked.generation is None:
            tracked.generation = compute_generation(fd_reader(tracked.fd), tracked.inode)
        if not tracked.sniffed:  # the first complete lines tell JSON lines from plain text
            tracked.sniffed = True
            if sniff_text(os.pread(tracked.fd, SNIFF, 0)):
                tracked.grouper = Grouper(tracked.last_time)
        for chunk in chunks_forward(fd_reader(tracked.fd), tracked.pos, end, ScanStats()):
            if chunk.too_long:
                batch.malformed += 1
                continue
            base, buf = chunk.base, chunk.buf
            start = chunk.lo
            while start < chunk.hi:
                stop = buf.find(b"\n", start, chunk.hi)
                self._line(tracked, base + start, buf[start:stop], batch)
                start = stop + 1
        tracked.pos = end
        tracked.quiet_since = time.monotonic()

    def _line(self, tracked: _Tracked, offset: int, line: bytes, batch: FollowBatch) -> None:
        grouper = tracked.grouper
        if grouper is None:
            self._emit(tracked, offset, line, batch)
            return
        done = grouper.feed(offset, line)
        if done is not None:
            self._emit_group(tracked, done, batch)

    def _flush_quiet(
        self, tracked: _Tracked, batch: FollowBatch, *, now: float | None = None
    ) -> None:
        """A text entry pending for `TEXT_QUIET_S` without more lines is complete."""
        grouper = tracked.grouper
        if grouper is None or not grouper.pending:
            return
        if now is not None and now - tracked.quiet_since < TEXT_QUIET_S:
            return
        done = grouper.flush()
        if done is not None:
            self._emit_group(tracked, done, batch)

    def _emit_group(
        self, tracked: _Tracked, group: list[tuple[int, bytes]], batch: FollowBatch
    ) -> None:
        assert tracked.grouper is not None
        records, reason = tracked.grouper.records(group, mtime_text(os.fstat(tracked.fd).st_mtime))
        if reason is not None:
            batch.malformed += 1
        self._add(tracked, group[0][0], records, batch)

    def _emit(self, tracked: _Tracked, offset: int, line: bytes, batch: FollowBatch) -> None:
        if not line.strip():
            return
        records, reason = line_records(line)
        if reason is not None:
            batch.malformed += 1
        for entry in records:
            if entry["timestamp"] is None:
                entry["timestamp"] = tracked.last_time or mtime_text(os.fstat(tracked.fd).st_mtime)
            tracked.last_time = entry["timestamp"]
        self._add(tracked, offset, records, batch)

    def _add(
        self, tracked: _Tracked, offset: int, records: list[dict[str, Any]], batch: FollowBatch
    ) -> None:
        generation = tracked.generation or "0" * 12
        for index, entry in enumerate(records):
            entry["id"] = format_id(generation, offset) + (f".{index}" if index else "")
            entry["origin"] = self._origin
            batch.entries.append(entry)

    def _path_moved(self, current: _Tracked) -> bool:
        try:
            stat = os.stat(self._active_path)
        except OSError:
            return False  # mid-rotation (renamed, not yet recreated): look again next poll
        return stat.st_ino != current.inode

    def _switch(self, batch: FollowBatch) -> bool:
        """The path names another file: retire ours, and the files rotated since, oldest first.

        Returns:
            Whether the active file changed (False: try again next poll).
        """
        old = self._current
        assert old is not None
        walked = self._walk(old)
        if walked is None:  # mid-rotation, or rotating faster than we walk: look again next poll
            return False
        new, between, met = walked
        now = time.monotonic()
        if not met and os.fstat(old.fd).st_nlink == 0:
            # Our file was deleted, not rotated: the log was cleared (or rotated past max_files
            # since the last poll). What we still held is gone; every file left is newer.
            self._forget(old)
            self._clear(batch)
        else:
            old.retired_at = now
            self._retired.append(old)
            if not met:  # renamed out of the set: which files are newer cannot be told
                self._close_all(between)
                between = []
        for tracked in between:  # kept a while too: other writers may add late lines
            tracked.retired_at = now
        self._retired.extend(between)
        self._current = new
        return True

    def _walk(self, old: _Tracked | None) -> tuple[_Tracked, list[_Tracked], bool] | None:
        """The new active file, and the files rotated between ``old`` and it, oldest first.

        Walks the set newest first, number by number, up to the first file already known (``old``
        or one retired before it). Rotation only moves files to higher numbers, so a file that
        existed when the walk began is met (maybe twice: dropped by identity), never skipped, and
        first met in age order. A file created during the walk could be met out of order: so the
        walk commits only if the active file is still the one it began with, else walks again.

        Returns:
            The new active file, the files between (opened at offset 0), and whether a known
            file was met (if not, the files are all those older than the new one). None when the
            active file is missing or unchanged, or kept changing during every attempt.
        """
        for _attempt in range(WALK_ATTEMPTS):
            new = self._open(self._active, at_end=False)
            if new is None or (old is not None and new.inode == old.inode):
                if new is not None:
                    os.close(new.fd)
                return None
            found: list[_Tracked] = []
            seen = {new.inode}
            met = False
            for name in self._names_newest_first()[1:]:
                tracked = self._open(name, at_end=False)
                if tracked is None:
                    continue
                if self._known(tracked):
                    os.close(tracked.fd)
                    met = True
                    break
                if tracked.inode in seen:  # met twice: a rotation moved it up meanwhile
                    os.close(tracked.fd)
                    continue
                seen.add(tracked.inode)
                found.append(tracked)
            if self._still_active(new):
                return new, found[::-1], met
            self._close_all([new, *found])
        return None

    def _known(self, tracked: _Tracked) -> bool:
        """Whether ``tracked`` is a file this follower read already (it is never read again)."""
        if tracked.inode == self._current_inode() or any(
            tracked.inode == retired.inode for retired in self._retired
        ):
            return True  # held open: its inode cannot have been reused
        return (tracked.inode, tracked.generation) in self._closed

    def _current_inode(self) -> int | None:
        return None if self._current is None else self._current.inode

    def _still_active(self, new: _Tracked) -> bool:
        try:
            return os.stat(self._active_path).st_ino == new.inode
        except OSError:
            return False

    def _forget(self, tracked: _Tracked) -> None:
        """Close a file for good, remembering it so that a walk never reads it again.

        A file without a complete first line (no generation) gave nothing: it is not
        remembered, as a new empty file may get its inode and must then be read.
        """
        if tracked.generation is not None:
            self._closed.append((tracked.inode, tracked.generation))
        os.close(tracked.fd)

    def _names_newest_first(self) -> list[str]:
        """``<app>.log``, ``.1`` … up to past the highest number listed, whether listed or not.

        A directory listing taken while files are renamed may miss a name: every number is
        tried instead, and one missing meanwhile (mid-rotation) is simply not there.
        """
        listed = rotation_names(self._dir, self._active)
        active = self._active
        # A few numbers more than listed: the listing may also have missed the highest ones.
        top = (listed[-1][0] if listed else 0) + 4
        return [active] + [f"{active}.{index}" for index in range(1, top + 1)]

    @staticmethod
    def _close_all(files: list[_Tracked]) -> None:
        for tracked in files:
            os.close(tracked.fd)
