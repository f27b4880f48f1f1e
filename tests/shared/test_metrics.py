"""Counters, timings with percentiles, gauges, timers and metrics snapshots."""

from __future__ import annotations

import asyncio
import inspect
import math
import random
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from asyncsupport import run_async
from hypothesis import given, settings
from hypothesis import strategies as st

from shared._events import LogCategory, LogEvent
from shared._metrics import (
    PERCENTILE_RELATIVE_ERROR,
    SNAPSHOT_MESSAGE,
    PerformanceMetrics,
    Timer,
    get_metrics,
    increment_counter,
    increment_counter_by,
    record_timing,
    reset_metrics,
    set_gauge,
    start_metrics_snapshots,
    time_operation,
    write_metrics_snapshot,
)
from shared.writer.config import LogConfig
from shared.writer.setup import init_logging, reset_logging

THREADS = 8


@pytest.fixture(autouse=True)
def _fresh_metrics() -> Iterator[None]:
    reset_metrics()
    yield
    reset_metrics()


@pytest.fixture
def _eager_thread_switching() -> Iterator[None]:
    # The GIL switches threads every 5 ms by default, which hides races behind luck; switching
    # every microsecond interleaves the racing threads inside the recording code.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def run_threads(target: Any, count: int = THREADS) -> None:
    """Run ``target(index)`` in ``count`` real threads and wait for all of them."""
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def nearest_rank(samples: list[float], percent: int) -> float:
    """The exact nearest-rank percentile: the ceil(p/100 * n)-th smallest sample."""
    ordered = sorted(samples)
    return ordered[max(1, math.ceil(percent * len(ordered) / 100)) - 1]


def assert_percentiles_within_bound(samples_s: list[float]) -> None:
    """Record ``samples_s`` (seconds) and compare p50/p95/p99 with the exact values."""
    for sample in samples_s:
        record_timing("op", sample)
    stats = get_metrics().timings["op"]
    samples_ms = [s * 1000.0 for s in samples_s]
    for percent, estimate in ((50, stats.p50_ms), (95, stats.p95_ms), (99, stats.p99_ms)):
        exact = nearest_rank(samples_ms, percent)
        assert abs(estimate - exact) <= PERCENTILE_RELATIVE_ERROR * exact, (percent, exact)


class TestCounters:
    def test_counter_starts_at_zero_and_counts_each_call(self) -> None:
        """A new counter counts every increment from zero."""
        for _ in range(3):
            increment_counter("files_imported")
        assert get_metrics().counters == {"files_imported": 3}

    def test_increment_by_adds_the_amount(self) -> None:
        """increment_counter_by adds its amount to the same counter."""
        increment_counter("bytes")
        increment_counter_by("bytes", 41)
        assert get_metrics().counters["bytes"] == 42

    def test_negative_amount_is_rejected(self) -> None:
        """Counters only go up."""
        with pytest.raises(ValueError, match="amount"):
            increment_counter_by("bytes", -1)

    @pytest.mark.usefixtures("_eager_thread_switching")
    def test_eight_threads_sum_exactly(self) -> None:
        """Increments from eight threads racing on one new name all count."""
        barrier = threading.Barrier(THREADS)

        def work(_: int) -> None:
            barrier.wait()
            for _ in range(2000):
                increment_counter("shared")
                increment_counter_by("shared_by_3", 3)

        run_threads(work)
        assert get_metrics().counters == {"shared": THREADS * 2000, "shared_by_3": THREADS * 6000}


class TestTimings:
    def test_accepts_timedelta_and_float_seconds(self) -> None:
        """A float is seconds, a timedelta is converted; stats are in milliseconds."""
        record_timing("query", 0.25)
        record_timing("query", timedelta(milliseconds=750))
        stats = get_metrics().timings["query"]
        assert stats.count == 2
        assert [stats.total_ms, stats.min_ms, stats.max_ms, stats.avg_ms] == pytest.approx(
            [1000.0, 250.0, 750.0, 500.0]
        )

    @pytest.mark.parametrize("bad", [-0.001, math.nan, math.inf, timedelta(seconds=-1)])
    def test_rejects_negative_or_non_finite_durations(self, bad: float | timedelta) -> None:
        """Durations must be finite and non-negative."""
        with pytest.raises(ValueError, match="duration"):
            record_timing("query", bad)
        assert get_metrics().timings == {}

    def test_zero_durations_report_zero(self) -> None:
        """Zero-length samples are kept and reported as 0 ms."""
        for _ in range(10):
            record_timing("noop", 0)
        stats = get_metrics().timings["noop"]
        assert (stats.count, stats.p50_ms, stats.p99_ms, stats.max_ms) == (10, 0.0, 0.0, 0.0)

    def test_single_sample_is_every_percentile(self) -> None:
        """With one sample, min, max and every percentile are that sample (clamped exactly)."""
        record_timing("once", 0.0123)
        stats = get_metrics().timings["once"]
        values = {stats.min_ms, stats.p50_ms, stats.p95_ms, stats.p99_ms, stats.max_ms}
        assert len(values) == 1
        assert values.pop() == pytest.approx(12.3)

    @pytest.mark.usefixtures("_eager_thread_switching")
    def test_eight_threads_recording_new_names_lose_no_sample(self) -> None:
        """Threads released together onto the same brand-new name all land their sample."""
        barrier = threading.Barrier(THREADS)
        rounds = 300

        def work(_: int) -> None:
            for round_ in range(rounds):
                barrier.wait()
                record_timing(f"new-{round_}", 0.001)

        run_threads(work)
        timings = get_metrics().timings
        assert len(timings) == rounds
        assert {stats.count for stats in timings.values()} == {THREADS}

    def test_percentiles_of_uniform_data_are_within_bound(self) -> None:
        """p50/p95/p99 of 1..1000 ms are within the documented relative error."""
        assert_percentiles_within_bound([ms / 1000.0 for ms in range(1, 1001)])

    def test_percentiles_of_heavy_tailed_data_are_within_bound(self) -> None:
        """A log-normal spread over six decades stays within the documented relative error."""
        rng = random.Random(7)
        assert_percentiles_within_bound([rng.lognormvariate(-6, 2.5) for _ in range(20_000)])

    @settings(max_examples=150, deadline=None)
    @given(st.lists(st.floats(min_value=1e-6, max_value=3600.0), min_size=1, max_size=300))
    def test_percentiles_are_within_bound_for_any_samples(self, samples: list[float]) -> None:
        """For any durations from 1 us to 1 h the percentiles are within the documented bound."""
        reset_metrics()
        assert_percentiles_within_bound(samples)


class TestGauges:
    def test_latest_value_wins(self) -> None:
        """A gauge holds the last value set, as a float."""
        set_gauge("queue_depth", 5)
        set_gauge("queue_depth", 2)
        assert get_metrics().gauges == {"queue_depth": 2.0}
        assert isinstance(get_metrics().gauges["queue_depth"], float)

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_non_finite_values_are_rejected(self, bad: float) -> None:
        """NaN and infinity have no JSON form, so a gauge refuses them."""
        with pytest.raises(ValueError, match="finite"):
            set_gauge("load", bad)
        assert get_metrics().gauges == {}


class TestReset:
    def test_reset_forgets_everything(self) -> None:
        """After reset_metrics there are no counters, timings or gauges."""
        increment_counter("c")
        record_timing("t", 0.1)
        set_gauge("g", 1.0)
        reset_metrics()
        assert get_metrics() == PerformanceMetrics()


class TestTimer:
    def test_context_manager_records_one_sample(self) -> None:
        """``with Timer(name)`` records exactly one sample."""
        with Timer("block"):
            pass
        assert get_metrics().timings["block"].count == 1

    def test_async_context_manager_records_one_sample(self) -> None:
        """``async with Timer(name)`` records exactly one sample across an await."""

        async def main() -> None:
            async with Timer("block"):
                await asyncio.sleep(0)

        run_async(main())
        assert get_metrics().timings["block"].count == 1

    def test_decorated_function_records_one_sample_per_call(self) -> None:
        """A decorated sync function records a sample per call and returns its result."""

        @Timer("add")
        def add(a: int, b: int) -> int:
            return a + b

        assert [add(1, 2), add(3, 4)] == [3, 7]
        assert add.__name__ == "add"
        assert get_metrics().timings["add"].count == 2

    def test_decorated_coroutine_records_one_sample_per_call(self) -> None:
        """A decorated async function stays a coroutine function and records a sample per call."""

        @Timer("fetch")
        async def fetch(value: int) -> int:
            await asyncio.sleep(0)
            return value

        async def main() -> list[int]:
            return [await fetch(1), await fetch(2)]

        assert inspect.iscoroutinefunction(fetch)
        assert run_async(main()) == [1, 2]
        assert get_metrics().timings["fetch"].count == 2

    def test_records_a_sample_when_the_block_raises(self) -> None:
        """A failing block is still timed and the exception propagates."""
        with pytest.raises(KeyError), Timer("failing"):
            raise KeyError("x")
        assert get_metrics().timings["failing"].count == 1

    def test_start_and_stop_record_the_returned_duration(self) -> None:
        """Timer.start(...).stop() records one sample equal to the duration it returns."""
        elapsed_ms = Timer.start("manual").stop()
        assert get_metrics().timings["manual"].total_ms == pytest.approx(elapsed_ms)

    def test_stop_without_start_is_an_error(self) -> None:
        """Stopping a timer that is not running raises instead of recording garbage."""
        with pytest.raises(RuntimeError, match="not running"):
            Timer("idle").stop()

    def test_time_operation_works_as_context_manager_and_decorator(self) -> None:
        """time_operation is usable both ways and each use records one sample."""

        @time_operation("op")
        def work() -> None:
            pass

        work()
        with time_operation("op"):
            pass
        assert get_metrics().timings["op"].count == 2

    def test_concurrent_calls_of_a_decorated_function_each_record(self) -> None:
        """One decorated function called from eight threads records every call."""

        @time_operation("parallel")
        def work(_: int) -> None:
            pass

        run_threads(work)
        assert get_metrics().timings["parallel"].count == THREADS


class RecordingLogger:
    """A logger stand-in whose info() may fail first, then records calls and signals them."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.called = threading.Event()

    def info(self, event: str, **fields: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise OSError("disk full")
        self.calls.append((event, fields))
        self.called.set()


class TestSnapshots:
    def test_snapshot_record_has_the_reserved_shape(self, tmp_path: Path) -> None:
        """A snapshot is one info record, category performance, carrying fields.metrics."""
        config = LogConfig(log_dir=tmp_path, console_level="error", file_level="info")
        increment_counter("c")
        record_timing("t", 0.002)
        set_gauge("g", 0.5)
        init_logging(config, env_filter="")
        try:
            write_metrics_snapshot()
        finally:
            reset_logging()
        lines = config.log_file.read_text().splitlines()
        (record,) = [
            r for r in map(LogEvent.model_validate_json, lines) if r.target != "shared.logging"
        ]
        assert (record.message, record.category, record.level, record.target) == (
            SNAPSHOT_MESSAGE,
            LogCategory.PERFORMANCE,
            "info",
            "shared.metrics",
        )
        assert list(record.fields) == ["metrics"]
        assert PerformanceMetrics.model_validate(record.fields["metrics"]) == get_metrics()

    def test_snapshots_are_written_until_stopped(self) -> None:
        """The background thread writes snapshots and is gone after stop()."""
        logger = RecordingLogger()
        handle = start_metrics_snapshots(0.005, logger=logger)
        assert logger.called.wait(timeout=30)
        handle.stop()
        assert not handle.running
        event, fields = logger.calls[0]
        assert (event, fields["category"]) == (SNAPSHOT_MESSAGE, "performance")

    def test_a_failing_snapshot_does_not_kill_the_thread(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """After a snapshot raises, the thread reports it on stderr and keeps writing."""
        logger = RecordingLogger(failures=1)
        handle = start_metrics_snapshots(0.005, logger=logger)
        assert logger.called.wait(timeout=30)
        handle.stop()
        assert "metrics snapshot failed: OSError: disk full" in capsys.readouterr().err

    def test_stop_is_idempotent(self) -> None:
        """Stopping twice is harmless."""
        handle = start_metrics_snapshots(60, logger=RecordingLogger())
        handle.stop()
        handle.stop()
        assert not handle.running

    @pytest.mark.parametrize("interval", [0, -1.0])
    def test_non_positive_interval_is_rejected(self, interval: float) -> None:
        """An interval must be positive."""
        with pytest.raises(ValueError, match="interval_s"):
            start_metrics_snapshots(interval)
