"""Test data for the reader: records, foreign and malformed lines, rotated sets, an oracle, writers.

Imported by the reader's tests, which put this directory on ``sys.path`` (pytest runs with
``--import-mode=importlib``, which does not).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import re2  # type: ignore[import-untyped]
from hypothesis import strategies as st

from shared.reader.parse import line_records
from shared.reader.records import format_timestamp
from shared.reader.sources import compute_generation, fd_reader, format_id

APP = "midi-software-center"
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "security", "user"]
LEVELS = ["trace", "debug", "info", "warn", "error"]
RANK = {name: rank for rank, name in enumerate(LEVELS)}
START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
EXAMPLES = 300 if os.environ.get("CI") else 40
"""Hypothesis examples per property: modest locally, more under CI."""

# Words the messages are built from, so that generated searches hit something.
WORDS = [
    "alpha",
    "Beta",
    "midi",
    "Kelvin",
    "\u212aelvin",
    "İstanbul",
    "naïve",
    'quote"d',
    "back\\slash",
    "tab\there",
    "slash/path",
    "ÉCOLE",
    "école",
    "\u017ftra\u00dfe",
    "日本",
    "req-8f3a",
    "42",
    "line\nbreak",
]


def timestamp(index: int) -> str:
    """The canonical timestamp of record ``index`` (one millisecond apart)."""
    moment = START + timedelta(milliseconds=index)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(index: int, **overrides: Any) -> dict[str, Any]:
    """A record in PROTOCOL key order; ``fields.seq`` is ``index``."""
    rec: dict[str, Any] = {
        "timestamp": timestamp(index),
        "level": LEVELS[index % 5],
        "category": CATEGORIES[index % 8],
        "message": f"message {index}",
        "target": "midi.engine",
        "fields": {"seq": index},
        "span": None,
        "pid": 4242,
        "source": "engine.py:10",
    }
    rec.update(overrides)
    return rec


def line(rec: dict[str, Any]) -> bytes:
    """``rec`` as the writer writes it (newline included)."""
    return orjson.dumps(rec) + b"\n"


texts = st.lists(st.sampled_from(WORDS), min_size=0, max_size=3).map(" ".join)
field_values = st.recursive(
    st.one_of(
        texts, st.integers(-(2**40), 2**40), st.floats(allow_nan=False), st.booleans(), st.none()
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=2), st.dictionaries(texts, inner, max_size=2)),
    max_leaves=4,
)


@st.composite
def our_records(draw: st.DrawFn, index: int) -> bytes:
    """A line of ours with tricky texts (escapes, non-ASCII case folds, control characters)."""
    rec = record(
        index,
        level=draw(st.sampled_from(LEVELS)),
        category=draw(st.sampled_from(CATEGORIES)),
        message=draw(texts),
        target=draw(st.sampled_from(["midi.engine", "backend.İo", "db"])),
        fields={
            "seq": index,
            **draw(st.dictionaries(st.sampled_from(["a", "b", "c"]), field_values, max_size=2)),
        },
    )
    return line(rec)


@st.composite
def foreign_lines(draw: st.DrawFn, index: int) -> bytes:
    """A line of another logger (pino, stdlib json with escapes, structlog), no prefix of ours."""
    when = START + timedelta(milliseconds=index)
    message = draw(texts)
    kind = draw(st.sampled_from(["pino", "stdlib", "structlog"]))
    if kind == "pino":
        obj: dict[str, Any] = {
            "level": draw(st.sampled_from([10, 20, 30, 40, 50, 60])),
            "time": int(when.timestamp() * 1000),
            "msg": message,
            "seq": index,
        }
        return orjson.dumps(obj) + b"\n"
    if kind == "stdlib":
        obj = {
            "levelname": draw(st.sampled_from(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"])),
            "time": when.isoformat(),
            "name": "thirdparty",
            "message": message,
            "seq": index,
        }
        return json.dumps(obj).encode() + b"\n"  # ensure_ascii: non-ASCII as \u escapes
    obj = {
        "event": message,
        "level": draw(st.sampled_from(LEVELS)),
        "timestamp": when.isoformat(),
        "category": draw(st.sampled_from(CATEGORIES)),
        "seq": index,
    }
    return json.dumps(obj, ensure_ascii=False).encode() + b"\n"


MALFORMED = [
    b'{"timestamp":"2026-11-28T01:00:00.000000Z","level":"info","message":"cut',
    b"\xff\xfe not utf-8 \xc3\x28",
    b"\x00\x01\x02binary\x7f junk",
    b"[1, 2, 3]",
    b'"just a string"',
    b'{"timestamp":"2026-11-28T01:00:00.000000Z","level":"info","category":"midi","message":null}',
    b'{"timestamp":"2026-11-28T01:00:00.000000Z","level":"info","category":"midi","message":"m","fields":[]}',
    b"plain text line from a print()",
]


@st.composite
def log_sets(draw: st.DrawFn) -> list[list[bytes]]:
    """Files oldest → newest, each a list of lines (ours, foreign, malformed, blank, CRLF)."""
    files = []
    index = 0
    for _ in range(draw(st.integers(1, 4))):
        lines = []
        for _ in range(draw(st.integers(0, 14))):
            kind = draw(st.sampled_from(["ours"] * 6 + ["foreign", "malformed", "blank", "crlf"]))
            if kind == "ours":
                lines.append(draw(our_records(index)))
            elif kind == "crlf":
                lines.append(draw(our_records(index))[:-1] + b"\r\n")
            elif kind == "foreign":
                lines.append(draw(foreign_lines(index)))
            elif kind == "malformed":
                lines.append(draw(st.sampled_from(MALFORMED)) + b"\n")
            else:
                lines.append(b"\n")
            index += 1
        files.append(lines)
    return files


def write_set(log_dir: Path, files: list[list[bytes]], *, partial: bytes = b"") -> list[Path]:
    """Write ``files`` (oldest first) as ``.N`` … ``.1`` and the active file; returns the paths."""
    log_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for age, lines in enumerate(reversed(files)):
        name = f"{APP}.log" + (f".{age}" if age else "")
        paths.append(log_dir / name)
        data = b"".join(lines) + (partial if age == 0 else b"")
        (log_dir / name).write_bytes(data)
    return paths[::-1]


def oracle(log_dir: Path, files: list[Path], query: dict[str, Any]) -> list[dict[str, Any]]:
    """Every matching entry oldest → newest, the naive way: parse all, filter, keep all.

    Every non-blank line is an entry: a line that is no record is a raw entry carrying the
    time of the nearest earlier line that has one in its file (else the file's mtime).
    """
    found = []
    for path in files:
        data = path.read_bytes()
        fd = os.open(path, os.O_RDONLY)
        generation = compute_generation(fd_reader(fd), os.fstat(fd).st_ino)
        os.close(fd)
        entries, offset = [], 0
        for raw in data.split(b"\n")[:-1]:  # the piece after the last newline is partial
            if raw.strip():
                (entry,), _reason = line_records(raw)
                entry["id"] = format_id(generation or "", offset)
                entry["origin"] = APP
                entries.append(entry)
            offset += len(raw) + 1
        _inherit_times(entries, format_timestamp(datetime.fromtimestamp(path.stat().st_mtime, UTC)))
        found += [entry for entry in entries if oracle_match(entry, query)]
    return found


def _inherit_times(entries: list[dict[str, Any]], mtime: str) -> None:
    last = None
    for entry in entries:
        entry["timestamp"] = entry["timestamp"] or last
        last = entry["timestamp"]
    for entry in entries:
        entry["timestamp"] = entry["timestamp"] or mtime


def oracle_match(entry: dict[str, Any], query: dict[str, Any]) -> bool:
    """The filters' meaning, written independently of `shared.reader.match`."""
    moment = datetime.fromisoformat(entry["timestamp"])
    failed = [
        query.get("level") and entry["level"] != query["level"],
        query.get("min_level") and RANK[entry["level"]] < RANK[query["min_level"]],
        query.get("category") and entry["category"] != query["category"],
        query.get("since") and moment < query["since"],
        query.get("until") and moment > query["until"],
    ]
    if any(failed):
        return False
    search = query.get("search")
    if not search:
        return True
    texts = [entry["message"], entry["target"], *_leaves(entry["fields"])]
    if query.get("regex"):  # RE2's syntax and case folding, through its own Python API
        options = re2.Options()
        options.case_sensitive = False
        pattern = re2.compile(search, options)
        return any(pattern.search(text) for text in texts)
    # Unicode case folding (Python's tables are older than StringZilla's for a few dozen
    # recent letters, none of which the generated data holds).
    return any(search.casefold() in text.casefold() for text in texts)


def _leaves(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return []
    if isinstance(value, int):
        return [str(value)]
    items = value.values() if isinstance(value, dict) else value
    return [leaf for item in items for leaf in _leaves(item)]


WRITER = r"""
import fcntl, os, sys, time, orjson
log_dir, app, tag, count, max_bytes, delay = sys.argv[1:7]
count, max_bytes, delay = int(count), int(max_bytes), float(delay)
path = os.path.join(log_dir, app + ".log")
flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT

def rotate(fd):
    lock = os.open(path + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        st, mine = os.stat(path), os.fstat(fd)
        if st.st_ino == mine.st_ino and st.st_size >= max_bytes:
            # Keeps every file: a follower slowed down by a busy machine must not find one
            # deleted under it (that loss is max_files's, tested elsewhere).
            prefix = os.path.basename(path) + "."
            rotated = [n[len(prefix):] for n in os.listdir(log_dir) if n.startswith(prefix)]
            for index in sorted((int(s) for s in rotated if s.isdigit()), reverse=True):
                os.rename(f"{path}.{index}", f"{path}.{index + 1}")
            os.rename(path, path + ".1")
        os.close(fd)
        return os.open(path, flags)
    finally:
        os.close(lock)

fd = os.open(path, flags)
for seq in range(count):
    rec = {"timestamp": "2026-11-28T01:00:00.000000Z", "level": "info", "category": "midi",
           "message": f"{tag} {seq}", "target": "writer", "fields": {"tag": tag, "seq": seq},
           "span": None, "pid": os.getpid(), "source": None}
    os.write(fd, orjson.dumps(rec) + b"\n")
    if max_bytes and os.fstat(fd).st_size >= max_bytes:
        fd = rotate(fd)
    elif max_bytes:
        try:
            if os.stat(path).st_ino != os.fstat(fd).st_ino:  # another writer rotated
                os.close(fd)
                fd = os.open(path, flags)
        except FileNotFoundError:
            pass
    if delay:
        time.sleep(delay)
"""


def start_writer(
    log_dir: Path, tag: str, count: int, *, max_bytes: int = 0, delay: float = 0.0
) -> subprocess.Popen[bytes]:
    """Another process appending ``count`` records ``{tag, seq}``, rotating past ``max_bytes``."""
    args = [str(log_dir), APP, tag, str(count), str(max_bytes), str(delay)]
    return subprocess.Popen([sys.executable, "-c", WRITER, *args])
