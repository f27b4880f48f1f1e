"""The one final processor: build the record in PROTOCOL order and hand it to the destinations.

Event-dict contract (what callers and the context helpers put in, where it ends up):

- ``event`` → ``message`` (text); ``category`` (str or `LogCategory`, default ``unknown``; an
  unknown name becomes ``unknown`` and is kept as ``fields.category``) → ``category``;
- ``target``: a bound ``target`` value, else the wrapped logger's name (`get_logger`'s name);
- ``span`` (``{name, id, parent_id}`` or `SpanInfo`, bound in contextvars) → ``span``;
- the method name → ``level`` (``warning`` → ``warn``; ``critical``/``exception`` → ``error``);
- ``exc_info`` (True, an exception or a ``sys.exc_info()`` tuple) or an exception object under
  ``exception`` → ``fields.exception`` (formatted traceback); ``stack_info`` → ``fields.stack``;
- everything else → ``fields``. ``pid`` is added, and with ``include_location`` ``source``.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import TYPE_CHECKING, Any

import orjson

from shared._events import LEVELS, LogCategory, SpanInfo
from shared.writer.console import ConsoleSink, format_line
from shared.writer.encode import (
    MICROS_Z,
    MILLISECOND,
    encode_json,
    json_default,
    millisecond_at,
    readable_non_finite,
    safe_repr,
    timestamp_now,
    valid_text,
)
from shared.writer.filter import TargetLevels
from shared.writer.location import NO_SITES, SITES, caller_source, outside_frame
from shared.writer.logger import Target
from shared.writer.sink import FileSink

if TYPE_CHECKING:
    from shared.redact import Redactor

__all__ = ["METHOD_RANK", "Renderer", "build_record"]

METHOD_RANK = {
    "trace": 0,
    "debug": 1,
    "info": 2,
    "msg": 2,
    "warning": 3,
    "warn": 3,
    "error": 4,
    "exception": 4,
    "critical": 4,
    "fatal": 4,
}
_method_rank = METHOD_RANK.get
_getframe = sys._getframe
_time_ns = time.time_ns
_MILLISECOND = MILLISECOND
_MICROS_Z = MICROS_Z
_sites_of = SITES.get
_dumps = orjson.dumps
_readable_non_finite = readable_non_finite
_APPEND_NEWLINE = orjson.OPT_APPEND_NEWLINE
_NULL = b"null"
_CATEGORIES = {category.value: category.value for category in LogCategory}
_WARN = METHOD_RANK["warn"]
_NOTHING: tuple[tuple[()], dict[str, Any]] = ((), {})

_pid = os.getpid()


def _refresh_pid() -> None:
    global _pid  # noqa: PLW0603 - cached because os.getpid() per record is measurable
    _pid = os.getpid()


os.register_at_fork(after_in_child=_refresh_pid)


def build_record(
    rank: int, target: str, fields: dict[str, Any], timestamp: str, source: str | None
) -> dict[str, Any]:
    """Build the record, keys in PROTOCOL order, taking the reserved keys out of ``fields``.

    Args:
        rank: Index into `LEVELS`.
        target: The logger name.
        fields: The event dict (``target`` already removed); modified in place.
        timestamp: The fixed-width UTC timestamp.
        source: ``file.py:line`` or None to leave it out.

    Returns:
        The record.
    """
    message = fields.pop("event", "")
    if type(message) is not str:
        message = "" if message is None else _text(message)
    category = fields.pop("category", "unknown")
    known = _CATEGORIES.get(category) if isinstance(category, str) else None
    if known is None:
        known = "unknown"
        if category is not None:
            fields["category"] = category
    span = fields.pop("span", None)
    if span is not None:
        span = _span(span, fields)
    if "exc_info" in fields or "exception" in fields or "stack_info" in fields:
        _expand_exception(fields)
    record = {
        "timestamp": timestamp,
        "level": LEVELS[rank],
        "category": known,
        "message": message,
        "target": target,
        "fields": fields,
        "span": span,
        "pid": _pid,
    }
    if source is not None:
        record["source"] = source
    return record


def _target(logger: Any, event_dict: dict[str, Any]) -> str:
    # A bound "target", else the name of whatever structlog wrapped; as text.
    target = event_dict.pop("target") if "target" in event_dict else getattr(logger, "name", None)
    if type(target) is not str:
        target = "" if target is None else _text(target)
    return target


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a broken __str__ must not lose the record
        return safe_repr(value)


def _span(span: Any, fields: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(span, SpanInfo):
        return {"name": span.name, "id": span.id, "parent_id": span.parent_id}
    if isinstance(span, dict) and isinstance(span.get("name"), str) and "id" in span:
        parent = span.get("parent_id")
        parent_id = None if parent is None else str(parent)
        return {"name": span["name"], "id": str(span["id"]), "parent_id": parent_id}
    fields["span"] = span  # not a span: keep it as data rather than write an invalid record
    return None


def _expand_exception(fields: dict[str, Any]) -> None:
    exc_info = fields.pop("exc_info", None)
    text = _format_exc_info(exc_info) if exc_info else None
    exception = fields.get("exception")
    if isinstance(exception, BaseException):
        text = _format_exc_info(exception)
    if text is not None:
        fields["exception"] = text
    if fields.get("stack_info") is True:
        fields.pop("stack_info")
        fields["stack"] = "".join(traceback.format_stack(outside_frame())).rstrip("\n")


def _format_exc_info(value: Any) -> str | None:
    if isinstance(value, BaseException):
        info: Any = (type(value), value, value.__traceback__)
    elif isinstance(value, tuple) and len(value) == 3:
        info = value
    else:
        info = sys.exc_info()
    if info[0] is None:
        return None
    return "".join(traceback.format_exception(*info)).rstrip("\n")


class Renderer:
    """The final processor: filters per destination, builds the record once, writes it."""

    def __init__(
        self,
        levels: TargetLevels,
        *,
        file: FileSink | None,
        console: ConsoleSink,
        include_location: bool,
        json_format: bool = True,
        redactor: Redactor | None = None,
    ) -> None:
        """Create the renderer of one configuration.

        Args:
            levels: Console and file thresholds per target.
            file: The file sink, or None (before `init_logging`: console only).
            console: The console sink.
            include_location: Add ``source`` to records.
            json_format: JSON lines in the file; False writes readable text.
            redactor: Redacts every record before it reaches any destination; None: none.
        """
        self.levels = levels
        self._file = file
        self._console = console
        self._include_location = include_location
        self._json = json_format
        self._redact = None if redactor is None else redactor.record
        # The levels' own cache, read directly: one dict lookup instead of a method call.
        self._cached_thresholds = levels.cache.get

    # One function on purpose: every record runs it, and each call split off costs 1-3%.
    def __call__(self, logger: Any, method_name: str, event_dict: Any) -> Any:  # noqa: PLR0912
        """Process one structlog event: write it where its level passes; return nothing to log."""
        rank = _method_rank(method_name, 2)
        # get_logger keeps the name on the wrapped Target; a bound "target" overrides it.
        if type(logger) is Target and "target" not in event_dict:
            target = logger.name
        else:
            target = _target(logger, event_dict)
        thresholds = self._cached_thresholds(target)
        console_min, file_min = thresholds or self.levels.thresholds(target)
        if rank < file_min and rank < console_min:
            return _NOTHING
        # Three frames up is the caller of the logging method (its method → _emit → here; any
        # structlog wrapper has at least as many). Starting there skips creating frame objects
        # for our own frames; the walk still skips further library frames (span helpers...).
        source = None
        if self._include_location:
            try:
                frame = _getframe(3)
            except ValueError:  # called directly from a shallow stack
                frame = _getframe(1)
            # A call site seen before: two lookups. Else (first time, or a library frame) walk.
            source = _sites_of(id(frame.f_code), NO_SITES).get(frame.f_lasti)
            if source is None:
                source = caller_source(frame)
        # timestamp_now(), inlined.
        ns = _time_ns()
        start, end, prefix = _MILLISECOND[0]
        if not start <= ns < end:
            start, end, prefix = millisecond_at(ns)
        timestamp = prefix + _MICROS_Z[(ns - start) // 1000]
        record = build_record(rank, target, event_dict, timestamp, source)
        if self._redact is not None:  # before both destinations: a secret reaches neither
            record = self._redact(record)
        if rank >= file_min and self._file is not None:
            if not self._json:
                data = _text_line(record)
            else:
                try:
                    data = _dumps(record, default=json_default, option=_APPEND_NEWLINE)
                except TypeError:  # cycles, non-str keys...: the slow, forgiving path
                    data = encode_json(record)
                else:
                    # orjson writes NaN and infinities as null: a line with more nulls than the
                    # record's own (no span, or a root span's parent) has its fields looked at.
                    span = record["span"]
                    if data.count(_NULL) > (span is None or span["parent_id"] is None):
                        data = _readable_non_finite(data, record)
            self._file.write(data)
        if rank >= console_min:
            self._console.write(record)
        return _NOTHING

    def write(self, record: dict[str, Any], to_console: bool, to_file: bool) -> None:
        """Send a built record to the chosen destinations (what `__call__` does inline).

        Args:
            record: The record.
            to_console: Show it on the console.
            to_file: Append it to the log file.
        """
        if self._redact is not None:
            record = self._redact(record)
        if to_file and self._file is not None:
            self._file.write(encode_json(record) if self._json else _text_line(record))
        if to_console:
            self._console.write(record)

    @property
    def include_location(self) -> bool:
        """Whether records carry ``source``."""
        return self._include_location

    def records_dropped(self, count: int, problem: str) -> None:
        """Note in the log that ``count`` records could not be written (called by the sink)."""
        fields = {"category": "system", "event": "log records dropped", "count": count}
        fields["problem"] = problem
        record = build_record(_WARN, "shared.logging", fields, timestamp_now(), None)
        console_min, file_min = self.levels.thresholds("shared.logging")
        self.write(record, console_min <= _WARN, file_min <= _WARN)


def _text_line(record: dict[str, Any]) -> bytes:
    line = format_line(record, colors=False, full_time=True) + "\n"
    try:
        return line.encode()
    except UnicodeEncodeError:  # lone surrogates: U+FFFD, as in JSON lines
        return valid_text(line).encode()
