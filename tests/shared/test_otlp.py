"""The record in the OpenTelemetry log data model, checked against opentelemetry-proto's schema."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import given
from hypothesis import strategies as st
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from shared.otlp import export_request, log_record, severity, to_protobuf, unix_nanos
from shared.reader.records import epoch_timestamp

ENTRY: dict[str, Any] = {
    "timestamp": "2026-11-28T01:57:36.123456Z",
    "level": "error",
    "category": "database",
    "message": "query failed",
    "target": "midi.db",
    "fields": {
        "exception": "Traceback (most recent call last):\n  ...\nValueError: boom",
        "request_id": "5b8efff798038103d269b633813fc60c",
        "nested": {"tracks": [1, 2.5, None, True], "name": "Ünïcode"},
        "huge": 2**70,
    },
    "span": {"name": "import_file", "id": "9f2c00aa11bb22cc", "parent_id": "00000000000000ab"},
    "pid": 4242,
    "source": "importer.py:88",
    "origin": "app",
}


def _attributes(record: Any) -> dict[str, Any]:
    """A protobuf LogRecord's attributes as plain values."""
    out = json_format.MessageToDict(record)
    return {kv["key"]: kv.get("value", {}) for kv in out.get("attributes", [])}


class TestLogRecord:
    def test_every_field_survives_the_real_schema(self) -> None:
        """Time, severity, body, ids and every field parse with opentelemetry-proto's classes."""
        request = to_protobuf(export_request([log_record(ENTRY, observed_nanos=7)], "msc"))
        (resource_logs,) = request.resource_logs
        assert resource_logs.resource.attributes[0].key == "service.name"
        assert resource_logs.resource.attributes[0].value.string_value == "msc"
        (record,) = resource_logs.scope_logs[0].log_records
        assert record.time_unix_nano == 1_795_831_056_123_456_000
        assert record.observed_time_unix_nano == 7
        assert record.severity_number == SeverityNumber.SEVERITY_NUMBER_ERROR
        assert record.severity_text == "ERROR"
        assert record.body.string_value == "query failed"
        assert record.trace_id.hex() == ENTRY["fields"]["request_id"]
        assert record.span_id.hex() == ENTRY["span"]["id"]
        attributes = _attributes(record)
        assert attributes["exception.stacktrace"] == {"stringValue": ENTRY["fields"]["exception"]}
        assert attributes["request_id"] == {"stringValue": ENTRY["fields"]["request_id"]}
        nested = attributes["nested"]["kvlistValue"]["values"]
        assert nested[0]["value"]["arrayValue"]["values"] == [
            {"intValue": "1"},
            {"doubleValue": 2.5},
            {},
            {"boolValue": True},
        ]
        assert nested[1]["value"] == {"stringValue": "Ünïcode"}
        assert attributes["huge"] == {"stringValue": str(2**70)}
        assert attributes["msc.span.name"] == {"stringValue": "import_file"}
        assert attributes["msc.span.parent_id"] == {"stringValue": "00000000000000ab"}
        assert attributes["msc.category"] == {"stringValue": "database"}
        assert attributes["msc.target"] == {"stringValue": "midi.db"}
        assert attributes["msc.origin"] == {"stringValue": "app"}
        assert attributes["process.pid"] == {"intValue": "4242"}
        assert attributes["code.file.path"] == {"stringValue": "importer.py"}
        assert attributes["code.line.number"] == {"intValue": "88"}

    def test_ids_that_are_no_otel_ids_stay_attributes(self) -> None:
        """A request id like ``req-…`` and a non-hex span id are kept as attributes, no traceId."""
        entry = {**ENTRY, "fields": {"request_id": "req-1"}, "span": {"id": "s1", "name": "x"}}
        record = to_protobuf(export_request([log_record(entry)], "msc"))
        (otel,) = record.resource_logs[0].scope_logs[0].log_records
        assert otel.trace_id == b""
        assert otel.span_id == b""
        assert _attributes(otel)["msc.span.id"] == {"stringValue": "s1"}

    def test_a_raw_line_is_its_text_with_a_marker(self) -> None:
        """A line that was no record ships as its text, marked ``msc.raw``, with no time."""
        record = log_record({"timestamp": None, "level": "info", "message": "garbage", "raw": True})
        assert record["timeUnixNano"] == "0"
        assert record["body"] == {"stringValue": "garbage"}
        assert {"key": "msc.raw", "value": {"boolValue": True}} in record["attributes"]


class TestSeverity:
    @pytest.mark.parametrize(
        ("level", "name", "expected"),
        [
            ("trace", None, (1, "TRACE")),
            ("debug", None, (5, "DEBUG")),
            ("info", None, (9, "INFO")),
            ("warn", "WARNING", (13, "WARNING")),
            ("error", None, (17, "ERROR")),
            ("error", "fatal", (21, "fatal")),
            ("error", "CRITICAL", (21, "CRITICAL")),
        ],
    )
    def test_levels_follow_the_opentelemetry_table(
        self, level: str, name: str | None, expected: tuple[int, str]
    ) -> None:
        """Each band takes the lowest number of its OpenTelemetry range; fatal names are 21."""
        assert severity(level, name) == expected


class TestUnixNanos:
    def test_nine_fraction_digits_are_kept(self) -> None:
        """Nanoseconds a foreign logger wrote are not rounded to microseconds."""
        assert unix_nanos("1970-01-01T00:00:01.000000007Z") == 1_000_000_007

    @pytest.mark.parametrize("text", [None, "", "yesterday", "2026-01-01T00:00:00"])
    def test_no_time_or_no_offset_is_zero(self, text: str | None) -> None:
        """OpenTelemetry's "unknown" is 0: no time, an unreadable one, or one without an offset."""
        assert unix_nanos(text) == 0

    @given(st.integers(min_value=0, max_value=253_402_300_799_999_999))
    def test_the_canonical_text_round_trips_to_the_microsecond(self, micros: int) -> None:
        """Any canonical record time converts to the epoch microseconds it stands for."""
        assert unix_nanos(epoch_timestamp(micros, "us")) == micros * 1000
