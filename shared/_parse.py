"""Lenient parsing of one log line into the PROTOCOL record dict.

Our own lines (they begin with ``{"timestamp":"``) are held to the record's types and to the
byte layout the query prefilters rely on; anything else that is a JSON object is a foreign
logger's line and is mapped (``msg``/``event`` → message, ``levelname``/``severity``/pino numbers
→ level, ``time``/``ts``/``@timestamp`` → timestamp, ``logger``/``name`` → target, the rest →
fields). Every failure is a `MalformedLineError` with a short reason; nothing else escapes.

Kept free of pydantic so the command line starts fast; `tests/shared/test_parse.py` checks that
the names below agree with `shared._events`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

OURS_PREFIX = b'{"timestamp":"'
LEVELS = ("trace", "debug", "info", "warn", "error")
LEVEL_RANK = {name: rank for rank, name in enumerate(LEVELS)}
CATEGORIES = frozenset(
    ("database", "midi", "file", "network", "system", "performance", "security", "user", "unknown")
)
_KNOWN_KEYS = frozenset(
    ("timestamp", "level", "category", "message", "target", "fields", "span", "pid", "source")
)
_LEVEL_TOKENS = {name: b'"level":"' + name.encode() + b'"' for name in LEVELS}
_CATEGORY_TOKENS = {name: b'"category":"' + name.encode() + b'"' for name in CATEGORIES}
_LEVEL_ALIASES = {
    **{name: name for name in LEVELS},
    "warning": "warn",
    "err": "error",
    "critical": "error",
    "crit": "error",
    "fatal": "error",
    "alert": "error",
    "emerg": "error",
    "emergency": "error",
    "panic": "error",
    "severe": "error",
    "notice": "info",
    "information": "info",
    "verbose": "debug",
    "fine": "debug",
    "finest": "trace",
}
_EPOCH_MS_ABOVE = 1e11  # epoch seconds reach 1e11 only in the year 5138: larger values are ms
#: Deepest nesting of a record. orjson writes at most 254 levels, and entries travel on inside
#: envelopes (a list of entries, an event batch) that add a few: deeper lines could be read but
#: not exported or sent to the page.
MAX_DEPTH = 200


class MalformedLineError(ValueError):
    """A line that is not a record; ``reason`` says why in a few words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_line(raw: bytes) -> dict[str, Any]:
    """Parse one line (without its newline) into a record dict in PROTOCOL key order.

    Args:
        raw: The line's bytes; a trailing ``\\r`` (CRLF files) is accepted.

    Returns:
        ``timestamp`` (canonical text), ``level``, ``category``, ``message``, ``target``,
        ``fields``, ``span``, ``pid``, ``source``.

    Raises:
        MalformedLineError: the line is not a record.
    """
    obj = _load(raw)
    if not isinstance(obj, dict):
        raise MalformedLineError("JSON is not an object")
    if raw.count(b"{") + raw.count(b"[") > MAX_DEPTH and _too_deep(obj):
        raise MalformedLineError("nested too deep")
    if raw.startswith(OURS_PREFIX):
        return _ours(obj, raw)
    return _foreign(obj)


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


def _valid_span(value: object) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    name, span_id, parent = value.get("name"), value.get("id"), value.get("parent_id")
    if not isinstance(name, str) or not isinstance(span_id, str):
        return None
    if parent is not None and not isinstance(parent, str):
        return None
    return {"name": name, "id": span_id, "parent_id": parent}


def _pid(value: object) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise MalformedLineError("pid is not an integer")
    return value


def canonical_timestamp(text: str) -> str:
    """``text`` as the fixed-width UTC form ``YYYY-MM-DDTHH:MM:SS.ffffffZ``.

    Raises:
        MalformedLineError: ``text`` is not an ISO 8601 timestamp.
    """
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MalformedLineError("invalid timestamp") from None
    if _canonical_layout(text):
        return text  # fromisoformat has checked the digits
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # naive times in logs are taken as UTC
    try:
        return format_timestamp(moment)
    except OverflowError:  # year 1 or 9999 with an offset: no such time in UTC
        raise MalformedLineError("timestamp out of range") from None


def _canonical_layout(text: str) -> bool:
    # The separators too: ISO week dates such as 2026-W01-1T… have the same length.
    return (
        len(text) == 27
        and text[26] == "Z"
        and text[19] == "."
        and text[10] == "T"
        and text[4] == text[7] == "-"
        and text[13] == text[16] == ":"
    )


def format_timestamp(moment: datetime) -> str:
    """A timezone-aware datetime as canonical timestamp text (UTC, microseconds, ``Z``)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond:06d}Z"
    )


def _foreign(obj: dict[str, Any]) -> dict[str, Any]:
    rest = dict(obj)
    timestamp = _take(rest, ("timestamp", "time", "ts", "@timestamp"), _foreign_timestamp)
    if timestamp is None:
        raise MalformedLineError("no timestamp")
    category = _take(rest, ("category",), _known_category)
    fields = _take(rest, ("fields",), lambda v: v if isinstance(v, dict) else None) or {}
    entry = {
        "timestamp": timestamp,
        "level": _take(rest, ("level", "levelname", "severity"), _foreign_level) or "info",
        "category": category or "unknown",
        "message": _take(rest, ("message", "msg", "event"), _if_str) or "",
        "target": _take(rest, ("target", "logger", "name"), _if_str) or "",
        "fields": fields,
        "span": _take(rest, ("span",), _valid_span),
        "pid": _take(rest, ("pid",), lambda v: v if type(v) is int else None),
        "source": _take(rest, ("source",), _if_str),
    }
    if rest.get("span", 0) is None:
        del rest["span"]  # null span: nothing worth keeping
    for key, value in rest.items():
        fields.setdefault(key, value)
    return entry


def _take(rest: dict[str, Any], keys: tuple[str, ...], convert: Any) -> Any:
    """Pop the first of ``keys`` whose value ``convert`` accepts; others stay (→ fields)."""
    for key in keys:
        if key in rest:
            value = convert(rest[key])
            if value is not None:
                del rest[key]
                return value
    return None


def _known_category(value: object) -> str | None:
    return value if isinstance(value, str) and value in CATEGORIES else None


def _if_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _foreign_timestamp(value: object) -> str | None:
    try:
        if isinstance(value, str):
            return canonical_timestamp(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = value / 1000 if value > _EPOCH_MS_ABOVE else value
            return format_timestamp(datetime.fromtimestamp(seconds, UTC))
    except (MalformedLineError, ValueError, OverflowError, OSError):
        return None
    return None


def _foreign_level(value: object) -> str | None:
    if isinstance(value, str):
        if value.isascii() and value.isdigit():  # not int(): "²" is a digit, and length is capped
            digits = value.lstrip("0")
            return _pino_level(int(digits or "0") if len(digits) < 4 else 1000)
        return _LEVEL_ALIASES.get(value.strip().lower())
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _pino_level(value)
    return None


def _pino_level(number: float) -> str:
    for threshold, name in ((50, "error"), (40, "warn"), (30, "info"), (20, "debug")):
        if number >= threshold:
            return name
    return "trace"


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
