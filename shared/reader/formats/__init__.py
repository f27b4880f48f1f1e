"""One small module per logging ecosystem, each mapping a parsed JSON object onto the record.

Each module has ``NAME``, ``detect(obj)`` (a few cheap key checks) and ``convert(obj)`` (a record
dict, or a list of them for OpenTelemetry's export requests). `convert_object` asks them in the
order of `FORMATS`, which puts the more specific shapes before their look-alikes:

- ``otel`` (``resourceLogs``/``timeUnixNano``), ``clef`` (``@t``/``@mt``/``@m``), ``logstash``
  (``@timestamp`` + ``@version``), ``gelf`` (``short_message``), ``journald``
  (``__REALTIME_TIMESTAMP``), ``loguru`` (``text`` + ``record``), ``docker`` (``log`` +
  ``stream`` + ``time``): keys no other ecosystem writes;
- ``tracing`` (an object ``fields`` + ``target``, no top-level message: ours has one);
- ``bunyan`` (``v`` + ``hostname``) before ``pino`` (numeric level, ``msg``, ``time``);
- ``zap`` (``ts``), then ``slog`` (``msg`` + ``time``, upper-case level name);
- ``zerolog`` (``message`` + ``time``), ``pythonjson`` (``levelname``/``asctime``), ``structlog``
  (``event``), ``winston`` (``message`` + npm level + ``service``/``label``/``timestamp``);
- ``generic`` last: it takes everything, including our own writer's objects.

The record: ``timestamp`` (canonical text or None), ``level`` (band), ``level_name``,
``category``, ``message``, ``target``, ``fields``, ``span``, ``pid``, ``source``. Formats import
only the standard library, orjson and `shared.reader.records` (no pydantic: command-line start-up).
`levels` holds the level table, `text` the plain-text line classifier.
"""

from __future__ import annotations

import functools
import importlib
from types import ModuleType
from typing import Any

from shared.reader.records import MalformedLineError

__all__ = ["FORMATS", "convert_object", "format_of"]

#: The names of the format modules in detection order; ``generic`` (always detected) is last.
_ORDER = (
    "otel",
    "clef",
    "logstash",
    "gelf",
    "journald",
    "loguru",
    "docker",
    "tracing",
    "bunyan",
    "pino",
    "zap",
    "slog",
    "zerolog",
    "pythonjson",
    "structlog",
    "winston",
    "generic",
)


@functools.cache
def _formats() -> tuple[ModuleType, ...]:
    # Imported on first use: a reader meeting only our own lines (`msc-logs query` on our
    # writer's log) never needs them, and seventeen modules are a few ms of start-up.
    return tuple(importlib.import_module(f"{__name__}.{name}") for name in _ORDER)


def __getattr__(name: str) -> Any:
    """``FORMATS``: the format modules in detection order (PEP 562: imported on first use)."""
    if name == "FORMATS":
        return _formats()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _format_for(obj: dict[str, Any]) -> ModuleType:
    if not isinstance(obj, dict):
        raise MalformedLineError("JSON is not an object")
    return next(module for module in _formats() if module.detect(obj))


def format_of(obj: dict[str, Any]) -> str:
    """The ``NAME`` of the format `convert_object` would use for ``obj``.

    Raises:
        MalformedLineError: ``obj`` is not a JSON object.
    """
    return str(_format_for(obj).NAME)


def convert_object(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """Map a parsed JSON object onto records (one, or one per OpenTelemetry logRecord).

    A format whose converter finds the object shaped otherwise than its keys promised (a value
    of an unexpected type where it needs one) gives way to the generic mapping.

    Raises:
        MalformedLineError: ``obj`` is not a JSON object.
    """
    module = _format_for(obj)
    try:
        result = module.convert(obj)
    except (TypeError, ValueError, KeyError, AttributeError):
        generic = _formats()[-1]
        if module is generic:
            raise
        result = generic.convert(obj)
    return result if isinstance(result, list) else [result]
