"""systemd's journal as ``journalctl -o json`` writes it: every value is a string.

``MESSAGE`` → message; journalctl writes a value that is not valid UTF-8 (or holds control
characters) as an array of byte values, decoded here as UTF-8 with replacement characters.
``PRIORITY`` ``"0"``-``"7"`` is a syslog severity (banded on the syslog scale, the digit kept as
level_name). The time is ``_SOURCE_REALTIME_TIMESTAMP`` (when the client sent it) or else
``__REALTIME_TIMESTAMP`` (when the journal received it), both epoch microseconds as text.
``SYSLOG_IDENTIFIER`` or else ``_COMM`` → target; ``_PID`` → pid; ``CODE_FILE`` + ``CODE_LINE``
→ source. Every other field (``_BOOT_ID``, ``__CURSOR``, ``_HOSTNAME``, ``CODE_FUNC``, the
application's own fields …) stays in ``fields`` under its journal name.
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats import levels
from shared.reader.formats._common import (
    Record,
    epoch_time,
    integer,
    location,
    make_record,
    take,
    text,
)

NAME = "journald"


def detect(obj: dict[str, Any]) -> bool:
    """The journal's ``__REALTIME_TIMESTAMP``, or ``MESSAGE`` with ``PRIORITY``/``_PID``."""
    return "__REALTIME_TIMESTAMP" in obj or (
        "MESSAGE" in obj and ("PRIORITY" in obj or "_PID" in obj)
    )


def convert(obj: dict[str, Any]) -> Record:
    """Map a journal entry."""
    rest = dict(obj)
    priority = integer(rest.get("PRIORITY"))
    if priority is not None:
        rest.pop("PRIORITY")
        band = levels.syslog_band(priority)
        level_name = levels.number_label("syslog", priority, band)
    else:
        band, level_name = "info", None
    timestamp = take(
        rest, ("_SOURCE_REALTIME_TIMESTAMP", "__REALTIME_TIMESTAMP"), lambda v: epoch_time(v, "us")
    )
    source = location(rest.get("CODE_FILE"), rest.get("CODE_LINE"))
    if source is not None:
        rest.pop("CODE_FILE")
        rest.pop("CODE_LINE", None)
    return make_record(
        timestamp=timestamp,
        level=band,
        level_name=level_name,
        message=take(rest, ("MESSAGE",), _message) or "",
        target=take(rest, ("SYSLOG_IDENTIFIER", "_COMM"), text) or "",
        pid=take(rest, ("_PID",), integer),
        source=source,
        fields=rest,
    )


def _message(value: object) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(type(b) is int and 0 <= b < 256 for b in value):
        return bytes(value).decode("utf-8", errors="replace")
    return None
