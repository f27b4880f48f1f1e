"""`msc-logs ship`'s history: a source's records from a `Position` on, file after file.

Reads one source of an open snapshot (`shared.reader.sources.open_set`) forward in chunks,
never whole, with the reader's own parsing: our JSON lines, every foreign format, plain-text
entries grouped as the query engine groups them, and lines that are no record as raw entries.
Entries get the ids the reader gives them (``<generation>-<offset hex>[.<index>]``), so a
`Position` can be taken from any entry, whether it came from here or from the follower.

Where the history ends: each file's end in the snapshot, or a hand-over point ``(inode,
offset)`` where the follower began (`shared.reader.follow.LogFollower.start_points`) — files
newer than that are the follower's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from backend._ship_state import Position
from shared.reader.engine import neighbour_time
from shared.reader.parse import line_records
from shared.reader.scan import ScanStats, chunks_forward
from shared.reader.sources import OpenFile, OpenSource, format_id
from shared.reader.textmode import Grouper, is_text

__all__ = ["source_history"]

Note = Callable[[str], None]


def source_history(
    source: OpenSource,
    position: Position | None,
    stats: ScanStats,
    note: Note,
    until: tuple[int, int] | None = None,
) -> Iterator[dict[str, Any]]:
    """The records of ``source`` after ``position`` (all of them when None), oldest first.

    Args:
        source: One source of an open snapshot.
        position: Where the last acknowledged record was; when its file is gone (rotated out
            of the set, cleared), reading starts at the oldest file left and ``note`` says so.
        stats: Counts lines shipped raw and lines skipped (too long).
        note: Takes a message for stderr.
        until: ``(inode, offset)``: stop there (files newer than that inode are not read;
            when no file has that inode, nothing is); None: read every file to its end.

    Returns:
        Entries with ``id`` and ``origin`` (the source name).
    """
    files = source.files
    first, offset, skip = _start(source, position, note)
    if until is not None:
        stop = next((i for i, item in enumerate(files) if item.inode == until[0]), None)
        files = [] if stop is None else files[: stop + 1]
    for index in range(first, len(files)):
        item = files[index]
        end = item.end
        if until is not None and item.inode == until[0]:
            end = min(end, until[1])
        begin, drop = (offset, skip) if index == first else (0, 0)
        yield from file_entries(item, begin, end, drop, stats)


def _start(source: OpenSource, position: Position | None, note: Note) -> tuple[int, int, int]:
    """``(file index, offset, records to drop there)`` where reading resumes."""
    if position is None or not source.files:
        return 0, 0, 0
    files = source.files
    found = next((i for i, f in enumerate(files) if f.generation == position.generation), None)
    if found is None:
        # The same first line under another inode: the file was compressed or copied aside.
        crc = position.generation[4:]
        same = [i for i, f in enumerate(files) if f.generation and f.generation[4:] == crc]
        found = same[0] if len(same) == 1 else None
    if found is None:
        shipped = position.file or f"generation {position.generation}"
        note(
            f"source {source.name}: the file shipped last ({shipped}, records up to"
            f" {position.time}) is no longer in the log: it was rotated out of the set or the"
            f" log was cleared while ship was not running; records written to it after that"
            f" point are lost. Shipping from the oldest file left, {files[0].name}."
        )
        return 0, 0, 0
    if position.offset > files[found].end:
        note(
            f"source {source.name}: {files[found].name} is shorter than the position shipped"
            f" last ({position.offset} bytes): it was truncated; shipping it from its start."
        )
        return found, 0, 0
    return found, position.offset, position.skip


def file_entries(
    item: OpenFile, start: int, end: int, skip: int, stats: ScanStats
) -> Iterator[dict[str, Any]]:
    """The entries of ``item`` in ``[start, end)`` (line starts), less the first ``skip``
    records of the line or text entry at ``start``."""
    if item.generation is None or start >= end:
        return
    records = _text_entries if is_text(item) else _line_entries
    for offset, found in records(item, start, end, stats):
        for index, entry in enumerate(found):
            if offset == start and index < skip:
                continue
            entry["id"] = format_id(item.generation, offset) + (f".{index}" if index else "")
            entry["origin"] = item.source
            entry["file"] = item.name  # for the checkpoint's messages; not shipped
            yield entry


Found = Iterator[tuple[int, list[dict[str, Any]]]]


def _lines(item: OpenFile, start: int, end: int, stats: ScanStats) -> Iterator[tuple[int, bytes]]:
    for chunk in chunks_forward(item.pread, start, end, stats):
        if chunk.too_long:
            stats.note_skipped(item.name, chunk.base, f"line too long ({chunk.too_long} bytes)")
            continue
        buf, base, pos = chunk.buf, chunk.base, chunk.lo
        while pos < chunk.hi:
            newline = buf.find(b"\n", pos, chunk.hi)
            yield base + pos, buf[pos:newline]
            pos = newline + 1


def _line_entries(item: OpenFile, start: int, end: int, stats: ScanStats) -> Found:
    last_time: str | None = None
    for offset, line in _lines(item, start, end, stats):
        if not line.strip():
            continue
        records, reason = line_records(line)
        if reason is not None:
            stats.note_raw(item.name, offset, reason)
        for entry in records:
            if entry["timestamp"] is None:  # a raw line: the time of the line before it
                entry["timestamp"] = last_time or neighbour_time(item, offset)
            last_time = entry["timestamp"]
        yield offset, records


def _text_entries(item: OpenFile, start: int, end: int, stats: ScanStats) -> Found:
    grouper = Grouper()
    mtime = item.mtime_text()
    for offset, line in _lines(item, start, end, stats):
        done = grouper.feed(offset, line)
        if done is not None:
            yield _group(grouper, done, item, mtime, stats)
    done = grouper.flush()
    if done is not None:
        yield _group(grouper, done, item, mtime, stats)


def _group(
    grouper: Grouper, group: list[tuple[int, bytes]], item: OpenFile, mtime: str, stats: ScanStats
) -> tuple[int, list[dict[str, Any]]]:
    records, reason = grouper.records(group, mtime)
    if reason is not None:
        stats.note_raw(item.name, group[0][0], reason)
    return group[0][0], records
