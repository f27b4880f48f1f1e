"""Request and span waterfalls: `collect_trace` over logs written by the real writer and others."""

from __future__ import annotations

import base64
import contextvars
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.reader.query import iter_logs
from shared.reader.trace import collect_trace, summarize_spans
from shared.writer.config import LogConfig
from shared.writer.context import LogContext, Span, span
from shared.writer.setup import get_logger, init_logging, reset_logging

APP = "midi-software-center"


def start_logging(log_dir: Path, **overrides: Any) -> None:
    """Our writer into ``log_dir``, every level to the file."""
    config = LogConfig(log_dir=log_dir, console_level="error", file_level="trace", **overrides)
    init_logging(config, env_filter="")


def leave_open(name: str, message: str) -> None:
    """Open a span, log inside it and never close it (in a context of its own)."""

    def inside() -> None:
        Span(name).__enter__()
        get_logger("tests.trace").info(message)

    contextvars.copy_context().run(inside)


def write_request(log_dir: Path, request_id: str = "req-waterfall", **config: Any) -> None:
    """One request: outer ⊃ (inner with an error ⊃ deepest), plus a span left open."""
    start_logging(log_dir, **config)
    log = get_logger("tests.trace")
    with LogContext.with_request_id(request_id):
        log.info("request starts")  # outside every span
        with span("outer"):
            log.info("outer works")
            with span("inner"):
                time.sleep(0.01)
                log.error("inner failed")
                with span("deepest"):
                    log.debug("deepest works")
            leave_open("still running", "open span works")
    with LogContext.with_request_id("req-other"), span("elsewhere"):
        log.warning("another request")
    reset_logging()


def close_records(log_dir: Path) -> dict[str, dict[str, Any]]:
    """The writer's ``span closed`` records, by span name."""
    return {e["span"]["name"]: e for e in iter_logs(log_dir) if e["message"] == "span closed"}


def by_name(trace: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The spans of a trace, by name."""
    return {s["name"]: s for s in trace["spans"]}


class TestNestedSpans:
    def test_request_gives_every_span_with_its_parent(self, tmp_path: Path) -> None:
        """Every span of the request comes back once, nested by parent_id, none of another."""
        write_request(tmp_path)
        spans = by_name(collect_trace(tmp_path, request_id="req-waterfall"))
        assert set(spans) == {"outer", "inner", "deepest", "still running"}
        assert spans["outer"]["parent_id"] is None
        assert spans["inner"]["parent_id"] == spans["outer"]["id"]
        assert spans["deepest"]["parent_id"] == spans["inner"]["id"]
        assert spans["still running"]["parent_id"] == spans["outer"]["id"]

    def test_durations_and_ends_are_the_close_records(self, tmp_path: Path) -> None:
        """A closed span ends at its close record and lasts its duration_ms."""
        write_request(tmp_path)
        spans = by_name(collect_trace(tmp_path, request_id="req-waterfall"))
        closes = close_records(tmp_path)
        for name in ("outer", "inner", "deepest"):
            assert spans[name]["end"] == closes[name]["timestamp"]
            assert spans[name]["duration_ms"] == closes[name]["fields"]["duration_ms"]
        assert spans["inner"]["duration_ms"] >= 10
        assert spans["outer"]["duration_ms"] >= spans["inner"]["duration_ms"]

    def test_start_is_close_time_minus_duration(self, tmp_path: Path) -> None:
        """A closed span starts its duration before its close record, not at its first entry."""
        write_request(tmp_path)
        spans = by_name(collect_trace(tmp_path, request_id="req-waterfall"))
        inner = spans["inner"]
        end = time.mktime(time.strptime(inner["end"][:19], "%Y-%m-%dT%H:%M:%S"))
        start = time.mktime(time.strptime(inner["start"][:19], "%Y-%m-%dT%H:%M:%S"))
        elapsed = end + float(inner["end"][19:26]) - start - float(inner["start"][19:26])
        assert elapsed == pytest.approx(inner["duration_ms"] / 1000, abs=2e-6)

    def test_open_span_has_no_end(self, tmp_path: Path) -> None:
        """A span without a close record is open: end null, its one entry counted."""
        write_request(tmp_path)
        still = by_name(collect_trace(tmp_path, request_id="req-waterfall"))["still running"]
        assert still["end"] is None
        assert still["entry_count"] == 1
        assert still["duration_ms"] == 0

    def test_levels_are_the_worst_inside(self, tmp_path: Path) -> None:
        """An error in a child marks the child and its ancestors, not its siblings or children."""
        write_request(tmp_path)
        spans = by_name(collect_trace(tmp_path, request_id="req-waterfall"))
        assert spans["inner"]["level"] == "error"
        assert spans["outer"]["level"] == "error"
        assert spans["deepest"]["level"] == "debug"
        assert spans["still running"]["level"] == "info"

    def test_counts_entries(self, tmp_path: Path) -> None:
        """entry_count counts a span's own entries and its close record; entries counts all."""
        write_request(tmp_path)
        trace = collect_trace(tmp_path, request_id="req-waterfall")
        spans = by_name(trace)
        assert spans["outer"]["entry_count"] == 2  # "outer works" + close
        assert spans["inner"]["entry_count"] == 2
        assert trace["entries"] == 1 + 2 + 2 + 2 + 1

    def test_spans_are_ordered_by_start(self, tmp_path: Path) -> None:
        """The spans come oldest start first."""
        write_request(tmp_path)
        starts = [s["start"] for s in collect_trace(tmp_path, request_id="req-waterfall")["spans"]]
        assert starts == sorted(starts)
        assert len(starts) == 4

    def test_span_id_gives_the_whole_request(self, tmp_path: Path) -> None:
        """Asking by the deepest span's id gives the tree of its whole request."""
        write_request(tmp_path)
        deepest = by_name(collect_trace(tmp_path, request_id="req-waterfall"))["deepest"]
        trace = collect_trace(tmp_path, span_id=deepest["id"])
        assert set(by_name(trace)) == {"outer", "inner", "deepest", "still running"}

    def test_span_without_request_gives_its_descendants(self, tmp_path: Path) -> None:
        """Without a request id, a span id gives that span and all nested in it, no more."""
        start_logging(tmp_path)
        log = get_logger("tests.trace")
        with span("root"):
            with span("a"), span("b"), span("c"):
                log.info("three deep")
            log.info("root again")
        with span("unrelated"):
            log.info("elsewhere")
        reset_logging()
        root = next(e for e in iter_logs(tmp_path) if e["message"] == "root again")["span"]
        spans = by_name(collect_trace(tmp_path, span_id=root["id"]))
        assert set(spans) == {"root", "a", "b", "c"}
        assert spans["c"]["parent_id"] == spans["b"]["id"]

    def test_trace_spans_rotated_files(self, tmp_path: Path) -> None:
        """A request written across rotations is found whole, older files included."""
        write_request(tmp_path, max_file_size_mb=0.001, max_files=50)
        assert (tmp_path / f"{APP}.log.2").exists()
        trace = collect_trace(tmp_path, request_id="req-waterfall")
        assert set(by_name(trace)) == {"outer", "inner", "deepest", "still running"}
        assert trace["entries"] == 8

    def test_unknown_id_gives_nothing(self, tmp_path: Path) -> None:
        """An id no entry carries gives no spans and no entries."""
        write_request(tmp_path)
        assert collect_trace(tmp_path, request_id="req-nobody") == {"spans": [], "entries": 0}
        assert collect_trace(tmp_path, span_id="0123456789abcdef") == {"spans": [], "entries": 0}

    def test_exactly_one_id(self, tmp_path: Path) -> None:
        """Neither or both ids is an error."""
        with pytest.raises(ValueError, match="exactly one"):
            collect_trace(tmp_path)
        with pytest.raises(ValueError, match="exactly one"):
            collect_trace(tmp_path, request_id="a", span_id="b")


TRACE_ID = "5b8efff798038103d269b633813fc60c"


def otel(second: int, span_id: str, severity: int, message: str, **ids: str) -> bytes:
    """One flat OpenTelemetry LogRecord line."""
    record = {
        "timeUnixNano": str((1_790_000_000 + second) * 1_000_000_000),
        "severityNumber": severity,
        "body": {"stringValue": message},
        "traceId": ids.get("trace", TRACE_ID),
        "spanId": span_id,
    }
    return orjson.dumps(record) + b"\n"


class TestForeignFormats:
    def test_opentelemetry_trace_and_span_ids(self, tmp_path: Path) -> None:
        """traceId is the request and spanId the span; a span's worst severity is its level."""
        lines = [
            otel(0, "eee19b7ec3c1b174", 9, "handler"),
            otel(1, "eee19b7ec3c1b175", 9, "query"),
            otel(3, "eee19b7ec3c1b175", 17, "query failed"),
            otel(2, "eee19b7ec3c1b176", 9, "other trace", trace="0" * 32),
        ]
        (tmp_path / "otel.jsonl").write_bytes(b"".join(lines))
        trace = collect_trace(tmp_path, request_id=TRACE_ID)
        assert [(s["id"], s["entry_count"], s["level"]) for s in trace["spans"]] == [
            ("eee19b7ec3c1b174", 1, "info"),
            ("eee19b7ec3c1b175", 2, "error"),
        ]
        query = trace["spans"][1]
        assert (query["end"], query["duration_ms"]) == (None, 2000.0)
        assert collect_trace(tmp_path, span_id="eee19b7ec3c1b174") == trace

    def test_opentelemetry_base64_ids(self, tmp_path: Path) -> None:
        """Ids written in base64 (protobuf's JSON) are found by their hex form."""
        b64 = base64.b64encode(bytes.fromhex(TRACE_ID)).decode()
        span_b64 = base64.b64encode(bytes.fromhex("eee19b7ec3c1b174")).decode()
        (tmp_path / "otel.jsonl").write_bytes(otel(0, span_b64, 9, "handler", trace=b64))
        trace = collect_trace(tmp_path, span_id="eee19b7ec3c1b174")
        assert [s["id"] for s in trace["spans"]] == ["eee19b7ec3c1b174"]

    def test_tracing_span_paths(self, tmp_path: Path) -> None:
        """Rust tracing's span stack nests by path: a span id gives it and what is inside."""

        def line(second: int, level: str, spans: list[str]) -> bytes:
            record = {
                "timestamp": f"2026-12-06T10:00:0{second}.000000Z",
                "level": level,
                "fields": {"message": f"at {second}"},
                "target": "app",
                "span": {"name": spans[-1]},
                "spans": [{"name": name} for name in spans],
            }
            return orjson.dumps(record) + b"\n"

        lines = [
            line(1, "INFO", ["request"]),
            line(2, "ERROR", ["request", "db"]),
            line(3, "INFO", ["other"]),
        ]
        (tmp_path / "rust.jsonl").write_bytes(b"".join(lines))
        spans = by_name(collect_trace(tmp_path, span_id="request"))
        assert set(spans) == {"request", "db"}
        assert spans["db"]["parent_id"] == "request"
        assert spans["request"]["level"] == "error"


class TestTreeOrder:
    @staticmethod
    def _entry(stamp: str, span_id: str, parent: str | None, **extra: Any) -> dict[str, Any]:
        return {
            "timestamp": stamp,
            "level": "info",
            "category": "performance" if extra else "system",
            "message": "span closed" if extra else "work",
            "fields": extra,
            "span": {"name": span_id, "id": span_id, "parent_id": parent},
        }

    def test_a_parent_comes_first_though_its_rounded_start_is_a_microsecond_late(self) -> None:
        """Close time minus a rounded duration may fall after the child's first entry: the
        parent still comes first, starting with its child, and each child follows its parent."""
        entries = [
            self._entry("2026-01-01T00:00:00.000001Z", "child", "parent"),
            self._entry("2026-01-01T00:00:00.000003Z", "child", "parent", duration_ms=0.002),
            self._entry("2026-01-01T00:00:00.000000Z", "other", None),
            self._entry("2026-01-01T00:00:00.000004Z", "parent", None, duration_ms=0.002),
        ]
        rows = summarize_spans(entries)
        assert [row["id"] for row in rows] == ["other", "parent", "child"]
        assert rows[1]["start"] == rows[2]["start"] == "2026-01-01T00:00:00.000001Z"
