"""`msc-logs ship`'s encoder: an OTLP/JSON export request as protobuf bytes, built directly.

The same bytes as ``shared.otlp.to_protobuf(request).SerializeToString()`` (a test holds them
equal over every kind of value), 10-15 times faster: ``json_format.ParseDict`` walks every
field through descriptors and costs about 0.1-0.8 ms per record, which made it the whole cost
of shipping a large history. The mapping itself stays `shared.otlp`'s: this only writes down
what `shared.otlp.export_request` built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

__all__ = ["encode"]


def encode(request: Mapping[str, Any]) -> bytes:
    """Serialize an OTLP/JSON ``ExportLogsServiceRequest`` (as `shared.otlp` builds them).

    Raises:
        KeyError: ``request`` lacks a field `shared.otlp.export_request` always writes.
    """
    message = ExportLogsServiceRequest()
    for resource_logs in request["resourceLogs"]:
        target = message.resource_logs.add()
        _attributes(target.resource.attributes, resource_logs["resource"]["attributes"])
        for scope_logs in resource_logs["scopeLogs"]:
            scope = target.scope_logs.add()
            scope.scope.name = scope_logs["scope"]["name"]
            scope.scope.version = scope_logs["scope"].get("version", "")
            for record in scope_logs["logRecords"]:
                _record(scope.log_records.add(), record)
    data: bytes = message.SerializeToString()
    return data


def _record(target: Any, record: Mapping[str, Any]) -> None:
    target.time_unix_nano = int(record["timeUnixNano"])
    target.observed_time_unix_nano = int(record["observedTimeUnixNano"])
    target.severity_number = record["severityNumber"]
    target.severity_text = record["severityText"]
    _value(target.body, record["body"])
    _attributes(target.attributes, record.get("attributes", ()))
    if "traceId" in record:
        target.trace_id = bytes.fromhex(record["traceId"])
    if "spanId" in record:
        target.span_id = bytes.fromhex(record["spanId"])


def _attributes(target: Any, items: Any) -> None:
    for item in items:
        pair = target.add()
        pair.key = item["key"]
        _value(pair.value, item["value"])


def _value(target: Any, value: Mapping[str, Any]) -> None:
    if "stringValue" in value:
        target.string_value = value["stringValue"]
    elif "intValue" in value:
        target.int_value = int(value["intValue"])
    elif "boolValue" in value:
        target.bool_value = value["boolValue"]
    elif "doubleValue" in value:
        target.double_value = value["doubleValue"]
    elif "kvlistValue" in value:
        target.kvlist_value.SetInParent()
        _attributes(target.kvlist_value.values, value["kvlistValue"]["values"])
    elif "arrayValue" in value:
        target.array_value.SetInParent()
        for item in value["arrayValue"]["values"]:
            _value(target.array_value.values.add(), item)
    else:
        target.SetInParent()  # {}: OpenTelemetry's null, an empty AnyValue
