"""Readable text lines: the console (stderr) and the file when ``json_format=False``.

``HH:MM:SS.mmm LEVEL category    target               message key=value …`` with the
traceback, if any, on the following lines. Colored only when asked (stderr is a TTY and
``NO_COLOR`` is unset, decided by `init_logging`). Log text is untrusted: control characters in
messages and values are escaped so a record cannot move the cursor or recolor the terminal.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from shared.writer.encode import json_default, safe_repr, sanitize

__all__ = ["ConsoleSink", "format_line", "wants_color"]

_RESET = "\x1b[0m"
_DIM = "\x1b[2m"
_CYAN = "\x1b[36m"
_LEVEL_STYLE = {
    "trace": "\x1b[35m",
    "debug": "\x1b[34m",
    "info": "\x1b[32m",
    "warn": "\x1b[33m",
    "error": "\x1b[1;31m",
}
# C0 controls and DEL, except newline and tab which tracebacks need.
_CONTROL = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code not in (0x09, 0x0A)}
_CONTROL_IN_LINE = {**_CONTROL, 0x0A: "\\n", 0x09: "\\t"}
_NEEDS_QUOTES = re.compile(r'[\s"=\\]|^$').search
_TRAILER_KEYS = ("span", "pid", "source")


def wants_color(stream: TextIO | None, no_color: str | None) -> bool:
    """Decide whether console lines get ANSI colors.

    Args:
        stream: The console stream (stderr).
        no_color: The value of ``NO_COLOR``; any non-empty value disables colors (no-color.org).

    Returns:
        True when ``stream`` is a terminal and colors were not disabled.
    """
    if no_color:
        return False
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # closed or unusual stream
        return False


def format_line(record: Mapping[str, Any], *, colors: bool, full_time: bool) -> str:
    """Render a record as one readable line (plus traceback lines).

    Args:
        record: A record as the writer builds it (PROTOCOL keys).
        colors: Add ANSI colors.
        full_time: Show the whole timestamp instead of the time of day.

    Returns:
        The text, without a final newline.
    """
    stamp = record["timestamp"] if full_time else record["timestamp"][11:23]
    level = record["level"]
    fields = record["fields"]
    tail = _pairs(fields, record, include_pid=full_time)
    message = _clean(str(record["message"]), _CONTROL_IN_LINE)
    target = record["target"] or "-"
    if colors:
        head = (
            f"{_DIM}{stamp}{_RESET} {_LEVEL_STYLE.get(level, '')}{level.upper():<5}{_RESET} "
            f"{_CYAN}{record['category']:<11}{_RESET} {_DIM}{target:<20}{_RESET} {message}"
        )
        tail = f"{_DIM}{tail}{_RESET}" if tail else ""
    else:
        head = f"{stamp} {level.upper():<5} {record['category']:<11} {target:<20} {message}"
    exception = fields.get("exception") if isinstance(fields, Mapping) else None
    if isinstance(exception, str):
        tail += "\n" + _clean(exception, _CONTROL).rstrip("\n")
    return head + tail


def _pairs(fields: Any, record: Mapping[str, Any], *, include_pid: bool) -> str:
    parts = []
    if isinstance(fields, Mapping):
        parts = [
            f"{_clean(str(key), _CONTROL_IN_LINE)}={_value(value)}"
            for key, value in fields.items()
            if key != "exception" or not isinstance(value, str)
        ]
    span = record.get("span")
    if isinstance(span, Mapping) and span.get("name"):
        parts.append(f"span={_value(span['name'])}")
    if include_pid and record.get("pid") is not None:
        parts.append(f"pid={record['pid']}")
    if record.get("source"):
        parts.append(f"source={_value(record['source'])}")
    return (" " + " ".join(parts)) if parts else ""


def _value(value: Any) -> str:
    if isinstance(value, str):
        if not _NEEDS_QUOTES(value) and value.isprintable():
            return value
        try:
            return orjson.dumps(value).decode()
        except TypeError:  # lone surrogates: escaped, as the file has them
            return orjson.dumps(value.encode("utf-8", "backslashreplace").decode()).decode()
    try:
        text = orjson.dumps(value, default=json_default)
        if value is None or b"null" not in text:
            return text.decode()
    except TypeError:  # cycles, huge ints, NaN hidden as null: show what the file shows
        pass
    try:
        return orjson.dumps(sanitize(value), default=json_default).decode()
    except Exception:  # whatever is left: its repr, never an exception
        return _clean(safe_repr(value), _CONTROL_IN_LINE)


def _clean(text: str, table: dict[int, str]) -> str:
    return text if text.isprintable() else text.translate(table)


class ConsoleSink:
    """Writes readable lines to the current ``sys.stderr``."""

    def __init__(self, *, colors: bool) -> None:
        """Create the console sink.

        Args:
            colors: Color the lines (see `wants_color`).
        """
        self.colors = colors

    def write(self, record: Mapping[str, Any]) -> None:
        """Write one record; never raises.

        Args:
            record: The record to show.
        """
        # Looked up per call so redirections (pytest's capture, contextlib.redirect_stderr) apply.
        stream = sys.stderr
        if stream is None:
            return
        try:
            line = format_line(record, colors=self.colors, full_time=False) + "\n"
            try:
                stream.write(line)
            except UnicodeEncodeError:  # lone surrogates, a stream in ASCII: escape them
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write(line.encode(encoding, "backslashreplace").decode(encoding))
        except Exception:  # a closed or broken stderr must not break the host's logging call
            return
