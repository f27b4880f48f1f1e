"""Chunked reading of one log file and the byte-level search for lines worth parsing.

Files are read in chunks (never whole): backwards from the end for "the last N", forwards for
exports and the follower. Within a chunk, C-level searches over the whole buffer find the lines
that may match (see `shared.reader.match`); only those are split out and parsed, so a search with no
hit costs one pass of a string search per chunk and no Python work per line.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate

from shared.reader.match import UNICODE_ESCAPE, Matcher
from shared.reader.parse import OURS_LAYOUT
from shared.reader.search import exact_finder, fold_finder, hash_bytes
from shared.reader.sources import Pread

FIRST_CHUNK = 64 * 1024  # small first read: "the last 100" is usually in the last few KiB
MAX_CHUNK = 1024 * 1024
MAX_LINE = 16 * 1024 * 1024  # longer lines are reported as malformed, never loaded
#: A search reads its file into one buffer of this size, reused, and copies out only the chunks
#: that can hold a hit (`sieved_backward`): reading and searching ran at 5.6 GB/s here against
#: 5.2 GB/s for a new 1 MiB ``bytes`` per chunk, the copy from the page cache being the bound.
SIEVE_CHUNK = 4 * 1024 * 1024
#: Whether ``buf[lo:hi]`` can hold a line that matches (`shared.reader.match.SearchAnchor`).
MayHold = Callable[[bytearray, int, int], bool]
#: A line in neither our layout nor pino's (whose levels the scan tokens find).
_FOREIGN = rb"(?!" + OURS_LAYOUT + rb'|\{"level":[1-6]0,"time":)'
_FOREIGN_START = re.compile(rb"\n" + _FOREIGN)
_FOREIGN_FIRST = re.compile(_FOREIGN)
#: In a file of our writer's: a line that does not even begin like ours.
_PREFIX_START = re.compile(rb'\n(?!\{"timestamp":")')
_PREFIX_FIRST = re.compile(rb'(?!\{"timestamp":")')


class QueryCancelled(Exception):
    """The scan was called off: a newer query replaced it (see `ScanStats.cancelled`)."""


@dataclass(slots=True)
class ScanStats:
    """What a scan met: bytes read and malformed lines (the first few with their place)."""

    scanned_bytes: int = 0
    malformed: int = 0
    """Lines that are no record: shown raw, or skipped."""
    raw: int = 0
    skipped: int = 0
    malformed_at: list[tuple[str, int, str]] = field(default_factory=list)
    keep: int = 20
    complete: bool = True
    """False when a budget ended the scan before the end."""
    cancelled: Callable[[], bool] | None = None
    """Asked before each chunk is read: True ends the scan with `QueryCancelled`."""

    def check(self) -> None:
        """Raise `QueryCancelled` when the scan was called off."""
        if self.cancelled is not None and self.cancelled():
            raise QueryCancelled

    def note_malformed(self, name: str, offset: int, reason: str) -> None:
        """Count a line of file ``name`` at ``offset`` that is no record."""
        self.malformed += 1
        if len(self.malformed_at) < self.keep:
            self.malformed_at.append((name, offset, reason))

    def note_raw(self, name: str, offset: int, reason: str) -> None:
        """Count a line shown raw (its text, unparsed)."""
        self.raw += 1
        self.note_malformed(name, offset, reason)

    def note_skipped(self, name: str, offset: int, reason: str) -> None:
        """Count a line that could not be read at all (too long)."""
        self.skipped += 1
        self.note_malformed(name, offset, reason)


@dataclass(slots=True)
class Chunk:
    """``buf[lo:hi]`` holds whole lines (each ending in a newline); ``buf[0]`` is at ``base``.

    A chunk with ``too_long`` set stands for one over-long line at ``base`` and holds no bytes.
    """

    base: int
    buf: bytes
    lo: int
    hi: int
    too_long: int = 0


def chunks_backward(
    pread: Pread, end: int, stats: ScanStats, *, first: int = FIRST_CHUNK
) -> Iterator[Chunk]:
    """Chunks of ``[0, end)`` from the end backwards; ``end`` must be a line start.

    The first chunk is small and sizes double up to `MAX_CHUNK`, so a query answered by the
    last few lines reads only a few KiB.
    """
    size = first
    while end > 0:
        stats.check()
        start = max(0, end - size)
        buf = pread(end - start, start)
        stats.scanned_bytes += len(buf)
        if len(buf) < end - start:
            return  # the file was truncated under us: what is left is not this file's past
        # The chunk ends with the newline of the line at ``end``: look for one before it.
        lo = buf.find(b"\n", 0, len(buf) - 1) + 1 if start else 0
        if start and lo == 0:  # no line start in the chunk: one line longer than the chunk
            line_start = _line_start(pread, start, stats)
            yield _long_line(pread, line_start, end - line_start, stats)
            end = line_start
            continue
        yield Chunk(start, buf, lo, len(buf))
        end = start + lo
        size = min(size * 2, MAX_CHUNK)


def sieved_backward(
    fd: int, pread: Pread, end: int, stats: ScanStats, may_hold: MayHold
) -> Iterator[Chunk]:
    """`chunks_backward` for a search of the file open as ``fd``: `SIEVE_CHUNK` at a time into
    one buffer; a chunk ``may_hold`` rules out is passed over without being copied out."""
    buf = bytearray(SIEVE_CHUNK)
    view = memoryview(buf)
    while end > 0:
        stats.check()
        start = max(0, end - SIEVE_CHUNK)
        size = os.preadv(fd, [view[: end - start]], start)
        stats.scanned_bytes += size
        if size < end - start:
            return  # the file was truncated under us (as in `chunks_backward`)
        lo = buf.find(b"\n", 0, size - 1) + 1 if start else 0
        if start and lo == 0:  # one line longer than the buffer
            line_start = _line_start(pread, start, stats)
            yield _long_line(pread, line_start, end - line_start, stats)
            end = line_start
            continue
        if may_hold(buf, lo, size):
            yield Chunk(start, bytes(view[:size]), lo, size)
        end = start + lo


def chunks_forward(pread: Pread, start: int, end: int, stats: ScanStats) -> Iterator[Chunk]:
    """Chunks of ``[start, end)`` in file order; both must be line boundaries."""
    while start < end:
        stats.check()
        buf = pread(min(MAX_CHUNK, end - start), start)
        stats.scanned_bytes += len(buf)
        if not buf:
            return  # truncated under us
        hi = buf.rfind(b"\n") + 1
        if hi == 0:
            line_end = _line_end(pread, start + len(buf), end, stats)
            yield _long_line(pread, start, line_end - start, stats)
            start = line_end
            continue
        yield Chunk(start, buf, 0, hi)
        start += hi


def _line_start(pread: Pread, pos: int, stats: ScanStats) -> int:
    while pos > 0:
        start = max(0, pos - MAX_CHUNK)
        block = pread(pos - start, start)
        stats.scanned_bytes += len(block)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        pos = start
    return 0


def _line_end(pread: Pread, pos: int, end: int, stats: ScanStats) -> int:
    while pos < end:
        block = pread(min(MAX_CHUNK, end - pos), pos)
        stats.scanned_bytes += len(block)
        newline = block.find(b"\n")
        if newline >= 0:
            return pos + newline + 1
        if not block:
            break
        pos += len(block)
    return end


def _long_line(pread: Pread, start: int, length: int, stats: ScanStats) -> Chunk:
    if length > MAX_LINE:
        return Chunk(start, b"", 0, 0, too_long=length)
    buf = pread(length, start)
    stats.scanned_bytes += len(buf)
    return Chunk(start, buf, 0, len(buf))


def candidate_lines(
    chunk: Chunk, matcher: Matcher, *, ours_only: bool = False
) -> list[tuple[int, bytes]]:
    """``(file offset, line without newline)`` of the chunk's lines that may match, in order.

    ``ours_only``: the chunk is from a file of our writer's (see `shared.reader.engine.ours_only`),
    where a line beginning ``{"timestamp":"`` is taken to be in our layout and no line in
    pino's: one cheap pass finds the other lines, and pino's level tokens are not searched.
    """
    buf, lo, hi = chunk.buf, chunk.lo, chunk.hi
    anchor = _anchor_finders(chunk, matcher, ours_only)
    if anchor is None:
        lines = buf[lo:hi].split(b"\n")
        lines.pop()  # the empty piece after the last newline
        offsets = accumulate((len(line) + 1 for line in lines), initial=chunk.base + lo)
        return list(zip(offsets, lines, strict=False))
    finders, sees_foreign = anchor
    starts: set[int] = set()
    for find in finders:
        _collect_lines(buf, lo, hi, find, starts)
    if not sees_foreign:  # the level tokens are only reliable in our own lines
        starts.update(_foreign_lines(buf, lo, hi, ours_only))
    result = []
    for start in sorted(starts):
        stop = buf.find(b"\n", start, hi)
        result.append((chunk.base + start, buf[start:stop]))
    return result


Finder = Callable[[int], int]


def _anchor_finders(
    chunk: Chunk, matcher: Matcher, ours_only: bool
) -> tuple[list[Finder], bool] | None:
    """Finders for the anchor used to pick candidates, and whether it sees foreign lines too.

    None: no anchor, every line is a candidate.
    """
    buf, lo, hi = chunk.buf, chunk.lo, chunk.hi
    anchor = matcher.search_anchor
    if anchor is not None:
        found_by = [exact_finder(buf, hi, extra) for extra in anchor.extras]
        found_by += [fold_finder(buf, lo, hi, needle) for needle in anchor.needles]
        return found_by, True
    ours = matcher.level_tokens or ()
    levels = matcher.level_tokens if ours_only else matcher.scan_tokens
    # Rare levels (error, warn) make the better anchor even though foreign lines must then be
    # found separately (one regex pass); a category value (~1/8 of lines) costs more per hit.
    if levels is not None and (len(ours) <= 2 or matcher.category_value is None):
        return [exact_finder(buf, hi, token) for token in levels], False
    if matcher.category_value is not None:
        tokens = (matcher.category_value, UNICODE_ESCAPE)
        return [exact_finder(buf, hi, token) for token in tokens], True
    return None


def _collect_lines(buf: bytes, lo: int, hi: int, find: Finder, starts: set[int]) -> None:
    pos = lo
    while pos < hi:
        hit = find(pos)
        if hit < 0 or hit >= hi:
            return
        starts.add(buf.rfind(b"\n", lo, hit) + 1 or lo)
        pos = buf.find(b"\n", hit, hi) + 1  # one hit per line is enough
        if pos == 0:
            return


#: How many chunks' lines in neither layout are remembered, by the chunk's content hash (4096
#: chunks of up to 1 MiB: a 4 GB set) — for chunks with a few such lines at most (under 10 MB).
FOREIGN_MEMORY = 4096
FOREIGN_REMEMBERED = 64
_foreign_memory: dict[tuple[int, int, bool], tuple[int, ...]] = {}


def _foreign_lines(buf: bytes, lo: int, hi: int, ours_only: bool) -> list[int]:
    """Where the lines of ``buf[lo:hi]`` in neither our layout nor pino's begin.

    A pass over every line (a regex, about 3 GB/s here): remembered by the chunk's StringZilla
    hash (12 GB/s), so the next query over the same bytes, in any file, skips it.
    """
    key = (hash_bytes(memoryview(buf)[lo:hi]), hi - lo, ours_only)
    if (known := _foreign_memory.get(key)) is not None:
        return [lo + position for position in known]
    first, start = (_PREFIX_FIRST, _PREFIX_START) if ours_only else (_FOREIGN_FIRST, _FOREIGN_START)
    found = [lo] if first.match(buf, lo) else []
    found += [match.end() for match in start.finditer(buf, lo, hi - 1)]
    if len(found) > FOREIGN_REMEMBERED:  # a foreign file: its lines are candidates anyway
        return found
    if len(_foreign_memory) >= FOREIGN_MEMORY:
        with contextlib.suppress(RuntimeError, StopIteration):  # another thread's change
            del _foreign_memory[next(iter(_foreign_memory))]  # the oldest: dicts keep order
    _foreign_memory[key] = tuple(position - lo for position in found)
    return found
