"""Every level name and number of the logging ecosystems the reader knows, and its severity band.

A record's ``level`` is one of five bands (``trace`` ``debug`` ``info`` ``warn`` ``error``); the
label as the logger wrote it is kept in ``level_name`` whenever it is not simply the band's own
name (compared case-insensitively: ``"INFO"`` adds nothing, ``"WARNING"``, ``"dpanic"`` and
``"60"`` do). Nothing is silently called "info": an unknown label keeps its text and is banded by
the nearest known severity word inside it (``"ERROR+4"`` → error, ``"MyWarnLevel"`` → warn), and
only a label without any such word falls into the info band.

Names can mean different things in different ecosystems (winston's ``verbose`` sits between info
and debug, Serilog's ``Verbose`` below debug), so `band_of` takes an optional scheme whose names
win over the common ones. Numbers are read per scheme (`pino_band`, `syslog_band`, `otel_band`,
`python_band` for Python and loguru, `logback_band` for logstash's ``level_value``).

`LEVEL_TABLE` holds the same knowledge as rows (ecosystem, name, number, band) so documentation can
be generated from it and checked against it.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = [
    "LEVEL_TABLE",
    "LevelRow",
    "band_of",
    "known_band",
    "known_names",
    "label_of",
    "logback_band",
    "number_label",
    "otel_band",
    "pino_band",
    "python_band",
    "syslog_band",
]


class LevelRow(NamedTuple):
    """One level of one ecosystem: its name as written, its number (if it has one), its band."""

    scheme: str
    name: str
    number: int | None
    band: str


def _rows(scheme: str, *levels: tuple[str, int | None, str]) -> tuple[LevelRow, ...]:
    return tuple(LevelRow(scheme, name, number, band) for name, number, band in levels)


#: Every ecosystem's levels, most verbose first.
# fmt: off
LEVEL_TABLE: tuple[LevelRow, ...] = (
    *_rows("python", ("DEBUG", 10, "debug"), ("INFO", 20, "info"), ("WARNING", 30, "warn"),
           ("ERROR", 40, "error"), ("CRITICAL", 50, "error")),
    *_rows("loguru", ("TRACE", 5, "trace"), ("DEBUG", 10, "debug"), ("INFO", 20, "info"),
           ("SUCCESS", 25, "info"), ("WARNING", 30, "warn"), ("ERROR", 40, "error"),
           ("CRITICAL", 50, "error")),
    *_rows("pino", ("trace", 10, "trace"), ("debug", 20, "debug"), ("info", 30, "info"),
           ("warn", 40, "warn"), ("error", 50, "error"), ("fatal", 60, "error")),
    *_rows("winston", ("silly", 6, "trace"), ("debug", 5, "debug"), ("verbose", 4, "debug"),
           ("http", 3, "debug"), ("info", 2, "info"), ("warn", 1, "warn"), ("error", 0, "error")),
    *_rows("zap", ("debug", -1, "debug"), ("info", 0, "info"), ("warn", 1, "warn"),
           ("error", 2, "error"), ("dpanic", 3, "error"), ("panic", 4, "error"),
           ("fatal", 5, "error")),
    *_rows("zerolog", ("trace", -1, "trace"), ("debug", 0, "debug"), ("info", 1, "info"),
           ("warn", 2, "warn"), ("error", 3, "error"), ("fatal", 4, "error"),
           ("panic", 5, "error")),
    *_rows("slog", ("DEBUG", -4, "debug"), ("INFO", 0, "info"), ("WARN", 4, "warn"),
           ("ERROR", 8, "error")),
    *_rows("tracing", ("TRACE", None, "trace"), ("DEBUG", None, "debug"), ("INFO", None, "info"),
           ("WARN", None, "warn"), ("ERROR", None, "error")),
    *_rows("serilog", ("Verbose", 0, "trace"), ("Debug", 1, "debug"), ("Information", 2, "info"),
           ("Warning", 3, "warn"), ("Error", 4, "error"), ("Fatal", 5, "error")),
    *_rows("syslog", ("emerg", 0, "error"), ("alert", 1, "error"), ("crit", 2, "error"),
           ("err", 3, "error"), ("warning", 4, "warn"), ("notice", 5, "info"),
           ("info", 6, "info"), ("debug", 7, "debug")),
    *_rows("otel", ("TRACE", 1, "trace"), ("DEBUG", 5, "debug"), ("INFO", 9, "info"),
           ("WARN", 13, "warn"), ("ERROR", 17, "error"), ("FATAL", 21, "error")),
    *_rows("logback", ("TRACE", 5000, "trace"), ("DEBUG", 10000, "debug"),
           ("INFO", 20000, "info"), ("WARN", 30000, "warn"), ("ERROR", 40000, "error")),
    *_rows("log4j", ("TRACE", 600, "trace"), ("DEBUG", 500, "debug"), ("INFO", 400, "info"),
           ("WARN", 300, "warn"), ("ERROR", 200, "error"), ("FATAL", 100, "error")),
    *_rows("jul", ("FINEST", 300, "trace"), ("FINER", 400, "debug"), ("FINE", 500, "debug"),
           ("CONFIG", 700, "debug"), ("INFO", 800, "info"), ("WARNING", 900, "warn"),
           ("SEVERE", 1000, "error")),
)
# fmt: on

#: Names understood in every scheme (a scheme's own names are looked up first).
_COMMON: dict[str, str] = {
    **{row.name.lower(): row.band for row in LEVEL_TABLE if row.scheme != "winston"},
    "verbose": "debug",  # winston's meaning; Serilog's Verbose is looked up in its scheme
    "warn": "warn",
    "err": "error",
    "emergency": "error",
    "information": "info",
    "informational": "info",
    "critical": "error",
    "dpanic": "error",
    "silly": "trace",
}
_SCHEMES: dict[str, dict[str, str]] = {}
for _row in LEVEL_TABLE:
    _SCHEMES.setdefault(_row.scheme, {})[_row.name.lower()] = _row.band

#: Severity words searched for inside unknown labels, longest first so that "warning" wins
#: over "warn" and "critical" over "crit"; short or ambiguous names (err, fine, http) are left out.
_WORDS = tuple(
    sorted(
        (
            "trace",
            "debug",
            "verbose",
            "info",
            "notice",
            "success",
            "warn",
            "warning",
            "error",
            "critical",
            "crit",
            "fatal",
            "panic",
            "severe",
            "emerg",
            "alert",
        ),
        key=len,
        reverse=True,
    )
)
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def known_names() -> list[tuple[str, str]]:
    """Every lower-case level name this module knows, with its band (the table, the names
    understood in every scheme, and the words searched for inside unknown labels)."""
    named = [(row.name.lower(), row.band) for row in LEVEL_TABLE]
    words = [(word, band) for word in _WORDS if (band := _COMMON.get(word)) is not None]
    return [*named, *_COMMON.items(), *words]


def band_of(label: str | None, scheme: str | None = None) -> tuple[str, str | None]:
    """The band of a level label and the label to keep (None when it is the band's own name).

    Args:
        label: The level as written (``"WARNING"``, ``"ERROR+4"``, ``"MyWarnLevel"``).
        scheme: An ecosystem of `LEVEL_TABLE` whose names are looked up first.

    Returns:
        ``(band, level_name)``; a label without any severity word is in the ``info`` band.
    """
    text = (label or "").strip()
    if not text:  # no level written: info, and nothing to keep
        return "info", None
    band = _lookup(text.lower(), scheme) or _search(text) or "info"
    return band, label_of(label or "", band)


def known_band(label: str, scheme: str | None = None) -> str | None:
    """The band of a known level name (no search inside unknown ones), else None."""
    return _lookup(label.strip().lower(), scheme)


def label_of(label: str, band: str) -> str | None:
    """``label`` unless it is the band's own name (case aside)."""
    return None if label.strip().lower() == band else label


def _lookup(name: str, scheme: str | None) -> str | None:
    if scheme is not None and name in _SCHEMES.get(scheme, {}):
        return _SCHEMES[scheme][name]
    return _COMMON.get(name)


def _search(text: str) -> str | None:
    for token in _TOKEN.findall(text):  # whole words first: "MyWarnLevel" → my, warn, level
        band = _COMMON.get(token.lower())
        if band is not None and token.lower() in _WORDS:
            return band
    lowered = text.lower()
    for word in _WORDS:  # then words run together: "SUPERERROR"
        if word in lowered:
            return _COMMON[word]
    return None


def number_label(scheme: str, number: float, band: str) -> str | None:
    """The label to keep for a level written as a number: the scheme's name for it (None when
    that is the band's own name: pino's 30 is info), else the number as written (pino's 35)."""
    for row in LEVEL_TABLE:
        if row.scheme == scheme and row.number == number:
            return label_of(row.name, band)
    return str(number)


def pino_band(number: float) -> str:
    """pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal."""
    for floor, band in ((50, "error"), (40, "warn"), (30, "info"), (20, "debug")):
        if number >= floor:
            return band
    return "trace"


def syslog_band(number: float) -> str:
    """Syslog severities (GELF, journald): 0-3 error, 4 warn, 5-6 info, 7 and beyond debug."""
    if number <= 3:
        return "error"
    if number < 5:
        return "warn"
    return "info" if number < 7 else "debug"


def otel_band(number: float) -> str | None:
    """OpenTelemetry severityNumber 1-24 (four per band, FATAL 21-24 → error); 0 is unspecified."""
    if number < 1:
        return None
    for floor, band in ((17, "error"), (13, "warn"), (9, "info"), (5, "debug")):
        if number >= floor:
            return band
    return "trace"


def python_band(number: float) -> str:
    """Python logging and loguru numbers: below 10 trace, 10 debug, 20 info, 30 warn, 40+ error."""
    for floor, band in ((40, "error"), (30, "warn"), (20, "info"), (10, "debug")):
        if number >= floor:
            return band
    return "trace"


def logback_band(number: float) -> str:
    """logback's level_value (logstash-logback-encoder): 5000 trace … 40000 error."""
    return python_band(number / 1000)
