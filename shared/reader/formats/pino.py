"""pino: numeric ``level`` (10 trace … 60 fatal, custom numbers between), ``time``, ``msg``.

``time`` is epoch milliseconds by default (ISO text with ``stdTimeFunctions.isoTime``), ``name``
→ target, ``pid`` → pid, ``hostname`` stays in ``fields``. The level number is banded on pino's
scale; level_name is pino's name for it when that is not the band's (60 → ``"fatal"``), or the
number itself when pino has no name for it (``"35"``). A level label (pino
with a ``formatters.level`` that writes names) is banded by name. The serialised error
``err: {type, message, stack}`` stays where it is in ``fields``; its ``stack`` is a string with
real newlines. `convert_node` is shared with bunyan, which writes the same keys.
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

NAME = "pino"


def detect(obj: dict[str, Any]) -> bool:
    """``msg`` and ``time`` with a numeric ``level`` (bunyan, also numeric, is told apart first)."""
    return "msg" in obj and "time" in obj and type(obj.get("level")) is int


def convert(obj: dict[str, Any]) -> Record:
    """Map a pino line."""
    return convert_node(dict(obj))


def convert_node(rest: dict[str, Any]) -> Record:
    """Map pino's and bunyan's common keys out of ``rest``; what is left goes to ``fields``."""
    band, level_name = level_of(rest.pop("level", None))
    entry = make_record(
        timestamp=take(rest, ("time",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("msg", "")),
        target=take(rest, ("name",), text) or "",
        pid=take(rest, ("pid",), lambda v: v if type(v) is int else None),
    )
    keep_rest(entry["fields"], rest)
    return entry


def level_of(value: object) -> tuple[str, str | None]:
    """pino's and bunyan's level: a number on their scale, or a name."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        band = levels.pino_band(value)
        return band, levels.number_label("pino", value, band)
    if isinstance(value, str):
        return levels.band_of(value, "pino")
    return "info", None
