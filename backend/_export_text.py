"""The human formats of an export: ``csv`` for spreadsheets and ``txt`` for reading.

CSV cells that a spreadsheet would evaluate as formulas get a leading ``'`` (OWASP's advice);
TXT lines escape control characters as the console does (`shared.writer.escape`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO, TYPE_CHECKING, Any

import orjson

from shared.writer.escape import escape, escape_json

if TYPE_CHECKING:
    from backend._export_formats import ExportOptions

__all__ = ["CSV_COLUMNS", "text_line", "write_csv", "write_txt"]

CSV_COLUMNS = ("timestamp", "level", "category", "target", "message", "fields", "span", "pid")
#: A CSV cell starting with one of these (after any blanks) is a formula to a spreadsheet, and
#: one starting with a tab, CR or LF may become one: OWASP's "CSV Injection" list.
_FORMULA_STARTS = ("=", "+", "-", "@")
_BLANK_STARTS = ("\t", "\r", "\n")


def write_csv(
    out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions | None = None
) -> int:
    """Write ``entries`` as RFC 4180 CSV with a header row; returns how many were written."""
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    writer = csv.writer(text)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for entry in entries:
        writer.writerow([_csv_cell(entry.get(column)) for column in CSV_COLUMNS])
        count += 1
    text.flush()
    text.detach()  # leave `out` open for the caller's fsync
    return count


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    text = orjson.dumps(value).decode() if isinstance(value, dict | list) else str(value)
    if text.startswith(_BLANK_STARTS) or text.lstrip().startswith(_FORMULA_STARTS):
        return "'" + text  # shown as text, not evaluated (a negative number too: "'-5")
    return text


def write_txt(
    out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions | None = None
) -> int:
    """Write ``entries`` as `text_line` lines; returns how many were written."""
    count = 0
    for entry in entries:
        out.write(text_line(entry).encode("utf-8", "replace") + b"\n")
        count += 1
    return count


def text_line(entry: dict[str, Any]) -> str:
    """One entry as a readable line: time, level and category in aligned columns, then
    ``target: message`` and the fields as compact JSON.

    Control characters are escaped as on the console (a CR cannot overwrite the line under
    ``cat``); a message keeps its newlines and tabs, its further lines indented.
    """
    level, category = escape(str(entry.get("level", "")).upper()), entry.get("category", "")
    head = f"{escape(str(entry.get('timestamp', '')))} {level:<5} "
    head += f"{'[' + escape(str(category)) + ']':<13} "
    target = escape(str(entry.get("target") or ""))
    message = escape(str(entry.get("message", "")), keep="\n\t")
    # Continuation lines of a multi-line message are indented under the first one.
    body = message.replace("\n", "\n" + " " * len(head))
    line = f"{head}{target + ': ' if target else ''}{body}"
    fields = entry.get("fields")
    return f"{line}  {escape_json(orjson.dumps(fields).decode())}" if fields else line
