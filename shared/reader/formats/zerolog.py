"""rs/zerolog: ``level``, ``time``, ``message``, ``caller``, ``error``, ``stack``.

``time`` is RFC 3339 text (seconds only by default, ``RFC3339Nano`` if configured) or an epoch
number with ``TimeFormatUnix``/``UnixMs``/``UnixMicro`` (unit guessed by size, nanoseconds too).
Levels are lower-case names (``fatal`` and ``panic`` → error band); ``Log()`` writes no level at
all (info band, no level_name). zerolog has no logger name: the target is the ``logger``,
``component`` or ``service`` value when there is one. ``caller`` (``file:line``) → source.
``stack`` (the ``ErrorStackFieldName``) → ``fields["exception"]`` as text: a string as it is, the
pkgerrors frame list ``[{func, line, source}]`` as one ``func`` / ``source:line`` pair per frame.
``error`` and ``panic`` stay in ``fields``.
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

NAME = "zerolog"


def detect(obj: dict[str, Any]) -> bool:
    """``message`` with a ``time`` key (winston and python-json-logger write ``timestamp``)."""
    return "message" in obj and "time" in obj and "msg" not in obj and "timestamp" not in obj


def convert(obj: dict[str, Any]) -> Record:
    """Map a zerolog line."""
    rest = dict(obj)
    label = take(rest, ("level",), text)
    band, level_name = levels.band_of(label, "zerolog")
    entry = make_record(
        timestamp=take(rest, ("time",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("message", "")),
        target=take(rest, ("logger", "component", "service"), text) or "",
        source=take(rest, ("caller",), text),
    )
    stack = take(rest, ("stack",), _stack_text)
    if stack is not None:
        entry["fields"]["exception"] = stack
    keep_rest(entry["fields"], rest)
    return entry


def _stack_text(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(frame, dict) for frame in value):
        return "\n".join(
            f"{frame.get('func', '?')}\n\t{frame.get('source', '?')}:{frame.get('line', '?')}"
            for frame in value
        )
    return None
