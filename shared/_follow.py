"""`LogFollower`: new entries of the active file as they are written, across rotation and clears.

Strategy (measured in ``bench/query.py``): poll every ``poll_interval`` (10 ms). A poll that finds
nothing new costs two ``stat`` calls, so polling stays cheap, and new lines are seen within the
interval. Per poll:

1. Files rotated away are drained for a grace period: a writer in another process may still
   append a line or two to the old file before it notices the rotation.
2. The followed file is checked for truncation (smaller than our position, or a different first
   line): that is a clear; the batch says ``cleared`` and reading restarts at offset 0.
3. New complete lines are read and parsed; a partial last line waits for its newline.
4. When the path names another file, the old one has been rotated: it is drained first, files
   rotated in between (``.k-1`` … ``.1``) are read whole, then the new active file from 0.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from pydantic import BaseModel

from shared._logset import (
    DEFAULT_APP_NAME,
    active_name,
    compute_generation,
    format_id,
    line_end,
    set_names,
)
from shared._parse import MalformedLineError, parse_line
from shared._scan import ScanStats, chunks_forward

__all__ = ["FollowBatch", "LogFollower"]

#: How long a rotated-away file is still drained for late lines of other writers.
RETIRE_AFTER_S = 2.0
_O_BINARY = getattr(os, "O_BINARY", 0)


class FollowBatch(BaseModel):
    """What a poll found: new entries (oldest → newest), whether the log was cleared first."""

    entries: list[dict[str, Any]]
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
    seen_size: int = -1
    retired_at: float = 0.0


@dataclass(slots=True)
class _Batch:
    entries: list[dict[str, Any]] = field(default_factory=list)
    cleared: bool = False
    malformed: int = 0


class LogFollower:
    """Follows ``<log_dir>/<app_name>.log``; see the module docstring for how."""

    def __init__(
        self,
        log_dir: Path,
        app_name: str = DEFAULT_APP_NAME,
        *,
        from_start: bool = False,
        poll_interval: float = 0.01,
    ) -> None:
        """Start following.

        Args:
            log_dir: The log directory (it and the file may appear later).
            app_name: Selects ``<app_name>.log``.
            from_start: Also yield what the active file already holds.
            poll_interval: Seconds between polls while `follow` waits for news.
        """
        self._dir = log_dir
        self._app = app_name
        self._interval = poll_interval
        # A str, built once: a poll that finds nothing costs ~10 µs, Path arithmetic ~5 of them.
        self._active_path = os.path.join(log_dir, active_name(app_name))
        self._current = self._open(active_name(app_name), at_end=not from_start)
        self._retired: list[_Tracked] = []
        self._start = (self._current, self._current.pos) if self._current else None

    @property
    def start_cursor(self) -> str | None:
        """An id for where following began: ``before=`` it, a query returns what came earlier.

        None when the active file held no complete line when following began.
        """
        if self._start is None:
            return None
        tracked, pos = self._start
        generation = tracked.generation or compute_generation(tracked.fd, tracked.inode)
        return None if generation is None else format_id(generation, pos)

    def poll(self) -> FollowBatch:
        """Whatever is new since the last call; never blocks."""
        batch = self._poll()
        return FollowBatch(entries=batch.entries, cleared=batch.cleared, malformed=batch.malformed)

    def _poll(self) -> _Batch:
        batch = _Batch()
        now = time.monotonic()
        for retired in list(self._retired):
            self._drain(retired, batch)
            if now - retired.retired_at > RETIRE_AFTER_S:
                self._retired.remove(retired)
                os.close(retired.fd)
        if self._current is None:
            self._current = self._open(active_name(self._app), at_end=False)
        if self._current is not None:
            self._advance(self._current, batch)
        return batch

    def follow(self, stop: threading.Event) -> Iterator[FollowBatch]:
        """Yield non-empty batches as entries arrive, until ``stop`` is set.

        Args:
            stop: Set it (from another thread) to end the iteration.

        Returns:
            A blocking iterator of batches with entries or a clear.
        """
        while not stop.is_set():
            batch = self._poll()  # the model is only built for batches worth yielding
            if batch.entries or batch.cleared:
                yield FollowBatch(
                    entries=batch.entries, cleared=batch.cleared, malformed=batch.malformed
                )
            else:
                stop.wait(self._interval)

    def close(self) -> None:
        """Close the followed files."""
        for tracked in [self._current, *self._retired]:
            if tracked is not None:
                os.close(tracked.fd)
        self._current, self._retired = None, []

    def __enter__(self) -> LogFollower:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _open(self, name: str, *, at_end: bool) -> _Tracked | None:
        try:
            fd = os.open(self._dir / name, os.O_RDONLY | _O_BINARY)
        except OSError:  # not there (yet): the next poll tries again
            return None
        stat = os.fstat(fd)
        pos = line_end(fd, stat.st_size) if at_end else 0
        generation = compute_generation(fd, stat.st_ino)
        return _Tracked(name, fd, stat.st_ino, pos, generation)

    def _advance(self, current: _Tracked, batch: _Batch) -> None:
        size = os.fstat(current.fd).st_size
        if self._truncated(current, size):
            batch.entries.clear()  # what came before the clear is gone for the reader too
            batch.cleared = True
            current.pos = 0
            current.generation = compute_generation(current.fd, current.inode)
        self._drain(current, batch, size)
        if self._path_moved(current):
            self._rotate(current, batch)

    def _truncated(self, tracked: _Tracked, size: int) -> bool:
        if size == tracked.seen_size:
            return False
        tracked.seen_size = size
        if size < tracked.pos:
            return True
        # Truncated and refilled past our position between two polls: the first line changed.
        generation = compute_generation(tracked.fd, tracked.inode)
        if tracked.generation is None:
            tracked.generation = generation
            return False
        return generation != tracked.generation

    def _drain(self, tracked: _Tracked, batch: _Batch, size: int | None = None) -> None:
        if size is None:
            size = os.fstat(tracked.fd).st_size
        if size <= tracked.pos:
            return
        end = line_end(tracked.fd, size)
        if end <= tracked.pos:
            return  # only a partial line so far
        if tracked.generation is None:
            tracked.generation = compute_generation(tracked.fd, tracked.inode)
        for chunk in chunks_forward(tracked.fd, tracked.pos, end, ScanStats()):
            if chunk.too_long:
                batch.malformed += 1
                continue
            base, buf = chunk.base, chunk.buf
            start = chunk.lo
            while start < chunk.hi:
                stop = buf.find(b"\n", start, chunk.hi)
                self._emit(tracked, base + start, buf[start:stop], batch)
                start = stop + 1
        tracked.pos = end

    def _emit(self, tracked: _Tracked, offset: int, line: bytes, batch: _Batch) -> None:
        try:
            entry = parse_line(line)
        except MalformedLineError:
            if line.strip():
                batch.malformed += 1
            return
        entry["id"] = format_id(tracked.generation or "0" * 12, offset)
        batch.entries.append(entry)

    def _path_moved(self, current: _Tracked) -> bool:
        try:
            stat = os.stat(self._active_path)
        except OSError:
            return False  # mid-rotation (renamed, not yet recreated): look again next poll
        return stat.st_ino != current.inode

    def _rotate(self, old: _Tracked, batch: _Batch) -> None:
        self._drain(old, batch)  # lines appended between our fstat and the rename come first
        old.retired_at = time.monotonic()
        self._retired.append(old)
        for name in self._rotated_since(old.inode):
            between = self._open(name, at_end=False)
            if between is not None:
                self._drain(between, batch)
                os.close(between.fd)
        self._current = self._open(active_name(self._app), at_end=False)
        if self._current is not None:
            self._drain(self._current, batch)

    def _rotated_since(self, inode: int) -> list[str]:
        """Names of rotated files newer than the file ``inode`` (now ``.k``): ``.k-1`` … ``.1``."""
        newer: list[str] = []
        for index, name in set_names(self._dir, self._app):
            if index == 0:
                continue
            try:
                if os.stat(self._dir / name).st_ino == inode:
                    return newer[::-1]
            except OSError:
                continue
            newer.append(name)
        return []  # our old file is gone: which of the others are newer cannot be told
