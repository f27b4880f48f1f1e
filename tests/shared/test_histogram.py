"""Whole-log histograms: per-level counts in time buckets, checked against a Python oracle."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.reader.histogram import HistogramCache, histogram
from shared.reader.query import LogQuery, iter_logs
from shared.reader.records import LEVELS

APP = "midi-software-center"
BASE = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "user"]


def stamp(micros: int) -> str:
    """Canonical time ``micros`` after `BASE`."""
    return (BASE + timedelta(microseconds=micros)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ours(micros: int, level: str, category: str = "midi", **fields: Any) -> bytes:
    """One line of our writer's layout."""
    record = {
        "timestamp": stamp(micros),
        "level": level,
        "category": category,
        "message": f"{category} {level} at {micros}",
        "target": "tests",
        "fields": fields,
        "span": None,
        "pid": 1,
    }
    return orjson.dumps(record) + b"\n"


def pino(micros: int, number: int) -> bytes:
    """One pino line (epoch milliseconds)."""
    millis = int((BASE + timedelta(microseconds=micros)).timestamp() * 1000)
    return orjson.dumps({"level": number, "time": millis, "msg": "node says"}) + b"\n"


def random_set(log_dir: Path, seed: int = 7) -> None:
    """A rotated set of ours (a little out of order, with raw, cut and blank lines), a pino
    source and a plain-text source, over the same ten minutes."""
    rng = random.Random(seed)
    log_dir.mkdir(exist_ok=True)
    for age in (2, 1, 0):
        lines = []
        for n in range(700):
            micros = (2 - age) * 200_000_000 + n * 285_000 + rng.randint(-40_000, 40_000)
            level = rng.choice(LEVELS)
            extra = {"request_id": "req-a"} if n % 5 == 0 else {}
            lines.append(ours(micros, level, rng.choice(CATEGORIES), **extra))
            if n % 97 == 0:
                lines.append(b"not json at all, a raw line\n")
            if n % 131 == 0:
                lines.append(b"\n")
            if n % 173 == 0:  # cut after its category: shown raw, at info
                lines.append(ours(micros, "error", "midi")[:90] + b"\n")
        name = f"{APP}.log" + (f".{age}" if age else "")
        (log_dir / name).write_bytes(b"".join(lines))
    node = [pino(n * 1_100_000, rng.choice([10, 20, 30, 40, 50, 60])) for n in range(500)]
    (log_dir / "node.log").write_bytes(b"".join(node))
    text = [
        f"{stamp(n * 3_000_000)[:23]} {rng.choice(['INFO', 'ERROR', 'DEBUG'])} worker: job {n}\n"
        for n in range(150)
    ]
    (log_dir / "worker.log").write_text("".join(text))


def micros_of(text: str) -> int:
    """Microseconds since the epoch of a canonical timestamp."""
    moment = datetime.fromisoformat(text)
    return round((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)


def oracle(log_dir: Path, query: LogQuery, result: dict[str, Any]) -> dict[str, list[int]]:
    """What ``histogram`` should have counted, from every entry the query engine returns."""
    buckets = len(result["counts"]["info"])
    counts = {level: [0] * buckets for level in LEVELS}
    start, end = micros_of(result["start"]), micros_of(result["end"])
    for entry in iter_logs(log_dir, query):
        moment = micros_of(entry["timestamp"])
        if start <= moment <= end:
            counts[entry["level"]][(moment - start) // (result["bucket_ms"] * 1000)] += 1
    return counts


QUERIES = [
    LogQuery(),
    LogQuery(level="error"),
    LogQuery(min_level="warn"),
    LogQuery(category="midi"),
    LogQuery(category="unknown", level="info"),
    LogQuery(raw_only=True),
    LogQuery(search="node says"),
    LogQuery(request_id="req-a", min_level="info"),
    LogQuery(since=BASE + timedelta(seconds=100), until=BASE + timedelta(seconds=300)),
    LogQuery(since=BASE + timedelta(seconds=450), category="network"),
]


class TestCounts:
    @pytest.mark.parametrize(
        "query", QUERIES, ids=lambda q: q.model_dump_json(exclude_defaults=True)
    )
    @pytest.mark.parametrize("buckets", [1, 7, 500])
    def test_equals_the_oracle(self, tmp_path: Path, query: LogQuery, buckets: int) -> None:
        """Every filter and bucket count gives exactly what counting the entries gives."""
        random_set(tmp_path)
        result = histogram(tmp_path, query, buckets)
        assert result["counts"] == oracle(tmp_path, query, result)
        assert result["approximate"] is False

    def test_totals_cover_every_entry(self, tmp_path: Path) -> None:
        """Unfiltered, the totals per level are those of the whole set, every source included."""
        random_set(tmp_path)
        result = histogram(tmp_path, LogQuery(), 100)
        totals = {level: sum(column) for level, column in result["counts"].items()}
        expected = dict.fromkeys(LEVELS, 0)
        for entry in iter_logs(tmp_path):
            expected[entry["level"]] += 1
        assert totals == expected
        assert sum(totals.values()) == 3 * 700 + 3 * 8 + 3 * 5 + 500 + 150

    def test_default_range_is_the_whole_set(self, tmp_path: Path) -> None:
        """Without bounds the range runs from the set's first time to its last, filters or not."""
        random_set(tmp_path)
        times = sorted(entry["timestamp"] for entry in iter_logs(tmp_path))
        for query in (LogQuery(), LogQuery(level="error")):
            result = histogram(tmp_path, query, 10)
            assert (result["start"], result["end"]) == (times[0], times[-1])

    def test_cut_line_of_ours_is_raw(self, tmp_path: Path) -> None:
        """A line of ours cut after its category counts as the raw line the list shows."""
        good = [ours(n, "warn") for n in range(10)]
        cut = ours(5, "error")[:90] + b"\n"
        (tmp_path / f"{APP}.log").write_bytes(b"".join(good[:5]) + cut + b"".join(good[5:]))
        result = histogram(tmp_path, LogQuery(), 1)
        assert (result["counts"]["warn"], result["counts"]["error"]) == ([10], [0])
        assert histogram(tmp_path, LogQuery(raw_only=True), 1)["counts"]["info"] == [1]

    def test_source_narrows(self, tmp_path: Path) -> None:
        """With an app name only that source is counted."""
        random_set(tmp_path)
        result = histogram(tmp_path, LogQuery(), 5, app_name="node")
        assert sum(map(sum, result["counts"].values())) == 500


class TestBuckets:
    def test_boundaries(self, tmp_path: Path) -> None:
        """Bucket i holds start + i*bucket_ms <= t < start + (i+1)*bucket_ms; the end is in."""
        lines = [ours(0, "info"), ours(9_999, "warn"), ours(10_000, "error"), ours(39_000, "debug")]
        (tmp_path / f"{APP}.log").write_bytes(b"".join(lines))
        result = histogram(tmp_path, LogQuery(), 4)
        assert result["bucket_ms"] == 10
        assert result["start"] == stamp(0)
        assert result["end"] == stamp(39_000)
        assert result["counts"]["info"] == [1, 0, 0, 0]
        assert result["counts"]["warn"] == [1, 0, 0, 0]
        assert result["counts"]["error"] == [0, 1, 0, 0]
        assert result["counts"]["debug"] == [0, 0, 0, 1]

    def test_bucket_ms_fits_the_range(self, tmp_path: Path) -> None:
        """bucket_ms is the least whole millisecond count whose buckets hold the range."""
        (tmp_path / f"{APP}.log").write_bytes(ours(0, "info") + ours(1_000_000, "info"))
        # 100 buckets of 10 ms end just before the last entry: 11 ms it is.
        assert histogram(tmp_path, LogQuery(), 100)["bucket_ms"] == 11
        assert histogram(tmp_path, LogQuery(), 1)["bucket_ms"] == 1001

    def test_bounds_given(self, tmp_path: Path) -> None:
        """since and until set the range, inclusive, whatever the set holds."""
        lines = [ours(n * 1_000_000, "info") for n in range(10)]
        (tmp_path / f"{APP}.log").write_bytes(b"".join(lines))
        query = LogQuery(since=BASE + timedelta(seconds=2), until=BASE + timedelta(seconds=4))
        result = histogram(tmp_path, query, 2)
        assert (result["start"], result["end"]) == (stamp(2_000_000), stamp(4_000_000))
        assert result["bucket_ms"] == 1001  # 2 buckets of 1000 ms would leave the end out
        assert result["counts"]["info"] == [2, 1]

    def test_empty_set(self, tmp_path: Path) -> None:
        """A set without entries has no range and zero counts for every level."""
        result = histogram(tmp_path / "missing", LogQuery(), 3)
        assert result["start"] is None
        assert result["bucket_ms"] == 0
        assert result["counts"] == {level: [0, 0, 0] for level in LEVELS}

    def test_since_after_until_counts_nothing(self, tmp_path: Path) -> None:
        """An empty range counts nothing."""
        (tmp_path / f"{APP}.log").write_bytes(ours(0, "info"))
        query = LogQuery(since=BASE + timedelta(seconds=5), until=BASE)
        assert sum(map(sum, histogram(tmp_path, query, 3)["counts"].values())) == 0

    @pytest.mark.parametrize("buckets", [0, 501])
    def test_bucket_count_is_bounded(self, tmp_path: Path, buckets: int) -> None:
        """Fewer than 1 or more than 500 buckets is refused."""
        with pytest.raises(ValueError, match="buckets"):
            histogram(tmp_path, LogQuery(), buckets)


def totals(log_dir: Path, cache: HistogramCache) -> dict[str, int]:
    """Per-level totals of the whole set, through ``cache``."""
    result = histogram(log_dir, LogQuery(), 20, cache=cache)
    return {level: sum(column) for level, column in result["counts"].items()}


class TestCache:
    def test_rotated_file_is_not_read_again(self, tmp_path: Path) -> None:
        """A file renamed by rotation keeps its index (the same object), and counts stay right."""
        active = tmp_path / f"{APP}.log"
        active.write_bytes(b"".join(ours(n, "info") for n in range(50)))
        cache = HistogramCache()
        totals(tmp_path, cache)
        (index,) = cache._files.values()
        os.rename(active, tmp_path / f"{APP}.log.1")
        active.write_bytes(ours(100, "error"))
        assert totals(tmp_path, cache)["error"] == 1
        assert any(kept is index for kept in cache._files.values())

    def test_growth_is_counted(self, tmp_path: Path) -> None:
        """Lines appended since the last call are counted on the next."""
        active = tmp_path / f"{APP}.log"
        active.write_bytes(ours(0, "info") + ours(5, "warn"))
        cache = HistogramCache()
        assert totals(tmp_path, cache)["warn"] == 1
        with active.open("ab") as out:
            out.write(ours(10, "warn") + ours(3, "error"))  # one out of order
        assert totals(tmp_path, cache) == {
            **dict.fromkeys(LEVELS, 0),
            "info": 1,
            "warn": 2,
            "error": 1,
        }
        result = histogram(tmp_path, LogQuery(), 1, cache=cache)
        assert result["end"] == stamp(10)

    def test_rewritten_file_is_read_anew(self, tmp_path: Path) -> None:
        """A file truncated and rewritten with the same first line is not taken for grown."""
        active = tmp_path / f"{APP}.log"
        active.write_bytes(ours(0, "info") + ours(1, "warn"))
        cache = HistogramCache()
        totals(tmp_path, cache)
        with active.open("r+b") as out:
            out.truncate(0)
            out.write(ours(0, "info") + ours(1, "error") + ours(2, "error"))
        assert totals(tmp_path, cache)["error"] == 2
        assert totals(tmp_path, cache)["warn"] == 0

    def test_filtered_counts_follow_changes(self, tmp_path: Path) -> None:
        """A search counted before is counted again once a file changed."""
        active = tmp_path / f"{APP}.log"
        active.write_bytes(ours(0, "info", note="needle"))
        cache = HistogramCache()
        query = LogQuery(search="needle")
        assert sum(histogram(tmp_path, query, 2, cache=cache)["counts"]["info"]) == 1
        with active.open("ab") as out:
            out.write(ours(1, "info", note="needle"))
        assert sum(histogram(tmp_path, query, 2, cache=cache)["counts"]["info"]) == 2


def even_set(log_dir: Path, files: int = 4, lines: int = 5000, after: int = 0) -> None:
    """A rotated set of ours, 10 ms apart from ``after`` * 10 ms on, levels and categories
    cycling evenly (a known mix)."""
    log_dir.mkdir(exist_ok=True)
    for age in range(files):
        first = after + (files - 1 - age) * lines
        body = [
            ours(n * 10_000, LEVELS[n % 5], CATEGORIES[n % 7]) for n in range(first, first + lines)
        ]
        (log_dir / (f"{APP}.log" + (f".{age}" if age else ""))).write_bytes(b"".join(body))


def sampling(sample_bytes: int = 256 * 1024) -> HistogramCache:
    """A cache whose sample budget (in 4 KiB windows) is far below `even_set`'s 4 MB."""
    return HistogramCache(sample_bytes=sample_bytes, window=4096)


def near(found: list[int], expected: list[int], tolerance: float) -> bool:
    """Whether every count is within ``tolerance`` (a fraction) of the expected one."""
    return all(abs(f - e) <= tolerance * e for f, e in zip(found, expected, strict=True))


SAMPLED = [
    LogQuery(),
    LogQuery(min_level="warn"),
    LogQuery(category="midi", level="error"),
    LogQuery(since=BASE + timedelta(seconds=50), until=BASE + timedelta(seconds=150)),
]


class TestSampling:
    @pytest.mark.parametrize(
        "query", SAMPLED, ids=lambda q: q.model_dump_json(exclude_defaults=True)
    )
    def test_cold_call_on_a_big_set_is_an_estimate(self, tmp_path: Path, query: LogQuery) -> None:
        """Files not indexed yet are sampled: approximate, per-level totals within 10% of the
        entries', and the set's first and last times exact."""
        even_set(tmp_path)
        cache = sampling()
        try:
            result = histogram(tmp_path, query, 10, cache=cache)
        finally:
            cache.close()
        exact = oracle(tmp_path, query, result)
        assert result["approximate"] is True
        totals = [sum(result["counts"][level]) for level in LEVELS]
        assert near(totals, [sum(exact[level]) for level in LEVELS], 0.10)
        if query.since is None:
            times = sorted(entry["timestamp"] for entry in iter_logs(tmp_path))
            assert (result["start"], result["end"]) == (times[0], times[-1])

    def test_estimates_follow_the_entries_over_time(self, tmp_path: Path) -> None:
        """Each of 40 buckets of a sampled set is within 10% of the entries in it."""
        even_set(tmp_path)
        cache = sampling()
        try:
            result = histogram(tmp_path, LogQuery(), 40, cache=cache)
        finally:
            cache.close()
        exact = oracle(tmp_path, LogQuery(), result)
        assert result["approximate"] is True
        for level in LEVELS:
            assert near(result["counts"][level], exact[level], 0.10)

    def test_exact_once_indexed_in_the_background(self, tmp_path: Path) -> None:
        """After the background thread indexed the set the same call is exact."""
        even_set(tmp_path)
        cache = sampling()
        try:
            assert histogram(tmp_path, LogQuery(), 50, cache=cache)["approximate"] is True
            assert cache.wait_indexed(timeout=60)
            result = histogram(tmp_path, LogQuery(), 50, cache=cache)
            assert result["approximate"] is False
            assert result["counts"] == oracle(tmp_path, LogQuery(), result)
        finally:
            cache.close()

    def test_set_within_the_budget_is_exact_at_once(self, tmp_path: Path) -> None:
        """A set no larger than the sample budget is indexed at once, without a thread."""
        even_set(tmp_path)
        cache = sampling(sample_bytes=8 * 1024 * 1024)
        result = histogram(tmp_path, LogQuery(min_level="info"), 20, cache=cache)
        assert result["approximate"] is False
        assert result["counts"] == oracle(tmp_path, LogQuery(min_level="info"), result)
        assert cache.indexing is False

    def test_without_a_cache_nothing_is_sampled(self, tmp_path: Path) -> None:
        """A call without a viewer's cache (nobody to index later) counts every line."""
        even_set(tmp_path)
        result = histogram(tmp_path, LogQuery(), 10)
        assert result["approximate"] is False
        assert result["counts"] == oracle(tmp_path, LogQuery(), result)

    @pytest.mark.parametrize(
        "query", [LogQuery(search="error at"), LogQuery(where="pid=1")], ids=["search", "where"]
    )
    def test_filters_that_parse_are_exact(self, tmp_path: Path, query: LogQuery) -> None:
        """A filter only the query engine answers counts every line, sampled or not."""
        even_set(tmp_path)
        cache = sampling()
        result = histogram(tmp_path, query, 7, cache=cache)
        assert result["approximate"] is False
        assert result["counts"] == oracle(tmp_path, query, result)

    def test_only_files_not_indexed_are_sampled(self, tmp_path: Path) -> None:
        """With the older files indexed, a new big file is sampled and the old ones counted
        exactly: their buckets equal the oracle's."""
        even_set(tmp_path, files=2)
        cache = sampling()
        histogram(tmp_path, LogQuery(), 4, cache=cache)
        assert cache.wait_indexed(timeout=60)
        cache.close()  # nothing is indexed later: the new file stays sampled
        os.rename(tmp_path / f"{APP}.log", tmp_path / f"{APP}.log.2")
        os.rename(tmp_path / f"{APP}.log.1", tmp_path / f"{APP}.log.3")
        even_set(tmp_path / "new", files=1, lines=10_000, after=10_000)
        os.rename(tmp_path / "new" / f"{APP}.log", tmp_path / f"{APP}.log")
        (tmp_path / "new").rmdir()
        result = histogram(tmp_path, LogQuery(), 4, cache=cache)
        exact = oracle(tmp_path, LogQuery(), result)
        assert result["approximate"] is True
        assert all(result["counts"][level][:2] == exact[level][:2] for level in LEVELS)
        assert any(result["counts"][level][2:] != exact[level][2:] for level in LEVELS)

    def test_close_stops_the_thread(self, tmp_path: Path) -> None:
        """close() ends the background thread; later calls start none."""
        even_set(tmp_path)
        cache = sampling()
        histogram(tmp_path, LogQuery(), 10, cache=cache)
        assert cache.indexing is True
        cache.close()
        assert cache.indexing is False
        assert histogram(tmp_path, LogQuery(), 10, cache=cache)["approximate"] is True
        assert cache.indexing is False
