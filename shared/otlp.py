"""The record in the OpenTelemetry log data model: OTLP/JSON for exports, protobuf for `ship`.

One mapping serves every door that sends logs to an OpenTelemetry engine (``export_logs``'s
``otlp-json``, ``msc-logs ship``); `shared.reader.formats.otel` reads the same shape back.

- ``timestamp`` → ``timeUnixNano`` (``"0"`` when the entry has no time); the moment it was read
  → ``observedTimeUnixNano``.
- ``level``/``level_name`` → ``severityNumber`` (TRACE 1, DEBUG 5, INFO 9, WARN 13, ERROR 17;
  FATAL 21 for a ``fatal``, ``critical`` or ``panic`` name) and ``severityText`` (``level_name``
  as written, else the level in capitals).
- ``message`` → ``body`` (a string).
- ``fields`` → ``attributes``, one per key, nested values as ``kvlistValue``/``arrayValue``;
  ``fields.exception`` → ``exception.stacktrace``.
- ``fields.trace_id`` or ``fields.request_id`` → ``traceId`` when it is 32 hex digits (the
  attribute stays); ``span.id`` → ``spanId`` when it is 16 hex digits, else attribute
  ``msc.span.id``; ``msc.span.name``, ``msc.span.parent_id``.
- ``category``, ``target``, ``origin`` → attributes ``msc.category``, ``msc.target``,
  ``msc.origin``; ``pid`` → ``process.pid``; ``source`` (``file.py:88``) → ``code.file.path`` and
  ``code.line.number``; ``raw`` → ``msc.raw`` (a line that was no record: its text is the body).

The resource carries ``service.name`` (the app name) and the scope is this library
(``msc-logging``). OTLP/JSON writes ids as hex, unlike protobuf's own JSON mapping (base64), so
`to_protobuf` converts them before handing the request to ``google.protobuf.json_format``.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # protobuf is imported only by the doors that send protobuf
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

__all__ = [
    "SCOPE_NAME",
    "SEVERITY_NUMBERS",
    "any_value",
    "export_request",
    "log_record",
    "resource",
    "severity",
    "to_protobuf",
    "unix_nanos",
]

SCOPE_NAME = "msc-logging"
#: severityNumber of each level band: the lowest number of its OpenTelemetry range.
SEVERITY_NUMBERS = {"trace": 1, "debug": 5, "info": 9, "warn": 13, "error": 17}
#: Level names (as written by the logger) that are FATAL rather than ERROR in OpenTelemetry.
_FATAL_NAMES = frozenset({"fatal", "critical", "crit", "panic", "dpanic", "emerg", "alert"})
_HEX = frozenset("0123456789abcdefABCDEF")


def severity(level: str, level_name: str | None = None) -> tuple[int, str]:
    """``(severityNumber, severityText)`` of an entry's level and the name it was written as."""
    number = SEVERITY_NUMBERS.get(level, 9)
    if level_name is not None and level_name.strip().lower() in _FATAL_NAMES:
        number = 21
    return number, level_name or level.upper()


def unix_nanos(timestamp: str | None) -> int:
    """Epoch nanoseconds of a record's RFC 3339 time (0 when there is none or it is unreadable).

    The fraction is taken digit for digit, so nanoseconds written by a foreign logger survive.
    """
    if not timestamp:
        return 0
    head, dot, rest = timestamp.partition(".")
    digits = ""
    if dot:
        end = next((i for i, c in enumerate(rest) if not c.isdigit()), len(rest))
        digits, zone = rest[:end], rest[end:]
        head += zone
    try:
        moment = datetime.fromisoformat(head.replace("z", "Z"))
    except ValueError:
        return 0
    if moment.tzinfo is None:
        return 0
    return int(moment.timestamp()) * 1_000_000_000 + int((digits + "000000000")[:9] or 0)


def any_value(value: Any) -> dict[str, Any]:  # noqa: PLR0911 (one return per AnyValue kind)
    """A plain JSON value as an OTLP/JSON AnyValue (int64 as a string, as OTLP/JSON writes it)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        if -(2**63) <= value < 2**63:
            return {"intValue": str(value)}
        return {"stringValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        return {"stringValue": value}
    if isinstance(value, Mapping):
        return {"kvlistValue": {"values": _key_values(value)}}
    if isinstance(value, list | tuple):
        return {"arrayValue": {"values": [any_value(item) for item in value]}}
    if value is None:
        return {}  # an empty AnyValue: OpenTelemetry's null
    return {"stringValue": str(value)}


def _key_values(mapping: Mapping[Any, Any]) -> list[dict[str, Any]]:
    return [{"key": str(key), "value": any_value(value)} for key, value in mapping.items()]


def _hex_id(value: object, length: int) -> str | None:
    if (
        isinstance(value, str)
        and len(value) == length
        and _HEX.issuperset(value)
        and value.strip("0") != ""
    ):
        return value.lower()
    return None


def log_record(entry: Mapping[str, Any], observed_nanos: int | None = None) -> dict[str, Any]:
    """One reader entry (or one record of the log files) as an OTLP/JSON LogRecord."""
    number, text = severity(str(entry.get("level") or "info"), entry.get("level_name"))
    fields = entry.get("fields")
    attributes: dict[str, Any] = dict(fields) if isinstance(fields, Mapping) else {}
    if "exception" in attributes:
        attributes["exception.stacktrace"] = attributes.pop("exception")
    record: dict[str, Any] = {
        "timeUnixNano": str(unix_nanos(entry.get("timestamp"))),
        "observedTimeUnixNano": str(time.time_ns() if observed_nanos is None else observed_nanos),
        "severityNumber": number,
        "severityText": text,
        "body": {"stringValue": str(entry.get("message") or "")},
    }
    trace_id = _hex_id(attributes.get("trace_id"), 32) or _hex_id(attributes.get("request_id"), 32)
    if trace_id is not None:
        record["traceId"] = trace_id
    span = entry.get("span")
    if isinstance(span, Mapping):
        span_id = _span_attributes(span, attributes)
        if span_id is not None:
            record["spanId"] = span_id
    for key in ("category", "target", "origin"):
        if entry.get(key):
            attributes[f"msc.{key}"] = entry[key]
    if isinstance(entry.get("pid"), int):
        attributes["process.pid"] = entry["pid"]
    source = entry.get("source")
    if isinstance(source, str) and source:
        path, colon, line = source.rpartition(":")
        located = colon and line.isdigit()
        attributes["code.file.path"] = path if located else source
        if located:
            attributes["code.line.number"] = int(line)
    if entry.get("raw"):
        attributes["msc.raw"] = True
    record["attributes"] = _key_values(attributes)
    return record


def _span_attributes(span: Mapping[str, Any], attributes: dict[str, Any]) -> str | None:
    """The span's OTLP ``spanId`` (if its id is one); the rest of it goes into ``attributes``."""
    span_id = _hex_id(span.get("id"), 16)
    if span_id is None and span.get("id") is not None:
        attributes["msc.span.id"] = span["id"]
    if span.get("name"):
        attributes["msc.span.name"] = span["name"]
    if span.get("parent_id") is not None:
        attributes["msc.span.parent_id"] = span["parent_id"]
    return span_id


def resource(app_name: str) -> dict[str, Any]:
    """The OTLP Resource of records written by ``app_name``."""
    return {"attributes": _key_values({"service.name": app_name})}


def scope() -> dict[str, Any]:
    """The InstrumentationScope: this library, with its version when installed."""
    from importlib.metadata import PackageNotFoundError, version  # noqa: PLC0415

    try:
        return {"name": SCOPE_NAME, "version": version("msc-logging")}
    except PackageNotFoundError:
        return {"name": SCOPE_NAME}


def export_request(records: Iterable[dict[str, Any]], app_name: str) -> dict[str, Any]:
    """An OTLP/JSON ``ExportLogsServiceRequest`` holding ``records`` (LogRecords) in order."""
    return {
        "resourceLogs": [
            {
                "resource": resource(app_name),
                "scopeLogs": [{"scope": scope(), "logRecords": list(records)}],
            }
        ]
    }


def to_protobuf(request: Mapping[str, Any]) -> ExportLogsServiceRequest:
    """An OTLP/JSON export request as the protobuf message (hex ids turned into bytes).

    Raises:
        google.protobuf.json_format.ParseError: ``request`` does not follow the OTLP schema.
    """
    from google.protobuf import json_format  # noqa: PLC0415
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (  # noqa: PLC0415
        ExportLogsServiceRequest,
    )

    converted = {
        "resourceLogs": [
            {
                **resource_logs,
                "scopeLogs": [
                    {
                        **scope_logs,
                        "logRecords": [_ids_as_base64(r) for r in scope_logs.get("logRecords", [])],
                    }
                    for scope_logs in resource_logs.get("scopeLogs", [])
                ],
            }
            for resource_logs in request.get("resourceLogs", [])
        ]
    }
    message: ExportLogsServiceRequest = json_format.ParseDict(converted, ExportLogsServiceRequest())
    return message


def _ids_as_base64(record: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in ("traceId", "spanId"):
        if isinstance(out.get(key), str):
            out[key] = base64.b64encode(bytes.fromhex(out[key])).decode()
    return out
