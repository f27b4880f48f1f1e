"""Readable text lines: the console (stderr) and the file when ``json_format=False``.

``HH:MM:SS.mmm LEVEL category    target               message key=value …`` with the
traceback, if any, on the following lines. Colored only when asked (stderr is a TTY and
``NO_COLOR`` is unset, decided by `init_logging`). Log text is untrusted: every text taken from
the record (target, message, category, keys, values, span name, traceback) goes through
`shared.writer.escape.escape`, so a record cannot move the cursor, recolor or clear the terminal
or write its clipboard. On the console each text is cut at `PRINT_LIMIT` characters (64 KiB)
with a marker saying how much more there was; the text file keeps it whole.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Any, TextIO

import orjson

from shared.writer.encode import json_default, safe_repr, sanitize
from shared.writer.escape import PRINT_LIMIT, escape

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


def format_line(
    record: Mapping[str, Any], *, colors: bool, full_time: bool, limit: int | None = None
) -> str:
    """Render a record as one readable line (plus traceback lines).

    Args:
        record: A record as the writer builds it (PROTOCOL keys).
        colors: Add ANSI colors.
        full_time: Show the whole timestamp instead of the time of day.
        limit: Cut each text of the record at this many characters (the console:
            `PRINT_LIMIT`); None: whole (the text file).

    Returns:
        The text, without a final newline.
    """
    stamp = escape(record["timestamp"] if full_time else record["timestamp"][11:23])
    level = record["level"]
    fields = record["fields"]
    tail = _pairs(fields, record, include_pid=full_time, limit=limit)
    message = escape(str(record["message"]), limit=limit)
    target = escape(str(record["target"] or "-"), limit=limit)
    category, level_name = escape(str(record["category"])), escape(str(level).upper())
    if colors:
        head = (
            f"{_DIM}{stamp}{_RESET} {_LEVEL_STYLE.get(level, '')}{level_name:<5}{_RESET} "
            f"{_CYAN}{category:<11}{_RESET} {_DIM}{target:<20}{_RESET} {message}"
        )
        tail = f"{_DIM}{tail}{_RESET}" if tail else ""
    else:
        head = f"{stamp} {level_name:<5} {category:<11} {target:<20} {message}"
    exception = fields.get("exception") if isinstance(fields, Mapping) else None
    if isinstance(exception, str):
        tail += "\n" + escape(exception.rstrip("\n"), keep="\n\t", limit=limit)
    return head + tail


def _pairs(fields: Any, record: Mapping[str, Any], *, include_pid: bool, limit: int | None) -> str:
    parts = []
    if isinstance(fields, Mapping):
        parts = [
            f"{escape(str(key), limit=limit)}={_value(value, limit)}"
            for key, value in fields.items()
            if key != "exception" or not isinstance(value, str)
        ]
    span = record.get("span")
    if isinstance(span, Mapping) and span.get("name"):
        parts.append(f"span={_value(span['name'], limit)}")
    if include_pid and record.get("pid") is not None:
        parts.append(f"pid={_value(record['pid'], limit)}")
    if record.get("source"):
        parts.append(f"source={_value(record['source'], limit)}")
    return (" " + " ".join(parts)) if parts else ""


def _value(value: Any, limit: int | None) -> str:
    # orjson escapes C0 controls but writes DEL, C1 and bidi controls as they are: escape() them.
    return escape(_rendered(value), limit=limit)


def _rendered(value: Any) -> str:
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
        return safe_repr(value)


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
            line = format_line(record, colors=self.colors, full_time=False, limit=PRINT_LIMIT)
            line += "\n"
            try:
                stream.write(line)
            except UnicodeEncodeError:  # lone surrogates, a stream in ASCII: escape them
                encoding = getattr(stream, "encoding", None) or "ascii"
                stream.write(line.encode(encoding, "backslashreplace").decode(encoding))
        except Exception:  # a closed or broken stderr must not break the host's logging call
            return
