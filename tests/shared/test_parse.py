"""Lenient parsing of log lines: our records, foreign loggers, and everything malformed."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import _events
from shared.reader.parse import entry_texts, is_ours, parse_line
from shared.reader.records import CATEGORIES, LEVELS, MalformedLineError, canonical_timestamp

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import EXAMPLES, MALFORMED, foreign_lines, line, our_records, record


def parse(obj: dict[str, object], *, stdlib: bool = False) -> dict[str, object]:
    raw = json.dumps(obj).encode() if stdlib else orjson.dumps(obj)
    return parse_line(raw)


class TestOurLines:
    def test_record_round_trips_in_protocol_key_order(self) -> None:
        """A record of ours comes back equal, keys in PROTOCOL order."""
        rec = record(7, span={"name": "import", "id": "s1", "parent_id": None})
        entry = parse_line(line(rec)[:-1])
        assert entry == rec
        assert list(entry) == list(rec)

    def test_crlf_line_ending_is_accepted(self) -> None:
        """A trailing carriage return (CRLF files) does not make the line malformed."""
        assert parse_line(line(record(1))[:-1] + b"\r") == record(1)

    def test_unknown_top_level_keys_are_kept_in_fields(self) -> None:
        """Keys the record does not define move into fields instead of being dropped."""
        entry = parse_line(orjson.dumps({**record(1), "request_id": "r-1"}))
        assert entry["fields"] == {"seq": 1, "request_id": "r-1"}

    def test_unknown_category_is_shown_as_unknown(self) -> None:
        """A category newer than this reader reads as unknown rather than malformed."""
        assert parse(record(1, category="span"))["category"] == "unknown"

    def test_optional_keys_default_when_missing(self) -> None:
        """target, fields, span, pid and source may be absent."""
        entry = parse({"timestamp": "2026-11-28T01:00:00.000000Z", "level": "info", "message": "m"})
        assert entry["target"] == ""
        assert entry["fields"] == {}
        assert entry["category"] == "unknown"
        assert entry["span"] is None
        assert entry["pid"] is None
        assert entry["source"] is None

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("message", None),
            ("target", 5),
            ("fields", [1]),
            ("span", {"name": "x"}),
            ("pid", "42"),
            ("pid", True),
            ("source", 3.5),
        ],
    )
    def test_wrong_type_for_a_known_key_is_malformed(self, key: str, value: object) -> None:
        """Our lines are held to the record's types; a wrong one is reported, not raised."""
        with pytest.raises(MalformedLineError):
            parse(record(1, **{key: value}))

    @pytest.mark.parametrize(
        ("key", "value", "level", "timestamp"),
        [
            ("timestamp", "yesterday", "debug", None),
            ("level", "fatal", "error", "2026-11-28T01:00:00.001000Z"),
            ("level", "INFO", "info", "2026-11-28T01:00:00.001000Z"),
            ("category", ["midi"], "debug", "2026-11-28T01:00:00.001000Z"),
        ],
    )
    def test_a_line_outside_our_layout_is_another_writers_record(
        self, key: str, value: object, level: str, timestamp: str | None
    ) -> None:
        """Our layout is a fixed-width time, a band name and a category string; a line that only
        begins like ours (Rust tracing writes ``"level":"INFO"``) is mapped like any JSON."""
        raw = line(record(1, **{key: value}))[:-1]
        assert not is_ours(raw)
        entry = parse_line(raw)
        assert (entry["level"], entry["timestamp"], entry["message"]) == (
            level,
            timestamp,
            "message 1",
        )

    def test_numeric_timestamp_first_makes_a_foreign_line(self) -> None:
        """Only ``{"timestamp":"`` marks our lines; an epoch number there is a foreign time."""
        entry = parse(record(1, timestamp=1_764_291_600))
        assert entry["timestamp"] == "2025-11-28T01:00:00.000000Z"

    def test_our_prefix_with_spaced_layout_is_a_foreign_record(self) -> None:
        """A line spaced otherwise than our writer writes is not held to our layout: it is read
        as any JSON object, and the byte prefilters treat it as foreign too."""
        raw = b'{"timestamp":"2026-11-28T01:00:00.000000Z", "level": "error", "message": "x"}'
        assert not is_ours(raw)
        assert parse_line(raw)["level"] == "error"

    def test_non_canonical_timestamp_is_normalized(self) -> None:
        """An offset timestamp in one of our lines is rewritten as fixed-width UTC."""
        entry = parse(record(1, timestamp="2026-11-28T03:00:00+02:00"))
        assert entry["timestamp"] == "2026-11-28T01:00:00.000000Z"


class TestMalformedLines:
    @pytest.mark.parametrize("raw", MALFORMED)
    def test_sample_is_reported_as_malformed(self, raw: bytes) -> None:
        """Each kind of junk raises only MalformedLineError, with a reason."""
        with pytest.raises(MalformedLineError) as caught:
            parse_line(raw)
        assert caught.value.reason

    def test_invalid_utf8_reason_names_the_encoding(self) -> None:
        """Invalid UTF-8 is told apart from invalid JSON."""
        with pytest.raises(MalformedLineError, match="UTF-8"):
            parse_line(b'{"msg":"\xff"}')

    def test_lone_surrogate_escape_is_malformed(self) -> None:
        """Text that could not be sent on as JSON is no record."""
        with pytest.raises(MalformedLineError):
            parse_line(b'{"time":1,"msg":"\\ud800"}')

    def test_nan_from_a_foreign_logger_is_accepted(self) -> None:
        """The stdlib writes NaN; it parses (as JSON null later) instead of failing the line."""
        entry = parse_line(b'{"time": 1700000000, "msg": "m", "ratio": NaN}')
        assert entry["message"] == "m"
        assert "ratio" in entry["fields"]

    def test_deeply_nested_line_is_malformed_not_a_crash(self) -> None:
        """Nesting beyond the parsers' limits is reported, never a RecursionError."""
        with pytest.raises(MalformedLineError):
            parse_line(b'{"time":1,"a":' + b"[" * 100_000 + b"]" * 100_000 + b"}")

    @given(st.binary(max_size=200))
    @settings(max_examples=EXAMPLES * 5)
    def test_arbitrary_bytes_never_raise_anything_else(self, raw: bytes) -> None:
        """Whatever the bytes, the parser returns a record or raises MalformedLineError."""
        with contextlib.suppress(MalformedLineError):
            parse_line(raw)


class TestForeignLines:
    @pytest.mark.parametrize(
        ("number", "level"),
        [(10, "trace"), (20, "debug"), (30, "info"), (40, "warn"), (50, "error"), (60, "error")],
    )
    def test_pino_numeric_levels_map_to_ours(self, number: int, level: str) -> None:
        """pino's numbers: 10 trace, 20 debug, 30 info, 40 warn, 50 and above error."""
        assert parse({"level": number, "time": 1_700_000_000_000, "msg": "m"})["level"] == level

    @pytest.mark.parametrize(
        ("key", "value", "level"),
        [
            ("levelname", "WARNING", "warn"),
            ("levelname", "CRITICAL", "error"),
            ("severity", "ERROR", "error"),
            ("severity", "notice", "info"),
            ("level", "Debug", "debug"),
        ],
    )
    def test_level_names_map_to_ours(self, key: str, value: str, level: str) -> None:
        """levelname / severity / level names in any case map onto our five levels."""
        assert parse({key: value, "time": 1_700_000_000, "msg": "m"})["level"] == level

    @pytest.mark.parametrize(
        ("key", "value"),
        [
            ("time", 1_764_291_600),
            ("time", 1_764_291_600_000),
            ("ts", 1_764_291_600.0),
            ("@timestamp", "2025-11-28T01:00:00Z"),
            ("time", "2025-11-28 02:00:00+01:00"),
        ],
    )
    def test_timestamps_in_seconds_ms_or_iso_are_normalized(self, key: str, value: object) -> None:
        """Epoch seconds, epoch milliseconds and ISO text all become canonical UTC."""
        entry = parse({key: value, "msg": "m"})
        assert entry["timestamp"] == "2025-11-28T01:00:00.000000Z"

    def test_message_target_and_rest_are_mapped(self) -> None:
        """msg → message, logger → target, unmapped keys → fields, nested fields merged."""
        entry = parse(
            {"time": 1, "msg": "hello", "logger": "lib.x", "hostname": "h", "fields": {"a": 1}}
        )
        assert entry["message"] == "hello"
        assert entry["target"] == "lib.x"
        assert entry["fields"] == {"a": 1, "hostname": "h"}

    def test_structlog_event_key_is_the_message(self) -> None:
        """structlog's ``event`` is the message; ``logger`` the target."""
        entry = parse({"event": "started", "timestamp": "2025-01-01T00:00:00Z", "logger": "svc"})
        assert entry["message"] == "started"
        assert entry["target"] == "svc"

    def test_non_string_message_stays_in_fields(self) -> None:
        """A message that is not text is kept as a field, so search sees only real texts."""
        entry = parse({"time": 1, "msg": {"nested": True}})
        assert entry["message"] == ""
        assert entry["fields"] == {"msg": {"nested": True}}

    @pytest.mark.parametrize("when", ["not a time", ["2026-01-01"], {"t": 1}, True, None])
    def test_object_without_a_readable_time_is_a_record_without_one(self, when: Any) -> None:
        """A JSON object with no readable time is still a record (the reader gives it the time
        of the line before); the value stays visible in its fields."""
        entry = parse({"msg": "m", "time": when})
        assert (entry["timestamp"], entry["message"]) == (None, "m")
        assert entry["fields"] == ({"time": when} if when is not None else {"time": None})


class TestResultShape:
    @given(st.integers(0, 10**6).flatmap(lambda i: st.one_of(our_records(i), foreign_lines(i))))
    @settings(max_examples=EXAMPLES * 2)
    def test_every_parsed_line_validates_as_log_event(self, raw: bytes) -> None:
        """Whatever the source logger, the result validates as LogEvent (and survives orjson)."""
        entry = parse_line(raw[:-1])
        _events.LogEvent.model_validate(entry)
        orjson.dumps(entry)

    def test_names_agree_with_the_record_schema(self) -> None:
        """The parser's pydantic-free copies of the level and category names match _events."""
        assert LEVELS == _events.LEVELS
        assert {c.value for c in _events.LogCategory} == CATEGORIES


class TestCanonicalTimestamp:
    def test_canonical_text_is_kept(self) -> None:
        """Already canonical timestamps come back unchanged."""
        assert canonical_timestamp("2026-11-28T01:57:36.123456Z") == "2026-11-28T01:57:36.123456Z"

    def test_naive_time_is_taken_as_utc(self) -> None:
        """Timestamps without an offset are read as UTC."""
        assert canonical_timestamp("2026-11-28T01:57:36") == "2026-11-28T01:57:36.000000Z"

    def test_early_years_keep_the_fixed_width(self) -> None:
        """Years below 1000 are zero-padded, so timestamps still compare as text."""
        assert canonical_timestamp("0999-01-01T00:00:00Z") == "0999-01-01T00:00:00.000000Z"


class TestEntryTexts:
    def test_search_texts_are_message_target_and_text_or_integer_leaves(self) -> None:
        """Floats, booleans, nulls and keys are not searched; nested strings and ints are."""
        entry = parse_line(
            orjson.dumps(
                record(
                    1,
                    message="m",
                    target="t",
                    fields={"s": "x", "n": 5, "f": 1.5, "b": True, "z": None, "l": [{"d": "y"}]},
                )
            )
        )
        assert sorted(entry_texts(entry)) == ["5", "m", "t", "x", "y"]
