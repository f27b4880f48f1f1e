"""winston's ``format.json()``: ``level`` (npm names), ``message``, ``timestamp``, metadata.

winston's npm levels are error 0, warn 1, info 2, http 3, verbose 4, debug 5, silly 6: ``http``
and ``verbose`` are more verbose than info and fall in the debug band, ``silly`` in trace (each
kept as level_name). ``timestamp`` (from ``format.timestamp()``) is ISO text. The target is
``service`` (the usual ``defaultMeta``) or else ``label`` (``format.label()``); the other stays
in ``fields``. ``format.errors({stack: true})`` puts the error's ``stack`` at the top level: it
goes to ``fields["exception"]`` as text. winston's JSON has its keys sorted (safe-stable-
stringify), which changes nothing here.
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

NAME = "winston"
_NAMES = frozenset(("error", "warn", "info", "http", "verbose", "debug", "silly"))


def detect(obj: dict[str, Any]) -> bool:
    """``message`` and an npm level name with ``service``/``label``/``timestamp``, none of ours."""
    level = obj.get("level")
    if "message" not in obj or not isinstance(level, str) or level not in _NAMES:
        return False
    if "service" in obj or "label" in obj:
        return True
    return "timestamp" in obj and not ("target" in obj or "category" in obj or "fields" in obj)


def convert(obj: dict[str, Any]) -> Record:
    """Map a winston line."""
    rest = dict(obj)
    label = take(rest, ("level",), text)
    band, level_name = levels.band_of(label, "winston")
    entry = make_record(
        timestamp=take(rest, ("timestamp",), any_time),
        level=band,
        level_name=level_name,
        message=as_message(rest.pop("message", "")),
        target=take(rest, ("service", "label"), text) or "",
    )
    stack = take(rest, ("stack",), text)
    if stack is not None:
        entry["fields"]["exception"] = stack
    keep_rest(entry["fields"], rest)
    return entry
