"""Process-wide performance metrics: counters, timings with percentiles, gauges.

Percentiles come from a log-bucketed histogram (the DDSketch scheme): each sample lands in bucket
``ceil(log_gamma(ms))`` and is reported as that bucket's midpoint, so every p50/p95/p99 is within
`PERCENTILE_RELATIVE_ERROR` (1%) of the exact nearest-rank percentile of the recorded samples, and
is clamped into ``[min_ms, max_ms]``. Memory per timing name is bounded by the number of buckets
between 1 ns and the longest sample (under 2,500 even for a sample of 30 years), not by the number
of samples. ``count``, ``total_ms``, ``min_ms`` and ``max_ms`` are exact.
"""

from __future__ import annotations

import functools
import inspect
import math
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, ParamSpec, Self, TypeVar, overload

from pydantic import BaseModel, Field

from shared._events import LogCategory
from shared.writer.diag import complain
from shared.writer.setup import get_logger

P = ParamSpec("P")
R = TypeVar("R")

#: Message of the reserved record that carries a `PerformanceMetrics` (docs/PROTOCOL.md).
SNAPSHOT_MESSAGE = "metrics snapshot"

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

    Raises:
        ValueError: ``value`` is NaN or infinite (JSON has no such number, so the snapshot
            could not be read back).
    """
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"gauge value must be finite, got {value!r}")
    _REGISTRY.set_gauge(name, value)


def get_metrics() -> PerformanceMetrics:
    """Return a consistent snapshot of all metrics of this process.

    Returns:
        Counters, timings (names with at least one sample) and gauges.
    """
    return _REGISTRY.snapshot()


def reset_metrics() -> None:
    """Forget every counter, timing and gauge."""
    _REGISTRY.reset()


class Timer:
    """Record how long a block, or each call of a function, takes under the timing ``name``.

    ``with Timer("x"):`` / ``async with Timer("x"):`` time a block; ``@Timer("x")`` times every
    call of a sync or async function; ``Timer.start("x")`` ... ``.stop()`` times anything else.
    A sample is recorded also when the block raises.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        # A stack, so one instance may be entered again inside itself.
        self._starts: list[float] = []

    @classmethod
    def start(cls, name: str) -> Timer:
        """Return a timer that is already running; `stop` records the sample."""
        timer = cls(name)
        timer._starts.append(time.perf_counter())
        return timer

    def stop(self) -> float:
        """Record the time since the matching start.

        Returns:
            The recorded duration in milliseconds.

        Raises:
            RuntimeError: The timer is not running.
        """
        if not self._starts:
            raise RuntimeError(f"timer {self.name!r} is not running")
        elapsed = time.perf_counter() - self._starts.pop()
        record_timing(self.name, elapsed)
        return elapsed * 1000.0

    def __enter__(self) -> Self:
        self._starts.append(time.perf_counter())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.stop()

    @overload
    def __call__(
        self, fn: Callable[P, Coroutine[Any, Any, R]]
    ) -> Callable[P, Coroutine[Any, Any, R]]: ...
    @overload
    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]: ...
    def __call__(self, fn: Callable[P, Any]) -> Callable[P, Any]:
        """Decorate ``fn`` so each call records one sample (a fresh timer per call)."""
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def timed_coroutine(*args: P.args, **kwargs: P.kwargs) -> Any:
                with Timer(self.name):
                    return await fn(*args, **kwargs)

            return timed_coroutine

        @functools.wraps(fn)
        def timed(*args: P.args, **kwargs: P.kwargs) -> Any:
            with Timer(self.name):
                return fn(*args, **kwargs)

        return timed


def time_operation(name: str) -> Timer:
    """Time a block (``with``/``async with``) or a function (decorator) under ``name``.

    Args:
        name: Timing name.

    Returns:
        A `Timer`.
    """
    return Timer(name)


def write_metrics_snapshot(logger: Any = None) -> None:
    """Log the current metrics as the reserved ``metrics snapshot`` record (info, performance).

    Args:
        logger: A structlog logger; default: the logger of target ``shared.metrics``.
    """
    log = logger if logger is not None else get_logger("shared.metrics")
    metrics = get_metrics().model_dump()
    log.info(SNAPSHOT_MESSAGE, category=LogCategory.PERFORMANCE.value, metrics=metrics)


class MetricsSnapshots:
    """A daemon thread writing a metrics snapshot every ``interval_s`` seconds until `stop`."""

    def __init__(self, interval_s: float, logger: Any = None) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be > 0, got {interval_s!r}")
        self._interval = interval_s
        self._logger = logger
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="msc-metrics-snapshots", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        """Whether the snapshot thread is still alive."""
        return self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread and wait for it (idempotent; no further snapshot is written).

        Args:
            timeout: Seconds to wait for the thread; None waits until it ends.
        """
        self._stopped.set()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.wait(self._interval):
            try:
                write_metrics_snapshot(self._logger)
            except Exception as exc:  # a background pump must never raise into the host
                # Not logged: the log is probably what failed (shared.writer.diag's rule).
                complain(f"metrics snapshot failed: {type(exc).__name__}: {exc}")


def start_metrics_snapshots(interval_s: float, logger: Any = None) -> MetricsSnapshots:
    """Start writing a metrics snapshot into the log every ``interval_s`` seconds.

    Args:
        interval_s: Seconds between snapshots (> 0); the first comes after one interval.
        logger: A structlog logger; default: target ``shared.metrics``.

    Returns:
        The running `MetricsSnapshots`; call ``.stop()`` to end it.

    Raises:
        ValueError: ``interval_s`` is not positive.
    """
    return MetricsSnapshots(interval_s, logger)
