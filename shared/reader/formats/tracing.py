"""Rust tracing-subscriber's ``fmt().json()``: ``timestamp``, ``level``, ``fields``, ``target``.

``level`` is upper-case (``TRACE`` … ``ERROR``). The event's ``fields`` object holds ``message``
(the formatted message) and the other event fields, which become the record's ``fields``.
``filename`` + ``line_number`` → source; ``threadId``/``threadName`` stay in ``fields``.
``span`` is the current span and ``spans`` the whole stack (outermost first), each
``{name, …span fields}``; the JSON carries no span ids, so the record's span gets the span path
as its id (``request>sync``) and the enclosing path as parent_id, which groups the entries of one
span chain. ``spans`` (or ``span`` alone) stays in ``fields`` with the span fields, searchable.
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

NAME = "tracing"


def detect(obj: dict[str, Any]) -> bool:
    """An object ``fields`` and a ``target``, with no top-level message (ours has one)."""
    return (
        "fields" in obj
        and "target" in obj
        and "message" not in obj
        and isinstance(obj["fields"], dict)
    )


def convert(obj: dict[str, Any]) -> Record:
    """Map a tracing-subscriber JSON line."""
    rest = dict(obj)
    event: dict[str, Any] = dict(rest.pop("fields"))
    label = take(rest, ("level",), text)
    band, level_name = levels.band_of(label, "tracing")
    source = location(rest.get("filename"), rest.get("line_number"))
    if source is not None:
        rest.pop("filename")
        rest.pop("line_number", None)
    chain = _chain(rest.get("spans"), rest.get("span"))
    if chain and "spans" in rest:
        rest.pop("span", None)  # the innermost of spans: kept there once
    entry = make_record(
        timestamp=take(rest, ("timestamp",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(event.pop("message", "")),
        target=take(rest, ("target",), text) or "",
        fields=event,
        span=_span(chain),
        source=source,
    )
    keep_rest(entry["fields"], rest)
    return entry


def _chain(spans: object, current: object) -> list[str]:
    items = spans if isinstance(spans, list) and spans else [current]
    names = [item.get("name") for item in items if isinstance(item, dict)]
    return [name for name in names if isinstance(name, str)]


def _span(chain: list[str]) -> dict[str, Any] | None:
    if not chain:
        return None
    parent = ">".join(chain[:-1]) or None
    return {"name": chain[-1], "id": ">".join(chain), "parent_id": parent}
