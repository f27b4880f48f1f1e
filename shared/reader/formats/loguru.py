"""loguru's ``serialize=True`` sink: ``{"text": …, "record": {…}}``.

From ``record``: ``time.repr`` (exact, with its offset; ``time.timestamp`` as a fallback),
``level.name`` (kept as level_name unless it is the band's name: ``SUCCESS``, ``WARNING``,
``CRITICAL``, custom names) banded by name and, for custom names, by ``level.no``; ``message``;
``name`` → target; ``file.path`` + ``line`` → source; ``process.id`` → pid; ``extra`` (the bound
and keyword values) merged into ``fields``; ``function``, ``module``, ``thread``, ``elapsed`` and
the rest of ``file``/``process`` kept in ``fields``. loguru serialises an exception only as
``{"type", "value", "traceback": true}``; the traceback text itself is in ``text`` after the
first line, so that part of ``text`` becomes ``fields["exception"]``. ``text`` is otherwise
dropped (it is the sink's rendering of the same record).
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
    location,
    make_record,
    number,
    text,
)

NAME = "loguru"
_CONSUMED = ("time", "level", "message", "name", "line", "exception", "extra", "file", "process")


def detect(obj: dict[str, Any]) -> bool:
    """``text`` beside a ``record`` object."""
    return "record" in obj and "text" in obj and isinstance(obj["record"], dict)


def convert(obj: dict[str, Any]) -> Record:
    """Map a serialised loguru message."""
    record: dict[str, Any] = obj["record"]
    band, level_name = _level(record.get("level"))
    file, process = _dict(record.get("file")), _dict(record.get("process"))
    extra = record.get("extra")
    fields: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
    exception = _exception(record.get("exception"), obj.get("text"))
    if exception is not None:
        fields["exception"] = exception
    for key, value in record.items():
        if key not in _CONSUMED:
            fields.setdefault(key, value)
    file_rest = {k: v for k, v in file.items() if k != "path"}
    if file_rest:
        fields.setdefault("file", file_rest)
    if "name" in process:
        fields.setdefault("process_name", process["name"])
    return make_record(
        timestamp=_time(record.get("time")),
        level=band,
        level_name=level_name,
        message=as_message(record.get("message", "")),
        target=text(record.get("name")) or "",
        fields=fields,
        pid=integer(process.get("id")),
        source=location(file.get("path") or file.get("name"), record.get("line")),
    )


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _time(value: object) -> str | None:
    time = _dict(value)
    return iso_time(time.get("repr")) or epoch_time(time.get("timestamp"), "s")


def _level(value: object) -> tuple[str, str | None]:
    level = _dict(value)
    name, no = text(level.get("name")), number(level.get("no"))
    if name is None:
        return (levels.python_band(no), str(no)) if no is not None else ("info", None)
    band = levels.known_band(name, "loguru")
    if band is None and no is not None:
        band = levels.python_band(no)  # a custom level: its number places it
    return (band, levels.label_of(name, band)) if band else levels.band_of(name)


def _exception(value: object, rendered: object) -> str | None:
    if not value:
        return None
    if isinstance(rendered, str) and "\n" in rendered.rstrip("\n"):
        return rendered.split("\n", 1)[1].rstrip("\n")
    exc = _dict(value)
    return f"{exc.get('type')}: {exc.get('value')}"
