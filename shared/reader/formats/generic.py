"""The fallback for JSON objects of no known ecosystem, and for our own writer's objects.

The old lenient mapping: ``timestamp``/``time``/``ts``/``@timestamp`` → timestamp (ISO text or an
epoch number, its unit guessed by size), ``level``/``levelname``/``severity`` → level (names by
`levels.band_of`, numbers as pino's), ``message``/``msg``/``event`` → message,
``target``/``logger``/``name`` → target, our own ``category``, ``fields``, ``span``, ``pid`` and
``source`` as they are; every other key goes into ``fields``. A value of the wrong type stays in
``fields`` under its own key. A missing or unreadable time gives ``timestamp: None`` (the reader
then uses the time of the line before).
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    any_time,
    category,
    keep_rest,
    make_record,
    span,
    take,
    text,
)

NAME = "generic"


def detect(obj: dict[str, Any]) -> bool:
    """Always true: the generic mapping takes whatever no other format claimed."""
    return True


def convert(obj: dict[str, Any]) -> Record:
    """Map ``obj`` by the common key names (see the module docstring)."""
    rest = dict(obj)
    timestamp = take(rest, ("timestamp", "time", "ts", "@timestamp"), any_time)
    found = take(rest, ("level", "levelname", "severity"), level_of)
    cat = take(rest, ("category",), category)
    fields = take(rest, ("fields",), lambda v: v if isinstance(v, dict) else None)
    entry = make_record(
        timestamp=timestamp,
        level=found[0] if found else "info",
        level_name=found[1] if found else None,
        category=cat or "unknown",
        message=take(rest, ("message", "msg", "event"), text) or "",
        target=take(rest, ("target", "logger", "name"), text) or "",
        fields=dict(fields) if fields else {},
        span=take(rest, ("span",), span),
        pid=take(rest, ("pid",), lambda v: v if type(v) is int else None),
        source=take(rest, ("source",), text),
    )
    if rest.get("span", 0) is None:
        del rest["span"]  # null span: nothing worth keeping
    keep_rest(entry["fields"], rest)
    return entry


def level_of(value: object) -> tuple[str, str | None] | None:
    """A level given as a name, a number (pino's scale) or a digit string."""
    if isinstance(value, str):
        if value.isascii() and value.isdigit() and len(value) < 4:
            return levels.pino_band(int(value)), value
        return levels.band_of(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return levels.pino_band(value), str(value)
    return None
