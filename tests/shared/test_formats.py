"""Foreign logging ecosystems mapped onto our record, checked on lines their real libraries wrote.

The fixtures under tests/fixtures/formats were generated once by generate.py / generate.mjs and
the gen_* programs (see the README there); these tests read them line by line.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.reader.formats import FORMATS, convert_object, format_of, levels
from shared.reader.formats.text import is_continuation, parse_text_line, raw_record
from shared.reader.records import CATEGORIES, LEVELS, MalformedLineError

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
RECORD_KEYS = [
    "timestamp", "level", "level_name", "category", "message", "target", "fields", "span", "pid",
    "source",
]  # fmt: skip
JSON_FILES = sorted(path.name for path in FIXTURES.glob("*.jsonl"))


def objects(name: str) -> list[dict[str, Any]]:
    """The parsed JSON objects of a fixture file, one per line."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").splitlines()
    return [orjson.loads(line) for line in lines]


def records(name: str) -> list[dict[str, Any]]:
    """Every record of a JSON fixture file (an OpenTelemetry envelope line gives several)."""
    return [entry for obj in objects(name) for entry in convert_object(obj)]


def line_record(name: str, index: int) -> dict[str, Any]:
    """The one record of line ``index`` of a JSON fixture file."""
    (entry,) = convert_object(objects(name)[index])
    return entry


def string_leaves(value: Any) -> Iterator[str]:
    """The string leaves of a nested value (what a search looks at)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for child in value.values():
            yield from string_leaves(child)
    elif isinstance(value, list):
        for child in value:
            yield from string_leaves(child)


def levels_of(name: str) -> list[tuple[str, str | None]]:
    """(level, level_name) of every record of a JSON fixture file."""
    return [(entry["level"], entry["level_name"]) for entry in records(name)]


EXPECTED_FORMAT = {
    "bunyan.jsonl": "bunyan",
    "clef-serilog.jsonl": "clef",
    "clef.jsonl": "clef",
    "docker.jsonl": "docker",
    "gelf.jsonl": "gelf",
    "journald.jsonl": "journald",
    "logstash.jsonl": "logstash",
    "loguru.jsonl": "loguru",
    "otel.jsonl": "otel",
    "pino.jsonl": "pino",
    "pythonjson-asctime.jsonl": "pythonjson",
    "pythonjson.jsonl": "pythonjson",
    "slog.jsonl": "slog",
    "structlog.jsonl": "structlog",
    "tracing.jsonl": "tracing",
    "winston.jsonl": "winston",
    "zap.jsonl": "zap",
    "zerolog.jsonl": "zerolog",
}

#: (file, line, the key in fields holding the traceback, text it starts with)
TRACEBACKS = [
    ("pino.jsonl", 5, ("err", "stack"), "Error: sync failed for peer db-1\n    at failure"),
    ("bunyan.jsonl", 4, ("err", "stack"), "Error: sync failed for peer db-1\n    at failure"),
    ("winston.jsonl", 6, ("exception",), "Error: sync failed for peer db-1\n    at failure"),
    ("zap.jsonl", 3, ("exception",), "main.writeZap\n\t_/tmp/fixturegen/gen_go/main.go:61"),
    ("zerolog.jsonl", 4, ("exception",), "goroutine 1 [running]:\nruntime/debug.Stack()"),
    ("slog.jsonl", 4, ("stack",), "goroutine 1 [running]:\nruntime/debug.Stack()"),
    ("tracing.jsonl", 4, ("error",), "failed to sync\n\nCaused by:\n    0: connection reset"),
    ("clef.jsonl", 3, ("exception",), "Traceback (most recent call last):\n  File "),
    ("clef-serilog.jsonl", 5, ("exception",), "System.InvalidOperationException: sync failed\n"),
    ("gelf.jsonl", 3, ("full_message",), "Traceback (most recent call last):\n\n  File "),
    (
        "logstash.jsonl",
        4,
        ("exception",),
        "java.lang.RuntimeException: sync failed for peer db-1\n",
    ),
    ("loguru.jsonl", 6, ("exception",), "Traceback (most recent call last):\n  File "),
    ("structlog.jsonl", 3, ("exception",), "Traceback (most recent call last):\n  File "),
    ("pythonjson.jsonl", 3, ("exception",), "Traceback (most recent call last):\n  File "),
    ("pythonjson-asctime.jsonl", 3, ("exception",), "Traceback (most recent call last):\n"),
]


class TestEveryFixture:
    @pytest.mark.parametrize("name", JSON_FILES)
    def test_every_line_is_detected_as_its_ecosystem(self, name: str) -> None:
        """Each line of a library's fixture is detected as that library's format."""
        assert {format_of(obj) for obj in objects(name)} == {EXPECTED_FORMAT[name]}

    @pytest.mark.parametrize("name", JSON_FILES)
    def test_records_have_every_key_in_order_and_valid_values(self, name: str) -> None:
        """Records carry the record's keys in order, with a band and a known category."""
        for entry in records(name):
            assert list(entry) == RECORD_KEYS
            assert entry["level"] in LEVELS
            assert entry["category"] in CATEGORIES
            assert isinstance(entry["message"], str)
            assert isinstance(entry["fields"], dict)

    @pytest.mark.parametrize("name", JSON_FILES)
    def test_every_line_has_a_timestamp(self, name: str) -> None:
        """Every fixture line carries a time, and it is read."""
        assert all(entry["timestamp"] is not None for entry in records(name))

    @pytest.mark.parametrize("name", JSON_FILES)
    def test_nested_distinctive_word_is_a_searchable_string(self, name: str) -> None:
        """The nested field value "quokka" ends up in a string leaf of fields."""
        assert any("quokka" in leaf for e in records(name) for leaf in string_leaves(e["fields"]))

    @pytest.mark.parametrize(("name", "index", "path", "start"), TRACEBACKS)
    def test_traceback_keeps_its_newlines(
        self, name: str, index: int, path: tuple[str, ...], start: str
    ) -> None:
        """The stack trace is text with real newlines where the module docstring says."""
        value: Any = line_record(name, index)["fields"]
        for key in path:
            value = value[key]
        assert isinstance(value, str)
        assert value.startswith(start)
        assert value.count("\n") >= 2


class TestPino:
    def test_levels_keep_the_number_as_written(self) -> None:
        """pino's numbers are banded on its scale; its names are kept where they differ from the
        band (60 is fatal), a custom number (35, info) as written."""
        assert levels_of("pino.jsonl") == [
            ("trace", None), ("debug", None), ("info", None), ("info", "35"), ("warn", None),
            ("error", None), ("error", "fatal"), ("info", None), ("info", None),
        ]  # fmt: skip

    def test_epoch_milliseconds_and_identity(self) -> None:
        """``time`` in epoch ms becomes canonical text; name → target, pid → pid."""
        entry = line_record("pino.jsonl", 0)
        assert entry["timestamp"] == "2026-12-06T10:00:03.123000Z"
        assert (entry["message"], entry["target"], entry["pid"]) == (
            "entering loop", "fixture-pino", 4242,
        )  # fmt: skip
        assert entry["fields"]["hostname"] == "fixturehost"

    def test_iso_time_without_base_fields(self) -> None:
        """pino's isoTime option writes ISO text, read the same way."""
        entry = line_record("pino.jsonl", 8)
        assert entry["timestamp"] == "2026-12-06T10:00:16.623000Z"
        assert entry["target"] == ""


class TestBunyan:
    def test_levels_message_and_time(self) -> None:
        """bunyan's fatal 60 is in the error band; ``msg`` and ISO ``time`` are read."""
        entry = line_record("bunyan.jsonl", 5)
        assert (entry["level"], entry["level_name"], entry["message"]) == (
            "error",
            "fatal",
            "giving up",
        )
        assert entry["timestamp"] == "2026-12-06T10:00:25.623000Z"
        assert entry["target"] == "fixture-bunyan"

    def test_format_version_is_dropped(self) -> None:
        """bunyan's ``v`` marker does not clutter fields."""
        assert "v" not in line_record("bunyan.jsonl", 0)["fields"]


class TestWinston:
    def test_npm_levels_band_silly_verbose_and_http(self) -> None:
        """silly → trace, verbose and http → debug, each keeping its name."""
        assert levels_of("winston.jsonl")[:4] == [
            ("trace", "silly"), ("debug", None), ("debug", "verbose"), ("debug", "http"),
        ]  # fmt: skip

    def test_service_or_label_is_the_target(self) -> None:
        """defaultMeta's service is the target, else format.label()'s label."""
        assert line_record("winston.jsonl", 4)["target"] == "fixture-winston"
        assert line_record("winston.jsonl", 8)["target"] == "fixture-label"

    def test_error_message_and_timestamp(self) -> None:
        """format.errors() puts the error's message in ``message``."""
        entry = line_record("winston.jsonl", 6)
        assert entry["message"] == "sync failed for peer db-1"
        assert entry["timestamp"] == "2026-12-06T10:00:39.123000Z"
        assert entry["fields"]["code"] == "ECONNRESET"


class TestZap:
    def test_panic_levels_are_errors_with_their_names(self) -> None:
        """dpanic, panic and fatal are in the error band, names kept."""
        assert levels_of("zap.jsonl")[3:7] == [
            ("error", None), ("error", "dpanic"), ("error", "panic"), ("error", "fatal"),
        ]  # fmt: skip

    def test_float_seconds_caller_and_logger(self) -> None:
        """``ts`` in float seconds, ``caller`` → source, the Named chain → target."""
        entry = line_record("zap.jsonl", 0)
        assert entry["timestamp"] == "2026-12-06T10:00:01.623457Z"
        assert entry["source"] == "gen_go/main.go:58"
        assert (entry["target"], entry["message"]) == ("fixture.zap", "cache warmed")

    def test_iso8601_time_encoder(self) -> None:
        """The ISO8601 time encoder's text is read too."""
        assert line_record("zap.jsonl", 7)["timestamp"] == "2026-12-06T10:00:12.123000Z"


class TestZerolog:
    def test_epoch_units_are_told_apart_by_size(self) -> None:
        """Unix seconds, milliseconds and microseconds all give the right time."""
        stamps = [line_record("zerolog.jsonl", i)["timestamp"] for i in (8, 9, 10, 11)]
        assert stamps == [
            "2026-12-06T10:00:13.000000Z", "2026-12-06T10:00:15.123000Z",
            "2026-12-06T10:00:16.623456Z", "2026-12-06T10:00:18.123456Z",
        ]  # fmt: skip

    def test_fatal_panic_and_no_level(self) -> None:
        """fatal and panic are errors; ``Log()`` without a level is info without a name."""
        assert levels_of("zerolog.jsonl")[5:8] == [
            ("error", "fatal"), ("error", "panic"), ("info", None),
        ]  # fmt: skip

    def test_message_caller_and_error(self) -> None:
        """``message`` → message, ``caller`` → source, ``error`` stays in fields."""
        entry = line_record("zerolog.jsonl", 4)
        assert entry["message"] == "sync failed"
        assert entry["source"] == "_/tmp/fixturegen/gen_go/main.go:92"
        assert entry["fields"]["error"] == "connection reset by peer"
        assert entry["timestamp"] == "2026-12-06T10:00:07.000000Z"


class TestSlog:
    def test_offset_levels_keep_their_band_and_text(self) -> None:
        """WARN+2, ERROR+4, DEBUG+2 and DEBUG-4 stay in their word's band."""
        assert levels_of("slog.jsonl") == [
            ("debug", None), ("info", None), ("warn", None), ("warn", "WARN+2"), ("error", None),
            ("error", "ERROR+4"), ("debug", "DEBUG+2"), ("debug", "DEBUG-4"),
        ]  # fmt: skip

    def test_source_object_and_nanosecond_time(self) -> None:
        """``source`` {function, file, line} → "file:line"; nanoseconds are cut to µs."""
        entry = line_record("slog.jsonl", 0)
        assert entry["source"] == "_/tmp/fixturegen/gen_go/main.go:119"
        assert entry["fields"]["function"] == "main.writeSlog"
        assert entry["timestamp"] == "2026-12-06T10:00:01.623456Z"
        assert (entry["message"], entry["target"]) == ("cache warmed", "fixture.slog")


class TestTracing:
    def test_event_fields_message_and_location(self) -> None:
        """``fields.message`` is the message, the other event fields stay in fields."""
        entry = line_record("tracing.jsonl", 0)
        assert (entry["level"], entry["message"], entry["target"]) == (
            "trace", "entering loop", "gen_rust",
        )  # fmt: skip
        assert entry["fields"]["attempt"] == 1
        assert entry["source"] == "src/main.rs:26"
        assert entry["timestamp"] == "2026-12-06T10:00:01.623456Z"

    def test_span_path_is_the_span_id(self) -> None:
        """Nested spans give the path as id and the enclosing path as parent."""
        entry = line_record("tracing.jsonl", 3)
        assert entry["span"] == {"name": "sync", "id": "request>sync", "parent_id": "request"}
        assert [s["name"] for s in entry["fields"]["spans"]] == ["request", "sync"]
        assert "span" not in entry["fields"]


class TestClef:
    def test_serilog_levels_default_to_information(self) -> None:
        """Verbose → trace, Fatal → error, a missing @l → Information."""
        assert levels_of("clef-serilog.jsonl") == [
            ("trace", "Verbose"), ("debug", None), ("info", "Information"),
            ("info", "Information"), ("warn", "Warning"), ("error", None), ("error", "Fatal"),
            ("info", "Information"),
        ]  # fmt: skip

    def test_template_rendering(self) -> None:
        """Holes are filled as Serilog does: quoted strings, @r for formats, alignment, braces."""
        messages = [entry["message"] for entry in records("clef-serilog.jsonl")]
        assert messages == [
            "Entering loop {attempt} 1",
            "Cache warmed after 12 entries",
            'Request served for "/api/sync" in 3.142 ms',
            'Hello, {"Name":"ada","Admin":true}',
            "Disk 88.3% full",
            'Sync failed for "db-1"',
            "Giving up after   7 tries; {Missing} stays as written",
            "User ada signed in",
        ]

    def test_context_trace_span_and_escaped_property(self) -> None:
        """SourceContext → target, @tr/@sp → trace_id and span, @i → event_id, @@mt → "@mt"."""
        entry = line_record("clef-serilog.jsonl", 2)
        assert entry["target"] == "Fixture.Http.Server"
        assert entry["fields"]["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736"
        assert entry["span"] == {"name": "Fixture.Http.Server", "id": "00f067aa0ba902b7",
                                 "parent_id": None}  # fmt: skip
        assert entry["timestamp"] == "2026-12-06T10:00:04.623456Z"
        assert line_record("clef-serilog.jsonl", 4)["fields"]["event_id"] == "a1e77001"
        assert line_record("clef-serilog.jsonl", 7)["fields"]["@mt"] == "user data"

    def test_seqlog_python_levels_and_logger_name(self) -> None:
        """seqlog writes Python level names and LoggerName; its positional @r is harmless."""
        assert levels_of("clef.jsonl")[:5] == [
            ("debug", None), ("info", None), ("warn", "WARNING"), ("error", None),
            ("error", "CRITICAL"),
        ]  # fmt: skip
        entry = line_record("clef.jsonl", 2)
        assert (entry["message"], entry["target"]) == ("Slow query took 2.5 s", "fixture.seqlog")
        assert line_record("clef.jsonl", 7)["message"] == "Retry 2 of 5"


class TestOtel:
    def test_envelope_expands_into_one_record_per_log_record(self) -> None:
        """The export request line gives seven records named after their scope."""
        envelope = convert_object(objects("otel.jsonl")[0])
        assert [e["message"] for e in envelope][:3] == [
            "cache warmed",
            "request served",
            "slow query",
        ]
        assert len(envelope) == 7
        assert {e["target"] for e in envelope} == {"fixture.otel"}
        assert envelope[0]["fields"]["resource"]["service.name"] == "fixture-otel"

    def test_severity_numbers_and_texts(self) -> None:
        """severityNumber places the band; a text other than the band's name is kept."""
        assert levels_of("otel.jsonl")[:7] == [
            ("debug", None), ("info", None), ("warn", None), ("error", None), ("error", "FATAL"),
            ("info", None), ("info", "Level 5"),
        ]  # fmt: skip

    def test_protobuf_json_and_otlp_json_agree(self) -> None:
        """Base64 ids and enum names (protobuf's JSON) read like hex ids and numbers (OTLP/JSON)."""
        from_envelope = convert_object(objects("otel.jsonl")[0])[1]
        flat = line_record("otel.jsonl", 2)
        assert from_envelope["span"] == flat["span"]
        assert from_envelope["fields"]["trace_id"] == flat["fields"]["trace_id"]
        assert len(flat["fields"]["trace_id"]) == 32
        assert (from_envelope["level"], from_envelope["timestamp"]) == (
            flat["level"], "2026-12-06T10:00:03.123456Z",
        )  # fmt: skip

    def test_attributes_and_code_location(self) -> None:
        """Attributes become fields (int64 strings as ints); code.* attributes give the source."""
        entry = line_record("otel.jsonl", 1)
        assert entry["fields"]["entries"] == 12
        assert entry["source"] is not None
        assert entry["source"].endswith("generate.py:279")


class TestGelf:
    def test_syslog_levels_and_additional_fields(self) -> None:
        """Syslog severities band the level; ``_``-fields lose their underscore."""
        assert levels_of("gelf.jsonl")[:5] == [
            ("debug", None), ("info", None), ("warn", "warning"), ("error", "err"),
            ("error", "crit"),
        ]  # fmt: skip
        entry = line_record("gelf.jsonl", 0)
        assert entry["fields"]["entries"] == 12
        assert entry["fields"]["app"] == "fixture"
        assert "_app" not in entry["fields"]

    def test_message_time_and_logger(self) -> None:
        """short_message, float timestamp and the logger (pygelf debug field, graypy facility)."""
        entry = line_record("gelf.jsonl", 5)
        assert entry["message"] == "unicode: café ✓"
        assert entry["timestamp"] == "2026-12-06T10:00:09.123456Z"
        assert entry["target"] == "fixture.pygelf"
        assert line_record("gelf.jsonl", 6)["target"] == "fixture.graypy"
        assert entry["fields"]["host"] == "fixturehost"


class TestLogstash:
    def test_logback_levels_message_and_logger(self) -> None:
        """Logback's names band the level; logger_name → target; thread_name stays."""
        assert levels_of("logstash.jsonl")[:5] == [
            ("trace", None), ("debug", None), ("info", None), ("warn", None), ("error", None),
        ]  # fmt: skip
        entry = line_record("logstash.jsonl", 1)
        assert entry["message"] == "cache warmed after 12 entries"
        assert entry["target"] == "com.example.sync.SyncService"
        assert entry["timestamp"] == "2026-12-06T10:00:03.123000Z"
        assert entry["fields"]["thread_name"] == "worker-1"
        assert "@version" not in entry["fields"]

    def test_stack_trace_keeps_caused_by_chain(self) -> None:
        """stack_trace → fields["exception"] with its Caused by: lines."""
        exception = line_record("logstash.jsonl", 4)["fields"]["exception"]
        assert "\nCaused by: java.net.SocketException: Connection reset\n" in exception


class TestLoguru:
    def test_levels_by_name_and_by_number(self) -> None:
        """SUCCESS is info; a custom AUDIT (no 35) is warn by its number; names kept."""
        assert levels_of("loguru.jsonl") == [
            ("trace", None), ("debug", None), ("info", None), ("info", "SUCCESS"),
            ("warn", "WARNING"), ("warn", "AUDIT"), ("error", None), ("error", "CRITICAL"),
        ]  # fmt: skip

    def test_record_fields(self) -> None:
        """time.repr, message, name, extra and the code location are read from ``record``."""
        entry = line_record("loguru.jsonl", 2)
        assert entry["timestamp"] == "2026-12-06T10:00:04.623456Z"
        assert (entry["message"], entry["target"]) == ("request served", "__main__")
        assert entry["fields"]["request"]["meta"]["tag"] == "quokka"
        assert entry["fields"]["function"] == "gen_loguru"
        assert entry["source"] is not None
        assert entry["source"].endswith("generate.py:182")
        assert isinstance(entry["pid"], int)

    def test_exception_text_comes_from_the_rendered_text(self) -> None:
        """The traceback (serialised only as type/value) is taken from ``text``."""
        exception = line_record("loguru.jsonl", 6)["fields"]["exception"]
        assert exception.endswith("ConnectionError: sync failed for peer db-1")


class TestStructlog:
    def test_event_level_logger_and_time(self) -> None:
        """event → message, stdlib names banded (warning → warn, name kept), logger → target."""
        assert levels_of("structlog.jsonl")[:5] == [
            ("debug", None), ("info", None), ("warn", "warning"), ("error", None),
            ("error", "critical"),
        ]  # fmt: skip
        entry = line_record("structlog.jsonl", 0)
        assert (entry["message"], entry["target"]) == ("cache warmed", "fixture.structlog")
        assert entry["timestamp"] == "2026-12-06T10:00:01.623456Z"
        assert entry["fields"] == {"entries": 12}


class TestPythonJson:
    def test_timestamp_layout(self) -> None:
        """The ``timestamp=True`` layout: ISO time with an offset, levelname, name."""
        entry = line_record("pythonjson.jsonl", 2)
        assert entry["timestamp"] == "2026-12-06T10:00:04.623456Z"
        assert (entry["level"], entry["level_name"]) == ("warn", "WARNING")
        assert (entry["message"], entry["target"]) == ("slow query", "fixture.pythonjson")

    def test_asctime_layout_with_comma_decimals(self) -> None:
        """asctime "YYYY-MM-DD HH:MM:SS,mmm" is read (as UTC); process → pid."""
        entry = line_record("pythonjson-asctime.jsonl", 0)
        assert entry["timestamp"] == "2026-12-06T10:00:01.623000Z"
        assert isinstance(entry["pid"], int)
        assert entry["fields"]["lineno"] > 0

    def test_custom_levels(self) -> None:
        """ "Level 5" is banded by its number, NOTICE by its word; both kept."""
        assert levels_of("pythonjson.jsonl")[5:7] == [("trace", "Level 5"), ("info", "NOTICE")]


class TestDocker:
    def test_json_inside_log_is_mapped_by_its_own_format(self) -> None:
        """A zap line printed by the container is read as zap, with the stream kept."""
        entry = line_record("docker.jsonl", 0)
        assert (entry["message"], entry["target"]) == ("json inside docker", "app")
        assert entry["timestamp"] == "2026-12-06T10:00:01.500000Z"
        assert entry["fields"]["stream"] == "stdout"

    def test_text_inside_log_uses_the_text_prefix(self) -> None:
        """Recognised text lines (asctime, logfmt) give their level, target and time."""
        asctime, logfmt = line_record("docker.jsonl", 1), line_record("docker.jsonl", 2)
        assert (asctime["level"], asctime["target"]) == ("warn", "app.worker")
        assert asctime["timestamp"] == "2026-12-06T10:00:03.123000Z"
        assert (logfmt["level"], logfmt["message"]) == ("error", "logfmt inside docker")

    def test_plain_lines_take_the_driver_time(self) -> None:
        """Unrecognised lines are the message, timed by the driver, stream kept."""
        entry = line_record("docker.jsonl", 4)
        assert entry["message"] == "Traceback (most recent call last):"
        assert entry["timestamp"] == "2026-12-06T19:46:59.109658Z"
        assert entry["fields"] == {"stream": "stderr"}
        assert "raw" not in entry
        assert line_record("docker.jsonl", 7)["message"] == "partial line without newline"


class TestJournald:
    def test_priority_identifier_pid_and_time(self) -> None:
        """PRIORITY bands the level, SYSLOG_IDENTIFIER/_COMM → target, µs realtime → time."""
        assert levels_of("journald.jsonl")[:7] == [
            ("info", None), ("debug", None), ("warn", "warning"), ("error", "err"),
            ("error", "crit"), ("info", "notice"), ("error", "emerg"),
        ]  # fmt: skip
        entry = line_record("journald.jsonl", 0)
        assert entry["timestamp"] == "2026-12-06T10:00:01.623456Z"
        assert (entry["target"], entry["pid"]) == ("fixture-app", 4242)
        assert line_record("journald.jsonl", 2)["target"] == "fixture-daemon"
        assert line_record("journald.jsonl", 1)["source"] == "app.py:42"

    def test_multiline_and_binary_messages(self) -> None:
        """A traceback MESSAGE keeps its newlines; a byte-array MESSAGE is decoded."""
        traceback = line_record("journald.jsonl", 3)["message"]
        assert traceback.startswith("Traceback (most recent call last):\n  File ")
        assert line_record("journald.jsonl", 7)["message"] == "binary \ufffd\x01 payload"


class TestGenericFallback:
    def test_our_own_object_keeps_its_keys(self) -> None:
        """Our writer's object (not on the fast path) maps one to one."""
        obj = {
            "timestamp": "2026-12-06T10:00:00.000001Z", "level": "warn", "category": "midi",
            "message": "m", "target": "t", "fields": {"k": 1},
            "span": {"name": "s", "id": "1", "parent_id": None}, "pid": 7, "source": "a.py:3",
        }  # fmt: skip
        assert format_of(obj) == "generic"
        (entry,) = convert_object(obj)
        assert entry == {**obj, "level_name": None} | {"level": "warn"}
        assert list(entry) == RECORD_KEYS

    def test_missing_timestamp_is_none(self) -> None:
        """A foreign object without a time gives timestamp None instead of an error."""
        (entry,) = convert_object({"msg": "hello", "severity": "NOTICE"})
        assert entry["timestamp"] is None
        assert (entry["message"], entry["level"], entry["level_name"]) == (
            "hello",
            "info",
            "NOTICE",
        )

    def test_non_object_is_malformed(self) -> None:
        """Only what cannot be a record at all is an error."""
        with pytest.raises(MalformedLineError):
            convert_object([1, 2])  # type: ignore[arg-type]


class TestDetectionOrder:
    @pytest.mark.parametrize(
        ("obj", "name"),
        [
            ({"level": 30, "time": 1, "msg": "m", "pid": 1, "hostname": "h"}, "pino"),
            ({"level": 30, "time": "t", "msg": "m", "pid": 1, "hostname": "h", "v": 0}, "bunyan"),
            ({"level": "info", "message": "m", "timestamp": "t"}, "winston"),
            ({"level": "info", "message": "m", "service": "s"}, "winston"),
            ({"level": "info", "message": "m", "timestamp": "t", "target": "x"}, "generic"),
            ({"level": "info", "msg": "m", "time": "t"}, "generic"),
            ({"level": "INFO", "msg": "m", "time": "t"}, "slog"),
            ({"level": "info", "msg": "m", "ts": 1.5}, "zap"),
            ({"level": "info", "message": "m", "time": "t"}, "zerolog"),
            ({"event": "e", "level": "info", "timestamp": "t"}, "structlog"),
            ({"message": "m", "levelname": "INFO", "name": "n"}, "pythonjson"),
            ({"event": "e", "levelname": "INFO"}, "pythonjson"),
            (
                {"timestamp": "t", "level": "INFO", "fields": {"message": "m"}, "target": "x"},
                "tracing",
            ),
            (
                {"timestamp": "t", "level": "info", "message": "m", "fields": {}, "target": "x"},
                "generic",
            ),
            ({"@timestamp": "t", "message": "m", "@version": "1"}, "logstash"),
            ({"@timestamp": "t", "message": "m", "log.level": "info"}, "generic"),
            ({"@t": "t", "@mt": "m"}, "clef"),
            ({"log": "x\n", "stream": "stdout", "time": "t"}, "docker"),
            ({"MESSAGE": "m", "PRIORITY": "6"}, "journald"),
            ({"version": "1.1", "host": "h", "short_message": "m"}, "gelf"),
            ({"timeUnixNano": "1", "body": {"stringValue": "m"}}, "otel"),
            ({"resourceLogs": []}, "otel"),
            ({"text": "t", "record": {}}, "loguru"),
        ],
    )
    def test_look_alikes_are_told_apart(self, obj: dict[str, Any], name: str) -> None:
        """Objects that share keys go to the ecosystem whose distinguishing keys they carry."""
        assert format_of(obj) == name

    def test_generic_is_last_and_names_are_unique(self) -> None:
        """Every format has a distinct NAME and the catch-all comes last."""
        names = [module.NAME for module in FORMATS]
        assert len(set(names)) == len(names)
        assert names[-1] == "generic"

    def test_unexpected_shape_falls_back_to_generic(self) -> None:
        """A detected format that cannot read the object gives way to the generic mapping."""
        (entry,) = convert_object({"text": "t", "record": {"level": 5, "message": 3, "time": "x"}})
        assert entry["timestamp"] is None
        assert list(entry) == RECORD_KEYS

    def test_empty_envelope_gives_no_records(self) -> None:
        """An OpenTelemetry request without log records is no record, not an error."""
        assert convert_object({"resourceLogs": [{"scopeLogs": []}]}) == []


class TestBandOf:
    @pytest.mark.parametrize(
        ("label", "expected"),
        [
            ("info", ("info", None)),
            ("INFO", ("info", None)),
            ("WARNING", ("warn", "WARNING")),
            ("ERROR+4", ("error", "ERROR+4")),
            ("INFO-2", ("info", "INFO-2")),
            ("MyWarnLevel", ("warn", "MyWarnLevel")),
            ("SUCCESS", ("info", "SUCCESS")),
            ("SUPERERROR", ("error", "SUPERERROR")),
            ("dpanic", ("error", "dpanic")),
            ("Information", ("info", "Information")),
            ("notice", ("info", "notice")),
            ("silly", ("trace", "silly")),
            ("banana", ("info", "banana")),
            ("", ("info", None)),
        ],
    )
    def test_labels(self, label: str, expected: tuple[str, str | None]) -> None:
        """Known names by the table, unknown ones by the severity word inside, else info kept."""
        assert levels.band_of(label) == expected

    def test_scheme_names_win_over_common_ones(self) -> None:
        """Serilog's Verbose is below debug; winston's verbose is above it."""
        assert levels.band_of("Verbose", "serilog") == ("trace", "Verbose")
        assert levels.band_of("verbose", "winston") == ("debug", "verbose")

    def test_table_is_exported_as_data(self) -> None:
        """The table lists every scheme's levels with bands from the five."""
        schemes = {row.scheme for row in levels.LEVEL_TABLE}
        assert {"pino", "zap", "slog", "otel", "syslog", "loguru", "logback"} <= schemes
        assert {row.band for row in levels.LEVEL_TABLE} == set(LEVELS)


class TestNumericSchemes:
    def test_pino(self) -> None:
        """10 trace … 60 fatal, custom numbers by their floor."""
        assert [levels.pino_band(n) for n in (5, 10, 20, 30, 35, 40, 50, 60, 70)] == [
            "trace", "trace", "debug", "info", "info", "warn", "error", "error", "error",
        ]  # fmt: skip

    def test_syslog(self) -> None:
        """0-3 error, 4 warn, 5-6 info, 7 debug."""
        assert [levels.syslog_band(n) for n in range(8)] == [
            "error", "error", "error", "error", "warn", "info", "info", "debug",
        ]  # fmt: skip

    def test_otel(self) -> None:
        """Four numbers per band, FATAL 21-24 in error, 0 unspecified."""
        assert [levels.otel_band(n) for n in (0, 1, 4, 5, 9, 12, 13, 17, 21, 24)] == [
            None, "trace", "trace", "debug", "info", "info", "warn", "error", "error", "error",
        ]  # fmt: skip

    def test_python_and_loguru(self) -> None:
        """5 trace, 10 debug, 20/25 info, 30/35 warn, 40/50 error."""
        assert [levels.python_band(n) for n in (5, 10, 20, 25, 30, 35, 40, 50)] == [
            "trace", "debug", "info", "info", "warn", "warn", "error", "error",
        ]  # fmt: skip

    def test_logback_level_value(self) -> None:
        """5000 trace … 40000 error."""
        assert [levels.logback_band(n) for n in (5000, 10000, 20000, 30000, 40000)] == [
            "trace", "debug", "info", "warn", "error",
        ]  # fmt: skip


def text_lines(name: str) -> list[str]:
    """The lines of a text fixture file."""
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def entries(name: str) -> list[tuple[dict[str, Any], list[str]]]:
    """Group a text fixture into entries: each start line's record and its continuation lines."""
    grouped: list[tuple[dict[str, Any], list[str]]] = []
    previous: str | None = None
    for line in text_lines(name):
        if grouped and is_continuation(line, previous):
            grouped[-1][1].append(line)
        else:
            grouped.append((parse_text_line(line, now=NOW) or raw_record(line), []))
        previous = line
    return grouped


NOW = datetime(2026, 12, 6, 20, 0, tzinfo=UTC)


class TestTextFixtures:
    def test_python_default_logging_and_traceback(self) -> None:
        """Python's default and asctime formats start entries; tracebacks join them."""
        grouped = entries("python-text.log")
        starts = [(e["level"], e["level_name"], e["target"], e["message"]) for e, _ in grouped]
        assert starts == [
            ("warn", "WARNING", "root", "disk nearly full"),
            ("error", None, "fixture.text", "sync failed"),
            ("info", None, "", "plain line printed by the program"),
            ("info", None, "fixture.asctime", "request served path=/api/sync tag=quokka"),
            ("error", None, "fixture.asctime", "lookup failed"),
            ("info", None, "", "====="),
        ]
        assert grouped[4][0]["timestamp"] == "2026-12-06T10:00:06.123000Z"
        assert grouped[4][1][0] == "Traceback (most recent call last):"
        assert grouped[4][1][2] == "KeyError: 'db-1'"
        chained = grouped[5][1]
        assert "The above exception was the direct cause of the following exception:" in chained
        assert chained[-1] == "RuntimeError: sync failed for peer db-1"
        assert grouped[2][0]["raw"] is True

    def test_logback_layout_and_java_stack(self) -> None:
        """logback's ``[thread] LEVEL logger - msg`` and its stack with Caused by: lines."""
        grouped = entries("logback.log")
        assert len(grouped) == 8
        error, stack = grouped[4]
        assert (error["level"], error["target"], error["message"]) == (
            "error", "com.example.sync.SyncService", "sync failed",
        )  # fmt: skip
        assert error["fields"] == {"thread": "worker-1"}
        assert error["timestamp"] == "2026-12-06T10:00:07.623000Z"
        assert stack[0] == "java.lang.RuntimeException: sync failed for peer db-1"
        assert "\t... 2 common frames omitted" in stack

    def test_jvm_stack_trace_with_more_lines(self) -> None:
        """The JVM's own trace: ``Caused by:`` and ``... N more`` continue the first line."""
        grouped = entries("java-stacktrace.log")
        assert len(grouped) == 1
        assert grouped[0][0]["raw"] is True
        assert grouped[0][1][-1] == "\t... 2 more"

    def test_syslog_traditional_and_rfc3339(self) -> None:
        """Both rsyslog templates give program, pid, host and the time."""
        old, new = entries("syslog.log")[0][0], entries("syslog-rfc3339.log")[0][0]
        for entry in (old, new):
            assert (entry["target"], entry["message"]) == (
                "fixture-app",
                "request served tag=quokka",
            )
            assert entry["fields"] == {"host": "vm"}
            assert isinstance(entry["pid"], int)
        assert old["timestamp"] == "2026-12-06T19:46:28.000000Z"
        assert new["timestamp"] is not None
        assert new["timestamp"].startswith("2026-12-06T19:46:28.")

    def test_logfmt_lines_from_logrus(self) -> None:
        """logrus's TextFormatter: time, level (warning → warn), msg, quoted escapes, fields."""
        grouped = entries("logfmt.log")
        assert len(grouped) == 8
        warn = grouped[3][0]
        assert (warn["level"], warn["level_name"], warn["message"]) == (
            "warn", "warning", "slow query",
        )  # fmt: skip
        assert warn["fields"] == {"query": 'SELECT "name" FROM t'}
        assert warn["timestamp"] == "2026-12-06T10:00:06.123456Z"
        assert grouped[2][0]["fields"]["tag"] == "quokka"
        assert grouped[6][0]["fields"]["multi"] == "line one\nline two"

    def test_tracing_default_text_format(self) -> None:
        """tracing's ``LEVEL spans: target: message``; a multi-line field continues the entry."""
        grouped = entries("tracing-text.log")
        assert len(grouped) == 8
        warn = grouped[3][0]
        assert (warn["level"], warn["target"], warn["message"]) == (
            "warn", "gen_rust", "slow query seconds=2.5",
        )  # fmt: skip
        assert warn["fields"]["spans"] == 'request{method="GET" path="/api/sync"}:sync{peer="db-1"}'
        assert grouped[4][1] == ["", "Caused by:", "    0: connection reset by peer",
                                 "    1: os error 104"]  # fmt: skip
        assert grouped[5][0]["target"] == "fixture::custom_target"


class TestParseTextLine:
    @pytest.mark.parametrize(
        ("line", "expected"),
        [
            (
                "2026-12-06T10:00:00.123Z [ERROR] boom",
                ("2026-12-06T10:00:00.123000Z", "error", "boom"),
            ),
            (
                "2026-12-06 10:00:00,123 something",
                ("2026-12-06T10:00:00.123000Z", "info", "something"),
            ),
            ("[warn] disk nearly full", (None, "warn", "disk nearly full")),
            ("ERROR something broke", (None, "error", "something broke")),
            ("FATAL: out of memory", (None, "error", "out of memory")),
            (
                'ts=1796551200 lvl=debug msg="a \\"b\\""',
                ("2026-12-06T10:00:00.000000Z", "debug", 'a "b"'),
            ),
            (
                "Dec  6 10:00:00 host prog[123]: hello",
                ("2026-12-06T10:00:00.000000Z", "info", "hello"),
            ),
            (
                "Dec 31 23:00:00 host prog: last year",
                ("2025-12-31T23:00:00.000000Z", "info", "last year"),
            ),
        ],
    )
    def test_recognised_prefixes(self, line: str, expected: tuple[str | None, str, str]) -> None:
        """Each prefix gives its time, level and message."""
        entry = parse_text_line(line, now=NOW)
        assert entry is not None
        assert (entry["timestamp"], entry["level"], entry["message"]) == expected

    @pytest.mark.parametrize(
        "line",
        ["hello world", "Error in something", "  indented", "", "key=value", "=====", "warning"],
    )
    def test_unrecognised_lines(self, line: str) -> None:
        """Lines without a known prefix are no entry start (logfmt needs a level or msg key)."""
        assert parse_text_line(line, now=NOW) is None


class TestIsContinuation:
    @pytest.mark.parametrize(
        ("line", "previous"),
        [
            ('  File "x.py", line 1, in <module>', "Traceback (most recent call last):"),
            ("Traceback (most recent call last):", "ERROR:root:boom"),
            ("During handling of the above exception, another exception occurred:", ""),
            ("The above exception was the direct cause of the following exception:", ""),
            ("\tat com.x.Y.run(Y.java:3)", "java.lang.Error: x"),
            ("at com.x.Y.run(Y.java:3)", "java.lang.Error: x"),
            ("Caused by: java.io.IOException: gone", "\tat com.x.Y.run(Y.java:3)"),
            ("\t... 12 more", "\tat com.x.Y.run(Y.java:3)"),
            ("... 12 more", "\tat com.x.Y.run(Y.java:3)"),
            ("ValueError: bad value", "    raise ValueError('bad value')"),
            ("pkg.errors.CustomError: text", "    raise CustomError('text')"),
            ("KeyboardInterrupt", "    time.sleep(1)"),
            ("java.lang.IllegalStateException: lost", "2026-12-06 10:00:00.000 [m] ERROR a.B - x"),
            ("", "anything"),
        ],
    )
    def test_continuations(self, line: str, previous: str) -> None:
        """Traceback and stack lines belong to the entry above."""
        assert is_continuation(line, previous) is True

    @pytest.mark.parametrize(
        ("line", "previous"),
        [
            ("ValueError: bad value", "not indented"),
            ("ERROR:root:boom", "    indented"),
            ("2026-12-06T10:00:00Z INFO x: y", "    indented"),
            ("plain text", "plain text"),
            ("  indented first line", None),
        ],
    )
    def test_entry_starts(self, line: str, previous: str | None) -> None:
        """Recognised prefixes, the first line and ordinary lines start entries."""
        assert is_continuation(line, previous) is False


class TestRawRecord:
    def test_unrecognised_line_is_kept_verbatim(self) -> None:
        """The whole text is the message, info, no time, marked raw."""
        assert raw_record("something happened") == {
            "timestamp": None, "level": "info", "level_name": None, "category": "unknown",
            "message": "something happened", "target": "", "fields": {}, "span": None,
            "pid": None, "source": None, "raw": True,
        }  # fmt: skip

    def test_leading_severity_word_sets_the_level(self) -> None:
        """A line starting with a severity word gets that band."""
        entry = raw_record("Warning - disk almost full")
        assert (entry["level"], entry["level_name"]) == ("warn", "Warning")


#: Keys the formats look at, so that random objects reach every converter.
FORMAT_KEYS = [
    "level", "time", "ts", "msg", "message", "timestamp", "@t", "@mt", "@m", "@l", "@x", "@r",
    "@sp", "record", "text", "log", "stream", "fields", "target", "span", "spans", "v",
    "hostname", "short_message", "host", "version", "MESSAGE", "PRIORITY", "_PID",
    "__REALTIME_TIMESTAMP", "resourceLogs", "timeUnixNano", "severityNumber", "severityText",
    "body", "attributes", "traceId", "spanId", "levelname", "asctime", "event", "logger", "name",
    "source", "caller", "stack", "stacktrace", "@timestamp", "@version", "level_value", "service",
]  # fmt: skip
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FORMAT_KEYS) | st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


class TestRobustness:
    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.sampled_from(FORMAT_KEYS), JSON_VALUES, max_size=8))
    def test_any_object_converts_to_valid_records(self, obj: dict[str, Any]) -> None:
        """Whatever the values' types, every object maps onto well-typed records."""
        for entry in convert_object(obj):
            assert list(entry) == RECORD_KEYS
            assert entry["level"] in LEVELS
            assert isinstance(entry["message"], str)
            assert isinstance(entry["target"], str)
            assert isinstance(entry["fields"], dict)
            assert entry["timestamp"] is None or isinstance(entry["timestamp"], str)

    @settings(max_examples=300, deadline=None)
    @given(st.text(max_size=80), st.none() | st.text(max_size=20))
    def test_any_text_line_is_classified(self, line: str, previous: str | None) -> None:
        """Text classification never raises and a recognised line is never a continuation."""
        entry = parse_text_line(line, now=NOW)
        if entry is not None:
            assert is_continuation(line, previous) is False
