"""The entries around one entry in the merged timeline, unfiltered (``get_log_context``).

The older side is the engine's page before a cursor (`shared.reader.engine.newest_entries`
with ``before=<id>``). The newer side reads forward: the entry's own source from the entry's
line on (across its later files), every other source from the place its lines' times reach the
entry's time, merged by ``(timestamp, source rank)`` as the engine merges; the leading entries of
another source that the merge puts before the entry are left out.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from shared.reader.engine import (
    BISECT_SLACK,
    InvalidCursor,
    bisect_by_time,
    line_start_after,
    newest_entries,
)
from shared.reader.match import Criteria, Matcher
from shared.reader.scan import ScanStats, chunks_forward
from shared.reader.sources import OpenFile, OpenSource, format_id, open_set, parse_id
from shared.reader.textmode import is_text, text_forward
from shared.reader.timeindex import line_entries

__all__ = ["MAX_AROUND", "entries_around"]

#: Most entries asked for on either side.
MAX_AROUND = 1000
_EVERY = Matcher(Criteria())
Entry = dict[str, Any]
Key = tuple[str, int]


def entries_around(
    log_dir: Path,
    entry_id: str,
    before: int,
    after: int,
    *,
    app_name: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> tuple[list[Entry], int]:
    """Up to ``before`` entries older than ``entry_id``, the entry, and ``after`` newer ones.

    Args:
        log_dir: The log directory or file.
        entry_id: An entry id (docs/PROTOCOL.md, "Entry ids and cursors").
        before: How many older entries, 0 … `MAX_AROUND`.
        after: How many newer entries, 0 … `MAX_AROUND`.
        app_name: Only this source; None: every source.
        cancelled: Asked before each chunk is read: True calls the reading off.

    Returns:
        The entries oldest → newest, and the position of the entry itself among them.

    Raises:
        InvalidCursor: ``entry_id`` is no entry id, or points at no entry.
        CursorNotFound: Its file is no longer in the set.
        QueryCancelled: ``cancelled`` said so.
    """
    older = newest_entries(log_dir, _EVERY, before, app_name, entry_id, cancelled=cancelled)
    stats = ScanStats(cancelled=cancelled)
    newer = _newer(log_dir, entry_id, after + 1, app_name, stats)
    if not newer or newer[0]["id"] != entry_id:
        raise InvalidCursor(f"before: {entry_id!r} does not point at an entry")
    return older.entries + newer, len(older.entries)


def _newer(
    log_dir: Path, entry_id: str, count: int, app_name: str | None, stats: ScanStats
) -> list[Entry]:
    generation, offset = parse_id(entry_id.partition(".")[0])
    with open_set(log_dir, app_name) as logset:
        located = logset.locate(generation)
        if located is None:
            return []
        source, index = located
        own = _skip_until(_forward(source, index, offset, stats), entry_id)
        first = next(own, None)
        if first is None:
            return []
        key = (first["timestamp"], source.rank)
        streams: list[Iterator[Entry]] = [itertools.chain([first], own)]
        for other in logset.sources:
            if other is not source and other.files:
                start = _bisect(other, key[0])
                streams.append(_after(_forward(other, *start, stats), key, other.rank))
        ranks = {s.name: s.rank for s in logset.sources}
        merged = heapq.merge(*streams, key=lambda e: (e["timestamp"], ranks[e["origin"]]))
        return list(itertools.islice(merged, count))


def _skip_until(entries: Iterator[Entry], entry_id: str) -> Iterator[Entry]:
    """``entries`` from the one with ``entry_id`` on (earlier records of its line dropped)."""
    for entry in entries:
        if entry["id"] == entry_id:
            yield entry
            yield from entries
            return
        if entry["id"].partition(".")[0] != entry_id.partition(".")[0]:
            return  # the line holds no such record


def _after(entries: Iterator[Entry], key: Key, rank: int) -> Iterator[Entry]:
    """Drop the leading entries the merge puts before ``key``; past them the source's order
    rules (as the engine's backward merge does)."""
    for entry in entries:
        if (entry["timestamp"], rank) > key:
            yield entry
            yield from entries
            return


def _forward(source: OpenSource, index: int, offset: int, stats: ScanStats) -> Iterator[Entry]:
    for position in range(index, len(source.files)):
        item = source.files[position]
        start = offset if position == index else 0
        if item.generation is None:
            continue
        if is_text(item):
            for at, records in text_forward(item, stats):
                if at >= start:
                    yield from _with_ids(records, item, at)
            continue
        for chunk in chunks_forward(item.pread, start, item.end, stats):
            if chunk.too_long:
                continue
            at = chunk.base + chunk.lo
            for line in chunk.buf[chunk.lo : chunk.hi].split(b"\n")[:-1]:
                if line.strip():
                    yield from _with_ids(line_entries(item, at, line), item, at)
                at += len(line) + 1


def _with_ids(records: list[Entry], item: OpenFile, offset: int) -> list[Entry]:
    assert item.generation is not None
    for number, record in enumerate(records):
        record["id"] = format_id(item.generation, offset) + (f".{number}" if number else "")
        record["origin"] = item.source
    return records


def _bisect(source: OpenSource, stamp: str) -> tuple[int, int]:
    """Where in ``source`` to start reading for entries from ``stamp`` on: a little before."""
    index, item, low, _ = bisect_by_time(source, stamp, inclusive=True)
    offset = max(0, low - BISECT_SLACK)  # a little before: lines slightly out of order
    # Text entries span lines: their grouping is only known from the file's start.
    return index, 0 if offset == 0 or is_text(item) else line_start_after(item, offset)
