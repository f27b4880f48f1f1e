"""Lenient parsing of one log line into the PROTOCOL record dict.

Our own lines (in our writer's layout, `is_ours`) are held to the record's types and to the byte
layout the query prefilters rely on; any other JSON object is mapped by the format module that
recognises it (`shared.reader.formats`), and any other line by its text prefix
(`shared.reader.formats.text`). `parse_records` raises `MalformedLineError` with a short reason
for a line that is no record; `line_records` turns such a line into a raw record instead.

Kept free of pydantic so the command line starts fast; `tests/shared/test_parse.py` checks that
the names below agree with `shared._events`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import orjson

from shared.reader.formats import convert_object
from shared.reader.formats._common import span as _valid_span
from shared.reader.formats.text import parse_text_line, raw_record
from shared.reader.records import (
    CATEGORIES,
    LEVELS,
    MalformedLineError,
    canonical_timestamp,
)

OURS_PREFIX = b'{"timestamp":"'
#: Our writer's layout: a fixed-width time, then a band name and the category. Lines that only
#: begin like ours (Rust tracing writes ``{"timestamp":"…","level":"INFO"``) are foreign.
OURS_LAYOUT = rb'\{"timestamp":"[^"\\]{27}","level":"(?:trace|debug|info|warn|error)","category":"'


_LEVEL_AT = {name.encode(): 52 + len(name) for name in ("trace", "debug", "info", "warn", "error")}


def is_ours(raw: bytes) -> bool:
    """Whether a line is in our writer's layout (and so held to it, and prefiltered by it).

    The same test as `OURS_LAYOUT` (which the scan's regular expressions use), by fixed
    positions: it runs once or twice for every line read.
    """
    if raw[41:52] != b'","level":"' or not raw.startswith(OURS_PREFIX):
        return False
    stamp = raw[14:41]
    if b'"' in stamp or b"\\" in stamp:
        return False
    end = raw.find(b'"', 52, 58)
    return _LEVEL_AT.get(raw[52:end]) == end and raw.startswith(b'","category":"', end)


_KNOWN_KEYS = frozenset(
    ("timestamp", "level", "category", "message", "target", "fields", "span", "pid", "source")
)
_LEVEL_TOKENS = {name: b'"level":"' + name.encode() + b'"' for name in LEVELS}
_CATEGORY_TOKENS = {name: b'"category":"' + name.encode() + b'"' for name in CATEGORIES}
#: Deepest nesting of a record. orjson writes at most 254 levels, and entries travel on inside
#: envelopes (a list of entries, an event batch) that add a few: deeper lines could be read but
#: not exported or sent to the page.
MAX_DEPTH = 200


def parse_line(raw: bytes) -> dict[str, Any]:
    """The first record of a line (see `parse_records`)."""
    return parse_records(raw)[0]


def parse_records(raw: bytes) -> list[dict[str, Any]]:
    """Parse one line (without its newline) into record dicts in PROTOCOL key order.

    Our own lines take a fast, strict path; any other JSON object is mapped by the format
    module that recognises it (`shared.reader.formats`). One OpenTelemetry envelope line holds
    several records; every other line one.

    Args:
        raw: The line's bytes; a trailing ``\\r`` (CRLF files) is accepted.

    Returns:
        ``timestamp`` (canonical text, or None when the record has none), ``level``,
        ``level_name`` (only when the level was written otherwise than as its band's name),
        ``category``, ``message``, ``target``, ``fields``, ``span``, ``pid``, ``source``.

    Raises:
        MalformedLineError: the line is not a record.
    """
    obj = _object(raw)
    if is_ours(raw):
        return [_ours(obj, raw)]
    records = convert_object(obj)
    if not records:
        raise MalformedLineError("no log records")
    for record in records:
        if record.get("level_name", 0) is None:
            del record["level_name"]
    return records


def parse_ours(raw: bytes) -> dict[str, Any]:
    """`parse_records` of a line `is_ours` accepted: its one record.

    Raises:
        MalformedLineError: the line breaks our layout or the record's types.
    """
    return _ours(_object(raw), raw)


def _object(raw: bytes) -> dict[str, Any]:
    obj = _load(raw)
    if not isinstance(obj, dict):
        raise MalformedLineError("JSON is not an object")
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _too_deep(obj):
        raise MalformedLineError("nested too deep")
    return obj


def line_records(raw: bytes) -> tuple[list[dict[str, Any]], str | None]:
    """The records of one line (usually one; never none), and why it is raw if it is.

    A JSON line is mapped by its format; any other line by its text prefix (see
    `shared.reader.formats.text`). A line that is neither becomes a *raw* record: every line is
    shown. An OpenTelemetry envelope line holds several records. ``timestamp`` may be None (a
    record without a time, or a raw line): the reader gives it the time of the line before it.
    """
    try:
        return parse_records(raw), None
    except MalformedLineError as exc:
        reason = exc.reason
    text = raw.decode("utf-8", "replace").removesuffix("\r")
    if not raw.startswith(b"{"):
        record = parse_text_line(text)
        if record is not None:
            return [record], None
    record = raw_record(text)
    # A cut or damaged line of ours still says when it was written; the time prefilter reads
    # the same bytes, so the two agree.
    record["timestamp"] = _fixed_width_time(raw)
    return [record], reason


def _fixed_width_time(raw: bytes) -> str | None:
    """The time a line in our fixed-width layout shows, as the time prefilter reads it.

    Bytes that are no real time (``2026-02-30…``) are kept as written (latin-1 keeps their byte
    order), so a damaged line is placed and filtered by the same text the prefilter compares.
    """
    if raw.startswith(OURS_PREFIX) and raw[40:43] == b'Z",' and raw[33:34] == b".":
        text = raw[14:41].decode("latin-1")
        try:
            return canonical_timestamp(text)
        except MalformedLineError:
            return text
    return None


_DIGIT = re.compile(rb"[0-9]").search


def timestamp_of_line(raw: bytes) -> str | None:
    """The time of a line's (first) record, or None when it has none."""
    stamp = _fixed_width_time(raw)  # the fixed-width form: no parse needed
    if stamp is not None or _DIGIT(raw) is None:  # every form of time holds a digit
        return stamp
    records, _reason = line_records(raw)
    found: str | None = records[0]["timestamp"]
    return found


def _load(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # The stdlib also reads NaN/Infinity and huge integers, which some foreign loggers write.
    try:
        obj = json.loads(raw.decode("utf-8"))
        orjson.dumps(obj)  # what cannot be sent on as JSON (lone surrogates) is no record
    except UnicodeDecodeError:
        raise MalformedLineError("invalid UTF-8") from None
    except (ValueError, TypeError, RecursionError, orjson.JSONEncodeError):
        raise MalformedLineError("invalid JSON") from None
    return obj


def _too_deep(obj: dict[str, Any]) -> bool:
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:  # iterative: the point is that the nesting is deep
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        for child in value.values() if isinstance(value, dict) else value:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
    return False


def _ours(obj: dict[str, Any], raw: bytes) -> dict[str, Any]:
    timestamp = obj.get("timestamp")
    if not isinstance(timestamp, str):
        raise MalformedLineError("timestamp is not a string")
    level = obj.get("level")
    if not isinstance(level, str) or level not in _LEVEL_TOKENS:
        raise MalformedLineError("invalid level")
    if _LEVEL_TOKENS[level] not in raw:  # the level prefilter finds levels by these bytes
        raise MalformedLineError("level not in canonical layout")
    message = obj.get("message")
    if not isinstance(message, str):
        raise MalformedLineError("message is not a string")
    fields = obj.get("fields", {})
    if not isinstance(fields, dict):
        raise MalformedLineError("fields is not an object")
    entry = {
        "timestamp": canonical_timestamp(timestamp),
        "level": level,
        "category": _our_category(obj.get("category", "unknown"), raw),
        "message": message,
        "target": _optional(obj, "target", str, ""),
        "fields": fields,
        "span": _span(obj.get("span")),
        "pid": _pid(obj.get("pid")),
        "source": _optional(obj, "source", str, None),
    }
    if len(obj) > len(_KNOWN_KEYS) or not _KNOWN_KEYS.issuperset(obj):
        for key, value in obj.items():  # unknown keys are kept, in fields
            if key not in _KNOWN_KEYS:
                fields.setdefault(key, value)
    return entry


def _our_category(category: object, raw: bytes) -> str:
    if not isinstance(category, str):
        raise MalformedLineError("category is not a string")
    token = _CATEGORY_TOKENS.get(category)
    if token is None:
        return "unknown"  # a category newer than this reader: still shown, under unknown
    if category != "unknown" and token not in raw:
        raise MalformedLineError("category not in canonical layout")
    return category


def _optional(obj: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise MalformedLineError(f"{key} has the wrong type")
    return value


def _span(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    span = _valid_span(value)
    if span is None:
        raise MalformedLineError("span has the wrong shape")
    return span


def _pid(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedLineError("pid is not an integer")
    return value


def entry_texts(entry: dict[str, Any]) -> Iterator[str]:
    """The texts a search looks at: message, target, and the string and integer leaves of fields.

    Floats, booleans and keys are left out: their text after parsing may differ from the bytes on
    disk, and the byte-level prefilter must never reject a line the search would accept.
    """
    yield entry["message"]
    yield entry["target"]
    stack: list[Any] = [entry["fields"]]
    while stack:  # iterative: fields may nest a thousand levels deep
        value = stack.pop()
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif type(value) is int:
            yield str(value)
