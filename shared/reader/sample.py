"""Estimated time indexes of files not indexed yet: a few evenly spaced windows, read whole.

A `FileSample` of a file holds the entries of ``n`` windows of its bytes (the first window at
the file's start, the last ending at its end, the others evenly spaced between; each read with
the line reader of `shared.reader.timeindex`, so they count exactly as an index would) and, for
each stretch of bytes between two windows, a `Gap`: the entries it is estimated to hold per
kind (the two windows' entries per byte, times the gap's bytes), spread evenly over the time
from the window before to the window after. A histogram of a sample is thus exact in its
windows, at the set's edges (its first and last times are read) and close elsewhere.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

from shared.reader.scan import Chunk, ScanStats
from shared.reader.sources import OpenFile
from shared.reader.timeindex import TimeIndex, index_chunk, sorted_index

__all__ = ["FileSample", "Gap", "sample_file"]


@dataclass(slots=True, frozen=True)
class Gap:
    """Bytes of a file between two windows, not read: the entries estimated to be there.

    Attributes:
        first: The time of the window before (its last entry; `STAMP` bytes).
        last: The time of the window after (its first entry); never before ``first``.
        kinds: ``(kind, estimated entries)`` pairs.
    """

    first: bytes
    last: bytes
    kinds: tuple[tuple[int, float], ...]


@dataclass(slots=True, frozen=True)
class FileSample:
    """The entries of a file's windows (``exact``) and the estimates between them (``gaps``)."""

    exact: TimeIndex
    gaps: tuple[Gap, ...]


@dataclass(slots=True)
class _Window:
    start: int
    stop: int
    stamps: list[bytes]
    kinds: list[int]

    @property
    def size(self) -> int:
        return self.stop - self.start


def sample_file(item: OpenFile, stats: ScanStats, windows: int, window: int) -> FileSample:
    """Read ``windows`` windows of ``window`` bytes of ``item`` and estimate the rest.

    Args:
        item: The file (not a plain-text one: those group lines into entries).
        stats: Counts the bytes read; its ``cancelled`` is asked before each window.
        windows: How many windows, at least 2.
        window: Bytes per window; ``windows * window`` should be less than the file.

    Returns:
        The sample (without gaps when the windows cover the whole file).

    Raises:
        QueryCancelled: ``stats.cancelled`` said so.
    """
    end = item.end
    spacing = max(end - window, 0) / max(windows - 1, 1)
    read = [_read(item, stats, round(i * spacing), window) for i in range(windows)]
    every = _Window(0, sum(w.size for w in read), [], [k for w in read for k in w.kinds])
    gaps = [
        gap
        for before, after in itertools.pairwise(read)
        if (gap := _gap(before, after, every)) is not None
    ]
    stamps = [stamp for w in read for stamp in w.stamps]
    return FileSample(sorted_index(stamps, every.kinds), tuple(gaps))


def _read(item: OpenFile, stats: ScanStats, pos: int, window: int) -> _Window:
    stats.check()
    end = min(item.end, pos + window)
    buf = item.pread(end - pos, pos)
    stats.scanned_bytes += len(buf)
    # Whole lines only: from just after the first newline (the file's start is a line start)
    # to just after the last (the file's end is one too).
    lo = 0 if pos == 0 else buf.find(b"\n") + 1
    hi = buf.rfind(b"\n") + 1
    if (lo == 0 and pos) or hi <= lo:  # no whole line in the window (a very long one)
        return _Window(pos, pos, [], [])
    window_ = _Window(pos + lo, pos + hi, [], [])
    index_chunk(item, Chunk(pos, buf, lo, hi), window_.stamps, window_.kinds)
    return window_


def _gap(before: _Window, after: _Window, every: _Window) -> Gap | None:
    size = after.start - before.stop
    if size <= 0:
        return None
    near = [w for w in (before, after) if w.kinds] or [every]
    read = sum(w.size for w in near)
    if not read:
        return None
    counted = Counter(k for w in near for k in w.kinds)
    times = [t for w in (before, after) for t in (min(w.stamps), max(w.stamps)) if w.stamps]
    if not times:
        return None
    first = max(before.stamps) if before.stamps else min(times)
    last = min(after.stamps) if after.stamps else max(times)
    first, last = min(first, last), max(first, last)  # writers a little out of order
    kinds = tuple((kind, n * size / read) for kind, n in sorted(counted.items()))
    return Gap(first, last, kinds)
