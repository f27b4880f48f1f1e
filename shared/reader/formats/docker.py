"""Docker's json-file logging driver: ``{"log": "…\\n", "stream": "stdout", "time": "…"}``.

Each object is one line (or one 16 KiB piece of a longer one) of a container's output; ``log``
keeps its newline, which is removed here. When ``log`` itself holds a JSON object (an
application logging JSON to stdout), that object is mapped by its own format; when it starts with
a recognised text prefix (`text.parse_text_line`), the text record is used; otherwise the line
is the message (level by a leading severity word, else info). In every case ``stream``
(``stdout``/``stderr``) is kept in ``fields["stream"]``, and the driver's ``time`` (RFC 3339 with
nanoseconds, when the daemon read the line) is the timestamp unless the inner record has its own.
Continuation lines (a traceback printed to stderr) are separate objects here, so separate records.
"""

from __future__ import annotations

from typing import Any

import orjson

from shared.reader.formats._common import Record, any_time, text
from shared.reader.records import MalformedLineError

NAME = "docker"


def detect(obj: dict[str, Any]) -> bool:
    """The driver's three keys ``log``, ``stream`` and ``time``."""
    return "log" in obj and "stream" in obj and "time" in obj


def convert(obj: dict[str, Any]) -> Record:
    """Map one json-file object, looking inside ``log``."""
    from shared.reader.formats import convert_object  # noqa: PLC0415  # the dispatcher imports us
    from shared.reader.formats.text import parse_text_line, raw_record  # noqa: PLC0415

    line = text(obj["log"]) or ""
    line = line[:-1] if line.endswith("\n") else line
    line = line[:-1] if line.endswith("\r") else line
    entry = _inner_json(line, convert_object) or parse_text_line(line) or raw_record(line)
    entry.pop("raw", None)
    if entry["timestamp"] is None:
        entry["timestamp"] = any_time(obj.get("time"))
    fields = entry["fields"]
    fields.setdefault("stream", obj.get("stream"))
    for key, value in obj.items():
        if key not in ("log", "stream", "time"):
            fields.setdefault(key, value)  # attrs (labels, env) of --log-opt
    return entry


def _inner_json(line: str, convert_object: Any) -> Record | None:
    if not line.startswith("{"):
        return None
    try:
        inner = orjson.loads(line)
        if isinstance(inner, dict):
            records: list[Record] = convert_object(inner)
            return records[0] if records else None
    except (orjson.JSONDecodeError, MalformedLineError):
        pass
    return None
