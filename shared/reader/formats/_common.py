"""Helpers shared by the format modules: building a record and reading loosely typed values.

Every reader here returns None for a value of the wrong type or shape instead of raising: a format
module then leaves that key in ``fields``, so nothing the logger wrote is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from shared.reader.records import (
    CATEGORIES,
    MalformedLineError,
    canonical_timestamp,
    epoch_timestamp,
)

Record = dict[str, Any]
#: The keys of a record, in PROTOCOL order (plus ``level_name`` after ``level``).
RECORD_KEYS = (
    "timestamp",
    "level",
    "level_name",
    "category",
    "message",
    "target",
    "fields",
    "span",
    "pid",
    "source",
)


def make_record(
    *,
    timestamp: str | None,
    level: str,
    level_name: str | None,
    message: str,
    target: str = "",
    fields: dict[str, Any] | None = None,
    category: str = "unknown",
    span: dict[str, Any] | None = None,
    pid: int | None = None,
    source: str | None = None,
) -> Record:
    """A record dict with every key, in order."""
    return {
        "timestamp": timestamp,
        "level": level,
        "level_name": level_name,
        "category": category,
        "message": message,
        "target": target,
        "fields": {} if fields is None else fields,
        "span": span,
        "pid": pid,
        "source": source,
    }


def take(rest: dict[str, Any], keys: tuple[str, ...], read: Callable[[Any], Any]) -> Any:
    """Pop the first of ``keys`` whose value ``read`` accepts (returns non-None); others stay."""
    for key in keys:
        if key in rest:
            value = read(rest[key])
            if value is not None:
                del rest[key]
                return value
    return None


def text(value: object) -> str | None:
    """``value`` if it is a string."""
    return value if isinstance(value, str) else None


def number(value: object) -> int | float | None:
    """``value`` if it is an int or float (not a bool)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    return None


def integer(value: object) -> int | None:
    """An int, or a string of at most 20 ASCII digits (journald and OTLP write numbers as text)."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    return None


def iso_time(value: object) -> str | None:
    """Canonical text of an ISO 8601 string, or None."""
    if not isinstance(value, str):
        return None
    try:
        return canonical_timestamp(value.strip())
    except MalformedLineError:
        return None


def epoch_time(value: object, unit: str | None = None) -> str | None:
    """Canonical text of an epoch number (or digit string); ``unit`` or guessed by size."""
    amount = number(value)
    if amount is None:
        amount = integer(value)
    if amount is None:
        return None
    try:
        return epoch_timestamp(amount, unit)
    except MalformedLineError:
        return None


def any_time(value: object) -> str | None:
    """An ISO string or an epoch number, whichever ``value`` is."""
    return iso_time(value) if isinstance(value, str) and not value.isdigit() else epoch_time(value)


def category(value: object) -> str | None:
    """``value`` if it is one of our categories."""
    return value if isinstance(value, str) and value in CATEGORIES else None


def span(value: object) -> dict[str, Any] | None:
    """``value`` if it has the record's span shape (name, id, parent_id)."""
    if not isinstance(value, dict):
        return None
    name, span_id, parent = value.get("name"), value.get("id"), value.get("parent_id")
    if not isinstance(name, str) or not isinstance(span_id, str):
        return None
    if parent is not None and not isinstance(parent, str):
        return None
    return {"name": name, "id": span_id, "parent_id": parent}


def as_message(value: object) -> str:
    """A message of any JSON type as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        return str(value)


def location(file: object, line: object) -> str | None:
    """``"file:line"`` when ``file`` is a string (the line may be missing)."""
    if not isinstance(file, str) or not file:
        return None
    number_ = integer(line)
    return f"{file}:{number_}" if number_ is not None else file


def keep_rest(fields: dict[str, Any], rest: dict[str, Any]) -> dict[str, Any]:
    """Move every remaining key into ``fields`` (keys already there win)."""
    for key, value in rest.items():
        fields.setdefault(key, value)
    return fields
