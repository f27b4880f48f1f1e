"""The record builder: PROTOCOL key order and the event-dict contract."""

from __future__ import annotations

import sys
from typing import Any

from shared._events import LogCategory, LogEvent, SpanInfo
from shared.writer.location import caller_source
from shared.writer.render import METHOD_RANK, build_record

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
