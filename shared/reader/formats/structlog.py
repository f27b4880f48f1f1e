"""structlog's JSONRenderer: ``event``, ``level``, ``timestamp``, ``logger``.

The usual processor chain (add_log_level, add_logger_name, TimeStamper, format_exc_info) writes
``event`` (the message), ``level`` (lower-case stdlib names: ``warning``, ``critical``),
``timestamp`` (ISO text, or an epoch number with ``TimeStamper(fmt=None)``), ``logger`` and, for
exceptions, ``exception``: the formatted traceback, kept as text in ``fields["exception"]``. Every
other key is an event-dict value and goes into ``fields`` as it is.
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

NAME = "structlog"


def detect(obj: dict[str, Any]) -> bool:
    """``event`` with structlog's other keys, and no ``message`` of another ecosystem."""
    return "event" in obj and "message" not in obj and ("level" in obj or "timestamp" in obj)


def convert(obj: dict[str, Any]) -> Record:
    """Map a structlog event dict."""
    rest = dict(obj)
    label = take(rest, ("level", "log_level"), text)
    band, level_name = levels.band_of(label)
    entry = make_record(
        timestamp=take(rest, ("timestamp",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("event")),
        target=take(rest, ("logger", "logger_name"), text) or "",
    )
    keep_rest(entry["fields"], rest)
    return entry
