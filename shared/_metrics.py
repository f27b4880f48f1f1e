"""Process-wide performance metrics: counters, timings with percentiles, gauges.

Percentiles come from a log-bucketed histogram (the DDSketch scheme): each sample lands in bucket
``ceil(log_gamma(ms))`` and is reported as that bucket's midpoint, so every p50/p95/p99 is within
`PERCENTILE_RELATIVE_ERROR` (1%) of the exact nearest-rank percentile of the recorded samples, and
is clamped into ``[min_ms, max_ms]``. Memory per timing name is bounded by the number of buckets
between 1 ns and the longest sample (under 2,500 even for a sample of 30 years), not by the number
of samples. ``count``, ``total_ms``, ``min_ms`` and ``max_ms`` are exact.
"""

from __future__ import annotations

import math
import threading
from datetime import timedelta

from pydantic import BaseModel, Field

#: Documented bound on |estimate - exact| / exact for p50/p95/p99.
PERCENTILE_RELATIVE_ERROR = 0.01

# The sketch is built slightly tighter than the promise, so float rounding of log() at a bucket
# edge can never push an estimate past the documented 1%.
_ALPHA = 0.009
_GAMMA = (1 + _ALPHA) / (1 - _ALPHA)
_LOG_GAMMA = math.log(_GAMMA)
#: Samples shorter than this (1 ns, in ms) are counted as zero: log() has no bucket for them.
_MIN_MS = 1e-6
_PERCENTS = (50, 95, 99)


class TimingStats(BaseModel):
    """Summary of the samples recorded under one timing name (all durations in milliseconds)."""

    count: int
    total_ms: float
    min_ms: float
    max_ms: float
    avg_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


class PerformanceMetrics(BaseModel):
    """A snapshot of every counter, timing and gauge of this process."""

    counters: dict[str, int] = Field(default_factory=dict)
    timings: dict[str, TimingStats] = Field(default_factory=dict)
    gauges: dict[str, float] = Field(default_factory=dict)


class _Accumulator:
    """Exact count/total/min/max plus the percentile histogram of one timing name."""

    __slots__ = ("buckets", "count", "max_ms", "min_ms", "total_ms", "zeros")

    def __init__(self) -> None:
        self.count = 0
        self.total_ms = 0.0
        self.min_ms = math.inf
        self.max_ms = 0.0
        self.zeros = 0
        self.buckets: dict[int, int] = {}

    def add(self, ms: float) -> None:
        self.count += 1
        self.total_ms += ms
        self.min_ms = min(self.min_ms, ms)
        self.max_ms = max(self.max_ms, ms)
        if ms < _MIN_MS:
            self.zeros += 1
        else:
            index = math.ceil(math.log(ms) / _LOG_GAMMA)
            self.buckets[index] = self.buckets.get(index, 0) + 1

    def percentiles(self) -> list[float]:
        """Estimate the nearest-rank p50, p95 and p99 in one walk over the buckets."""
        # Nearest rank ceil(p/100 * n) in integer arithmetic: 0.95 * 100 is 95.00000000000001.
        ranks = [max(1, (p * self.count + 99) // 100) for p in _PERCENTS]
        results: list[float] = []
        seen = self.zeros
        walk = iter(sorted(self.buckets.items()))
        index = None
        for rank in ranks:
            while seen < rank:
                index, n = next(walk)
                seen += n
            value = 0.0 if index is None else 2 * _GAMMA**index / (_GAMMA + 1)
            results.append(min(max(value, self.min_ms), self.max_ms))
        return results

    def stats(self) -> TimingStats:
        p50, p95, p99 = self.percentiles()
        return TimingStats(
            count=self.count,
            total_ms=self.total_ms,
            min_ms=self.min_ms,
            max_ms=self.max_ms,
            avg_ms=self.total_ms / self.count,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
        )


class _Registry:
    """All metrics of the process behind one lock.

    One lock (instead of the seed's read-then-upgrade) is what makes creating a new name atomic:
    two threads recording the same new name can no longer both create it and drop a sample.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, int] = {}
        self._timings: dict[str, _Accumulator] = {}
        self._gauges: dict[str, float] = {}

    def increment(self, name: str, amount: int) -> None:
        with self._lock:
            self._counters[name] = self._counters.get(name, 0) + amount

    def record(self, name: str, ms: float) -> None:
        with self._lock:
            accumulator = self._timings.get(name)
            if accumulator is None:
                accumulator = self._timings[name] = _Accumulator()
            accumulator.add(ms)

    def set_gauge(self, name: str, value: float) -> None:
        with self._lock:
            self._gauges[name] = value

    def snapshot(self) -> PerformanceMetrics:
        with self._lock:
            return PerformanceMetrics(
                counters=dict(self._counters),
                timings={name: acc.stats() for name, acc in self._timings.items()},
                gauges=dict(self._gauges),
            )

    def reset(self) -> None:
        with self._lock:
            self._counters.clear()
            self._timings.clear()
            self._gauges.clear()


_REGISTRY = _Registry()


def increment_counter(name: str) -> None:
    """Add one to the counter ``name`` (created at zero on first use).

    Args:
        name: Counter name.
    """
    _REGISTRY.increment(name, 1)


def increment_counter_by(name: str, amount: int) -> None:
    """Add ``amount`` to the counter ``name`` (created at zero on first use).

    Args:
        name: Counter name.
        amount: A non-negative integer; counters only go up.

    Raises:
        ValueError: ``amount`` is negative.
    """
    if amount < 0:
        raise ValueError(f"amount must be >= 0, got {amount}")
    _REGISTRY.increment(name, amount)


def record_timing(name: str, duration: timedelta | float) -> None:
    """Record one sample of the timing ``name``.

    Args:
        name: Timing name.
        duration: A `datetime.timedelta`, or a number of **seconds** (as `time.perf_counter`
            differences are); stored and reported in milliseconds.

    Raises:
        ValueError: ``duration`` is negative or not finite.
    """
    seconds = duration.total_seconds() if isinstance(duration, timedelta) else float(duration)
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be a finite, non-negative time, got {duration!r}")
    _REGISTRY.record(name, seconds * 1000.0)


def set_gauge(name: str, value: float) -> None:
    """Set the gauge ``name`` to ``value`` (the latest value wins).

    Args:
        name: Gauge name.
        value: Current value.
    """
    _REGISTRY.set_gauge(name, float(value))


def get_metrics() -> PerformanceMetrics:
    """Return a consistent snapshot of all metrics of this process.

    Returns:
        Counters, timings (names with at least one sample) and gauges.
    """
    return _REGISTRY.snapshot()


def reset_metrics() -> None:
    """Forget every counter, timing and gauge."""
    _REGISTRY.reset()
