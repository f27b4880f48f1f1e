"""The rotated set as the commands see it: which files there are, and clearing them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from pydantic import BaseModel

from shared._fileops import rotation_lock
from shared._logset import DEFAULT_APP_NAME, OpenFile, lock_name, open_set, set_names
from shared._match import Criteria, Matcher
from shared._parse import MalformedLineError, parse_line
from shared._scan import Chunk, ScanStats, candidate_lines, chunks_backward, chunks_forward

__all__ = [
    "DEFAULT_APP_NAME",
    "ClearResult",
    "LogFileInfo",
    "clear_log_files",
    "count_malformed",
    "log_files",
]

_EDGE_BUDGET = 1024 * 1024  # how far to look for a parseable first/last line
_EVERY_LINE = Matcher(Criteria())


class LogFileInfo(BaseModel):
    """One file of the rotated set."""

    name: str
    path: Path
    size: int
    first_timestamp: str | None
    """Timestamp of the first parseable line (None: none in the first MiB)."""
    last_timestamp: str | None
    """Timestamp of the last parseable line (None: none in the last MiB)."""


class ClearResult(BaseModel):
    """What `clear_log_files` did."""

    files_removed: int
    bytes_cleared: int


def log_files(log_dir: Path, app_name: str = DEFAULT_APP_NAME) -> list[LogFileInfo]:
    """The files of the rotated set, oldest → newest (``.N`` … ``.1``, then the active file).

    Args:
        log_dir: The log directory; a missing one holds no files.
        app_name: Selects ``<app_name>.log`` and its rotated files.

    Returns:
        One entry per file.
    """
    with open_set(log_dir, app_name) as logset:
        return [
            LogFileInfo(
                name=item.name,
                path=item.path,
                size=item.size,
                first_timestamp=_edge_timestamp(item, newest=False),
                last_timestamp=_edge_timestamp(item, newest=True),
            )
            for item in logset.files
        ]


def _edge_timestamp(item: OpenFile, *, newest: bool) -> str | None:
    stats = ScanStats()
    if newest:
        chunks = chunks_backward(item.fd, item.end, stats)
    else:
        chunks = chunks_forward(item.fd, 0, item.end, stats)
    for chunk in chunks:
        lines = candidate_lines(chunk, _EVERY_LINE)
        for _offset, line in reversed(lines) if newest else lines:
            with contextlib.suppress(MalformedLineError):
                timestamp: str = parse_line(line)["timestamp"]
                return timestamp
        if stats.scanned_bytes >= _EDGE_BUDGET:
            break
    return None


def count_malformed(log_dir: Path, app_name: str = DEFAULT_APP_NAME, budget: int = -1) -> int:
    """Count the malformed lines of the set, newest file first, as the query engine counts them.

    Over-long lines count without being loaded; blank lines and a half-written last line do not.

    Args:
        log_dir: The log directory; a missing one holds no files.
        app_name: Selects ``<app_name>.log`` and its rotated files.
        budget: Stop once about this many bytes were read (-1: read everything); the count is
            then a lower bound.

    Returns:
        The number of malformed lines met.
    """
    stats = ScanStats()
    with open_set(log_dir, app_name) as logset:
        for item in reversed(logset.files):
            for chunk in chunks_forward(item.fd, 0, item.end, stats):
                _note_malformed(item, chunk, stats)
                if 0 <= budget <= stats.scanned_bytes:
                    return stats.malformed
    return stats.malformed


def _note_malformed(item: OpenFile, chunk: Chunk, stats: ScanStats) -> None:
    if chunk.too_long:
        stats.note_malformed(item.name, chunk.base, "line too long")
        return
    for offset, line in candidate_lines(chunk, _EVERY_LINE):
        if line.strip():  # blank lines are not worth a report
            try:
                parse_line(line)
            except MalformedLineError as exc:
                stats.note_malformed(item.name, offset, exc.reason)


def clear_log_files(log_dir: Path, app_name: str = DEFAULT_APP_NAME) -> ClearResult:
    """Empty the log: truncate the active file in place and delete the rotated files.

    Runs under the writers' rotation lock. Writers keep their descriptors: with ``O_APPEND`` their
    next records land at the start of the emptied file.

    Args:
        log_dir: The log directory; a missing one has nothing to clear.
        app_name: Selects ``<app_name>.log`` and its rotated files.

    Returns:
        How many rotated files were removed and how many bytes were cleared in all.

    Raises:
        OSError: the operating system refused (permissions).
    """
    if not log_dir.is_dir():
        return ClearResult(files_removed=0, bytes_cleared=0)
    removed = cleared = 0
    with rotation_lock(log_dir / lock_name(app_name)):  # the writers' own lock protocol
        for index, name in set_names(log_dir, app_name):
            path = log_dir / name
            try:
                size = path.stat().st_size
                if index == 0:
                    os.truncate(path, 0)
                else:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
            cleared += size
    return ClearResult(files_removed=removed, bytes_cleared=cleared)
