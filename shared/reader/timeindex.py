"""Per-file time indexes for histograms: every entry's time and kind, sorted by time.

A `TimeIndex` holds, for the entries of one file (or of one filtered set), their times as
fixed-width text (``YYYY-MM-DDTHH:MM:SS.ffffff``, 26 bytes each, sorted, so a bisection finds
any moment) and one byte per entry for its kind: level and category, or raw. Counting the entries
of a level between two moments is then a bisection and a C-level ``bytes.count``.

Lines of our writer's layout are indexed from their first bytes without JSON parsing (the
layout puts ``timestamp``, ``level`` and ``category`` first, docs/PROTOCOL.md): a regular
expression over a whole chunk takes them all, and a chunk where it does not account for every
line (another layout, a blank or broken line) is read line by line as the query engine reads
it. A line of ours broken after its category is counted at the level it shows (the engine would
show it raw, at info).
"""

from __future__ import annotations

import itertools
import operator
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from shared.reader.engine import neighbour_time
from shared.reader.parse import is_ours, line_records, parse_ours
from shared.reader.records import CATEGORY_ORDER, LEVELS, MalformedLineError
from shared.reader.scan import Chunk, ScanStats, chunks_forward
from shared.reader.sources import OpenFile
from shared.reader.textmode import is_text, text_forward

__all__ = [
    "CATEGORY_ORDER",
    "RAW",
    "STAMP",
    "TimeIndex",
    "index_chunk",
    "index_entries",
    "index_file",
    "line_entries",
    "sorted_index",
]

#: Bytes of one time in an index: ``YYYY-MM-DDTHH:MM:SS.ffffff`` (UTC; the ``Z`` dropped).
STAMP = 26
_CATEGORY = {name: index for index, name in enumerate(CATEGORY_ORDER)}
#: The kind byte of a raw entry (no record could be read: level info, category unknown).
RAW = len(LEVELS) * len(CATEGORY_ORDER)
#: Our layout's first keys; group 2 spells level and category, the kind's key.
_OURS = (
    rb'\{"timestamp":"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6})Z",'
    rb'"level":"((?:trace|debug|info|warn|error)","category":"[a-z]+)"'
)
_CHUNK_LINE = re.compile(rb"\n" + _OURS)
_ONE_LINE = re.compile(_OURS)
#: Bytes read at a time while looking for the end of a line.
_PROBE = 4096
_KIND = {
    f'{level}","category":"{category}'.encode(): li * len(CATEGORY_ORDER) + ci
    for li, level in enumerate(LEVELS)
    for ci, category in enumerate(CATEGORY_ORDER)
}


def kind_of(entry: dict[str, object]) -> int:
    """The kind byte of a parsed entry."""
    if entry.get("raw"):
        return RAW
    level = LEVELS.index(str(entry.get("level"))) if entry.get("level") in LEVELS else 2
    category = _CATEGORY.get(str(entry.get("category")), _CATEGORY["unknown"])
    return level * len(CATEGORY_ORDER) + category


@dataclass(slots=True, frozen=True)
class TimeIndex:
    """Entries' times (sorted, `STAMP` bytes each) and kinds (one byte each).

    Attributes:
        stamps: The times, concatenated.
        kinds: The kind of each, in the same order.
        end: For a file: the offset up to which it was read.
        tail: For a file: its bytes just before ``end`` (a rewritten file differs there).
    """

    stamps: bytes
    kinds: bytes
    end: int = 0
    tail: bytes = b""

    def __len__(self) -> int:
        return len(self.kinds)

    def stamp(self, index: int) -> bytes:
        """The time of entry ``index``."""
        return self.stamps[index * STAMP : (index + 1) * STAMP]

    def bisect(self, moment: bytes, *, right: bool = False) -> int:
        """How many entries are before ``moment`` (``right``: at or before it)."""
        low, high = 0, len(self.kinds)
        while low < high:
            middle = (low + high) // 2
            found = self.stamps[middle * STAMP : (middle + 1) * STAMP]
            if found < moment or (right and found == moment):
                low = middle + 1
            else:
                high = middle
        return low


def _sorted_index(stamps: list[bytes], kinds: list[int], end: int, tail: bytes) -> TimeIndex:
    if not all(map(operator.le, stamps, itertools.islice(stamps, 1, None))):
        # Several processes appending to one file write a little out of order.
        order = sorted(range(len(stamps)), key=stamps.__getitem__)
        stamps, kinds = [stamps[i] for i in order], [kinds[i] for i in order]
    return TimeIndex(b"".join(stamps), bytes(kinds), end, tail)


def index_entries(entries: Iterable[dict[str, object]]) -> TimeIndex:
    """The index of parsed entries (a filtered set: see `shared.reader.histogram`)."""
    stamps: list[bytes] = []
    kinds: list[int] = []
    for entry in entries:
        stamp = _stamp(entry.get("timestamp"))
        if stamp is not None:
            stamps.append(stamp)
            kinds.append(kind_of(entry))
    return _sorted_index(stamps, kinds, 0, b"")


def _stamp(value: object) -> bytes | None:
    if not isinstance(value, str) or len(value) != STAMP + 1:
        return None
    return value[:STAMP].encode("latin-1", "replace")


def index_file(
    item: OpenFile, stats: ScanStats, start: int = 0, *, piece: int | None = None
) -> TimeIndex:
    """The index of ``item``'s entries from ``start`` (a line start) to its end.

    Args:
        item: The file.
        stats: Counts what was read; its ``cancelled`` is asked before each chunk.
        start: Where to begin (a line start).
        piece: Read in chunks of about this many bytes (None: the scanner's own, up to 1 MiB);
            a background indexer reads small ones, to hold the interpreter briefly each time.

    Raises:
        QueryCancelled: ``stats.cancelled`` said so (checked before each chunk).
    """
    stamps: list[bytes] = []
    kinds: list[int] = []
    if is_text(item):
        for _offset, records in text_forward(item, stats):
            for record in records:
                _append(record, stamps, kinds)
    else:
        for chunk in _pieces(item, start, stats, piece):
            index_chunk(item, chunk, stamps, kinds)
    tail = item.pread(min(item.end, 256), max(0, item.end - 256))
    return _sorted_index(stamps, kinds, item.end, tail)


def index_chunk(item: OpenFile, chunk: Chunk, stamps: list[bytes], kinds: list[int]) -> None:
    """Add the times and kinds of a chunk's lines (``item``'s) to ``stamps`` and ``kinds``."""
    if not chunk.too_long and not _fast_chunk(chunk, stamps, kinds):
        _slow_chunk(item, chunk, stamps, kinds)


def sorted_index(stamps: list[bytes], kinds: list[int]) -> TimeIndex:
    """The index of these times and kinds (sorted by time here)."""
    return _sorted_index(stamps, kinds, 0, b"")


def _pieces(item: OpenFile, start: int, stats: ScanStats, piece: int | None) -> Iterator[Chunk]:
    if piece is None:
        yield from chunks_forward(item.pread, start, item.end, stats)
        return
    while start < item.end:
        stop = _line_after(item, min(start + piece, item.end))
        yield from chunks_forward(item.pread, start, stop, stats)
        start = stop


def _line_after(item: OpenFile, pos: int) -> int:
    """The first line start after ``pos`` (the file's end when there is none)."""
    while pos < item.end:
        block = item.pread(min(_PROBE, item.end - pos), pos)
        newline = block.find(b"\n")
        if newline >= 0:
            return pos + newline + 1
        if not block:
            break
        pos += len(block)
    return item.end


def _append(record: dict[str, object], stamps: list[bytes], kinds: list[int]) -> None:
    stamp = _stamp(record.get("timestamp"))
    if stamp is not None:
        stamps.append(stamp)
        kinds.append(kind_of(record))


def _fast_chunk(chunk: Chunk, stamps: list[bytes], kinds: list[int]) -> bool:
    """Index a chunk of lines all in our layout at C speed; False (nothing added) otherwise."""
    view = b"\n" + chunk.buf[chunk.lo : chunk.hi]
    lines = view.count(b"\n") - 1
    if view.count(b"}\n") != lines:  # a blank, cut or foreign line: read line by line
        return False
    found = _CHUNK_LINE.findall(view)
    if len(found) != lines:
        return False
    try:
        new_kinds = list(map(_KIND.__getitem__, map(operator.itemgetter(1), found)))
    except KeyError:  # a category newer than this reader: shown as unknown, as the engine does
        return False
    stamps.extend(map(operator.itemgetter(0), found))
    kinds.extend(new_kinds)
    return True


def _slow_chunk(item: OpenFile, chunk: Chunk, stamps: list[bytes], kinds: list[int]) -> None:
    offset = chunk.base + chunk.lo
    for line in chunk.buf[chunk.lo : chunk.hi].split(b"\n")[:-1]:
        match = _ONE_LINE.match(line) if line.endswith(b"}") else None
        kind = _KIND.get(match.group(2)) if match is not None else None
        if match is not None and kind is not None:
            stamps.append(match.group(1))
            kinds.append(kind)
        elif line.strip():
            for record in line_entries(item, offset, line):
                _append(record, stamps, kinds)
        offset += len(line) + 1


def line_entries(item: OpenFile, offset: int, line: bytes) -> list[dict[str, object]]:
    """The entries of one line, as the query engine reads them (timeless: the time before)."""
    if is_ours(line):
        try:
            return [parse_ours(line)]
        except MalformedLineError:
            pass
    records, _reason = line_records(line)
    if any(record["timestamp"] is None for record in records):
        stamp = neighbour_time(item, offset)
        for record in records:
            record["timestamp"] = record["timestamp"] or stamp
    return records


def extend(before: TimeIndex, after: TimeIndex) -> TimeIndex:
    """``before`` followed by ``after`` (what was appended to the file since), still sorted."""
    if not after.kinds:
        return TimeIndex(before.stamps, before.kinds, after.end, after.tail)
    if not before.kinds or before.stamp(len(before) - 1) <= after.stamp(0):
        return TimeIndex(
            before.stamps + after.stamps, before.kinds + after.kinds, after.end, after.tail
        )
    both = [before, after]
    stamps = [index.stamp(i) for index in both for i in range(len(index))]
    return _sorted_index(stamps, [k for index in both for k in index.kinds], after.end, after.tail)
