"""`export_logs`' formats for other tools and for support: otlp-json, clef, bundle, redaction.

otlp-json is checked with opentelemetry-proto's generated classes (protobuf's JSON parser), and
read back through the viewer's own reader; clef line by line against Serilog's compact format;
a bundle by unpacking it and checking its manifest against its members.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from opentelemetry.proto.logs.v1.logs_pb2 import SeverityNumber

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch
from backend._export import ExportOptions, write_export
from backend._export_formats import clef_event
from shared._metrics import SNAPSHOT_MESSAGE, PerformanceMetrics
from shared.otlp import to_protobuf
from shared.reader.query import iter_logs

Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]
TRACEBACK = 'Traceback (most recent call last):\n  File "a.py", line 1\nValueError: boom'
TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "9f2c00aa11bb22cc"
PARENT_ID = "00000000000000ab"
SECRETS = ("hunter2", "abc.def.ghi", "ada@example.com")
#: What the reader gives back that an export should carry (``id``/``origin`` are where it lies).
COMPARED = ("timestamp", "level", "level_name", "category", "message", "target", "fields")
COMPARED += ("span", "pid", "source", "raw")


def ts(second: int) -> str:
    return f"2026-03-01T10:00:{second:02d}.123456Z"


@pytest.fixture
def rich(rec: Rec, write: Write, active: Path) -> list[dict[str, Any]]:
    """Records with a traceback, nested fields, W3C and other span ids, every level."""
    records = [
        rec(
            "import failed",
            timestamp=ts(0),
            level="error",
            category="database",
            target="midi.db",
            fields={
                "exception": TRACEBACK,
                "request_id": TRACE_ID,
                "nested": {"tracks": [1, 2.5, None, True], "name": "Ünïcode", "deep": {"a": {}}},
                "@odd": "at sign",
                "empty": [],
            },
            span={"name": "import_file", "id": SPAN_ID, "parent_id": PARENT_ID},
            source="importer.py:88",
        ),
        rec("plain", timestamp=ts(1), level="info", target="", fields={"n": 3}),
        rec(
            "odd ids",
            timestamp=ts(2),
            level="warn",
            category="midi",
            fields={"request_id": "req-1"},
            span={"name": "play", "id": "span-7", "parent_id": None},
        ),
        rec("quiet", timestamp=ts(3), level="debug", category="file"),
        rec("noisy", timestamp=ts(4), level="trace", category="network", pid=7),
    ]
    write(active, records)
    return records


def export(app: AppContext, target: Path, format: str, **args: Any) -> dict[str, Any]:
    """Export through the dispatcher, as the page does."""
    result: dict[str, Any] = dispatch(
        app, "export_logs", {"output_path": str(target), "format": format, **args}
    )
    return result


def lines(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


class TestOtlpJson:
    def test_parses_with_opentelemetry_proto_keeping_every_field(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """Time, severity, body, trace and span ids, traceback, nested fields pass the schema."""
        target = tmp_path / "out.otlp.json"
        assert export(app, target, "otlp-json")["count"] == len(rich)
        (line,) = target.read_bytes().splitlines()
        request = to_protobuf(orjson.loads(line))  # json_format with the ids as bytes
        (resource_logs,) = request.resource_logs
        assert resource_logs.resource.attributes[0].key == "service.name"
        assert resource_logs.resource.attributes[0].value.string_value == "midi-software-center"
        records = resource_logs.scope_logs[0].log_records
        assert resource_logs.scope_logs[0].scope.name == "msc-logging"
        first = records[0]
        start = datetime(2026, 3, 1, 10, tzinfo=UTC)
        assert first.time_unix_nano == int(start.timestamp()) * 10**9 + 123_456_000
        assert first.observed_time_unix_nano > first.time_unix_nano
        assert first.severity_number == SeverityNumber.SEVERITY_NUMBER_ERROR
        assert first.severity_text == "ERROR"
        assert first.body.string_value == "import failed"
        assert first.trace_id.hex() == TRACE_ID
        assert first.span_id.hex() == SPAN_ID
        attributes = {
            kv["key"]: kv["value"] for kv in json_format.MessageToDict(first)["attributes"]
        }
        assert attributes["exception.stacktrace"] == {"stringValue": TRACEBACK}
        nested = {kv["key"]: kv["value"] for kv in attributes["nested"]["kvlistValue"]["values"]}
        assert nested["tracks"]["arrayValue"]["values"] == [
            {"intValue": "1"},
            {"doubleValue": 2.5},
            {},
            {"boolValue": True},
        ]
        assert attributes["msc.category"] == {"stringValue": "database"}
        assert attributes["msc.target"] == {"stringValue": "midi.db"}
        assert attributes["msc.span.name"] == {"stringValue": "import_file"}
        assert attributes["msc.span.parent_id"] == {"stringValue": PARENT_ID}
        assert attributes["process.pid"] == {"intValue": "4242"}
        assert attributes["code.file.path"] == {"stringValue": "importer.py"}
        severities = [r.severity_number for r in records]
        assert severities == [17, 9, 13, 5, 1]

    def test_ids_that_are_not_hex_stay_attributes(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """A request id or span id that is no W3C id sets no traceId/spanId and is kept."""
        target = tmp_path / "out.otlp.json"
        export(app, target, "otlp-json")
        (request,) = lines(target)
        odd = request["resourceLogs"][0]["scopeLogs"][0]["logRecords"][2]
        assert "traceId" not in odd
        assert "spanId" not in odd
        keys = {kv["key"]: kv["value"] for kv in odd["attributes"]}
        assert keys["msc.span.id"] == {"stringValue": "span-7"}
        assert keys["request_id"] == {"stringValue": "req-1"}

    def test_round_trips_through_the_reader(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """The export opened as a log shows the same entries: times, levels, fields, spans …"""
        target = tmp_path / "out.otlp.json"
        export(app, target, "otlp-json")
        shown = tmp_path / "reopened"
        shown.mkdir()
        shutil.copy(target, shown / "exported.jsonl")
        before = [{k: e.get(k) for k in COMPARED} for e in iter_logs(app.log_dir)]
        after = [{k: e.get(k) for k in COMPARED} for e in iter_logs(shown)]
        assert after == before
        assert after[0]["fields"]["exception"] == TRACEBACK
        assert after[0]["span"] == rich[0]["span"]

    def test_raw_lines_round_trip_as_raw(
        self, app: AppContext, rec: Rec, write: Write, active: Path, tmp_path: Path
    ) -> None:
        """A line that was no record comes back raw, with its text and time."""
        write(active, [rec("before", timestamp=ts(5))], extra=b"not a record at all\n")
        target = tmp_path / "out.otlp.json"
        export(app, target, "otlp-json")
        shown = tmp_path / "reopened"
        shown.mkdir()
        shutil.copy(target, shown / "exported.jsonl")
        back = list(iter_logs(shown))
        assert [(e["message"], e.get("raw"), e["timestamp"]) for e in back] == [
            ("before", None, ts(5)),
            ("not a record at all", True, ts(5)),
        ]

    def test_requests_hold_at_most_a_thousand_records(
        self, app: AppContext, rec: Rec, write: Write, active: Path, tmp_path: Path
    ) -> None:
        """2,500 entries stream out as three requests, one per line, in order."""
        write(active, [rec(f"m {n}", timestamp=ts(n % 60)) for n in range(2500)])
        target = tmp_path / "big.otlp.json"
        assert export(app, target, "otlp-json")["count"] == 2500
        requests = lines(target)
        sizes = [len(r["resourceLogs"][0]["scopeLogs"][0]["logRecords"]) for r in requests]
        assert sizes == [1000, 1000, 500]
        bodies = [
            record["body"]["stringValue"]
            for request in requests
            for record in request["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
        ]
        assert bodies == [f"m {n}" for n in range(2500)]

    def test_each_source_is_its_own_service(
        self, app: AppContext, rec: Rec, write: Write, log_dir: Path, tmp_path: Path
    ) -> None:
        """Entries of two log files get ResourceLogs named after their source, in time order."""
        write(log_dir / "alpha.log", [rec("a0", timestamp=ts(0)), rec("a2", timestamp=ts(2))])
        write(log_dir / "beta.log", [rec("b1", timestamp=ts(1))])
        target = tmp_path / "two.otlp.json"
        export(app, target, "otlp-json")
        (request,) = lines(target)
        runs = [
            (
                rl["resource"]["attributes"][0]["value"]["stringValue"],
                [r["body"]["stringValue"] for r in rl["scopeLogs"][0]["logRecords"]],
            )
            for rl in request["resourceLogs"]
        ]
        assert runs == [("alpha", ["a0"]), ("beta", ["b1"]), ("alpha", ["a2"])]


class TestClef:
    def test_each_line_is_a_serilog_compact_event(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """@t, @m, @l (none for Information), @x, @tr/@sp, flattened and escaped properties."""
        target = tmp_path / "out.clef"
        assert export(app, target, "clef")["count"] == len(rich)
        events = lines(target)
        assert [e["@t"] for e in events] == [r["timestamp"] for r in rich]
        assert [e["@m"] for e in events] == [r["message"] for r in rich]
        assert [e.get("@l") for e in events] == ["Error", None, "Warning", "Debug", "Verbose"]
        first = events[0]
        assert list(first)[:6] == ["@t", "@m", "@l", "@x", "@tr", "@sp"]
        assert first["@x"] == TRACEBACK
        assert "exception" not in first
        assert (first["@tr"], first["@sp"], first["@ps"]) == (TRACE_ID, SPAN_ID, PARENT_ID)
        assert first["nested"] == rich[0]["fields"]["nested"]
        assert first["@@odd"] == "at sign"
        assert first["SourceContext"] == "midi.db"
        assert (first["Category"], first["SpanName"], first["ProcessId"]) == (
            "database",
            "import_file",
            4242,
        )
        assert first["Source"] == "importer.py:88"
        odd = events[2]
        assert "@tr" not in odd
        assert "@sp" not in odd
        assert (odd["SpanId"], odd["request_id"]) == ("span-7", "req-1")
        assert "SourceContext" not in events[1]

    def test_fatal_level_names_are_fatal(self) -> None:
        """A level written as critical, fatal or panic is Serilog's Fatal, not Error."""
        for name in ("critical", "FATAL", "panic"):
            event = clef_event({"timestamp": ts(0), "level": "error", "level_name": name})
            assert event["@l"] == "Fatal"
            assert event["LevelName"] == name

    def test_reads_back_through_the_clef_reader(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """The viewer reads the file as CLEF: times, levels, messages, targets, traceback."""
        target = tmp_path / "out.clef"
        export(app, target, "clef")
        shown = tmp_path / "reopened"
        shown.mkdir()
        shutil.copy(target, shown / "exported.jsonl")
        back = list(iter_logs(shown))
        assert [e["timestamp"] for e in back] == [r["timestamp"] for r in rich]
        assert [e["level"] for e in back] == [r["level"] for r in rich]
        assert [e["message"] for e in back] == [r["message"] for r in rich]
        assert back[0]["target"] == "midi.db"
        assert back[0]["fields"]["exception"] == TRACEBACK
        assert back[0]["fields"]["trace_id"] == TRACE_ID


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def secret_records(rec: Rec, write: Write, active: Path) -> list[dict[str, Any]]:
    """Records holding a password, a bearer token and an e-mail address, in messages and fields."""
    records = [
        rec(
            'login password="hunter2" with Authorization: Bearer abc.def.ghi for ada@example.com',
            timestamp=ts(0),
            fields={
                "password": "hunter2",
                "headers": {"Authorization": "Bearer abc.def.ghi"},
                "user": "ada@example.com",
            },
        ),
        rec("fine", timestamp=ts(1), level="warn"),
        rec("also fine", timestamp=ts(2), level="warn"),
        rec("broken", timestamp=ts(3), level="error", fields={"exception": TRACEBACK}),
    ]
    write(active, records)
    return records


class TestBundle:
    def test_holds_the_members_and_their_hashes(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """manifest.json lists the sha256 and size of every other member, and they match."""
        target = tmp_path / "support.zip"
        assert export(app, target, "bundle")["count"] == len(secret_records)
        files = members(target)
        assert list(files) == ["logs.jsonl", "metrics.json", "log-info.json", "manifest.json"]
        manifest = orjson.loads(files["manifest.json"])
        assert set(manifest["members"]) == {"logs.jsonl", "metrics.json", "log-info.json"}
        for name, described in manifest["members"].items():
            assert described["sha256"] == hashlib.sha256(files[name]).hexdigest()
            assert described["bytes"] == len(files[name])

    def test_manifest_counts_match_the_entries(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """Entries per level, the time range and the filters agree with logs.jsonl."""
        target = tmp_path / "support.zip"
        export(app, target, "bundle", min_level="info", since="2026-03-01T10:00:00Z")
        files = members(target)
        records = [orjson.loads(line) for line in files["logs.jsonl"].splitlines()]
        manifest = orjson.loads(files["manifest.json"])
        levels = Counter(r["level"] for r in records)
        assert manifest["counts"]["levels"] == {
            level: levels.get(level, 0) for level in ("trace", "debug", "info", "warn", "error")
        }
        assert manifest["counts"]["levels"]["warn"] == 2
        assert manifest["counts"]["entries"] == len(records) == 4
        assert manifest["time_range"] == {"first": ts(0), "last": ts(3)}
        assert manifest["filters"] == {"min_level": "info", "since": "2026-03-01T10:00:00Z"}
        assert manifest["viewer"]["version"]
        assert manifest["versions"]["pywebview"]
        assert manifest["system"]["python"]

    def test_no_secret_reaches_the_zip(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """password="hunter2", a bearer token and an e-mail address are in no member, counted."""
        target = tmp_path / "support.zip"
        result = export(app, target, "bundle")
        files = members(target)
        for name, data in files.items():
            for secret in SECRETS:
                assert secret.encode() not in data, (secret, name)
        assert b"[REDACTED]" in files["logs.jsonl"]
        counts = orjson.loads(files["manifest.json"])["redaction"]["counts"]
        assert counts == result["redacted"]
        assert counts["key:password"] >= 1
        assert counts["bearer"] >= 1
        assert counts["email"] >= 1

    def test_no_secret_reaches_the_zip_by_the_filters_or_the_paths(
        self, rec: Rec, write: Write, tmp_path: Path
    ) -> None:
        """A secret searched for, or in the log directory's name, is masked in every member."""
        shown = tmp_path / "ada@example.com"
        write(shown / "app.log", [rec('login password="hunter2"')])
        app = AppContext(log_dir=shown)
        target = tmp_path / "support.zip"
        try:
            assert export(app, target, "bundle", search="hunter2")["count"] == 1
        finally:
            app.close()
        files = members(target)
        for name, data in files.items():
            for secret in ("hunter2", "ada@example.com"):
                assert secret.encode() not in data, (secret, name)
        assert orjson.loads(files["manifest.json"])["filters"] == {"search": "[REDACTED]"}

    def test_metrics_hold_the_latest_snapshot_of_each_process(
        self, app: AppContext, rec: Rec, write: Write, active: Path, tmp_path: Path
    ) -> None:
        """metrics.json has the newest snapshot per pid, as the metrics panel shows them."""

        def snapshot(pid: int, second: int, count: int) -> dict[str, Any]:
            metrics = PerformanceMetrics(counters={"files": count}).model_dump(mode="json")
            return rec(
                SNAPSHOT_MESSAGE,
                timestamp=ts(second),
                category="performance",
                pid=pid,
                fields={"metrics": metrics},
            )

        write(active, [snapshot(11, 0, 1), snapshot(22, 1, 5), snapshot(11, 2, 9)])
        target = tmp_path / "support.zip"
        export(app, target, "bundle")
        processes = orjson.loads(members(target)["metrics.json"])["processes"]
        assert [(p["pid"], p["timestamp"], p["counters"]) for p in processes] == [
            (11, ts(2), {"files": 9}),
            (22, ts(1), {"files": 5}),
        ]

    def test_log_info_is_what_get_log_info_says(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """log-info.json is get_log_info's answer for the log shown."""
        target = tmp_path / "support.zip"
        export(app, target, "bundle")
        assert orjson.loads(members(target)["log-info.json"]) == dispatch(app, "get_log_info")

    @pytest.mark.parametrize("overwrite", [False, True])
    def test_a_failure_midway_leaves_nothing(
        self, app: AppContext, rich: list[dict[str, Any]], tmp_path: Path, overwrite: bool
    ) -> None:
        """A disk failure after some entries leaves no zip, no temporary file, the old file kept."""

        def failing() -> Iterator[dict[str, Any]]:
            yield from iter_logs(app.log_dir)
            raise OSError(errno.ENOSPC, "No space left on device")

        out = tmp_path / "out"
        out.mkdir()
        target = out / "support.zip"
        if overwrite:
            target.write_bytes(b"previous")
        with pytest.raises(CommandError, match="No space left") as caught:
            write_export(target, "bundle", failing(), overwrite=overwrite, options=ExportOptions())
        assert caught.value.code == "internal"
        assert [p.name for p in out.iterdir()] == (["support.zip"] if overwrite else [])
        assert not overwrite or target.read_bytes() == b"previous"

    def test_redaction_can_be_turned_off_explicitly(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """redact=false on a bundle keeps the entries as written, and the manifest says so."""
        target = tmp_path / "support.zip"
        result = export(app, target, "bundle", redact=False)
        files = members(target)
        assert b"hunter2" in files["logs.jsonl"]
        assert orjson.loads(files["manifest.json"])["redaction"] == {"enabled": False, "counts": {}}
        assert "redacted" not in result


class TestRedactOption:
    def test_redact_true_masks_a_jsonl_export(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path
    ) -> None:
        """With redact the secrets are masked and the result counts them per rule."""
        target = tmp_path / "out.jsonl"
        result = export(app, target, "jsonl", redact=True)
        data = target.read_bytes()
        assert not [secret for secret in SECRETS if secret.encode() in data]
        first = orjson.loads(data.splitlines()[0])
        assert first["fields"]["password"] == "[REDACTED]"
        assert first["fields"]["headers"]["Authorization"] == "[REDACTED]"
        assert result["redacted"]["key:password"] >= 1
        assert result["redacted"]["email"] >= 1

    @pytest.mark.parametrize("format", ["jsonl", "csv", "txt", "otlp-json", "clef"])
    def test_other_formats_are_not_redacted_by_default(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path, format: str
    ) -> None:
        """Without redact only the bundle is masked: an export is the log as written."""
        target = tmp_path / "out"
        result = export(app, target, format)
        assert b"hunter2" in target.read_bytes()
        assert "redacted" not in result

    @pytest.mark.parametrize("format", ["otlp-json", "clef"])
    def test_redact_applies_to_every_format(
        self, app: AppContext, secret_records: list[dict[str, Any]], tmp_path: Path, format: str
    ) -> None:
        """redact=true masks the OTLP and CLEF exports too."""
        target = tmp_path / "out"
        export(app, target, format, redact=True)
        data = target.read_bytes()
        assert not [secret for secret in SECRETS if secret.encode() in data]

    def test_an_unknown_format_is_invalid_args(self, app: AppContext, tmp_path: Path) -> None:
        """A format that is none of the six is refused, naming the argument; nothing written."""
        with pytest.raises(CommandError, match="format") as caught:
            export(app, tmp_path / "out.xml", "xml")
        assert caught.value.code == "invalid_args"
        assert not (tmp_path / "out.xml").exists()

    def test_a_redact_that_is_no_boolean_is_invalid_args(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """redact takes true, false or null only."""
        with pytest.raises(CommandError, match="redact") as caught:
            export(app, tmp_path / "out.jsonl", "jsonl", redact="yes")
        assert caught.value.code == "invalid_args"
