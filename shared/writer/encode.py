"""Turning a record into bytes: fixed-width UTC timestamps and JSON that never fails.

orjson handles the usual values natively; `json_default` gives readable stand-ins for the rest
(bytes → text, sets → sorted lists, anything else → ``repr``). What even that cannot encode (cyclic
containers, non-string keys, integers beyond 64 bits, lone surrogates, nesting past orjson's 254
levels) goes through `sanitize` on a slow path that only such records pay for; it replaces each
such value on its own, so the rest of the record is written as it was. orjson writes NaN and
±infinity as ``null``, which would read back as "no value": `readable_non_finite` spots the lines
where that happened and writes them again with ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``
(see `sanitize`).
"""

from __future__ import annotations

import math
import re
import time
from pathlib import PurePath
from typing import Any

import orjson
from pydantic import BaseModel

__all__ = [
    "MAX_DEPTH",
    "MICROS_Z",
    "MILLISECOND",
    "encode_json",
    "json_default",
    "millisecond_at",
    "readable_non_finite",
    "sanitize",
    "timestamp_at",
    "timestamp_now",
    "valid_text",
]

#: Deepest nesting `sanitize` keeps, the record counting as 1: the reader's limit
#: (`shared.reader.parse.MAX_DEPTH`), beyond which a line is read back raw instead of as a record.
MAX_DEPTH = 200

_OPTIONS = orjson.OPT_APPEND_NEWLINE
_CYCLE = "<cycle>"
_SURROGATE = re.compile("[\ud800-\udfff]")
_NULL = b"null"
_LEAVES = frozenset({str, int, bool, type(None)})
_isfinite = math.isfinite

#: ``[(start_ns, end_ns, "YYYY-MM-DDTHH:MM:SS.mmm")]`` of the current millisecond: one tuple, so
#: threads read a consistent triple, in a list, so the renderer can inline `timestamp_now`.
MILLISECOND: list[tuple[int, int, str]] = [(0, 0, "")]
#: The last three digits of the microseconds and the ``Z``, by their value.
MICROS_Z = tuple(f"{n:03d}Z" for n in range(1000))
_DIGITS3 = tuple(f"{n:03d}" for n in range(1000))
_time_ns = time.time_ns
# (start_ns, end_ns, "YYYY-MM-DDTHH:MM:SS.") of the current second.
_second_cache: tuple[int, int, str] = (0, 0, "")


def timestamp_now() -> str:
    """Return the current UTC time as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (fixed width)."""
    ns = _time_ns()
    start, end, prefix = MILLISECOND[0]
    if not start <= ns < end:
        start, end, prefix = millisecond_at(ns)
    # Within the cached millisecond: one subtraction, one division, one lookup, one concatenation
    # (a quarter less than formatting the six digits from a per-second cache).
    return prefix + MICROS_Z[(ns - start) // 1000]


def millisecond_at(ns: int) -> tuple[int, int, str]:
    """Cache and return ``(start_ns, end_ns, "YYYY-MM-DDTHH:MM:SS.mmm")``: ``ns``'s millisecond.

    Args:
        ns: Nanoseconds since the epoch (`time.time_ns`).

    Returns:
        The millisecond's bounds and the text of its timestamps up to the millisecond.
    """
    global _second_cache  # noqa: PLW0603 - a per-second cache shared by all threads
    second = _second_cache
    if not second[0] <= ns < second[1]:
        start = ns // 1_000_000_000 * 1_000_000_000
        second = _second_cache = (start, start + 1_000_000_000, _second_text(start // 10**9) + ".")
    start = ns // 1_000_000 * 1_000_000
    millisecond = (start, start + 1_000_000, second[2] + _DIGITS3[(start - second[0]) // 1_000_000])
    MILLISECOND[0] = millisecond
    return millisecond


def timestamp_at(seconds: float) -> str:
    """Return ``seconds`` since the epoch as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC.

    Args:
        seconds: A Unix time such as `logging.LogRecord.created`.

    Returns:
        The fixed-width timestamp.
    """
    second, fraction = divmod(int(seconds * 1_000_000), 1_000_000)
    return f"{_second_text(second)}.{fraction:06d}Z"


def _second_text(second: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def encode_json(record: dict[str, Any]) -> bytes:
    """Encode a record as one compact JSON line (newline included), whatever its values.

    Args:
        record: The record; its key order is kept.

    Returns:
        The line as bytes.
    """
    try:
        data = orjson.dumps(record, default=json_default, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        return _encode_sanitized(record)
    return readable_non_finite(data, record)


def readable_non_finite(data: bytes, record: dict[str, Any]) -> bytes:
    """Return ``data``, orjson's encoding of ``record``, with NaN and infinities as text.

    orjson writes them as ``null``. Cheap enough for every record: only a line holding more
    ``null`` than its span and source account for has its fields looked at, and only one with
    such a float is encoded again.

    Args:
        data: The encoded record.
        record: The record (PROTOCOL keys).

    Returns:
        ``data`` itself, or the record encoded again with ``"NaN"``/``"Infinity"``/``"-Infinity"``.
    """
    span = record.get("span")
    # The nulls the record itself writes: no span or a root span's parent, a null source.
    own = (span is None or (isinstance(span, dict) and span.get("parent_id") is None)) + (
        record.get("source", "") is None
    )
    if data.count(_NULL) > own and _has_non_finite(record.get("fields")):
        return _encode_sanitized(record)
    return data


def _has_non_finite(value: Any) -> bool:
    # Only called on values orjson encoded, so acyclic and of bounded depth. Plain type checks
    # first: this runs for every record with a None field.
    kind = type(value)
    if kind in _LEAVES:
        return False
    if isinstance(value, float):
        return not _isfinite(value)
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, list | tuple | set | frozenset):
        return False
    return any(_has_non_finite(item) for item in value)


def _encode_sanitized(record: dict[str, Any]) -> bytes:
    try:
        return orjson.dumps(sanitize(record), default=json_default, option=_OPTIONS)
    except Exception as exc:  # nothing may cost the record: keep everything but the fields
        fields = {"unencodable_fields": f"{type(exc).__name__}: {safe_repr(exc)}"}
        return orjson.dumps({**record, "fields": fields}, default=safe_repr, option=_OPTIONS)


def json_default(value: Any) -> Any:
    """Return a JSON-encodable stand-in for a value orjson does not handle.

    Args:
        value: Any object.

    Returns:
        Text for bytes and paths, a sorted list for sets, the JSON form of pydantic models and
        ``repr`` for anything else.
    """
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    if isinstance(value, set | frozenset):
        return _sorted(value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return safe_repr(value)


def safe_repr(value: Any) -> str:
    """Return ``repr(value)``, or a placeholder naming its type when ``repr`` itself fails.

    Args:
        value: Any object.

    Returns:
        Text describing ``value``.
    """
    try:
        return repr(value)
    except Exception:  # a broken __repr__ must not lose the record
        return f"<unrepresentable {type(value).__name__}>"


def _sorted(items: set[Any] | frozenset[Any]) -> list[Any]:
    try:
        return sorted(items)
    except Exception:  # mixed types do not compare; some (Decimal NaN) raise other errors
        return sorted(items, key=safe_repr)


def sanitize(value: Any, _active: set[int] | None = None, _depth: int = 1) -> Any:
    """Return a copy of ``value`` that orjson can encode with `json_default`.

    Each value it cannot encode is replaced on its own, everything around it kept: cycles become
    ``"<cycle>"``, non-string keys their text, sets sorted lists, NaN and infinities
    ``"NaN"``/``"Infinity"``/``"-Infinity"``, lone surrogates in text and keys U+FFFD, a
    container nested deeper than `MAX_DEPTH` (``value`` counting as 1) its ``repr``, and
    leaves orjson still refuses (huge integers, broken objects) their ``repr``.

    Args:
        value: Any value, typically a record.

    Returns:
        The encodable copy.
    """
    active = set() if _active is None else _active
    if isinstance(value, dict | list | tuple | set | frozenset):
        return _container(value, active, _depth)
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return _non_finite(value)
    try:
        orjson.dumps(value, default=json_default)
    except TypeError:
        return _stand_in(value, active, _depth)
    return value


def _container(value: Any, active: set[int], depth: int) -> Any:
    if id(value) in active:
        return _CYCLE
    if depth > MAX_DEPTH:
        return valid_text(safe_repr(value))
    active.add(id(value))
    try:
        return _sanitize_items(value, active, depth + 1)
    except Exception:  # changed while iterated, a hostile __iter__...: describe it instead
        return valid_text(safe_repr(value))
    finally:
        active.discard(id(value))


def _sanitize_items(value: Any, active: set[int], depth: int) -> Any:
    if isinstance(value, dict):
        return {_key(key): sanitize(item, active, depth) for key, item in value.items()}
    if isinstance(value, set | frozenset):
        value = _sorted(value)
    return [sanitize(item, active, depth) for item in value]


def _stand_in(value: Any, active: set[int], depth: int) -> Any:
    # A leaf orjson refused even with json_default: a stand-in whose text (a path's, a repr)
    # held surrogates, or the JSON form of a model holding them; else the repr.
    try:
        stand_in = json_default(value)
    except Exception:  # json_default calls what the object provides (model_dump, __repr__)
        stand_in = None
    if isinstance(stand_in, str | dict | list):
        return sanitize(stand_in, active, depth)
    return valid_text(safe_repr(value))


def valid_text(text: str) -> str:
    """Return ``text`` with each lone surrogate (which no UTF-8 can hold) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _key(key: Any) -> str:
    if isinstance(key, str):
        return valid_text(key)
    if key is None or isinstance(key, int | float):
        return str(key)
    return valid_text(safe_repr(key))
