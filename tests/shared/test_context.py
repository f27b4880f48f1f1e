"""LogContext, spans, TimingGuard and handing the logging context to threads."""

from __future__ import annotations

import asyncio
import multiprocessing
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from asyncsupport import run_async
from pydantic import ValidationError

from shared._events import LogCategory, LogEvent, SpanInfo
from shared.writer.config import LogConfig
from shared.writer.context import (
    LogContext,
    Span,
    TimingGuard,
    context_submit,
    context_wrap,
    current_span,
    span,
)
from shared.writer.setup import get_logger, init_logging, reset_logging

TARGET = "test.context"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Logging initialised into tmp_path, every level to the file; yields the active file."""
    config = LogConfig(log_dir=tmp_path, console_level="error", file_level="trace")
    init_logging(config, env_filter="")
    yield config.log_file
    reset_logging()


@pytest.fixture
def untimed_log_file(tmp_path: Path) -> Iterator[Path]:
    """Like ``log_file`` with enable_span_timing off."""
    config = LogConfig(
        log_dir=tmp_path, console_level="error", file_level="trace", enable_span_timing=False
    )
    init_logging(config, env_filter="")
    yield config.log_file
    reset_logging()


def read_records(log_file: Path, message: str | None = None) -> list[LogEvent]:
    """Records this module wrote (not init_logging's or asyncio's), optionally one message."""
    records = [LogEvent.model_validate_json(line) for line in log_file.read_text().splitlines()]
    return [
        r
        for r in records
        if r.target in {TARGET, __name__} and (message is None or r.message == message)
    ]


def log(message: str, **fields: Any) -> None:
    get_logger(TARGET).info(message, **fields)


def generate_ids(count: int) -> list[str]:
    """Child-process helper: a batch of request ids."""
    return [LogContext.generate_request_id() for _ in range(count)]


FULL = (
    LogContext.with_request_id("req-1")
    .with_session_id("sess-1")
    .with_file(Path("/music/a.mid"))
    .with_operation("import")
    .with_metadata("tenant", "studio-a")
)


class TestLogContextBuilders:
    def test_builders_return_new_values_and_leave_the_original(self) -> None:
        """Each builder returns a new context; the one it was called on is unchanged."""
        base = LogContext.with_request_id("req-1")
        derived = base.with_operation("import").with_metadata("k", "v")
        assert (base.operation, base.metadata) == (None, {})
        assert (derived.request_id, derived.operation, derived.metadata) == (
            "req-1",
            "import",
            {"k": "v"},
        )

    def test_with_file_stringifies_paths(self) -> None:
        """A Path given to with_file is stored as text."""
        assert LogContext().with_file(Path("/music/a.mid")).current_file == "/music/a.mid"

    def test_fields_names_what_records_carry(self) -> None:
        """fields() maps current_file to ``file`` and leaves unset ids out."""
        assert FULL.fields() == {
            "request_id": "req-1",
            "session_id": "sess-1",
            "file": "/music/a.mid",
            "operation": "import",
            "tenant": "studio-a",
        }
        assert LogContext(operation="x").fields() == {"operation": "x"}

    @pytest.mark.parametrize("key", ["span", "event", "category", "request_id", "file"])
    def test_metadata_may_not_shadow_reserved_keys(self, key: str) -> None:
        """Metadata cannot overwrite the record's structure or the context's own ids."""
        with pytest.raises(ValueError, match=key):
            LogContext().with_metadata(key, "x")
        with pytest.raises(ValidationError, match=key):
            LogContext(metadata={key: "x"})


class TestRequestIds:
    pattern = re.compile(r"req-[0-9a-f]+-[0-9a-f]{16}")

    def test_request_id_format(self) -> None:
        """Ids look like ``req-<time hex>-<16 hex>``."""
        assert self.pattern.fullmatch(LogContext.generate_request_id())

    def test_ids_are_unique_across_threads(self) -> None:
        """Eight threads generating ids at once never produce the same one."""
        with ThreadPoolExecutor(8) as pool:
            batches = list(pool.map(generate_ids, [500] * 8))
        ids = [i for batch in batches for i in batch]
        assert len(set(ids)) == len(ids) == 4000

    def test_ids_are_unique_across_forked_processes(self) -> None:
        """Forked children (which inherit any in-process generator state) produce distinct ids."""
        with multiprocessing.get_context("fork").Pool(2) as pool:
            batches = pool.map(generate_ids, [300, 300])
        ids = batches[0] + batches[1]
        assert len(set(ids)) == len(ids) == 600


class TestLogContextBinding:
    def test_values_appear_on_records_inside(self, log_file: Path) -> None:
        """Every record in the block carries the context's ids and metadata as fields."""
        with FULL:
            log("inside", extra=1)
        (record,) = read_records(log_file)
        assert record.fields == {"extra": 1, **FULL.fields()}

    def test_values_are_gone_after_the_block(self, log_file: Path) -> None:
        """Leaving the block unbinds everything it bound."""
        with FULL:
            pass
        log("after")
        assert read_records(log_file)[0].fields == {}

    def test_nested_context_overrides_and_exit_restores(self, log_file: Path) -> None:
        """An inner context wins for its keys, keeps the outer's others, and exit restores."""
        with LogContext(request_id="outer", session_id="s"):
            with LogContext(request_id="inner").with_metadata("step", "2"):
                log("inner")
            log("outer")
        inner, outer = (r.fields for r in read_records(log_file))
        assert inner == {"request_id": "inner", "session_id": "s", "step": "2"}
        assert outer == {"request_id": "outer", "session_id": "s"}

    def test_restores_on_exception(self, log_file: Path) -> None:
        """An exception leaving the block still unbinds the context."""
        with pytest.raises(RuntimeError), LogContext(request_id="r"):
            raise RuntimeError
        log("after")
        assert read_records(log_file)[0].fields == {}

    def test_values_follow_await_in_concurrent_tasks(self, log_file: Path) -> None:
        """Two tasks interleaving across awaits each log only their own request id."""

        async def handle(request_id: str, turn: asyncio.Event, other: asyncio.Event) -> None:
            async with LogContext.with_request_id(request_id):
                for step in range(3):
                    await turn.wait()
                    turn.clear()
                    log("step", step=step, expected=request_id)
                    other.set()

        async def main() -> None:
            a, b = asyncio.Event(), asyncio.Event()
            a.set()
            await asyncio.gather(handle("req-a", a, b), handle("req-b", b, a))

        run_async(main())
        records = read_records(log_file)
        assert [r.fields["request_id"] for r in records] == ["req-a", "req-b"] * 3
        assert all(r.fields["request_id"] == r.fields["expected"] for r in records)

    def test_tasks_created_inside_inherit_the_context(self, log_file: Path) -> None:
        """A task spawned inside ``async with`` carries the context after its own awaits."""

        async def child() -> None:
            await asyncio.sleep(0)
            log("child")

        async def main() -> None:
            async with LogContext(session_id="s-1"):
                task = asyncio.create_task(child())
            await task

        run_async(main())
        assert read_records(log_file)[0].fields == {"session_id": "s-1"}

    def test_one_value_entered_by_overlapping_tasks(self, log_file: Path) -> None:
        """One LogContext entered by two tasks whose blocks overlap unbinds cleanly in each."""
        shared = LogContext(request_id="shared")

        async def worker(left: asyncio.Event, wait_for: asyncio.Event | None) -> None:
            async with shared:
                await (wait_for.wait() if wait_for is not None else asyncio.sleep(0))
            left.set()
            log("left")

        async def main() -> None:
            a_left, b_left = asyncio.Event(), asyncio.Event()
            # b enters after a, but a leaves first: exits do not pair up in entry order.
            await asyncio.gather(worker(a_left, None), worker(b_left, a_left))

        run_async(main())
        assert [r.fields for r in read_records(log_file)] == [{}, {}]


class TestThreadHandover:
    def test_context_submit_carries_the_context_into_the_pool(self, log_file: Path) -> None:
        """Work submitted with context_submit logs with the submitter's context."""
        with ThreadPoolExecutor(2) as pool, LogContext(request_id="req-pool"):
            futures = [context_submit(pool, log, "work", n=n) for n in range(4)]
            for future in futures:
                future.result()
        records = read_records(log_file)
        assert sorted(r.fields["n"] for r in records) == [0, 1, 2, 3]
        assert {r.fields["request_id"] for r in records} == {"req-pool"}

    def test_plain_submit_does_not_leak_the_context(self, log_file: Path) -> None:
        """Without the helper a worker thread sees none of the submitter's context."""
        with ThreadPoolExecutor(1) as pool, LogContext(request_id="req-pool"):
            pool.submit(log, "work").result()
        assert read_records(log_file)[0].fields == {}

    def test_context_wrap_runs_the_function_in_the_captured_context(self, log_file: Path) -> None:
        """A wrapped function logs with the context captured at wrap time, from two threads."""
        with LogContext(request_id="req-thread"), span("batch") as outer:
            wrapped = context_wrap(log)
        threads = [threading.Thread(target=wrapped, args=("t",)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        records = read_records(log_file, "t")
        assert [r.fields["request_id"] for r in records] == ["req-thread"] * 2
        assert [r.span.id if r.span else None for r in records] == [outer.id] * 2


class TestSpan:
    def test_records_inside_carry_the_span(self, log_file: Path) -> None:
        """The open span is the record's span, with a 16-hex id and no parent at top level."""
        with span("import", file="a.mid") as opened:
            log("inside")
        (record,) = read_records(log_file, "inside")
        assert record.span == SpanInfo(name="import", id=opened.id, parent_id=None)
        assert re.fullmatch(r"[0-9a-f]{16}", opened.id)
        assert record.fields == {"file": "a.mid"}

    def test_nested_span_has_the_outer_id_as_parent(self, log_file: Path) -> None:
        """An inner span's parent is the outer span; after it closes the outer is current again."""
        with span("outer") as outer:
            with span("inner") as inner:
                log("in inner")
            log("in outer")
        assert inner.parent_id == outer.id
        (in_inner,) = read_records(log_file, "in inner")
        (in_outer,) = read_records(log_file, "in outer")
        assert in_inner.span == inner.info
        assert in_outer.span == outer.info
        assert current_span() is None

    def test_close_record_has_duration_and_own_span(self, log_file: Path) -> None:
        """Closing writes a debug ``span closed`` record: duration_ms to the µs, its own span."""
        with span("outer") as outer, span("inner") as inner:
            pass
        closes = read_records(log_file, "span closed")
        assert [c.span for c in closes] == [inner.info, outer.info]
        assert {(c.level, c.category, c.target) for c in closes} == {
            ("debug", LogCategory.PERFORMANCE, __name__)
        }
        assert all(isinstance(c.fields["duration_ms"], float) for c in closes)
        assert all(round(c.fields["duration_ms"], 3) == c.fields["duration_ms"] for c in closes)
        assert all("error" not in c.fields for c in closes)

    def test_no_close_record_when_span_timing_is_disabled(self, untimed_log_file: Path) -> None:
        """With enable_span_timing off a span writes nothing of its own."""
        with span("quiet"):
            log("inside")
        assert [r.message for r in read_records(untimed_log_file)] == ["inside"]

    def test_close_record_reports_the_exception(self, log_file: Path) -> None:
        """A span left by an exception says so in ``error``; the exception propagates."""
        with pytest.raises(ValueError, match="bad note"), span("parse"):
            raise ValueError("bad note")
        (close,) = read_records(log_file, "span closed")
        assert close.fields["error"] == "ValueError: bad note"

    def test_into_span_binds_the_context_too(self, log_file: Path) -> None:
        """LogContext.into_span opens a span that also carries the context's fields."""
        with LogContext.with_request_id("req-9").with_file("b.mid").into_span("load") as opened:
            log("inside")
        log("after")
        (inside,) = read_records(log_file, "inside")
        assert (inside.fields, inside.span) == (
            {"request_id": "req-9", "file": "b.mid"},
            opened.info,
        )
        (after,) = read_records(log_file, "after")
        assert (after.fields, after.span) == ({}, None)

    def test_async_spans_nest_per_task(self, log_file: Path) -> None:
        """Concurrent tasks each nest their own spans under their own outer span."""

        async def job(name: str) -> str:
            async with span(name) as outer:
                await asyncio.sleep(0)
                async with span(f"{name}-step"):
                    await asyncio.sleep(0)
                    log("step", job=name)
                return outer.id

        async def main() -> list[str]:
            return list(await asyncio.gather(job("a"), job("b")))

        outer_a, outer_b = run_async(main())
        steps = {
            r.fields["job"]: r.span.parent_id if r.span else None
            for r in read_records(log_file, "step")
        }
        assert steps == {"a": outer_a, "b": outer_b}

    def test_a_span_is_entered_once(self) -> None:
        """Re-entering a span object is an error rather than a second span with the same id."""
        opened = span("once")
        with opened:
            pass
        with pytest.raises(RuntimeError, match="already entered"), opened:
            pass

    @pytest.mark.parametrize("key", ["category", "span", "event", "target"])
    def test_structural_field_names_are_rejected(self, key: str) -> None:
        """A span field may not take a name the writer lifts out of the record."""
        with pytest.raises(ValueError, match=key):
            Span("x", {key: "midi"})


class TestTimingGuard:
    def test_below_threshold_logs_debug_completion(self, log_file: Path) -> None:
        """Within its threshold the guard logs debug ``operation completed``."""
        with TimingGuard("load").with_threshold(60_000):
            pass
        (record,) = read_records(log_file)
        assert (record.message, record.level, record.target) == (
            "operation completed",
            "debug",
            __name__,
        )
        assert record.fields.keys() == {"operation", "duration_ms"}
        assert record.fields["operation"] == "load"
        assert isinstance(record.fields["duration_ms"], float)
        assert round(record.fields["duration_ms"], 3) == record.fields["duration_ms"]  # µs

    def test_above_threshold_logs_a_warning(self, log_file: Path) -> None:
        """Past its threshold the guard warns and names the threshold."""
        with TimingGuard("load", threshold_ms=0):
            time.sleep(0.002)  # guarantees a duration above 0 ms whatever the clock resolution
        (record,) = read_records(log_file)
        assert (record.message, record.level, record.fields["threshold_ms"]) == (
            "operation exceeded time threshold",
            "warn",
            0,
        )
        assert record.fields["duration_ms"] > 0

    def test_without_threshold_never_warns(self, log_file: Path) -> None:
        """A guard without threshold always logs debug."""
        with TimingGuard("load"):
            time.sleep(0.002)
        assert read_records(log_file)[0].level == "debug"

    def test_with_threshold_returns_a_new_guard(self) -> None:
        """with_threshold leaves the original guard without threshold."""
        guard = TimingGuard("load")
        assert (guard.with_threshold(5).threshold_ms, guard.threshold_ms) == (5, None)

    def test_async_guard_reports_an_exception(self, log_file: Path) -> None:
        """``async with`` works and a failing block is reported in ``error``."""

        async def main() -> None:
            async with TimingGuard("fetch"):
                await asyncio.sleep(0)
                raise TimeoutError("slow peer")

        with pytest.raises(TimeoutError):
            run_async(main())
        assert read_records(log_file)[0].fields["error"] == "TimeoutError: slow peer"

    def test_negative_threshold_is_rejected(self) -> None:
        """A threshold below zero is a mistake, not a guard that always warns."""
        with pytest.raises(ValueError, match="threshold_ms"):
            TimingGuard("x", threshold_ms=-1)
