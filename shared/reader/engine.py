"""The query engine: the last N matching entries of a log directory, and the whole timeline.

Each source (a base file and its rotations, see `shared.reader.sources`) is read on its own, its
files in order and each file backwards (or forwards) in chunks with the byte-level prefilters of
`shared.reader.scan`. The sources merge into one timeline by ``(timestamp, source rank)``, a k-way
merge that keeps each source's own order, so equal or missing times never reorder a file.

Every non-blank line yields at least one entry: what cannot be parsed is a *raw* entry (see
`shared.reader.formats.text.raw_record`) carrying the time of the nearest earlier line that has one.

Pydantic-free (the command line imports it directly); `shared.reader.query` wraps it in the public
models.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.reader.match import Matcher
from shared.reader.parse import is_ours, line_records, parse_ours, timestamp_of_line
from shared.reader.records import MalformedLineError
from shared.reader.scan import (
    Chunk,
    ScanStats,
    candidate_lines,
    chunks_backward,
    chunks_forward,
    sieved_backward,
)
from shared.reader.sources import LogSet, OpenFile, OpenSource, format_id, open_set, parse_id
from shared.reader.textmode import is_text, level_words, text_backward, text_forward

#: How far before a line without a time to look for the time of an earlier line.
TIME_LOOKAROUND = 64 * 1024
#: Past a cursor, how much of another source is re-read around the bisected point, so a few
#: lines out of time order near it are still placed as the merge would place them.
BISECT_SLACK = 64 * 1024

Key = tuple[str, int]


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


@dataclass(slots=True)
class _Start:
    """Where a source's backward scan starts: file index, offset, and what to leave out."""

    index: int
    end: int
    below: Key | None = None  # skip the leading entries whose key is not below this
    skip_from: int | None = None  # in the line at ``end``: only records before this index


def newest_entries(
    log_dir: Path,
    matcher: Matcher,
    limit: int,
    app_name: str | None = None,
    before: str | None = None,
    *,
    cancelled: Callable[[], bool] | None = None,
) -> Page:
    """The last ``limit`` entries matching ``matcher``, scanning every source backwards.

    Args:
        log_dir: The log directory or file (missing: no entries).
        matcher: The compiled criteria.
        limit: How many entries at most (0 returns none).
        app_name: Only this source; None: all of them.
        before: An entry id: only entries strictly older than it in the timeline.
        cancelled: Asked before each chunk: True calls the scan off.

    Returns:
        The page, entries oldest → newest.

    Raises:
        InvalidCursor: ``before`` is malformed.
        CursorNotFound: ``before`` names a file no longer in the set.
        QueryCancelled: ``cancelled`` said so.
    """
    stats = ScanStats(cancelled=cancelled)
    with open_set(log_dir, app_name) as logset:
        starts = _starts(logset, before, stats)
        empty = all(start.end == 0 and start.index <= 0 for start in starts.values())
        if matcher.impossible or limit <= 0:
            return Page([], reached_start=matcher.impossible or empty, stats=stats)
        streams = [
            _Stream(source, starts[source.rank], matcher, stats) for source in logset.sources
        ]
        found: list[dict[str, Any]] = []
        if len(streams) == 1:  # nothing to merge: take the source's entries as they come
            found = streams[0].take_up_to(limit)
        while len(found) < limit:
            best = _best(streams)
            if best is None:
                break
            found.append(best.take())
        found.reverse()
        return Page(found, all(stream.at_start() for stream in streams), stats)


class _Stream:
    """One source's entries newest first, with a head pulled only when needed."""

    def __init__(self, source: OpenSource, start: _Start, matcher: Matcher, stats: ScanStats):
        self.source = source
        self.position = (start.index, start.end)  # of the last entry pulled
        self._entries = _backward(self, start, matcher, stats)
        self.head: dict[str, Any] | None = None
        self.done = False

    def at_start(self) -> bool:
        """Whether nothing older is left (without reading further)."""
        if self.done:
            return True
        index, offset = self.position
        files = self.source.files
        return self.head is None and offset == 0 and all(f.end == 0 for f in files[:index])

    def peek(self) -> dict[str, Any] | None:
        if self.head is None and not self.done:
            self.head = next(self._entries, None)
            self.done = self.head is None
        return self.head

    def take_up_to(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` entries at once (for a single source: no merge)."""
        taken = list(itertools.islice(self._entries, limit))
        self.done = len(taken) < limit
        return taken

    def take(self) -> dict[str, Any]:
        head = self.head
        assert head is not None
        self.head = None
        return head


def _best(streams: list[_Stream]) -> _Stream | None:
    best: _Stream | None = None
    best_key: Key | None = None
    for rank, stream in enumerate(streams):
        head = stream.peek()
        if head is not None and (best_key is None or (head["timestamp"], rank) > best_key):
            best, best_key = stream, (head["timestamp"], rank)
    return best


def all_entries(
    log_dir: Path,
    matcher: Matcher,
    app_name: str | None = None,
    stats: ScanStats | None = None,
) -> Iterator[dict[str, Any]]:
    """Every entry matching ``matcher``, oldest → newest, streaming chunk by chunk.

    The set is opened on the first ``next()`` and closed when the iterator ends or is closed.
    """
    stats = stats if stats is not None else ScanStats()
    if matcher.impossible:
        return
    with open_set(log_dir, app_name) as logset:
        streams = [_forward(source, matcher, stats) for source in logset.sources]
        if len(streams) == 1:
            yield from streams[0]
            return
        ranks = {source.name: source.rank for source in logset.sources}
        yield from heapq.merge(*streams, key=lambda e: (e["timestamp"], ranks[e["origin"]]))


def _backward(
    stream: _Stream, start: _Start, matcher: Matcher, stats: ScanStats
) -> Iterator[dict[str, Any]]:
    source, below = stream.source, start.below
    for position in range(start.index, -1, -1):
        item = source.files[position]
        first = position == start.index
        end = start.end if first else item.end
        for offset, found in _file_backward(item, end, matcher, stats):
            cut = first and start.skip_from is not None and offset == start.end
            for entry in reversed(found[: start.skip_from] if cut else found):
                if below is not None:
                    if (entry["timestamp"], source.rank) >= below:
                        continue
                    below = None  # only the leading run: past it, the source's order rules
                stream.position = (position, offset)
                yield entry


def _forward(source: OpenSource, matcher: Matcher, stats: ScanStats) -> Iterator[dict[str, Any]]:
    for item in source.files:
        if is_text(item):
            for offset, records in text_forward(item, stats):
                yield from _matching(records, offset, item, matcher)
            continue
        for chunk in chunks_forward(item.pread, 0, item.end, stats):
            for offset, line in _chunk_lines(chunk, matcher, item, stats):
                yield from _evaluate(line, offset, item, matcher, stats)


def _file_backward(
    item: OpenFile, end: int, matcher: Matcher, stats: ScanStats
) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """``(offset, matching entries of the line or text entry there)``, newest first."""
    if is_text(item):
        words = level_words(matcher.levels)
        for offset, records in text_backward(item, end, stats, words, matcher.search_anchor):
            yield offset, _matching(records, offset, item, matcher)
        return
    anchor = matcher.search_anchor
    chunks = (
        chunks_backward(item.pread, end, stats)
        if anchor is None or item.compressed
        else sieved_backward(item.fd, item.pread, end, stats, anchor.in_range)
    )
    for chunk in chunks:
        for offset, line in reversed(_chunk_lines(chunk, matcher, item, stats)):
            yield offset, _evaluate(line, offset, item, matcher, stats)


def _chunk_lines(
    chunk: Chunk, matcher: Matcher, item: OpenFile, stats: ScanStats
) -> list[tuple[int, bytes]]:
    if chunk.too_long:
        stats.note_skipped(item.name, chunk.base, f"line too long ({chunk.too_long} bytes)")
        return []
    return candidate_lines(chunk, matcher, ours_only=ours_only(item))


#: How much of a file decides whether it is our writer's (`ours_only`).
OURS_SNIFF = 64 * 1024


def ours_only(item: OpenFile) -> bool:
    """Whether ``item`` is a file of our writer's: its first 64 KiB is all in our layout.

    Such a file is scanned on the cheap path of `shared.reader.scan.candidate_lines`: a line there
    that begins like ours is taken to be ours (another writer appending to our file in a layout that
    begins like ours is not expected). Remembered (`OpenFile.sniff`).
    """
    if item.ours is None:
        item.ours = item.sniff("ours", OURS_SNIFF, _all_ours)
    return item.ours


def _all_ours(head: bytes) -> bool:
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()]
    return bool(lines) and all(map(is_ours, lines))


def _evaluate(
    line: bytes, offset: int, item: OpenFile, matcher: Matcher, stats: ScanStats
) -> list[dict[str, Any]]:
    generation = item.generation
    if generation is None or not matcher.precheck(line):
        return []
    if is_ours(line):  # the common case, without the layers below
        try:
            entry = parse_ours(line)
        except MalformedLineError:
            pass
        else:
            if not matcher.matches(entry):
                return []
            entry["id"] = f"{generation}-{offset:x}"
            entry["origin"] = item.source
            return [entry]
    if not line.strip():
        return []
    records, reason = line_records(line)
    if reason is not None:
        stats.note_raw(item.name, offset, reason)
    timeless = [entry for entry in records if entry["timestamp"] is None]
    if timeless and matcher.bounds_time:  # the time decides: find it first
        _take_neighbour_time(timeless, item, offset)
    matched = _matching(records, offset, item, matcher)
    # Else only the entries returned need it (a line without a time looks back up to 64 KiB).
    _take_neighbour_time([e for e in matched if e["timestamp"] is None], item, offset)
    return matched


def _take_neighbour_time(entries: list[dict[str, Any]], item: OpenFile, offset: int) -> None:
    if entries:
        stamp = neighbour_time(item, offset)
        for entry in entries:
            entry["timestamp"] = stamp


def _matching(
    records: list[dict[str, Any]], offset: int, item: OpenFile, matcher: Matcher
) -> list[dict[str, Any]]:
    matched = []
    for index, entry in enumerate(records):
        if item.generation is None or not matcher.matches(entry):
            continue
        entry["id"] = format_id(item.generation, offset) + (f".{index}" if index else "")
        entry["origin"] = item.source
        matched.append(entry)
    return matched


def neighbour_time(item: OpenFile, offset: int) -> str:
    """The time of the nearest line before ``offset`` that has one (else the file's mtime).

    Only ``TIME_LOOKAROUND`` bytes back are searched: a raw line further from any time gets the
    mtime, as the follower (which reads forward) would give it.
    """
    start = max(0, offset - TIME_LOOKAROUND)
    before = item.pread(offset - start, start).split(b"\n")
    if start:
        before = before[1:]  # the first piece is the tail of a line cut by the window
    for line in reversed(before):
        stamp = timestamp_of_line(line)
        if stamp is not None:
            return stamp
    return item.mtime_text()


def _starts(logset: LogSet, before: str | None, stats: ScanStats) -> dict[int, _Start]:
    """Where each source's scan starts: its end, or just before the cursor in the timeline."""
    starts = {
        source.rank: _Start(len(source.files) - 1, source.files[-1].end if source.files else 0)
        for source in logset.sources
    }
    if before is None:
        return starts
    generation, offset, record = _parse_cursor(before)
    located = logset.locate(generation)
    if located is None:
        raise CursorNotFound(f"before: the file of entry {before!r} is no longer in the log set")
    source, index = located
    item = source.files[index]
    if offset > item.end or (offset > 0 and item.pread(1, offset - 1) != b"\n"):
        raise InvalidCursor(f"before: {before!r} does not point at a line")
    if record:
        stop = item.pread(min(item.end - offset, 16 * 1024 * 1024), offset).find(b"\n")
        starts[source.rank] = _Start(index, offset + stop + 1, skip_from=record)
    else:
        starts[source.rank] = _Start(index, offset)
    if len(logset.sources) > 1:
        key = (_time_at(item, offset), source.rank)
        for other in logset.sources:
            if other is not source and other.files:
                starts[other.rank] = _bisect(other, key, stats)
    return starts


def _parse_cursor(before: str) -> tuple[str, int, int]:
    text, _, record = before.partition(".")
    try:
        generation, offset = parse_id(text)
        if record and (not record.isdigit() or len(record) > 6 or record == "0"):
            raise ValueError(f"not an entry id: {before!r}")
    except ValueError as exc:
        raise InvalidCursor(f"before: {exc}") from None
    return generation, offset, int(record or 0)


def _time_at(item: OpenFile, offset: int) -> str:
    line = item.pread(min(item.end - offset, 16 * 1024 * 1024), offset).split(b"\n", 1)[0]
    return timestamp_of_line(line) or neighbour_time(item, offset)


def _bisect(source: OpenSource, key: Key, stats: ScanStats) -> _Start:
    """Start of a source's scan for entries before ``key``: where the merge had got to.

    Files (then offsets) are bisected by their lines' times, which finds the exact place in a
    source written in time order; a little later is re-read, and leading entries not before
    ``key`` are skipped, so lines slightly out of order near it are placed as the merge would.
    """
    index, item, _, high = bisect_by_time(source, key[0], inclusive=False)
    end = _line_start_after(item, min(item.end, high + BISECT_SLACK))
    return _Start(index, end, below=key)


def bisect_by_time(
    source: OpenSource, stamp: str, *, inclusive: bool
) -> tuple[int, OpenFile, int, int]:
    """Where ``stamp`` falls in ``source``, by its lines' times: ``(file index, file, low,
    high)``, the offsets at most `BISECT_SLACK` apart, lines before ``low`` older than
    ``stamp`` and lines from ``high`` on newer (or, ``inclusive``, at least as new).

    Exact for a source written in time order; callers re-read a little around it for lines
    slightly out of order.
    """
    index = len(source.files) - 1
    while index > 0 and (_time_after(source.files[index], 0) or "") > stamp:
        index -= 1
    item = source.files[index]
    low, high = 0, item.end
    while high - low > BISECT_SLACK:
        middle = (low + high) // 2
        found = _time_after(item, middle)
        if found is None or found > stamp or (inclusive and found == stamp):
            high = middle
        else:
            low = middle
    return index, item, low, high


def line_start_after(item: OpenFile, offset: int) -> int:
    """The start of the first line at or after ``offset`` (the file's end when none)."""
    return _line_start_after(item, offset)


def _time_after(item: OpenFile, offset: int) -> str | None:
    """The time of the first line that has one, at or after the line start after ``offset``."""
    block = item.pread(min(TIME_LOOKAROUND, item.end - offset), offset)
    lines = block.split(b"\n")[:-1]
    if offset:
        lines = lines[1:]
    for line in lines:
        stamp = timestamp_of_line(line)
        if stamp is not None:
            return stamp
    return None


def _line_start_after(item: OpenFile, offset: int) -> int:
    if offset >= item.end or offset == 0:
        return min(offset, item.end)
    if item.pread(1, offset - 1) == b"\n":
        return offset
    newline = item.pread(min(16 * 1024 * 1024, item.end - offset), offset).find(b"\n")
    return item.end if newline < 0 else offset + newline + 1
