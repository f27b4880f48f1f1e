"""logstash-logback-encoder (Java): ``@timestamp``, ``@version``, ``message``, ``logger_name`` …

``@timestamp`` is ISO text with milliseconds and an offset; ``level`` is logback's name (TRACE …
ERROR) and ``level_value`` its number (5000 … 40000), which places a custom name. ``logger_name``
→ target; ``thread_name`` stays in ``fields``; ``stack_trace`` (the throwable, ``Caused by:``
chain and ``... N common frames omitted``) → ``fields["exception"]`` as text;
``caller_file_name`` + ``caller_line_number`` (includeCallerData) → source. ``@version`` is dropped
(a format marker). MDC entries, markers and structured arguments are top-level keys: they go into
``fields`` as they are.
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    any_time,
    as_message,
    keep_rest,
    location,
    make_record,
    number,
    take,
    text,
)

NAME = "logstash"


def detect(obj: dict[str, Any]) -> bool:
    """``@timestamp`` with logstash's ``@version``, ``logger_name`` or ``level_value``."""
    return "@timestamp" in obj and (
        "@version" in obj or "logger_name" in obj or "level_value" in obj
    )


def convert(obj: dict[str, Any]) -> Record:
    """Map a logstash-logback-encoder line."""
    rest = dict(obj)
    rest.pop("@version", None)
    band, level_name = _level(take(rest, ("level",), text), number(rest.get("level_value")))
    source = location(rest.get("caller_file_name"), rest.get("caller_line_number"))
    if source is not None:
        rest.pop("caller_file_name")
        rest.pop("caller_line_number", None)
    entry = make_record(
        timestamp=take(rest, ("@timestamp",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("message", "")),
        target=take(rest, ("logger_name",), text) or "",
        source=source,
    )
    stack = take(rest, ("stack_trace",), text)
    if stack is not None:
        entry["fields"]["exception"] = stack
    keep_rest(entry["fields"], rest)
    return entry


def _level(name: str | None, value: float | None) -> tuple[str, str | None]:
    if name is None:
        return (levels.logback_band(value), str(value)) if value is not None else ("info", None)
    band = levels.known_band(name, "logback")
    if band is None and value is not None:
        band = levels.logback_band(value)
    return (band, levels.label_of(name, band)) if band else levels.band_of(name)
