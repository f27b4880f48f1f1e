"""The query engine: the last N matching entries of a rotated set, and the whole set in order.

Pydantic-free (the command line imports it directly); `shared._query` wraps it in the public
models.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared._logset import DEFAULT_APP_NAME, LogSet, OpenFile, format_id, open_set, parse_id
from shared._match import Matcher
from shared._parse import MalformedLineError, parse_line
from shared._scan import Chunk, ScanStats, candidate_lines, chunks_backward, chunks_forward


class InvalidCursor(ValueError):
    """``before`` is not an entry id (or does not point at a line)."""


class CursorNotFound(LookupError):
    """``before`` names a file that no longer exists (rotated away or cleared)."""


@dataclass(slots=True)
class Page:
    """One answer of `newest_entries`: entries oldest → newest, and what the scan met."""

    entries: list[dict[str, Any]]
    reached_start: bool
    stats: ScanStats = field(default_factory=ScanStats)


def newest_entries(
    log_dir: Path,
    matcher: Matcher,
    limit: int,
    app_name: str = DEFAULT_APP_NAME,
    before: str | None = None,
) -> Page:
    """The last ``limit`` entries matching ``matcher``, scanning the set backwards.

    Args:
        log_dir: The log directory (missing: no entries).
        matcher: The compiled criteria.
        limit: How many entries at most (0 returns none).
        app_name: The set's application name.
        before: An entry id: only entries strictly older than it.

    Returns:
        The page, entries oldest → newest.

    Raises:
        InvalidCursor: ``before`` is malformed.
        CursorNotFound: ``before`` names a file no longer in the set.
    """
    stats = ScanStats()
    with open_set(log_dir, app_name) as logset:
        index, end = _start(logset, before)
        if matcher.impossible or limit <= 0:
            return Page([], reached_start=matcher.impossible or index < 0, stats=stats)
        found: list[dict[str, Any]] = []
        for position in range(index, -1, -1):
            item = logset.files[position]
            for chunk in chunks_backward(item.fd, end if position == index else item.end, stats):
                for offset, line in reversed(_chunk_lines(chunk, matcher, item, stats)):
                    entry = _evaluate(line, offset, item, matcher, stats)
                    if entry is None:
                        continue
                    found.append(entry)
                    if len(found) == limit:
                        found.reverse()
                        return Page(found, _nothing_before(logset, position, offset), stats)
        found.reverse()
        return Page(found, True, stats)


def all_entries(
    log_dir: Path,
    matcher: Matcher,
    app_name: str = DEFAULT_APP_NAME,
    stats: ScanStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Every entry matching ``matcher``, oldest → newest, streaming chunk by chunk.

    The set is opened on the first ``next()`` and closed when the iterator ends or is closed.
    """
    stats = stats if stats is not None else ScanStats()
    if matcher.impossible:
        return
    with open_set(log_dir, app_name) as logset:
        for item in logset.files:
            for chunk in chunks_forward(item.fd, 0, item.end, stats):
                for offset, line in _chunk_lines(chunk, matcher, item, stats):
                    entry = _evaluate(line, offset, item, matcher, stats)
                    if entry is not None:
                        yield entry


def _chunk_lines(
    chunk: Chunk, matcher: Matcher, item: OpenFile, stats: ScanStats
) -> list[tuple[int, bytes]]:
    if chunk.too_long:
        stats.note_malformed(item.name, chunk.base, f"line too long ({chunk.too_long} bytes)")
        return []
    return candidate_lines(chunk, matcher)


def _evaluate(
    line: bytes, offset: int, item: OpenFile, matcher: Matcher, stats: ScanStats
) -> dict[str, Any] | None:
    if not matcher.precheck(line):
        return None
    try:
        entry = parse_line(line)
    except MalformedLineError as exc:
        if line.strip():  # blank lines are not worth a report
            stats.note_malformed(item.name, offset, exc.reason)
        return None
    if not matcher.matches(entry) or item.generation is None:
        return None
    entry["id"] = format_id(item.generation, offset)
    return entry


def _start(logset: LogSet, before: str | None) -> tuple[int, int]:
    """Index of the file to start in and the offset to scan back from."""
    files = logset.files
    if before is None:
        return (len(files) - 1, files[-1].end) if files else (-1, 0)
    try:
        generation, offset = parse_id(before)
    except ValueError as exc:
        raise InvalidCursor(f"before: {exc}") from None
    index = logset.find_generation(generation)
    if index is None:
        raise CursorNotFound(f"before: the file of entry {before!r} is no longer in the log set")
    item = files[index]
    if offset > item.end or (offset > 0 and os.pread(item.fd, 1, offset - 1) != b"\n"):
        raise InvalidCursor(f"before: {before!r} does not point at a line")
    return index, offset


def _nothing_before(logset: LogSet, position: int, offset: int) -> bool:
    return offset == 0 and all(item.end == 0 for item in logset.files[:position])
