"""The export formats for other tools: ``otlp-json`` (OpenTelemetry) and ``clef`` (Seq/Serilog).

**otlp-json** is what the OpenTelemetry Collector's ``otlpjsonfile`` receiver (and the file
exporter that writes its input) reads, and what `shared.reader.formats.otel` reads back: one
OTLP/JSON ``ExportLogsServiceRequest`` per line, each holding up to `OTLP_BATCH` LogRecords, so
an export of any size streams (a small export is exactly one request; an empty one is an empty
file). Each record is `shared.otlp.log_record`; a run of entries of one source shares a
``ResourceLogs`` whose ``service.name`` is that source (the app name), and the scope is
``msc-logging``. Every record of an export carries the same ``observedTimeUnixNano``: when the
export began.

**clef** follows Serilog's ``CompactJsonFormatter``, one event per line: ``@t`` the time
(RFC 3339, UTC), ``@m`` the message as written (no ``@mt``: a message is no template, and its
braces must not be read as holes), ``@l`` Serilog's level name (left out for Information, as
Serilog does: Verbose, Debug, Warning, Error, Fatal), ``@x`` the traceback (``fields.exception``),
``@tr``/``@sp``/``@ps`` the trace, span and parent span ids when they are W3C hex (32/16 digits:
what Seq reads as trace context; other ids stay properties). The fields are flattened into
top-level properties, a name starting with ``@`` escaped as ``@@`` (CLEF's rule); the record's
own keys become ``SourceContext`` (target, Serilog's logger name), ``Category``, ``ProcessId``,
``Source``, ``SpanName``, ``SpanId``/``ParentSpanId`` (when not hex), ``LevelName`` (a level
written otherwise than as its band) and ``Raw``; they win over a field of the same name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import IO, TYPE_CHECKING, Any

import orjson

from shared.otlp import log_record, resource, scope, severity

if TYPE_CHECKING:
    from shared.redact import Redactor

__all__ = [
    "OTLP_BATCH",
    "RECORD_KEYS",
    "BundleInputs",
    "ExportOptions",
    "clef_event",
    "export_record",
    "write_clef",
    "write_otlp_json",
]

#: Most LogRecords in one request (one line) of an ``otlp-json`` export.
OTLP_BATCH = 1000
#: Keys of an exported record, in the order the log files use (docs/PROTOCOL.md); the reader's
#: entry ``id`` is left out, so a ``jsonl`` export is itself a valid log file.
RECORD_KEYS = ("timestamp", "level", "category", "message", "target", "fields", "span", "pid")
#: ``service.name`` of entries whose source is unknown (OpenTelemetry's own default).
UNKNOWN_SERVICE = "unknown_service"
#: Serilog's level names by band (Information is left out of an event: it is CLEF's default).
_SERILOG_LEVELS = {"trace": "Verbose", "debug": "Debug", "warn": "Warning", "error": "Error"}
_FATAL = 21
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class BundleInputs:
    """What a support bundle holds besides the entries (gathered by the caller)."""

    filters: Mapping[str, Any] = field(default_factory=dict)
    """The query's filters, as given."""
    log_info: Mapping[str, Any] = field(default_factory=dict)
    """`get_log_info`'s answer for the log shown."""
    metrics: list[dict[str, Any]] = field(default_factory=list)
    """The latest metrics snapshot of each process."""


@dataclass(frozen=True)
class ExportOptions:
    """How one export is written, besides its format."""

    app_name: str | None = None
    """The source read (``service.name`` of entries that do not say where they came from)."""
    redactor: Redactor | None = None
    """Masks secrets in every entry written (and, in a bundle, the other members); None: off."""
    bundle: BundleInputs | None = None
    """The bundle's other members (``bundle`` format only)."""


def export_record(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An entry as a record of the log files (`RECORD_KEYS`, plus ``source`` and ``raw``)."""
    record = {key: entry.get(key) for key in RECORD_KEYS}
    if entry.get("source") is not None:
        record["source"] = entry["source"]
    if entry.get("raw"):
        record["raw"] = True  # a line that was no record: its text is the message
    return record


# ---- otlp-json -------------------------------------------------------------------------------


def write_otlp_json(
    out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions
) -> int:
    """Write ``entries`` as OTLP/JSON export requests, `OTLP_BATCH` records per line.

    Returns:
        The number of entries written.
    """
    observed = time.time_ns()
    own_scope = scope()
    count = 0
    for batch in _batches(iter(entries), OTLP_BATCH):
        request = {"resourceLogs": list(_resource_logs(batch, options, own_scope, observed))}
        out.write(orjson.dumps(request) + b"\n")
        count += len(batch)
    return count


def _batches(entries: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(entries, size)):
        yield batch


def _resource_logs(
    batch: list[dict[str, Any]], options: ExportOptions, own_scope: dict[str, Any], observed: int
) -> Iterator[dict[str, Any]]:
    """One ResourceLogs per run of entries of one source, in order (order is never changed)."""
    for service, run in groupby(batch, key=lambda entry: _service(entry, options)):
        records = [log_record(entry, observed_nanos=observed) for entry in run]
        yield {
            "resource": resource(service),
            "scopeLogs": [{"scope": own_scope, "logRecords": records}],
        }


def _service(entry: Mapping[str, Any], options: ExportOptions) -> str:
    origin = entry.get("origin")
    if isinstance(origin, str) and origin:
        return origin
    return options.app_name or UNKNOWN_SERVICE


# ---- clef ------------------------------------------------------------------------------------


def write_clef(out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions) -> int:
    """Write ``entries`` as CLEF, one event per line.

    Returns:
        The number of entries written.
    """
    del options  # nothing of the export changes an event
    count = 0
    for entry in entries:
        out.write(orjson.dumps(clef_event(entry)) + b"\n")
        count += 1
    return count


def clef_event(entry: Mapping[str, Any]) -> dict[str, Any]:
    """One entry as a CLEF event (see the module docstring)."""
    fields = entry.get("fields")
    props: dict[str, Any] = dict(fields) if isinstance(fields, Mapping) else {}
    event: dict[str, Any] = {"@t": entry.get("timestamp"), "@m": str(entry.get("message") or "")}
    level = _serilog_level(entry)
    if level is not None:
        event["@l"] = level
    if isinstance(props.get("exception"), str):
        event["@x"] = props.pop("exception")
    trace_id = _hex(props.get("trace_id"), 32) or _hex(props.get("request_id"), 32)
    if trace_id is not None:
        event["@tr"] = trace_id
    event.update(_own_properties(entry, event))
    for name, value in props.items():
        event.setdefault(_escaped(str(name)), value)  # the record's own properties win
    return event


def _serilog_level(entry: Mapping[str, Any]) -> str | None:
    band = str(entry.get("level") or "info")
    name = entry.get("level_name")
    number, _ = severity(band, name if isinstance(name, str) else None)
    if number == _FATAL:
        return "Fatal"
    return _SERILOG_LEVELS.get(band)  # None for info: CLEF's default, left out


def _own_properties(entry: Mapping[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """The record's own keys as properties; the span's hex ids go to ``@sp``/``@ps``."""
    own: dict[str, Any] = {}
    for key, name in (("target", "SourceContext"), ("category", "Category")):
        if entry.get(key):
            own[name] = entry[key]
    span = entry.get("span")
    if isinstance(span, Mapping):
        _span_properties(span, event, own)
    for key, name, keep in _SCALARS:
        value = entry.get(key)
        if keep(value):
            own[name] = value
    return own


_SCALARS: tuple[tuple[str, str, Callable[[Any], bool]], ...] = (
    ("pid", "ProcessId", lambda v: isinstance(v, int)),
    ("source", "Source", lambda v: isinstance(v, str) and bool(v)),
    ("level_name", "LevelName", lambda v: isinstance(v, str) and bool(v)),
    ("raw", "Raw", lambda v: v is True),
)


def _span_properties(span: Mapping[str, Any], event: dict[str, Any], own: dict[str, Any]) -> None:
    for key, reified, name, in_hex in (
        ("id", "@sp", "SpanId", _hex(span.get("id"), 16)),
        ("parent_id", "@ps", "ParentSpanId", _hex(span.get("parent_id"), 16)),
    ):
        if in_hex is not None:
            event[reified] = in_hex
        elif span.get(key) is not None:
            own[name] = span[key]
    if span.get("name"):
        own["SpanName"] = span["name"]


def _escaped(name: str) -> str:
    """A property name as CLEF writes it: a leading ``@`` doubled (``@@name``)."""
    return "@" + name if name.startswith("@") else name


def _hex(value: object, length: int) -> str | None:
    if isinstance(value, str) and len(value) == length and _HEX.issuperset(value):
        return value.lower()
    return None
