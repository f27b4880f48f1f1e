"""python-json-logger (``pythonjsonlogger.json.JsonFormatter``) over the stdlib's LogRecord.

Keys are the LogRecord attributes the format string names: ``message``, ``levelname`` (and
``levelno``), ``name`` → target, the time as ``timestamp`` (ISO, with ``timestamp=True``) or
``asctime`` (``YYYY-MM-DD HH:MM:SS,mmm``; it carries no zone and is read as UTC, like every naive
time in this reader — log with ``converter = time.gmtime`` to make that true) or ``created``
(epoch seconds). ``process`` → pid, ``pathname``/``filename`` with ``lineno`` → source.
``exc_info`` (the formatted traceback) goes to ``fields["exception"]`` as text. Custom level
names keep their text; ``Level 5`` (an unnamed number) is banded by the number.
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    as_message,
    epoch_time,
    integer,
    iso_time,
    keep_rest,
    location,
    make_record,
    number,
    take,
    text,
)

NAME = "pythonjson"


def detect(obj: dict[str, Any]) -> bool:
    """The stdlib's ``levelname``, or ``asctime`` beside a ``message``."""
    return "levelname" in obj or ("asctime" in obj and "message" in obj)


def convert(obj: dict[str, Any]) -> Record:
    """Map a python-json-logger object."""
    rest = dict(obj)
    band, level_name = _level(take(rest, ("levelname",), text), rest.get("levelno"))
    timestamp = take(rest, ("timestamp", "asctime"), iso_time)
    if timestamp is None:
        timestamp = take(rest, ("created",), epoch_time)
    source = location(rest.get("pathname") or rest.get("filename"), rest.get("lineno"))
    if source is not None:
        for key in ("pathname", "filename", "lineno"):
            rest.pop(key, None)
    entry = make_record(
        timestamp=timestamp,
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("message", "")),
        target=take(rest, ("name",), text) or "",
        pid=take(rest, ("process",), integer),
        source=source,
    )
    exception = take(rest, ("exc_info", "exc_text"), text)
    if exception is not None:
        entry["fields"]["exception"] = exception
    keep_rest(entry["fields"], rest)
    return entry


def _level(name: str | None, levelno: object) -> tuple[str, str | None]:
    value = number(levelno)
    if name is None:
        return (levels.python_band(value), str(value)) if value is not None else ("info", None)
    if name.startswith("Level ") and name[6:].isdigit():  # logging's name for unnamed numbers
        return levels.python_band(int(name[6:])), name
    band = levels.known_band(name, "python")
    if band is None and value is not None:
        band = levels.python_band(value)  # a custom name: its number places it
    return (band, levels.label_of(name, band)) if band else levels.band_of(name)
