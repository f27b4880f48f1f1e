"""The spans of one request (or of one span and what nested inside it), for a waterfall.

Every entry of the set that belongs to the request is read — not only a loaded page — with the
id as the byte-level needle, so only the lines holding it are parsed (`shared.reader.scan`).
A request is ``fields.request_id`` (our writer's `LogContext`) or ``fields.trace_id``
(OpenTelemetry's ``traceId``); a span is the entry's ``span.id`` (ours, OpenTelemetry's
``spanId``, or the span path of Rust ``tracing``, see `shared.reader.formats.tracing`).

A span's figures come from its entries:

- ``start``: its earliest entry, or for a closed span the close time minus its duration when
  that is earlier (the span began before its first record), and no later than any span nested
  in it (the duration is rounded to the microsecond);
- ``end``: the time of its ``span closed`` record (written with span timing on), None while
  there is none (still open, or a format that writes none: OpenTelemetry, tracing);
- ``duration_ms``: the close record's ``fields.duration_ms``; for an open span the time from
  its start to its last entry so far;
- ``entry_count``: entries whose ``span.id`` is the span, the close record included;
- ``level``: the worst level among them and among the entries of the spans nested in it.

Spans come in tree order: by start, each followed by the spans nested in it (by start too).

Kept free of pydantic so the command line could use it too.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shared.reader.engine import all_entries, newest_entries
from shared.reader.match import Criteria, Matcher, SearchAnchor
from shared.reader.records import LEVEL_RANK, LEVELS, format_timestamp
from shared.reader.scan import ScanStats

__all__ = ["CLOSE_MESSAGE", "collect_trace"]

#: The message of the record our writer's `span()` writes when a span closes.
CLOSE_MESSAGE = "span closed"
#: Characters a JSON writer may escape: a needle is a run of the id free of them.
_ESCAPABLE = frozenset(chr(code) for code in range(0x20)) | frozenset('"\\/\x7f')
#: Most rounds of the search for nested spans (one per level of nesting).
MAX_DEPTH = 64

Entry = dict[str, Any]


class _Related(Matcher):
    """Entries related to some ids: lines without one of the ids' needles are never parsed."""

    def __init__(self, ids: Collection[str], test: Callable[[Entry], bool]) -> None:
        super().__init__(Criteria())
        needles = {needle for value in ids for needle in _needles(value)}
        if needles and b"" not in needles:
            self.search_anchor = SearchAnchor(tuple(sorted(needles)))
        self._test = test

    def matches(self, entry: Entry) -> bool:
        """Whether ``entry`` is related (the authoritative test)."""
        return self._test(entry)


def _needles(value: str) -> list[bytes]:
    """Byte runs every line holding ``value`` holds (a tracing span path: its longest name).

    An OpenTelemetry id in hex may be written in base64 (protobuf's JSON): that form too.
    """
    forms = [value]
    if len(value) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in value):
        forms.append(binascii.b2a_base64(bytes.fromhex(value), newline=False).decode())
    return [_longest_plain(form).encode() for form in forms]


def _longest_plain(text: str) -> str:
    runs, current = [], ""
    for char in text:
        if char in _ESCAPABLE or char == ">":
            runs.append(current)
            current = ""
        else:
            current += char
    runs.append(current)
    return max(runs, key=len)


def requests_of(entry: Entry) -> list[str]:
    """The requests an entry belongs to: ``fields.request_id``, then ``fields.trace_id``."""
    fields = entry.get("fields")
    if not isinstance(fields, dict):
        return []
    values = (fields.get("request_id"), fields.get("trace_id"))
    return [value for value in values if isinstance(value, str) and value]


def _span(entry: Entry) -> tuple[str, str | None, str] | None:
    span = entry.get("span")
    if not isinstance(span, dict) or not isinstance(span.get("id"), str) or not span["id"]:
        return None
    parent, name = span.get("parent_id"), span.get("name")
    return (
        span["id"],
        parent if isinstance(parent, str) else None,
        name if isinstance(name, str) else "",
    )


def collect_trace(
    log_dir: Path,
    *,
    request_id: str | None = None,
    span_id: str | None = None,
    app_name: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """The spans of a request, or of the request of a span, ordered by start.

    Args:
        log_dir: The log directory or file.
        request_id: The request (``fields.request_id`` or ``fields.trace_id``).
        span_id: A span: the whole tree of its request; when its entries carry no request,
            the span and every span nested in it.
        app_name: Only this source; None: every source.
        cancelled: Asked before each chunk is read: True calls the scan off.

    Returns:
        ``{"spans": [{id, parent_id, name, start, end, duration_ms, entry_count, level}],
        "entries": N}``; N counts every entry of the request, those outside spans too. An id
        nothing carries gives no spans and 0 entries.

    Raises:
        ValueError: Neither or both of ``request_id`` and ``span_id`` given.
        QueryCancelled: ``cancelled`` said so.
    """
    if (request_id is None) == (span_id is None):
        raise ValueError("give exactly one of request_id and span_id")
    stats = ScanStats(cancelled=cancelled)
    if span_id is not None:
        request_id = _request_of_span(log_dir, span_id, app_name, stats)
    if request_id is not None:
        entries = _request_entries(log_dir, request_id, app_name, stats)
    else:
        assert span_id is not None
        entries = _tree_entries(log_dir, span_id, app_name, stats)
    return {"spans": summarize_spans(entries), "entries": len(entries)}


def _request_entries(
    log_dir: Path, request_id: str, app_name: str | None, stats: ScanStats
) -> list[Entry]:
    matcher = _Related([request_id], lambda entry: request_id in requests_of(entry))
    return list(all_entries(log_dir, matcher, app_name, stats))


def _request_of_span(
    log_dir: Path, span_id: str, app_name: str | None, stats: ScanStats
) -> str | None:
    """The request of the newest entry of ``span_id`` that names one (None: none does)."""

    def named(entry: Entry) -> bool:
        span = _span(entry)
        return span is not None and span[0] == span_id and bool(requests_of(entry))

    page = newest_entries(
        log_dir, _Related([span_id], named), 1, app_name, cancelled=stats.cancelled
    )
    return requests_of(page.entries[0])[0] if page.entries else None


def _tree_entries(
    log_dir: Path, span_id: str, app_name: str | None, stats: ScanStats
) -> list[Entry]:
    """The entries of ``span_id`` and of every span nested in it, found level by level.

    Our records name only their own span and its parent, so each round looks for the children
    of the spans the round before found.
    """
    tree, frontier = {span_id}, {span_id}
    found: dict[str, Entry] = {}

    def inside(entry: Entry) -> bool:
        span = _span(entry)
        return span is not None and (span[0] in tree or span[1] in tree)

    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        new: set[str] = set()
        for entry in all_entries(log_dir, _Related(frontier, inside), app_name, stats):
            found.setdefault(entry["id"], entry)
            span = _span(entry)
            if span is not None and span[0] not in tree:
                tree.add(span[0])
                new.add(span[0])
        frontier = new
    return sorted(found.values(), key=lambda entry: entry["timestamp"] or "")


@dataclass(slots=True)
class _Acc:
    """What the entries of one span add up to so far."""

    id: str
    parent_id: str | None
    name: str
    first: str
    last: str
    count: int = 0
    rank: int = 0
    closed: str | None = None
    duration_ms: float | None = None


def summarize_spans(entries: Iterable[Entry]) -> list[dict[str, Any]]:
    """The spans of ``entries`` with their figures (see the module docstring), by start."""
    spans: dict[str, _Acc] = {}
    for entry in entries:
        span, stamp = _span(entry), entry.get("timestamp")
        if span is None or not isinstance(stamp, str):
            continue
        acc = spans.get(span[0])
        if acc is None:
            acc = spans[span[0]] = _Acc(span[0], span[1], span[2], stamp, stamp)
        _add(acc, entry, stamp, span)
    _inherit_levels(spans)
    return _tree_order([_row(acc) for acc in spans.values()])


def _tree_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` by start, each span followed by the spans nested in it (also by start).

    A span begins no later than any span nested in it: a start estimated from the close record
    (rounded to the microsecond) may land a microsecond after its child's, so it is moved back.
    """
    by_id = {row["id"]: row for row in rows}
    for row in rows:  # walk up from each span, at most once through each ancestor
        seen, parent = {row["id"]}, by_id.get(row["parent_id"])
        while parent is not None and parent["id"] not in seen:
            seen.add(parent["id"])
            parent["start"] = min(parent["start"], row["start"])
            parent = by_id.get(parent["parent_id"])
    children: dict[str | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent_id = row["parent_id"] if row["parent_id"] in by_id else None
        children.setdefault(parent_id, []).append(row)
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(parent_id: str | None) -> None:
        for row in sorted(children.get(parent_id, []), key=lambda r: (r["start"], r["id"])):
            if row["id"] not in placed:  # a cycle of parent ids is placed once
                placed.add(row["id"])
                ordered.append(row)
                place(row["id"])

    place(None)
    ordered += sorted((r for r in rows if r["id"] not in placed), key=lambda r: r["start"])
    return ordered


def _add(acc: _Acc, entry: Entry, stamp: str, span: tuple[str, str | None, str]) -> None:
    acc.count += 1
    acc.first, acc.last = min(acc.first, stamp), max(acc.last, stamp)
    acc.rank = max(acc.rank, LEVEL_RANK.get(entry.get("level", ""), 0))
    acc.parent_id = acc.parent_id or span[1]
    acc.name = acc.name or span[2]
    duration = _close_duration(entry)
    if duration is not None:
        acc.closed, acc.duration_ms = stamp, duration


def _close_duration(entry: Entry) -> float | None:
    """The ``duration_ms`` of a span close record; None for any other entry."""
    if entry.get("message") != CLOSE_MESSAGE or entry.get("category") != "performance":
        return None
    duration = entry.get("fields", {}).get("duration_ms")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
        return None
    return float(duration)


def _inherit_levels(spans: dict[str, _Acc]) -> None:
    """Raise each span's level to the worst of the spans nested in it."""
    for acc in list(spans.values()):
        parent, seen = acc.parent_id, {acc.id}
        while parent is not None and parent in spans and parent not in seen:
            seen.add(parent)
            above = spans[parent]
            above.rank = max(above.rank, acc.rank)
            parent = above.parent_id


def _row(acc: _Acc) -> dict[str, Any]:
    start, duration = acc.first, acc.duration_ms
    if acc.closed is not None and duration is not None:
        began = _moment(acc.closed) - timedelta(milliseconds=duration)
        start = min(start, format_timestamp(began))
    else:
        duration = round((_moment(acc.last) - _moment(start)).total_seconds() * 1000, 3)
    return {
        "id": acc.id,
        "parent_id": acc.parent_id,
        "name": acc.name,
        "start": start,
        "end": acc.closed,
        "duration_ms": duration,
        "entry_count": acc.count,
        "level": LEVELS[acc.rank],
    }


def _moment(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)
