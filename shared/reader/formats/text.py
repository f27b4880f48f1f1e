"""Plain-text log lines: which lines start an entry, what their prefix says, which continue one.

`parse_text_line` recognises, in this order:

- an ISO 8601 time (``2026-12-06T10:00:00.123Z``, ``2026-12-06 10:00:00,123``; no zone → UTC)
  followed by one of: Python's ``- name - LEVEL - message`` (``%(asctime)s - %(name)s - …``);
  logback/log4j's ``[thread] LEVEL logger - message``; a level word, as in Rust
  tracing-subscriber's default ``LEVEL spans: target: message``; rsyslog's high-precision
  ``host prog[pid]: message``; or just the message;
- a traditional syslog line ``Dec  6 10:00:00 host prog[pid]: message`` (the host may be
  missing, as with busybox ``-S``). It has no year: the year is the one of ``now`` (UTC), or the
  one before when that would put the line more than a day in the future;
- Python's default ``LEVEL:logger:message`` (``basicConfig()``);
- logfmt ``time=… level=… msg="…" key=value`` (see `_logfmt`): ``time``/``ts`` → timestamp,
  ``level``/``lvl`` → level, ``msg``/``message`` → message, ``logger``/``component`` → target,
  ``caller``/``source`` → source, the other pairs → ``fields`` as strings;
- a leading level word: ``[LEVEL] message`` (any case) or ``LEVEL message`` / ``LEVEL: message``
  (upper case, a known severity word).

`is_continuation` says whether a line belongs to the entry above (tracebacks, Java stacks,
indented or blank lines); `raw_record` makes the record of a line that is neither.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.reader.formats import _logfmt, levels
from shared.reader.formats._common import Record, any_time, iso_time, make_record

__all__ = ["is_continuation", "parse_text_line", "raw_record"]

_ISO = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?(?:Z|[+-]\d\d:?\d\d)?)(?:\s+|$)"
)
_ASCTIME_REST = re.compile(r"- (?P<target>\S+) - (?P<level>[A-Za-z]+(?: \d+)?) - (?P<msg>.*)")
_LOGBACK_REST = re.compile(
    r"\[(?P<thread>[^\]]*)\]\s+(?P<level>[A-Za-z]+)\s+(?P<target>\S+)\s+-\s?(?P<msg>.*)"
)
_SEVERITY = r"TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|CRITICAL|CRIT|FATAL|SEVERE|PANIC"
_LEVEL_FIRST = re.compile(rf"(?P<level>{_SEVERITY})(?::\s*|\s+|$)(?P<msg>.*)")
_BRACKETED = re.compile(r"\[(?P<level>[A-Za-z]+)\]:?\s*(?P<msg>.*)")
_SPANS_TARGET = re.compile(
    r"(?P<spans>(?:[A-Za-z_][\w]*\{[^}]*\}:)+ )?(?P<target>[A-Za-z_][\w]*(?:(?:::|\.)[\w-]+)*): "
    r"(?P<msg>.*)"
)
_SYSLOG_REST = re.compile(
    r"(?:(?P<host>\S+) )?(?P<prog>[^\s\[:]+)(?:\[(?P<pid>\d+)\])?: (?P<msg>.*)"
)
_SYSLOG = re.compile(
    r"(?P<mon>Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (?P<day>[ \d]\d) "
    r"(?P<time>\d\d:\d\d:\d\d) (?P<rest>.*)"
)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PYTHON_DEFAULT = re.compile(
    r"(?P<level>CRITICAL|ERROR|WARNING|INFO|DEBUG|Level \d+):(?P<target>[^:\s]*):(?P<msg>.*)"
)
_CONTINUATION_STARTS = (
    "Traceback (most recent call last):",
    "During handling of the above exception",
    "The above exception was the direct cause",
    "Caused by:",
    "at ",
    "...",
)
_EXCEPTION_LINE = re.compile(r"[A-Za-z_][\w.]*(?::(?: .*)?)?")
_QUALIFIED_EXCEPTION = re.compile(r"[a-z][\w$]*(?:\.[\w$]+)+(?:Exception|Error|Throwable)(?::.*)?")
_LOGFMT_KEYS = {
    "timestamp": ("time", "ts", "timestamp", "t"),
    "level": ("level", "lvl", "severity", "loglevel"),
    "message": ("msg", "message"),
    "target": ("logger", "component", "name"),
    "source": ("caller", "source"),
}


def parse_text_line(line: str, *, now: datetime | None = None) -> Record | None:
    """The record of a line that starts an entry with a recognised prefix, else None.

    Args:
        line: One line, without its newline.
        now: The time a year-less syslog time is placed near (default: the current UTC time).

    Returns:
        A record (``timestamp`` None when the prefix has no time), or None.
    """
    line = line.rstrip("\r\n")
    match = _ISO.match(line)
    if match is not None:
        timestamp = iso_time(match["ts"])
        if timestamp is not None:
            return _after_time(timestamp, line[match.end() :])
    match = _SYSLOG.match(line)
    if match is not None:
        return _syslog(match, now or datetime.now(UTC))
    match = _PYTHON_DEFAULT.match(line)
    if match is not None:
        return _record(None, match["level"], match["msg"], target=match["target"])
    pairs = _logfmt.parse(line)
    if pairs is not None and any(key in pairs for key in ("level", "lvl", "msg", "message")):
        return _logfmt_record(pairs)
    return _leading_level(line)


def _after_time(timestamp: str, rest: str) -> Record:
    match = _ASCTIME_REST.fullmatch(rest)
    if match is not None:
        return _record(timestamp, match["level"], match["msg"], target=match["target"])
    match = _LOGBACK_REST.fullmatch(rest)
    if match is not None and levels.known_band(match["level"]) is not None:
        fields = {"thread": match["thread"]}
        return _record(timestamp, match["level"], match["msg"], match["target"], fields)
    match = _LEVEL_FIRST.fullmatch(rest) or _BRACKETED.fullmatch(rest)
    if match is not None and levels.known_band(match["level"]) is not None:
        return _level_then_target(timestamp, match["level"], match["msg"])
    match = _SYSLOG_REST.fullmatch(rest)
    if match is not None and match["host"] is not None:
        return _syslog_record(timestamp, match)
    return _record(timestamp, None, rest)


def _level_then_target(timestamp: str | None, level: str, rest: str) -> Record:
    match = _SPANS_TARGET.fullmatch(rest)
    if match is None:
        return _record(timestamp, level, rest)
    fields = {"spans": match["spans"].rstrip(": ")} if match["spans"] else {}
    return _record(timestamp, level, match["msg"], match["target"], fields)


def _syslog(match: re.Match[str], now: datetime) -> Record:
    month, day = _MONTHS.index(match["mon"]) + 1, int(match["day"])
    hour, minute, second = (int(part) for part in match["time"].split(":"))
    timestamp = None
    for year in (now.year, now.year - 1):
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:  # 29 February of a year that has none
            continue
        if moment <= now + timedelta(days=1):
            timestamp = any_time(moment.isoformat())
            break
    rest = _SYSLOG_REST.fullmatch(match["rest"])
    if rest is None:
        return _record(timestamp, None, match["rest"])
    return _syslog_record(timestamp, rest)


def _syslog_record(timestamp: str | None, match: re.Match[str]) -> Record:
    fields = {"host": match["host"]} if match["host"] else {}
    entry = _record(timestamp, None, match["msg"], match["prog"], fields)
    entry["pid"] = int(match["pid"]) if match["pid"] else None
    return entry


def _logfmt_record(pairs: dict[str, str]) -> Record:
    found: dict[str, str | None] = {}
    for slot, keys in _LOGFMT_KEYS.items():
        key = next((k for k in keys if k in pairs), None)
        found[slot] = pairs.pop(key) if key is not None else None
    entry = _record(
        any_time(found["timestamp"]) if found["timestamp"] else None,
        found["level"],
        found["message"] or "",
        found["target"] or "",
        dict(pairs),
    )
    entry["source"] = found["source"]
    if found["timestamp"] and entry["timestamp"] is None:
        entry["fields"]["time"] = found["timestamp"]  # unreadable: kept as written
    return entry


def _leading_level(line: str) -> Record | None:
    match = _BRACKETED.fullmatch(line) or _LEVEL_FIRST.fullmatch(line)
    if match is None or levels.known_band(match["level"]) is None:
        return None
    return _record(None, match["level"], match["msg"])


def _record(
    timestamp: str | None,
    label: str | None,
    message: str,
    target: str = "",
    fields: dict[str, Any] | None = None,
) -> Record:
    band, level_name = _level(label)
    return make_record(
        timestamp=timestamp,
        level=band,
        level_name=level_name,
        message=message,
        target=target,
        fields=fields or {},
    )


def _level(label: str | None) -> tuple[str, str | None]:
    if label is None:
        return "info", None
    if label.startswith("Level ") and label[6:].isdigit():  # Python's unnamed numeric level
        return levels.python_band(int(label[6:])), label
    return levels.band_of(label)


def is_continuation(line: str, previous: str | None) -> bool:
    """Whether ``line`` belongs to the entry above it rather than starting a new one.

    True for blank and indented lines, ``Traceback (most recent call last):``, Python's
    ``During handling of the above exception…`` / ``The above exception was the direct cause…``,
    Java's ``at …`` frames, ``Caused by: …``, ``... 12 more``, a qualified Java exception line
    (``java.lang.IllegalStateException: …``), and the final ``SomeError: text`` line of a Python
    traceback (a non-indented ``Name: text`` right after an indented line). Never for the first
    line (``previous`` None) nor for a line with a recognised prefix.
    """
    if previous is None:
        return False
    if not line.strip() or line[0] in " \t":
        return True
    if parse_text_line(line) is not None:
        return False
    if line.startswith(_CONTINUATION_STARTS) or _QUALIFIED_EXCEPTION.fullmatch(line):
        return True
    return previous[:1] in (" ", "\t") and _EXCEPTION_LINE.fullmatch(line) is not None


def raw_record(text: str) -> Record:
    """The record of a line with no recognised prefix (``"raw": True`` says so).

    The level is that of a leading severity word (``Warning - disk full``), else info.
    """
    word = re.match(r"\W*([A-Za-z]+)", text)
    band = levels.known_band(word[1]) if word is not None else None
    entry = make_record(
        timestamp=None,
        level=band or "info",
        level_name=levels.label_of(word[1], band) if word is not None and band else None,
        message=text,
    )
    entry["raw"] = True
    return entry
