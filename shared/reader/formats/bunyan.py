"""bunyan: like pino (numeric ``level``, ``msg``, ``name``, ``hostname``, ``pid``) plus ``v``.

bunyan always writes ``v`` (its format version, 0), ``name``, ``hostname``, ``pid``, ``level``,
``msg`` and ``time`` (ISO text). ``v`` is dropped (a format marker, not the application's data);
``src: {file, line, func}`` (with ``src: true``) → source, ``func`` kept in ``fields``. The
serialised ``err: {message, name, stack}`` stays in ``fields`` with its newlines.
"""

from __future__ import annotations

from typing import Any

from shared.reader.formats._common import Record, location
from shared.reader.formats.pino import convert_node

NAME = "bunyan"


def detect(obj: dict[str, Any]) -> bool:
    """bunyan's ``v`` beside ``msg`` and ``hostname``."""
    return "v" in obj and "msg" in obj and "hostname" in obj


def convert(obj: dict[str, Any]) -> Record:
    """Map a bunyan line."""
    rest = dict(obj)
    rest.pop("v", None)
    src = rest.get("src")
    source = location(src.get("file"), src.get("line")) if isinstance(src, dict) else None
    if source is not None and isinstance(src, dict):
        func = src.get("func")
        del rest["src"]
        if func is not None:
            rest.setdefault("func", func)
    entry = convert_node(rest)
    entry["source"] = source
    return entry
