"""Entries per level in time buckets over a whole log set, with the query filters.

Counting reads every line of the set once, into one `shared.reader.timeindex.TimeIndex` per
file, kept in a `HistogramCache` (one per viewer) under the file's identity (inode and
generation): a rotated file never changes, and the active file is only read from where the last
count stopped. Once indexed, a histogram of any range, bucket count, level or category filter
is a few bisections and C-level counts per file (milliseconds on a 1 GB set).

Until then (a viewer's first histogram of a big set) the files not indexed yet are sampled
(`shared.reader.sample`): the answer comes at once, ``approximate``, with the set's exact first
and last times, while the cache's background thread indexes them for the next call.

Filters the index cannot answer (``search``, ``regex``, ``request_id``, ``span_id`` and any
other) are run by the query engine over the whole set, with its byte prefilters; their index is
cached too, for the set as it was (any change of a file counts it again).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.reader.engine import all_entries
from shared.reader.histcache import HistogramCache
from shared.reader.query import LogQuery
from shared.reader.records import LEVEL_RANK, LEVELS, format_timestamp
from shared.reader.sample import FileSample, Gap
from shared.reader.scan import ScanStats
from shared.reader.sources import open_set
from shared.reader.timeindex import CATEGORY_ORDER, RAW, STAMP, TimeIndex, index_entries

__all__ = ["MAX_BUCKETS", "HistogramCache", "histogram"]

MAX_BUCKETS = 500
#: The filters a file index answers by itself; any other goes through the query engine.
_INDEXED = {
    "level": None,
    "min_level": None,
    "category": None,
    "since": None,
    "until": None,
    "before": None,
    "raw_only": False,
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def histogram(
    log_dir: Path,
    query: LogQuery,
    buckets: int,
    *,
    app_name: str | None = None,
    cache: HistogramCache | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Count the entries matching ``query`` per level in ``buckets`` equal time buckets.

    The range is ``query.since`` … ``query.until`` (inclusive), each defaulting to the first
    and last time of the whole set (unfiltered, so the axis stays put as filters change).
    Bucket ``i`` holds ``start + i * bucket_ms`` ≤ time < ``start + (i + 1) * bucket_ms``;
    ``bucket_ms`` is the smallest whole number of milliseconds that fits the range in.

    Args:
        log_dir: The log directory or file.
        query: The filters (``before`` is ignored).
        buckets: How many buckets, 1 … `MAX_BUCKETS`.
        app_name: Only this source; None: every source.
        cache: The viewer's indexes (None: a throwaway one, which samples nothing).
        cancelled: Asked before each chunk is read: True calls the count off.

    Returns:
        ``{"start", "end", "bucket_ms", "counts": {level: [count per bucket]}, "approximate"}``;
        ``start``/``end`` are timestamps (None with ``bucket_ms`` 0 for a set without
        entries and no bounds given); every level is present. ``approximate`` is True when
        files not indexed yet were sampled (only for the level, category, time and raw
        filters; the counts are then estimates, ``start``/``end`` still read from the files)
        and their indexing was handed to ``cache``'s background thread.

    Raises:
        ValueError: ``buckets`` out of range.
        QueryCancelled: ``cancelled`` said so.
    """
    if not 1 <= buckets <= MAX_BUCKETS:
        raise ValueError(f"buckets: must be between 1 and {MAX_BUCKETS}, not {buckets}")
    cache = cache if cache is not None else HistogramCache(sample_bytes=0)
    stats = ScanStats(cancelled=cancelled)
    rest = query.model_copy(update=_INDEXED)
    with open_set(log_dir, app_name) as logset:
        parts = cache.parts(logset.files, stats)
        state = tuple((f.inode, f.generation, f.end) for f in logset.files)
    gaps = [gap for part in parts if isinstance(part, FileSample) for gap in part.gaps]
    if gaps:
        cache.index_later(log_dir, app_name)
    files = [part.exact if isinstance(part, FileSample) else part for part in parts]
    counted = files
    if rest != LogQuery():  # every line is read and counted: only the range comes from ``parts``
        counted = [
            _filtered_index(log_dir, rest, app_name=app_name, cache=cache, stats=stats, state=state)
        ]
        gaps = []
    return _count(files, counted, gaps, query, buckets)


def _filtered_index(
    log_dir: Path,
    rest: LogQuery,
    *,
    app_name: str | None,
    cache: HistogramCache,
    stats: ScanStats,
    state: tuple[Any, ...],
) -> TimeIndex:
    key = (rest.model_dump_json() + f"\0{app_name}", state)
    known = cache.filtered(key)
    if known is None:
        known = index_entries(all_entries(log_dir, rest.matcher(), app_name, stats))
        cache.keep_filtered(key, known)
    return known


def _count(
    files: list[TimeIndex], counted: list[TimeIndex], gaps: list[Gap], query: LogQuery, buckets: int
) -> dict[str, Any]:
    counts = {level: [0] * buckets for level in LEVELS}
    first, last = _edges(files)
    start = _micros(query.since) if query.since is not None else first
    end = _micros(query.until) if query.until is not None else last
    if start is None or end is None:
        return _result(None, None, 0, counts, bool(gaps))
    bucket_us = ((end - start) // (buckets * 1000) + 1) * 1000 if end >= start else 1000
    table = _table(query)
    if end >= start and any(table[k] != 255 for k in range(256)):
        for index in counted:
            _count_index(index, table, start=start, end=end, bucket_us=bucket_us, counts=counts)
        _count_gaps(gaps, table, start=start, end=end, bucket_us=bucket_us, counts=counts)
    return _result(start, end, bucket_us // 1000, counts, bool(gaps))


def _result(
    start: int | None,
    end: int | None,
    bucket_ms: int,
    counts: dict[str, list[int]],
    approximate: bool,
) -> dict[str, Any]:
    return {
        "start": None if start is None else _text(start),
        "end": None if end is None else _text(end),
        "bucket_ms": bucket_ms,
        "counts": counts,
        "approximate": approximate,
    }


def _count_gaps(
    gaps: list[Gap],
    table: bytes,
    *,
    start: int,
    end: int,
    bucket_us: int,
    counts: dict[str, list[int]],
) -> None:
    """Add the entries estimated in ``gaps``, each spread evenly over its time."""
    top = len(counts[LEVELS[0]]) - 1
    estimates = [[0.0] * (top + 1) for _ in LEVELS]
    for gap in gaps:
        amounts = [0.0] * len(LEVELS)
        for kind, estimate in gap.kinds:
            if table[kind] != 255:
                amounts[table[kind]] += estimate
        if any(amounts):
            shares = _shares(
                _stamp_micros(gap.first), _stamp_micros(gap.last), start, end, bucket_us
            )
            for bucket, share in shares:
                for li, amount in enumerate(amounts):
                    estimates[li][min(bucket, top)] += amount * share
    for li, level in enumerate(LEVELS):
        # Rounded cumulatively, so that many small shares still add up to their total.
        before = 0
        for bucket, total in enumerate(itertools.accumulate(estimates[li])):
            counts[level][bucket] += round(total) - before
            before = round(total)


def _shares(first: int, last: int, start: int, end: int, bucket_us: int) -> list[tuple[int, float]]:
    """The buckets ``first`` … ``last`` overlaps within ``start`` … ``end``, with the share of
    the span in each."""
    low, high = max(first, start), min(last, end)
    if high < low:
        return []
    if last == first:
        return [((first - start) // bucket_us, 1.0)]
    shares = []
    for bucket in range((low - start) // bucket_us, (high - start) // bucket_us + 1):
        left, right = (
            max(low, start + bucket * bucket_us),
            min(high, start + (bucket + 1) * bucket_us),
        )
        if right > left:
            shares.append((bucket, (right - left) / (last - first)))
    return shares


def _edges(indexes: list[TimeIndex]) -> tuple[int | None, int | None]:
    firsts = [index.stamp(0) for index in indexes if len(index)]
    lasts = [index.stamp(len(index) - 1) for index in indexes if len(index)]
    if not firsts:
        return None, None
    return _stamp_micros(min(firsts)), _stamp_micros(max(lasts))


def _table(query: LogQuery) -> bytes:
    """Kind → level index (255: not counted), from the level, category and raw filters."""
    allowed = _levels(query.level, query.min_level)
    table = bytearray(b"\xff" * 256)
    for li, level in enumerate(LEVELS):
        for ci, category in enumerate(CATEGORY_ORDER):
            kept = level in allowed and query.category in (None, category)
            if kept and not query.raw_only:
                table[li * len(CATEGORY_ORDER) + ci] = li
    if "info" in allowed and query.category in (None, "unknown"):
        table[RAW] = LEVELS.index("info")
    return bytes(table)


def _levels(level: str | None, min_level: str | None) -> set[str]:
    allowed = set(LEVELS) if level is None else {level}
    floor = LEVEL_RANK[min_level] if min_level is not None else 0
    return {name for name in allowed if LEVEL_RANK[name] >= floor}


def _count_index(
    index: TimeIndex,
    table: bytes,
    *,
    start: int,
    end: int,
    bucket_us: int,
    counts: dict[str, list[int]],
) -> None:
    low, high = (
        index.bisect(_text(start)[:STAMP].encode()),
        index.bisect(_text(end)[:STAMP].encode(), right=True),
    )
    if low >= high:
        return
    levels = index.kinds.translate(table)
    present = [(li, bytes([li]), counts[name]) for li, name in enumerate(LEVELS)]
    present = [item for item in present if levels.find(item[1], low, high) >= 0]
    top = len(counts[LEVELS[0]]) - 1
    first = min(max((_stamp_micros(index.stamp(low)) - start) // bucket_us, 0), top)
    last = min(max((_stamp_micros(index.stamp(high - 1)) - start) // bucket_us, first), top)
    edge = low
    for bucket in range(first, last + 1):
        stop = high if bucket == last else index.bisect(_boundary(start, bucket + 1, bucket_us))
        for _li, token, column in present:
            column[bucket] += levels.count(token, edge, stop)
        edge = stop


def _boundary(start: int, bucket: int, bucket_us: int) -> bytes:
    return _text(start + bucket * bucket_us)[:STAMP].encode()


def _micros(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _stamp_micros(stamp: bytes) -> int:
    text = stamp.decode("latin-1")
    try:
        return _micros(datetime.fromisoformat(text + "+00:00"))
    except ValueError:  # a damaged line's time as written (2026-02-30…): placed near it
        return _lenient_micros(text)


def _lenient_micros(text: str) -> int:
    digits = [int(part) if part.isdigit() else 0 for part in re.split(r"[-T:.]", text)[:7]]
    year, month, day, hour, minute, second, micro = (digits + [0] * 7)[:7]
    base = datetime(min(max(year, 1), 9999), min(max(month, 1), 12), 1, tzinfo=UTC)
    offset = timedelta(days=max(day, 1) - 1, hours=hour, minutes=minute, seconds=second)
    return _micros(base) + (offset + timedelta(microseconds=micro)) // timedelta(microseconds=1)


def _text(micros: int) -> str:
    return format_timestamp(_EPOCH + timedelta(microseconds=micros))
