"""Uber's zap, production JSON encoder: ``level``, ``ts``, ``logger``, ``caller``, ``msg``.

``ts`` is epoch seconds as a float by default (nanosecond digits beyond a float's precision are
lost by zap itself), an integer with the millis/nanos encoders (unit guessed by size), or ISO text
with ``ISO8601TimeEncoder``/``RFC3339TimeEncoder``. Levels are lower-case; ``dpanic``, ``panic``
and ``fatal`` are in the error band with their names kept. ``logger`` (dotted ``Named`` chain) →
target, ``caller`` (``pkg/file.go:line``) → source. ``stacktrace`` (on error and above in
production) → ``fields["exception"]`` as text; ``error`` (and ``errorVerbose``) stay in ``fields``.
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    any_time,
    as_message,
    keep_rest,
    make_record,
    take,
    text,
)

NAME = "zap"


def detect(obj: dict[str, Any]) -> bool:
    """zap's ``ts`` beside ``msg`` and ``level``."""
    return "ts" in obj and "msg" in obj and "level" in obj


def convert(obj: dict[str, Any]) -> Record:
    """Map a zap line."""
    rest = dict(obj)
    label = take(rest, ("level",), text)
    band, level_name = levels.band_of(label, "zap")
    entry = make_record(
        timestamp=take(rest, ("ts",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("msg", "")),
        target=take(rest, ("logger",), text) or "",
        source=take(rest, ("caller",), text),
    )
    stack = take(rest, ("stacktrace",), text)
    if stack is not None:
        entry["fields"]["exception"] = stack
    keep_rest(entry["fields"], rest)
    return entry
