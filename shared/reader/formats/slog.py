"""Go's log/slog ``JSONHandler``: ``time``, ``level``, ``source``, ``msg`` and the attributes.

``time`` is RFC 3339 text with nanoseconds. ``level`` is ``DEBUG``/``INFO``/``WARN``/``ERROR``,
and a level between two names is written as an offset from the one below: ``WARN+2``,
``ERROR+4``, ``DEBUG+2`` (for -2), ``DEBUG-4`` (for -8). Such a label keeps its band by the word
in it (``ERROR+4`` → error, ``DEBUG+2`` → debug) and its text as level_name. ``source``
(``AddSource``) is ``{function, file, line}`` → source ``file:line``, ``function`` kept in
``fields``. slog has no logger name: a ``logger`` attribute, when present, is the target.
Attributes and groups (nested objects) go into ``fields`` as they are.
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
    take,
    text,
)

NAME = "slog"


def detect(obj: dict[str, Any]) -> bool:
    """``time``, ``msg`` and an upper-case ``level`` name (pino's numbers are told apart first)."""
    level = obj.get("level")
    return "msg" in obj and "time" in obj and isinstance(level, str) and level[:1].isupper()


def convert(obj: dict[str, Any]) -> Record:
    """Map a slog line."""
    rest = dict(obj)
    label = take(rest, ("level",), text)
    band, level_name = levels.band_of(label, "slog")
    source = rest.get("source")
    where = location(source.get("file"), source.get("line")) if isinstance(source, dict) else None
    if where is not None and isinstance(source, dict):
        del rest["source"]
        if "function" in source:
            rest.setdefault("function", source["function"])
    entry = make_record(
        timestamp=take(rest, ("time",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("msg", "")),
        target=take(rest, ("logger",), text) or "",
        source=where or take(rest, ("source",), text),
    )
    keep_rest(entry["fields"], rest)
    return entry
