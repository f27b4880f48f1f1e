"""Plain-text files: lines grouped into entries, a start line and its continuation lines.

A file is read as text when most of its first 64 KiB is not JSON objects (see `is_text`). A
line starts an entry unless `shared.reader.formats.text.is_continuation` says it continues the
one above (a traceback, a Java stack, indented lines); the start line is a JSON record, a line
with a recognised prefix, or else a raw line. An entry without a time takes the time of the
entry before it (the file's mtime for the first ones).

Grouping depends on the line before only, so reading backwards starts each chunk at an
*anchor* — a line that starts an entry and carries a time — and hands the lines before it to
the next (earlier) chunk: both directions group alike and give the same ids.
"""

from __future__ import annotations

import functools
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Any

from shared.reader.formats.levels import known_names
from shared.reader.formats.text import is_continuation, parse_text_line, raw_record
from shared.reader.match import SearchAnchor
from shared.reader.parse import OURS_PREFIX, line_records, timestamp_of_line
from shared.reader.scan import Chunk, ScanStats, chunks_backward, chunks_forward
from shared.reader.sources import OpenFile

__all__ = ["Grouper", "is_text", "sniff_text", "text_backward", "text_forward"]

#: How much of a file decides whether it is read as text.
SNIFF = 64 * 1024
#: The first read from the end of a text file: every line of a chunk is parsed, and the last
#: hundred entries of a text log usually fit in a few KiB.
TEXT_FIRST_CHUNK = 8 * 1024
#: Lines without an anchor carried back before they are grouped anyway.
MAX_CARRY = 4 * 1024 * 1024

Line = tuple[int, bytes]
Group = tuple[int, list[dict[str, Any]]]
"""The file offset of an entry's first line, and its records (usually one)."""


def is_text(item: OpenFile) -> bool:
    """Whether ``item`` is read as plain text (cached on the file); see `sniff_text`."""
    if item.text is None:
        item.text = item.sniff("text", SNIFF, sniff_text)
    return item.text


def sniff_text(head: bytes) -> bool:
    """Whether a file beginning with ``head`` is read as plain text.

    Text needs a sign of a text log: a line with a recognised prefix or one that only continues
    an entry (a stack frame: ``Traceback …``, ``at …``, ``Caused by: …``). Mere indentation is
    no sign: a stray indented or binary line ahead of JSON records (the follower decides on the
    first lines written) would turn a JSON log into text. Otherwise lines are read one by one
    (with the byte prefilters), as for a file of our writer's (a line in our layout) or one that
    is at least half JSON objects.
    """
    lines = [line for line in head.split(b"\n")[:-1] if line.strip()]
    objects = sum(line.lstrip().startswith(b"{") for line in lines)
    ours = any(line.startswith(OURS_PREFIX) for line in lines)
    return not ours and objects * 2 < len(lines) and any(map(_texty, lines))


def _texty(raw: bytes) -> bool:
    text = _decode(raw)
    if not text.strip() or text[0] in " \t":
        return False
    return parse_text_line(text) is not None or is_continuation(text, "previous")


def text_forward(item: OpenFile, stats: ScanStats) -> Iterator[Group]:
    """The entries of a text file in file order."""
    return _entries(_lines_forward(item, stats), item, stats)


def _lines_forward(item: OpenFile, stats: ScanStats) -> Iterator[Line]:
    for chunk in chunks_forward(item.pread, 0, item.end, stats):
        yield from _split(chunk, item, stats)


def text_backward(
    item: OpenFile,
    end: int,
    stats: ScanStats,
    words: tuple[bytes, ...] | None = None,
    search: SearchAnchor | None = None,
) -> Iterator[Group]:
    """The entries of a text file before ``end`` (a line start), newest first.

    ``words`` (see `level_words`): only entries whose first line holds one of them (in any case)
    or is JSON are read; the others cannot be at the levels asked for, and are not parsed.
    ``search``: a chunk whose bytes (and the lines carried into it) hold none of its needles
    holds no entry a search can match: only the lines before its first anchor, which belong to
    the entry before, are split off; the rest is not parsed.
    """
    carry: list[Line] = []
    for chunk in chunks_backward(item.pread, end, stats, first=TEXT_FIRST_CHUNK):
        if search is not None and not _may_match(chunk, carry, search):
            if chunk.base + chunk.lo == 0:
                return
            head = _before_anchor(chunk, item, stats)
            if head is not None:
                carry = head
                continue
        lines = _split(chunk, item, stats) + carry
        if chunk.base + chunk.lo > 0:
            anchor = _anchor(lines)
            if anchor is None and sum(len(raw) for _, raw in lines) < MAX_CARRY:
                carry = lines
                continue
            carry, lines = lines[: anchor or 0], lines[anchor or 0 :]
        else:
            carry = []
        found = (
            _entries(lines, item, stats) if words is None else _worded(lines, item, stats, words)
        )
        yield from reversed(list(found))


def _may_match(chunk: Chunk, carry: list[Line], search: SearchAnchor) -> bool:
    """Whether the chunk or the lines carried into it hold one of the search's needles."""
    return search.in_range(chunk.buf, chunk.lo, chunk.hi) or any(
        search.in_line(raw) for _, raw in carry
    )


def _before_anchor(chunk: Chunk, item: OpenFile, stats: ScanStats) -> list[Line] | None:
    """The chunk's lines before its first anchor (see `_anchor`); None if it has none."""
    lines: list[Line] = []
    start = chunk.lo
    while start < chunk.hi:
        stop = chunk.buf.find(b"\n", start, chunk.hi)
        line = (chunk.base + start, chunk.buf[start:stop])
        if _anchor([line]) == 0:
            return lines
        lines.append(line)
        start = stop + 1
    return None


@functools.lru_cache(maxsize=64)
def level_words(levels: frozenset[str] | None) -> tuple[bytes, ...] | None:
    """Lower-case words one of which the first line of a text entry at ``levels`` holds.

    A text entry's level comes from a level label on its first line (or a leading severity
    word), banded by `shared.reader.formats.levels`, whose names all contain one of these; a
    number-only label is written after ``level``. None when no words narrow (no level filter,
    or info asked for: an entry without a label is info).
    """
    if levels is None or "info" in levels:
        return None
    names = {name for name, band in known_names() if band in levels} | {"level", "lvl"}
    shortest = {n for n in names if not any(o != n and o in n for o in names)}
    return tuple(sorted(word.encode() for word in shortest))


def _worded(
    lines: list[Line], item: OpenFile, stats: ScanStats, words: tuple[bytes, ...]
) -> Iterator[Group]:
    """`_entries` of ``lines`` (which begin with an anchor), only for worded first lines."""
    texts: list[str | None] = [None] * len(lines)

    def text(index: int) -> str:
        found = texts[index]
        if found is None:
            found = texts[index] = _decode(lines[index][1])
        return found

    def starts(index: int) -> bool:
        raw = lines[index][1]
        if index == 0 or raw[:1] == b"{":
            return bool(raw.strip())
        return starts_entry(raw, text(index), text(index - 1))

    for index in _worded_lines(lines, words):
        if not starts(index):
            continue
        end = index + 1
        while end < len(lines) and not starts(end):
            end += 1
        group = lines[index:end]
        grouper = Grouper(_time_before(lines, index, text))
        yield _finish(grouper, group, item, stats)


def _worded_lines(lines: list[Line], words: tuple[bytes, ...]) -> list[int]:
    """Indices of the lines holding one of ``words`` (any case) or beginning a JSON object,
    found by searching the lines joined, not line by line."""
    joined = b"\n".join(raw for _, raw in lines).lower()
    starts = list(accumulate((len(raw) + 1 for _, raw in lines[:-1]), initial=0))
    hits = {0} if joined[:1] == b"{" else set()
    for word in (*words, b"\n{"):
        position = joined.find(word)
        while position >= 0:
            hits.add(bisect_right(starts, position + (word == b"\n{")) - 1)
            position = joined.find(word, position + 1)
    return sorted(hits)


def _time_before(lines: list[Line], index: int, text: Callable[[int], str]) -> str | None:
    """The time of the nearest earlier line of ``lines`` that has one (the anchor has one)."""
    for before in range(index - 1, -1, -1):
        raw = lines[before][1]
        if raw[:1] == b"{":
            stamp = timestamp_of_line(raw)
        else:
            record = parse_text_line(text(before))
            stamp = None if record is None else record["timestamp"]
        if stamp is not None:
            return stamp
    return None


def starts_entry(raw: bytes, text: str, previous: str | None) -> bool:
    """Whether a line starts an entry rather than continuing the one above."""
    if raw[:1] == b"{":
        return True
    if raw[:1] in (b" ", b"\t") or not raw.strip():
        return not is_continuation(text, previous)
    return parse_text_line(text) is not None or not is_continuation(text, previous)


def _split(chunk: Chunk, item: OpenFile, stats: ScanStats) -> list[Line]:
    if chunk.too_long:
        stats.note_skipped(item.name, chunk.base, f"line too long ({chunk.too_long} bytes)")
        return []
    lines, start = [], chunk.lo
    while start < chunk.hi:
        stop = chunk.buf.find(b"\n", start, chunk.hi)
        lines.append((chunk.base + start, chunk.buf[start:stop]))
        start = stop + 1
    return lines


def _anchor(lines: list[Line]) -> int | None:
    """Index of the first line that starts an entry with a time of its own."""
    for index, (_offset, raw) in enumerate(lines):
        if raw.lstrip().startswith(b"{"):
            if timestamp_of_line(raw) is not None:
                return index
            continue
        record = parse_text_line(_decode(raw))
        if record is not None and record["timestamp"] is not None:
            return index
    return None


class Grouper:
    """Lines in file order → entries: each line either continues the pending entry or starts one.

    Attributes:
        last_time: The time of the last entry finished (for the entries without one after it).
    """

    def __init__(self, last_time: str | None = None) -> None:
        self.pending: list[Line] = []
        self.last_time = last_time
        self._previous: str | None = None
        # The text record of each pending or finished entry's first line, parsed once.
        self._parsed: dict[int, dict[str, Any]] = {}

    def feed(self, offset: int, raw: bytes) -> list[Line] | None:
        """Take one line; returns the entry it completed (its lines), if any."""
        text = _decode(raw)
        done = None
        # Indented and blank lines continue (as `is_continuation` says first); JSON is no text.
        opaque = raw[:1] in (b"{", b" ", b"\t") or not raw.strip()
        record = None if opaque else parse_text_line(text)
        if record is not None:  # a recognised prefix always starts an entry
            self._parsed[offset] = record
        if (
            self.pending
            and record is None
            and raw[:1] != b"{"
            and is_continuation(text, self._previous)
        ):
            self.pending.append((offset, raw))
        elif raw.strip():
            done, self.pending = self.pending or None, [(offset, raw)]
        self._previous = text
        return done

    def flush(self) -> list[Line] | None:
        """The pending entry's lines (the file ended, or it went quiet)."""
        done, self.pending = self.pending or None, []
        return done

    def records(self, group: list[Line], mtime: str) -> tuple[list[dict[str, Any]], str | None]:
        """The records of a finished entry (times filled in), and why it is raw if it is."""
        records, reason = group_records(group, self._parsed.pop(group[0][0], None))
        for record in records:
            if record["timestamp"] is None:
                record["timestamp"] = self.last_time or mtime
            self.last_time = record["timestamp"]
        return records, reason


def group_records(
    group: list[Line], parsed: dict[str, Any] | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The records of one entry's lines: its first line's (``parsed`` when already known), with
    the other lines added to the message; and why it is raw if it is."""
    first = group[0][1]
    if first.lstrip().startswith(b"{"):
        records, reason = line_records(first)
    else:
        record = parsed if parsed is not None else parse_text_line(_decode(first))
        reason = None
        if record is None:
            record, reason = raw_record(_decode(first)), "no record"
        records = [record]
    if len(group) > 1:
        more = "\n".join(_decode(raw) for _, raw in group[1:]).rstrip()
        if more:
            records[-1]["message"] = f"{records[-1]['message']}\n{more}"
    return records, reason


def _entries(lines: Iterable[Line], item: OpenFile, stats: ScanStats) -> Iterator[Group]:
    grouper = Grouper()
    for offset, raw in lines:
        done = grouper.feed(offset, raw)
        if done is not None:
            yield _finish(grouper, done, item, stats)
    done = grouper.flush()
    if done is not None:
        yield _finish(grouper, done, item, stats)


def _finish(grouper: Grouper, group: list[Line], item: OpenFile, stats: ScanStats) -> Group:
    records, reason = grouper.records(group, item.mtime_text())
    if reason is not None:
        stats.note_raw(item.name, group[0][0], reason)
    return group[0][0], records


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").removesuffix("\r")
