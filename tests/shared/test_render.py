"""The record builder: PROTOCOL key order and the event-dict contract."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from shared._events import LogCategory, LogEvent, SpanInfo
from shared.writer import encode, location, render
from shared.writer.config import LogConfig
from shared.writer.context import span
from shared.writer.location import caller_source
from shared.writer.render import METHOD_RANK, build_record
from shared.writer.setup import get_logger, init_logging

STAMP = "2026-11-28T01:57:36.123456Z"
PROTOCOL_KEYS = ["timestamp", "level", "category", "message", "target", "fields", "span", "pid"]


def build(fields: dict[str, Any], rank: int = 2, source: str | None = None) -> dict[str, Any]:
    """Build a record for target ``t`` from an event dict."""
    return build_record(rank, "t", dict(fields), STAMP, source)


class TestBuildRecord:
    def test_keys_follow_the_protocol_order(self) -> None:
        """Keys come in PROTOCOL order, ``source`` last when present."""
        assert list(build({"event": "m"}, source="a.py:1")) == [*PROTOCOL_KEYS, "source"]

    def test_leaves_out_source_when_not_given(self) -> None:
        """Without a location there is no ``source`` key."""
        assert list(build({"event": "m"})) == PROTOCOL_KEYS

    def test_event_becomes_message_and_the_rest_fields(self) -> None:
        """``event`` is the message; other keys are fields."""
        record = build({"event": "saved", "file": "a.mid", "bytes": 3})
        assert (record["message"], record["fields"]) == ("saved", {"file": "a.mid", "bytes": 3})

    def test_category_accepts_names_and_enum(self) -> None:
        """A category is given as text or as LogCategory."""
        assert build({"event": "m", "category": "midi"})["category"] == "midi"
        assert build({"event": "m", "category": LogCategory.DATABASE})["category"] == "database"

    def test_unknown_category_is_kept_as_a_field(self) -> None:
        """An unknown category writes ``unknown`` and keeps the given value in fields."""
        record = build({"event": "m", "category": "audio"})
        assert (record["category"], record["fields"]) == ("unknown", {"category": "audio"})

    def test_missing_category_is_unknown(self) -> None:
        """Without a category the record's is ``unknown``."""
        assert build({"event": "m"})["category"] == "unknown"

    def test_span_dict_and_span_info_become_the_span(self) -> None:
        """A span given as dict or SpanInfo becomes ``{name, id, parent_id}``."""
        expected = {"name": "load", "id": "2", "parent_id": "1"}
        assert build({"event": "m", "span": expected})["span"] == expected
        info = SpanInfo(name="load", id="2", parent_id="1")
        assert build({"event": "m", "span": info})["span"] == expected

    def test_malformed_span_is_kept_as_a_field(self) -> None:
        """A ``span`` value that is not a span stays in fields so the record stays valid."""
        record = build({"event": "m", "span": "oops"})
        assert (record["span"], record["fields"]) == (None, {"span": "oops"})

    def test_exc_info_becomes_formatted_exception(self) -> None:
        """``exc_info=True`` inside ``except`` becomes fields.exception with the traceback."""
        try:
            raise ValueError("bad value")
        except ValueError:
            record = build({"event": "m", "exc_info": True})
        assert "exc_info" not in record["fields"]
        assert record["fields"]["exception"].startswith("Traceback (most recent call last):")
        assert record["fields"]["exception"].endswith("ValueError: bad value")

    def test_exception_object_becomes_formatted_exception(self) -> None:
        """An exception passed as ``exception=`` or ``exc_info=`` is formatted too."""
        error = KeyError("k")
        assert build({"event": "m", "exception": error})["fields"]["exception"] == "KeyError: 'k'"
        assert build({"event": "m", "exc_info": error})["fields"]["exception"] == "KeyError: 'k'"

    def test_exc_info_outside_except_is_dropped(self) -> None:
        """``exc_info=True`` with no exception being handled adds nothing."""
        assert build({"event": "m", "exc_info": True})["fields"] == {}

    def test_stack_info_becomes_stack(self) -> None:
        """``stack_info=True`` adds the current stack as fields.stack."""
        stack = build({"event": "m", "stack_info": True})["fields"]["stack"]
        assert "test_stack_info_becomes_stack" in stack

    def test_non_text_message_becomes_text(self) -> None:
        """A non-string event is written as its text."""
        assert build({"event": 42})["message"] == "42"

    def test_levels_come_from_method_names(self) -> None:
        """warning → warn, critical/exception → error, msg → info."""
        names = {m: build({"event": "m"}, rank=r)["level"] for m, r in METHOD_RANK.items()}
        assert names == {
            "trace": "trace",
            "debug": "debug",
            "info": "info",
            "msg": "info",
            "warning": "warn",
            "warn": "warn",
            "error": "error",
            "exception": "error",
            "critical": "error",
            "fatal": "error",
        }

    def test_record_validates_as_log_event(self) -> None:
        """A built record is a valid LogEvent."""
        record = build({"event": "m", "x": 1, "category": "file"}, source="f.py:3")
        assert LogEvent.model_validate(record).source == "f.py:3"


class TestCallerSource:
    def test_names_file_and_line_of_this_frame(self) -> None:
        """For a frame outside the library the location is that frame's."""
        frame = sys._getframe()
        assert caller_source(frame) == f"test_render.py:{frame.f_lineno}"

    def test_skips_library_frames(self) -> None:
        """Frames of shared and structlog are skipped up to the first foreign one."""
        import structlog

        sources: list[str | None] = []

        def capture(_logger: Any, _method: str, event_dict: Any) -> Any:
            sources.append(caller_source(sys._getframe(1)))
            raise structlog.DropEvent

        log = structlog.wrap_logger(object(), processors=[capture])
        log.info("x")
        line = sys._getframe().f_lineno - 1
        assert sources == [f"test_render.py:{line}"]


Lines = Callable[..., list[bytes]]


def _written(lines: Lines, directory: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in lines(directory)]


class TestRenderer:
    """The renderer's inlined fast path writes what `build_record` and the slow paths would."""

    @pytest.fixture(autouse=True)
    def _logging(self, log_dir: Path) -> None:
        init_logging(LogConfig(log_dir=log_dir, console_level="error"), env_filter="")

    def test_timestamps_are_the_clocks_fixed_width_text(
        self, log_dir: Path, lines: Lines, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Whole seconds, millisecond edges and a clock going back all give the exact text."""
        second = 1_780_000_000 * 10**9
        clock = [second, second + 999_999, second + 1_000_000, second + 10**9 - 1, second + 5_000]
        expected = [
            "2026-05-28T20:26:40.000000Z",
            "2026-05-28T20:26:40.000999Z",
            "2026-05-28T20:26:40.001000Z",
            "2026-05-28T20:26:40.999999Z",
            "2026-05-28T20:26:40.000005Z",
        ]
        monkeypatch.setattr(render, "_time_ns", iter(clock).__next__)
        for number in range(len(clock)):
            get_logger("clock").info("tick", number=number)
        records = [r for r in _written(lines, log_dir) if r["message"] == "tick"]
        assert [r["timestamp"] for r in records] == expected

    def test_each_call_site_of_a_function_keeps_its_own_line(
        self, log_dir: Path, lines: Lines
    ) -> None:
        """Two calls in one function, run several times, each name their own line."""
        log = get_logger("sites")

        def both() -> tuple[int, int]:
            log.info("first")
            first = sys._getframe().f_lineno - 1
            log.info("second")
            return first, sys._getframe().f_lineno - 1

        first, second = [both() for _ in range(3)][-1]
        sources = [r["source"] for r in _written(lines, log_dir) if r["target"] == "sites"]
        assert sources == [f"test_render.py:{first}", f"test_render.py:{second}"] * 3

    def test_many_code_objects_keep_the_site_cache_bounded(
        self, log_dir: Path, lines: Lines
    ) -> None:
        """Generated functions past the cache's bound are still located, and it stays bounded."""
        log = get_logger("generated")
        for number in range(location._SITES_LIMIT + 50):
            namespace: dict[str, Any] = {"log": log}
            exec(compile(f"\n\ndef f():\n    log.info('g{number}')\n", "gen.py", "exec"), namespace)
            namespace["f"]()
        assert len(location.SITES) <= location._SITES_LIMIT
        assert len(location._codes) <= location._SITES_LIMIT
        sources = {r["source"] for r in _written(lines, log_dir) if r["target"] == "generated"}
        assert sources == {"gen.py:4"}

    def test_a_library_frame_above_the_logging_call_is_walked_past(
        self, log_dir: Path, lines: Lines
    ) -> None:
        """Through structlog's lazy proxy the source is still the caller's line."""
        structlog.get_logger("proxied").info("via proxy")
        line = sys._getframe().f_lineno - 1
        records = [r for r in _written(lines, log_dir) if r["target"] == "proxied"]
        assert [r["source"] for r in records] == [f"test_render.py:{line}"]

    @pytest.mark.parametrize(
        ("value", "written"),
        [(math.nan, "NaN"), (math.inf, "Infinity"), (-math.inf, "-Infinity"), (None, None)],
    )
    def test_non_finite_floats_are_text_in_root_and_child_spans(
        self, log_dir: Path, lines: Lines, value: float | None, written: str | None
    ) -> None:
        """Without a span, in a root span (null parent) and in a child span (no null of its own),
        a non-finite float is written as text and None stays null."""
        log = get_logger("floats")
        log.info("none", value=value)
        with span("root"):
            log.info("root", value=value)
            with span("child"):
                log.info("child", value=value)
        records = [r for r in _written(lines, log_dir) if r["target"] == "floats"]
        assert [r["message"] for r in records] == ["none", "root", "child"]
        assert [r["fields"]["value"] for r in records] == [written] * 3
        assert records[2]["span"]["parent_id"] == records[1]["span"]["id"]

    def test_null_text_is_written_without_encoding_again(
        self, log_dir: Path, lines: Lines, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """ "null" in the message, a field or a span's name makes the fields be looked at, but the
        line orjson wrote is kept: only a non-finite float takes the encoder's slow path."""

        def slow_path(record: dict[str, Any]) -> bytes:
            raise AssertionError("encoded again")

        monkeypatch.setattr(encode, "_encode_sanitized", slow_path)
        log = get_logger("null")
        with span("null"), span("null-child"):
            log.info("null and null", note="null", ratio=0.5, nothing=None)
        record = next(r for r in _written(lines, log_dir) if r["target"] == "null")
        assert record["fields"] == {"note": "null", "ratio": 0.5, "nothing": None}
