"""OpenTelemetry log records in OTLP/JSON: a flat LogRecord, or a whole export request.

A LogRecord: ``timeUnixNano`` (or, when it is 0 or missing, ``observedTimeUnixNano``), epoch
nanoseconds as a string or a number; ``severityNumber`` 1-24 (four per band, FATAL → error; the
protobuf enum name such as ``SEVERITY_NUMBER_WARN`` is read too) places the level and
``severityText`` is kept as level_name (else the number is); ``body`` is an AnyValue: a string
body is the message, any other body is shown as compact JSON and kept in ``fields["body"]``;
``attributes`` (a KeyValue list) become a dict in ``fields``, with ``exception.stacktrace`` →
``fields["exception"]`` and ``code.file.path``/``code.filepath`` + ``code.line.number``/
``code.lineno`` → source; ``traceId`` → ``fields["trace_id"]`` and ``spanId`` → span (hex; the
base64 that protobuf's own JSON encoder writes is turned into hex).

The collector's file exporter writes one ``ExportLogsServiceRequest`` per line
(``{"resourceLogs": [{"resource", "scopeLogs": [{"scope", "logRecords": […]}]}]}``): it is
expanded into one record per logRecord, target = the scope name or else the resource's
``service.name``, the resource attributes in ``fields["resource"]`` and ``process.pid`` → pid.

What `shared.otlp` writes (``export_logs``' ``otlp-json``, ``msc-logs ship``) reads back as the
entry it was: the attributes ``msc.category``, ``msc.target``, ``msc.span.name``/``.id``/
``.parent_id``, ``msc.raw`` and a record's ``process.pid`` return to their keys (``msc.origin``
is dropped: an entry's origin is the file it is read from), and a ``traceId`` copied from the
``trace_id``/``request_id`` field adds no second field. Records of the ``msc-logging`` scope
take the target ``msc.target`` (empty when absent, never the scope's name), and leave
``observedTimeUnixNano`` and the resource's ``service.name`` out of ``fields`` (the export's
time and the source's name, not the record's).
"""

from __future__ import annotations

import binascii
from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    as_message,
    category,
    epoch_time,
    integer,
    location,
    make_record,
    text,
)

NAME = "otel"
#: `shared.otlp.SCOPE_NAME`, the scope of what this library writes (not imported from there:
#: that module pulls in base64, which the command line's start-up does without).
SCOPE_NAME = "msc-logging"
_CODE_KEYS = (("code.file.path", "code.line.number"), ("code.filepath", "code.lineno"))
_SEVERITY_NAMES = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "WARN": 13, "ERROR": 17, "FATAL": 21}


def detect(obj: dict[str, Any]) -> bool:
    """An export request (``resourceLogs``) or a LogRecord's OTLP keys."""
    return (
        "resourceLogs" in obj
        or "timeUnixNano" in obj
        or "observedTimeUnixNano" in obj
        or ("severityNumber" in obj and "body" in obj)
    )


def convert(obj: dict[str, Any]) -> list[Record]:
    """The records of an export request, or the one record of a flat LogRecord."""
    if "resourceLogs" not in obj:
        return [convert_record(obj, _dict(obj.get("resource")), _dict(obj.get("scope")))]
    records = []
    for resource_logs in _list(obj.get("resourceLogs")):
        resource = _dict(_dict(resource_logs).get("resource"))
        for scope_logs in _list(_dict(resource_logs).get("scopeLogs")):
            scope = _dict(_dict(scope_logs).get("scope"))
            for record in _list(_dict(scope_logs).get("logRecords")):
                records.append(convert_record(_dict(record), resource, scope))
    return records


def convert_record(obj: dict[str, Any], resource: dict[str, Any], scope: dict[str, Any]) -> Record:
    """One LogRecord, with the resource and scope it was sent under."""
    rest = {k: v for k, v in obj.items() if k not in ("resource", "scope")}
    band, level_name = _level(rest.pop("severityNumber", None), rest.pop("severityText", None))
    attributes = key_values(rest.pop("attributes", None))
    source = _source(attributes)
    own = _own_keys(attributes)
    fields: dict[str, Any] = attributes
    if "exception.stacktrace" in fields:
        fields["exception"] = fields.pop("exception.stacktrace")
    body = any_value(rest.pop("body", None))
    if body is not None and not isinstance(body, str):
        fields["body"] = body
    resource_attributes = key_values(resource.get("attributes"))
    service = text(resource_attributes.get("service.name"))
    ours = text(scope.get("name")) == SCOPE_NAME
    if ours:  # the export's time and the source's name: not the record's
        resource_attributes.pop("service.name", None)
        rest.pop("observedTimeUnixNano", None)
    if resource_attributes:
        fields["resource"] = resource_attributes
    trace_id, span_id = _hex_id(rest.pop("traceId", None)), _hex_id(rest.pop("spanId", None))
    if trace_id and trace_id not in _lower(fields.get("trace_id"), fields.get("request_id")):
        fields["trace_id"] = trace_id
    timestamp = _time(rest.pop("timeUnixNano", None)) or _time(rest.get("observedTimeUnixNano"))
    for key, value in rest.items():
        fields.setdefault(key, value)
    record = make_record(
        timestamp=timestamp,
        level=band,
        level_name=level_name,
        message=as_message(body),
        target=_target(own, scope, service, ours=ours),
        fields=fields,
        category=category(own.get("msc.category")) or "unknown",
        span=_span(own, span_id),
        pid=integer(resource_attributes.get("process.pid")) or integer(own.get("process.pid")),
        source=source,
    )
    if own.get("msc.raw") is True:
        record["raw"] = True
    return record


#: Attributes `shared.otlp` writes for the record's own keys (see the module docstring).
_OWN_KEYS = (
    "msc.category",
    "msc.target",
    "msc.origin",
    "msc.span.id",
    "msc.span.name",
    "msc.span.parent_id",
    "msc.raw",
    "process.pid",
)


def _own_keys(attributes: dict[str, Any]) -> dict[str, Any]:
    return {key: attributes.pop(key) for key in _OWN_KEYS if key in attributes}


def _target(own: dict[str, Any], scope: dict[str, Any], service: str | None, *, ours: bool) -> str:
    target = text(own.get("msc.target"))
    if target is not None:
        return target
    return "" if ours else text(scope.get("name")) or service or ""


def _span(own: dict[str, Any], span_id: str | None) -> dict[str, Any] | None:
    span_id = span_id or own.get("msc.span.id")
    name, parent = own.get("msc.span.name"), own.get("msc.span.parent_id")
    if span_id is None and name is None and parent is None:
        return None
    return {"name": name if isinstance(name, str) else "", "id": span_id, "parent_id": parent}


def _lower(*values: object) -> tuple[str, ...]:
    return tuple(value.lower() for value in values if isinstance(value, str))


def any_value(value: object) -> Any:
    """An OTLP AnyValue as a plain value (kvlist → dict, array → list, int64 strings → int)."""
    if not isinstance(value, dict) or len(value) != 1:
        return value if not isinstance(value, dict) else None
    kind, inner = next(iter(value.items()))
    if kind == "intValue":
        return integer(inner) if isinstance(inner, str) else inner
    if kind == "arrayValue":
        return [any_value(item) for item in _list(_dict(inner).get("values"))]
    if kind == "kvlistValue":
        return key_values(_dict(inner).get("values"))
    return inner  # stringValue, boolValue, doubleValue, bytesValue (base64 text)


def key_values(value: object) -> dict[str, Any]:
    """A KeyValue list (``[{"key", "value": AnyValue}]``) as a dict."""
    out: dict[str, Any] = {}
    for item in _list(value):
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = any_value(item.get("value"))
    return out


def _level(value: object, label: object) -> tuple[str, str | None]:
    number = _severity(value)
    band = levels.otel_band(number) if number is not None else None
    if isinstance(label, str) and label:
        return (band, levels.label_of(label, band)) if band else levels.band_of(label, "otel")
    return (band, str(number)) if band else ("info", None)


def _severity(value: object) -> int | None:
    if isinstance(value, str) and not value.isdigit():  # protobuf JSON: SEVERITY_NUMBER_WARN2
        return _SEVERITY_NAMES.get(value.removeprefix("SEVERITY_NUMBER_").rstrip("0123456789"))
    return integer(value)


def _source(attributes: dict[str, Any]) -> str | None:
    for file_key, line_key in _CODE_KEYS:
        where = location(attributes.get(file_key), attributes.get(line_key))
        if where is not None:
            attributes.pop(file_key)
            attributes.pop(line_key, None)
            return where
    return None


def _time(value: object) -> str | None:
    nanos = integer(value) if isinstance(value, str) else value
    return epoch_time(nanos, "ns") if nanos else None


def _hex_id(value: object) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        return value.lower()
    try:
        # base64.b64decode(value, validate=True) without importing base64 (and struct).
        return binascii.a2b_base64(value, strict_mode=True).hex()
    except (binascii.Error, ValueError):
        return value


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []
