"""GELF (Graylog Extended Log Format) 1.0/1.1 messages, as sent by pygelf, graypy and others.

``short_message`` → message; ``full_message`` stays in ``fields["full_message"]`` as text (Python
senders put the traceback there, pygelf with doubled newlines); ``timestamp`` is epoch seconds
(a float); ``level`` is a syslog severity 0-7 (banded on the syslog scale, the number kept as
level_name); ``host`` stays in ``fields``. Additional fields start with ``_`` and go into
``fields`` without it. The logger name is not standard: ``_logger_name`` (pygelf's debug fields),
``_logger`` or the deprecated ``facility`` (graypy) is the target. ``_file``/``file`` and
``_line``/``line`` → source; ``_pid``/``_process_id`` → pid. ``version`` is dropped (a format
marker).
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    any_time,
    as_message,
    integer,
    location,
    make_record,
    take,
    text,
)

NAME = "gelf"


def detect(obj: dict[str, Any]) -> bool:
    """GELF's ``short_message`` beside ``host`` or ``version``."""
    return "short_message" in obj and ("host" in obj or "version" in obj)


def convert(obj: dict[str, Any]) -> Record:
    """Map a GELF message."""
    rest: dict[str, Any] = {}
    for key, value in obj.items():
        if key != "version":
            rest[key[1:] if key.startswith("_") and len(key) > 1 else key] = value
    band, level_name = _level(rest.pop("level", None))
    source = location(rest.get("file"), rest.get("line"))
    if source is not None:
        rest.pop("file")
        rest.pop("line", None)
    return make_record(
        timestamp=take(rest, ("timestamp",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("short_message", "")),
        target=take(rest, ("logger_name", "logger", "facility"), text) or "",
        pid=take(rest, ("pid", "process_id"), integer),
        source=source,
        fields=rest,
    )


def _level(value: object) -> tuple[str, str | None]:
    number = integer(value)
    if number is not None:
        band = levels.syslog_band(number)
        return band, levels.number_label("syslog", number, band)
    if isinstance(value, str):
        return levels.band_of(value, "syslog")
    return "info", None  # GELF's default level is 1 (alert), but a missing level is no alarm
