"""The rotated set as the commands see it: which files there are, and clearing them."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from shared.reader.match import Criteria, Matcher
from shared.reader.parse import line_records, timestamp_of_line
from shared.reader.scan import Chunk, ScanStats, candidate_lines, chunks_backward, chunks_forward
from shared.reader.sources import (
    DEFAULT_APP_NAME,
    OpenFile,
    find_sources,
    open_set,
    rotation_names,
)
from shared.reader.textmode import is_text, text_forward
from shared.writer.fileops import is_regular, open_regular, rotation_lock

__all__ = [
    "DEFAULT_APP_NAME",
    "ClearResult",
    "LogFileInfo",
    "clear_log_files",
    "log_files",
]

_EDGE_BUDGET = 1024 * 1024  # how far to look for a parseable first/last line
_EVERY_LINE = Matcher(Criteria())


class LogFileInfo(BaseModel):
    """One file of the rotated set."""

    name: str
    path: Path
    source: str
    """The source the file belongs to."""
    size: int
    """Bytes (decompressed for a gzip'd file)."""
    compressed: bool
    first_timestamp: str | None
    """Timestamp of the first parseable line (None: none in the first MiB)."""
    last_timestamp: str | None
    """Timestamp of the last parseable line (None: none in the last MiB)."""


class ClearResult(BaseModel):
    """What `clear_log_files` did."""

    files_removed: int
    bytes_cleared: int
    skipped: list[str] = Field(default_factory=list)
    """Names left alone: symbolic links and anything else that is no regular file (neither
    truncated, deleted nor followed)."""


def log_files(log_dir: Path, app_name: str | None = None) -> list[LogFileInfo]:
    """The files of every source (by source name), each source's oldest file first.

    Args:
        log_dir: The log directory (a missing one holds no files), or one log file.
        app_name: Only this source; None: every source.

    Returns:
        One entry per file.
    """
    with open_set(log_dir, app_name) as logset:
        return [
            LogFileInfo(
                name=item.name,
                path=item.path,
                source=item.source,
                size=item.size,
                compressed=item.compressed,
                first_timestamp=_edge_timestamp(item, newest=False),
                last_timestamp=_edge_timestamp(item, newest=True),
            )
            for item in logset.files
        ]


def _edge_timestamp(item: OpenFile, *, newest: bool) -> str | None:
    stats = ScanStats()
    if newest:
        chunks = chunks_backward(item.pread, item.end, stats)
    else:
        chunks = chunks_forward(item.pread, 0, item.end, stats)
    for chunk in chunks:
        lines = candidate_lines(chunk, _EVERY_LINE)
        for _offset, line in reversed(lines) if newest else lines:
            timestamp = timestamp_of_line(line)
            if timestamp is not None:
                return timestamp
        if stats.scanned_bytes >= _EDGE_BUDGET:
            break
    return None


def scan_unparsed(log_dir: Path, app_name: str | None = None, budget: int = -1) -> ScanStats:
    """Count the lines that are no record (shown raw, or skipped), newest files first.

    Counts as the query engine does: over-long lines are skipped without being loaded; blank
    lines and a half-written last line do not count; in plain text a traceback's lines belong to
    their entry.

    Args:
        log_dir: The log directory (a missing one holds no files), or one log file.
        app_name: Only this source; None: every source.
        budget: Stop once about this many bytes were read (-1: read everything); the counts are
            then lower bounds (``ScanStats.complete`` says which).

    Returns:
        The counts, and the first 200 places with their reasons.
    """
    stats = ScanStats(keep=200)
    with open_set(log_dir, app_name) as logset:
        _scan_newest_first(logset.files, stats, budget)
    return stats


def _scan_newest_first(
    files: list[OpenFile], stats: ScanStats, budget: int, memo: LineCounts | None = None
) -> None:
    for item in sorted(files, key=lambda f: os.fstat(f.fd).st_mtime, reverse=True):
        if is_text(item):
            for _entry in text_forward(item, stats):
                if 0 <= budget <= stats.scanned_bytes:
                    stats.complete = False
                    return
            continue
        if not _count_lines(item, stats, budget, memo if memo is not None else LineCounts()):
            stats.complete = False
            return


@dataclass(slots=True)
class _Counted:
    """What a file of JSON lines held up to ``end``: its raw and skipped lines."""

    end: int = 0
    raw: int = 0
    skipped: int = 0
    places: list[tuple[int, str]] = field(default_factory=list)
    tail: bytes = b""
    """The bytes just before ``end``: a file rewritten with the same first line differs here."""


class LineCounts:
    """Counts per file (inode, generation), so that polling `summarize` reads only what was
    appended since: a file's content before ``end`` does not change (a truncated file has a new
    generation; the bytes just before ``end`` are compared too). One per viewer; at most
    `COUNTED_FILES` files are remembered."""

    def __init__(self) -> None:
        self.files: dict[tuple[int, str], _Counted] = {}


COUNTED_FILES = 1024


def _tail(item: OpenFile, end: int) -> bytes:
    return item.pread(min(end, 256), max(0, end - 256))


def _count_lines(item: OpenFile, stats: ScanStats, budget: int, memo: LineCounts) -> bool:
    """Add a JSON-lines file's raw and skipped lines to ``stats``; False when the budget ended.

    The bytes counted before count towards the budget as if read again.
    """
    key = (item.inode, item.generation or "")
    before = memo.files.get(key) if item.generation else None
    if before is None or before.end > item.end or _tail(item, before.end) != before.tail:
        before = _Counted()
    stats.scanned_bytes += before.end
    local = ScanStats(keep=stats.keep)
    end, finished = before.end, True
    for chunk in chunks_forward(item.pread, before.end, item.end, local):
        _note_unparsed(item, chunk, local)
        end = chunk.base + (chunk.too_long or chunk.hi)
        if 0 <= budget <= stats.scanned_bytes + local.scanned_bytes:
            finished = False
            break
    stats.scanned_bytes += local.scanned_bytes
    # A new value, not the old one changed: two threads counting at once must not add twice.
    new_places = [(offset, reason) for _name, offset, reason in local.malformed_at]
    counted = _Counted(
        end,
        before.raw + local.raw,
        before.skipped + local.skipped,
        (before.places + new_places)[: stats.keep],
        _tail(item, end),
    )
    if item.generation:
        if len(memo.files) >= COUNTED_FILES and key not in memo.files:
            memo.files.clear()
        memo.files[key] = counted
    stats.raw += counted.raw
    stats.skipped += counted.skipped
    stats.malformed += counted.raw + counted.skipped
    room = max(0, stats.keep - len(stats.malformed_at))
    stats.malformed_at += [(item.name, offset, reason) for offset, reason in counted.places[:room]]
    return finished


def summarize(
    log_dir: Path,
    app_name: str | None = None,
    budget: int = -1,
    memo: LineCounts | None = None,
) -> dict[str, Any]:
    """What `get_log_info` tells about a log directory besides its files.

    ``memo`` (one per viewer) keeps the counts of files read before, so a page polling this
    reads only what was appended since.

    Returns:
        ``sources`` (``[{name, files, size}]``, files oldest first), ``raw`` and ``skipped``
        (see `scan_unparsed`), ``unparsed`` (the first 200 places: ``[{file, offset, reason}]``),
        ``scanned_all`` (False when the budget ended the count early) and
        ``estimated_entries`` (lines in all, from the average line length at each file's ends).
    """
    stats = ScanStats(keep=200)
    with open_set(log_dir, app_name) as logset:
        sources = [
            {
                "name": source.name,
                "files": [item.name for item in source.files],
                "size": sum(item.size for item in source.files),
            }
            for source in logset.sources
        ]
        estimate = sum(_estimate_lines(item) for item in logset.files)
        _scan_newest_first(logset.files, stats, budget, memo)
    return {
        "sources": sources,
        "raw": stats.raw,
        "skipped": stats.skipped,
        "unparsed": [
            {"file": name, "offset": offset, "reason": reason}
            for name, offset, reason in stats.malformed_at
        ],
        "scanned_all": stats.complete,
        "estimated_entries": estimate,
    }


def _note_unparsed(item: OpenFile, chunk: Chunk, stats: ScanStats) -> None:
    if chunk.too_long:
        stats.note_skipped(item.name, chunk.base, "line too long")
        return
    for offset, line in candidate_lines(chunk, _EVERY_LINE):
        if line.strip():  # blank lines are not worth a report
            _records, reason = line_records(line)
            if reason is not None:
                stats.note_raw(item.name, offset, reason)


_SAMPLE = 64 * 1024


def _estimate_lines(item: OpenFile) -> int:
    end = item.end
    if end <= 2 * _SAMPLE:
        return item.pread(end, 0).count(b"\n")
    sample = item.pread(_SAMPLE, 0) + item.pread(_SAMPLE, end - _SAMPLE)
    return round(end * sample.count(b"\n") / len(sample))


def clear_log_files(log_dir: Path, app_name: str | None = None) -> ClearResult:
    """Empty the log: truncate each source's active file in place and delete its rotations.

    Our writers' sets are cleared under their rotation lock (taken only where its file already
    exists: clearing a foreign source creates nothing). Writers keep their descriptors: with
    ``O_APPEND`` their next records land at the start of the emptied file. Only regular files
    are touched: a symbolic link (to a file outside the directory, say), a FIFO or a directory
    among the names is left as it is and named in ``skipped``; the active file is truncated
    through a descriptor opened with ``O_NOFOLLOW``, so a link swapped in meanwhile is refused.

    Args:
        log_dir: The log directory (a missing one has nothing to clear), or one log file.
        app_name: Only this source; None: every source.

    Returns:
        How many rotated files were removed, how many bytes were cleared in all, and the names
        skipped.

    Raises:
        OSError: the operating system refused (permissions).
    """
    result = ClearResult(files_removed=0, bytes_cleared=0)
    for source in find_sources(log_dir, app_name):
        with _writers_lock(source.directory / f"{source.base}.lock"):
            _clear_source(source.directory, source.base, source.names, result)
    return result


@contextlib.contextmanager
def _writers_lock(lock: Path) -> Iterator[None]:
    # Where our writers made their lock file. A link or FIFO in its place is nobody's lock: it
    # is neither opened nor created (writers refuse to rotate under it and say so).
    if not is_regular(lock):
        yield
        return
    with rotation_lock(lock):
        yield


def _clear_source(directory: Path, base: str, names: list[str], result: ClearResult) -> None:
    # Listed again under the lock: a rotation may have renamed files since the discovery. The
    # active file first, then the rotated ones newest first, as our writers' rotation goes.
    numbered = [name for _, name in rotation_names(directory, base)]
    for name in numbered + [name for name in names if name not in numbered]:
        path = directory / name
        try:
            size = _truncate(path) if name == base else _delete(path)
        except FileNotFoundError:
            continue
        if size is None:
            result.skipped.append(name)
            continue
        result.files_removed += name != base
        result.bytes_cleared += size


def _truncate(path: Path) -> int | None:
    """Empty the regular file ``path``; its former size, or None when it is no regular file."""
    try:
        fd = open_regular(str(path), os.O_WRONLY)
    except OSError:
        if os.path.lexists(path) and not is_regular(path):
            return None  # a link, a FIFO, a directory: not ours to empty
        raise  # gone meanwhile, or a file we may not write
    try:
        size = os.fstat(fd).st_size
        os.ftruncate(fd, 0)
    finally:
        os.close(fd)
    return size


def _delete(path: Path) -> int | None:
    """Delete the regular file ``path``; its size, or None when it is no regular file."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode):
        return None
    # Between the lstat and the unlink a link could take the file's place: unlink removes the
    # link itself, never its target.
    os.unlink(path)
    return info.st_size
