"""Reader and follower reliability: garbage in a log file breaks no reader and hides no record,
and a follower under fast rotation and repeated clears delivers every line once, in order.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import select
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backend._app import AppContext
from backend._export import RECORD_KEYS
from backend.commands import export_logs, get_log_info
from shared.reader.files import clear_log_files
from shared.reader.follow import TEXT_QUIET_S, FollowBatch, LogFollower
from shared.reader.parse import parse_line, timestamp_of_line
from shared.reader.query import LogQuery, query_logs
from shared.reader.records import MalformedLineError
from shared.reader.scan import FIRST_CHUNK, MAX_CHUNK, MAX_LINE

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, CATEGORIES, LEVELS, START, line, record

REPO = Path(__file__).resolve().parents[2]
WORDS = ("alpha", "beta", "gamma")
#: Upper bound on any wait for another process; reaching it fails the test.
DEADLINE_S = 60.0
csv.field_size_limit(sys.maxsize)  # the exports hold fields of several MiB


# --- Part 1: garbage appended to a log file -------------------------------------------------


@dataclass
class Piece:
    """Bytes appended to the file and what the readers must make of them."""

    data: bytes
    entries: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    """``(seq, the exact entry without id, or None when only the seq is known)``."""
    malformed: int = 0
    huge: bool = False

    def __repr__(self) -> str:
        entries = [seq for seq, _ in self.entries]
        return f"Piece({short(self.data)}, entries={entries}, malformed={self.malformed})"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis' report: enormous lines by their length only


def short(data: bytes) -> str:
    """``data`` for a failure report: enormous lines are shown by their length."""
    return repr(data) if len(data) <= 300 else f"{data[:150]!r} … ({len(data)} bytes)"


A_WORD = st.sampled_from(WORDS)
A_LEVEL = st.sampled_from(LEVELS)
A_CATEGORY = st.sampled_from(CATEGORIES)
A_FLAG = st.booleans()


def our_line(seq: int, word: str, level: str, category: str) -> tuple[bytes, dict[str, Any]]:
    rec = record(seq, level=level, category=category, message=f"record {seq} {word}")
    return line(rec), rec


@st.composite
def ours(draw: st.DrawFn, seq: int) -> Piece:
    """A record of ours, sometimes with a CRLF ending."""
    data, rec = our_line(seq, draw(A_WORD), draw(A_LEVEL), draw(A_CATEGORY))
    if draw(A_FLAG):
        data = data[:-1] + b"\r\n"
    return Piece(data, [(seq, rec)])


ODD_KEYS = st.lists(st.sampled_from(["level", "severity", "name", "pid", "span"]))
ODD_VALUES = st.one_of(
    st.sampled_from(["²", "٣", "9" * 5000, "0" * 40 + "30", " ", "", "NaN", "-1", "1e5", "ERR"]),
    st.text(alphabet="0123456789 ²³٣-.eE", max_size=8),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(0, 9), max_size=2),
    st.dictionaries(st.sampled_from(["x", "y"]), st.integers(0, 9), max_size=1),
)


@st.composite
def foreign_with_odd_values(draw: st.DrawFn, seq: int) -> Piece:
    """A foreign logger's record (it has a time) whose other known keys hold odd values."""
    when = START + timedelta(milliseconds=seq)
    obj: dict[str, Any] = {"time": int(when.timestamp() * 1000)}
    obj["msg"] = f"foreign {seq} {draw(A_WORD)}"
    for key in draw(ODD_KEYS):
        obj[key] = draw(ODD_VALUES)
    obj["seq"] = seq
    return Piece(orjson.dumps(obj) + b"\n", [(seq, None)])


def big_record(seq: int, size: int) -> Piece:
    """A valid record longer than a read chunk but within the line limit."""
    rec = record(seq, message=f"record {seq} big " + "y" * size)
    return Piece(line(rec), [(seq, rec)], huge=True)


def wrong_typed(key: str, value: Any) -> bytes:
    rec = record(999_999)
    rec[key] = value
    return orjson.dumps(rec)


# Values that break our layout after its level and category: shown raw. (A line whose level or
# category breaks the layout is another writer's record: tests/shared/test_parse.py.)
WRONG = {
    "message": [7, ["m"], {"m": 1}, None, True],
    "target": [1, ["t"], {"t": 1}, True],
    "fields": ["string", [1, 2], 5, None, True],
    "span": [1, "span", [1], {"name": 1}, {"name": "n"}, True],
    "pid": ["42", 1.5, True, [1]],
    "source": [1, ["s"], {"s": 1}, False],
}
# Text of our fixed width that is no time (our layout, so shown raw); another width makes the line
# another writer's record without a time (tests/shared/test_parse.py), not garbage.
BAD_TIMES: list[Any] = [
    "2026-13-01T00:00:00.000000Z", "2026-02-30T00:00:00.000000Z", "2026-11-28T25:00:00.000000Z",
    "0000-01-01T00:00:00.000000Z", "yesterday, about noon today",
]  # fmt: skip
NOT_OBJECTS = st.one_of(
    st.lists(st.integers(-5, 5), max_size=3),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.none(),
    st.booleans(),
)


def enormous_sizes() -> list[int]:
    edges = (FIRST_CHUNK, MAX_CHUNK, MAX_LINE)
    return [edge + delta for edge in edges for delta in (-2, -1, 0, 1)] + [MAX_LINE + 4096]


def lines_of(data: bytes) -> list[bytes]:
    pieces = data.split(b"\n")
    assert pieces[-1] == b"", "garbage pieces end with a newline"
    return pieces[:-1]


def is_garbage(data: bytes) -> bool:
    """Every line of ``data`` is blank or not a record (random bytes almost never are)."""
    for raw in lines_of(data):
        if raw.strip():
            try:
                parse_line(raw)
            except MalformedLineError:
                continue
            return False
    return True


def garbage_piece(data: bytes) -> Piece:
    """Malformed lines are counted; blank ones (ASCII whitespace only, short) are not."""
    found = sum(1 for raw in lines_of(data) if raw.strip() or len(raw) + 1 > MAX_LINE)
    return Piece(data, [], found)


GARBAGE_KINDS = st.sampled_from(
    ["binary", "utf8", "truncated", "not_object", "wrong_type", "bad_time", "deep", "nul", "cr",
     "crlf", "blank"]
)  # fmt: skip
BINARY_GARBAGE = st.binary(max_size=120).map(lambda b: b + b"\n").filter(is_garbage)
BINARY_TAIL = st.binary(min_size=1, max_size=60).map(lambda b: b.replace(b"\n", b"#"))


@st.composite
def garbage(draw: st.DrawFn) -> Piece:
    """One chunk of garbage ending in a newline."""
    kind = draw(GARBAGE_KINDS)
    valid, _ = our_line(draw(st.integers(0, 10**6)), "alpha", "info", "midi")
    valid = valid[:-1]
    if kind == "binary":
        data = draw(BINARY_GARBAGE)
    elif kind == "utf8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf0\x28\x8c"]))
        data = valid.replace(b"record", b"rec" + bad + b"ord", 1) + b"\n"
    elif kind == "truncated":
        data = valid[: draw(st.integers(1, len(valid) - 1))] + b"\n"
    elif kind == "not_object":
        data = orjson.dumps(draw(NOT_OBJECTS)) + b"\n"
    elif kind == "wrong_type":
        key = draw(st.sampled_from(sorted(WRONG)))
        data = wrong_typed(key, draw(st.sampled_from(WRONG[key]))) + b"\n"
    elif kind == "bad_time":
        data = wrong_typed("timestamp", draw(st.sampled_from(BAD_TIMES))) + b"\n"
    elif kind == "deep":  # orjson writes at most 254 levels: such a line cannot be sent on
        depth = draw(st.sampled_from([255, 300, 1023, 1025, 5000]))
        data = wrong_typed("fields", {"a": 1})[:-2] + b"[" * depth + b"]" * depth + b"}}\n"
        data = data.replace(b'{"a":1', b'{"a":', 1)
    elif kind == "nul":
        data = draw(st.sampled_from([b"\x00", b"\x00" * 7, valid + b"\x00", b"\x00" + valid]))
        data += b"\n"
    elif kind == "cr":  # a lone CR ends no line: two records joined by one are one bad line
        data = draw(st.sampled_from([b"\r", b"\r\r", b"abc\rdef", valid + b"\r" + valid]))
        data += b"\n"
    elif kind == "crlf":
        data = draw(st.sampled_from([b"junk\r\n", b"\r\n", b"[1]\r\n", valid[:20] + b"\r\n"]))
    else:
        data = draw(st.sampled_from([b"\n", b"   \n", b"\t \x0b\x0c\n"]))
    return garbage_piece(data)


@st.composite
def enormous(draw: st.DrawFn, seq: int) -> Piece:
    """A line around the read chunk sizes and the line limit: junk, a valid or an oversized
    record (the reader's limit makes that one malformed)."""
    kind = draw(st.sampled_from(["junk", "record", "oversized"]))
    if kind == "record":
        return big_record(
            seq, draw(st.sampled_from([MAX_CHUNK - 300, MAX_CHUNK + 10, 3 * MAX_CHUNK]))
        )
    if kind == "oversized":
        rec = record(seq, message="z" * (MAX_LINE + draw(st.integers(0, 10))))
        return Piece(line(rec), [], 1, huge=True)
    piece = garbage_piece(b"x" * draw(st.sampled_from(enormous_sizes())) + b"\n")
    piece.huge = True
    return piece


@st.composite
def trailing(draw: st.DrawFn) -> bytes:
    """A half-written last line (no newline): every reader leaves it alone."""
    valid, _ = our_line(123_456, "alpha", "error", "midi")
    kind = draw(st.sampled_from(["none", "none", "half", "binary", "cr", "huge"]))
    if kind == "half":
        return valid[: draw(st.integers(1, len(valid) - 1))]
    if kind == "binary":
        return draw(BINARY_TAIL)
    if kind == "cr":
        return b"\r"
    if kind == "huge" and draw(st.integers(0, 9)) == 0:
        return b"x" * (MAX_LINE + 1)
    return b""


@dataclass
class Scenario:
    before: list[Piece]
    after: list[Piece]
    tail: bytes
    split: int
    """Where the appended bytes are cut in two writes (the follower polls in between)."""
    export_format: str
    """One format per example (each export costs an fsync); the examples cover all three."""

    def __repr__(self) -> str:
        return (
            f"Scenario(before={self.before}, after={self.after}, tail={short(self.tail)}, "
            f"split={self.split}, export_format={self.export_format!r})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    @property
    def appended(self) -> bytes:
        return b"".join(p.data for p in self.after) + self.tail

    def entries(self, pieces: list[Piece]) -> list[tuple[int, dict[str, Any] | None]]:
        return [entry for piece in pieces for entry in piece.entries]

    @property
    def expected(self) -> list[tuple[int, dict[str, Any] | None]]:
        return self.entries(self.before) + self.entries(self.after)

    @property
    def malformed(self) -> int:
        return sum(p.malformed for p in self.after)

    @property
    def huge(self) -> bool:
        return any(p.huge for p in self.after) or len(self.tail) > MAX_CHUNK


PIECE_KINDS = st.sampled_from(["ours", "foreign", "garbage", "garbage", "garbage"])
EXPORT_FORMATS = st.sampled_from(["jsonl", "csv", "txt"])


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """Valid records, then garbage mixed with valid records, then maybe a half-written line."""
    seq = 0
    before = []
    for _ in range(draw(st.integers(0, 3))):
        before.append(draw(ours(seq)))
        seq += 1
    after = []
    with_enormous = draw(st.integers(0, 29)) == 0  # rare: they cost milliseconds each
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(PIECE_KINDS)
        if kind == "ours":
            after.append(draw(ours(seq)))
        elif kind == "foreign":
            after.append(draw(foreign_with_odd_values(seq)))
        else:
            after.append(draw(garbage()))
        seq += 1
    if with_enormous:
        after.insert(draw(st.integers(0, len(after))), draw(enormous(seq)))
        seq += 1
    after.append(draw(ours(seq)))  # a valid record after the garbage, always
    after.append(draw(garbage()))  # and garbage at the end, always
    tail = draw(trailing())
    total = sum(len(p.data) for p in after) + len(tail)
    return Scenario(before, after, tail, draw(st.integers(0, total)), draw(EXPORT_FORMATS))


def seq_of(entry: dict[str, Any]) -> int:
    seq: int = entry["fields"]["seq"]
    return seq


def seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [seq_of(e) for e in entries]


def without_id(entry: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in entry.items() if key != "id"}


def records_only(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries parsed from records: garbage lines come back as raw entries besides them."""
    return [entry for entry in entries if not entry.get("raw")]


def timeless(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries with the times of raw ones left out."""
    return [e | {"timestamp": None} if e.get("raw") else e for e in entries]


def check_entries(
    entries: list[dict[str, Any]], expected: list[tuple[int, dict[str, Any] | None]]
) -> None:
    """The records among the entries are the expected ones, in order; those fully known are
    equal, id aside; every other entry is a raw one."""
    entries = records_only(entries)
    assert seqs(entries) == [seq for seq, _ in expected]
    for entry, (_, rec) in zip(entries, expected, strict=True):
        if rec is not None:
            assert without_id(entry) == rec | {"origin": APP}


def check_queries(log_dir: Path, sc: Scenario) -> list[dict[str, Any]]:
    expected = sc.expected
    every = query_logs(log_dir, limit=10_000)
    check_entries(every.entries, expected)
    assert every.malformed == sc.malformed
    assert every.raw + every.skipped == sc.malformed
    assert len(every.entries) - len(records_only(every.entries)) == every.raw
    assert len(every.malformed_at) == min(sc.malformed, 20)
    assert every.reached_start
    entries = every.entries
    assert query_logs(log_dir, limit=2).entries == entries[-2:]
    alpha = records_only([e for e in entries if "alpha" in e["message"]])
    found = query_logs(log_dir, LogQuery(search="alpha"), limit=10_000).entries
    assert records_only(found) == alpha
    regex = query_logs(log_dir, LogQuery(search="ALP.A", regex=True), limit=10_000).entries
    assert records_only(regex) == alpha
    midi = [e for e in entries if e["category"] == "midi"]
    assert query_logs(log_dir, LogQuery(category="midi"), limit=10_000).entries == midi
    if records_only(entries):  # a raw line's time may be text that is no date (as written)
        middle = records_only(entries)[len(records_only(entries)) // 2]["timestamp"]
        later = [e for e in entries if e["timestamp"] >= middle]
        assert query_logs(log_dir, LogQuery(since=middle), limit=10_000).entries == later
    paged: list[dict[str, Any]] = []
    page = query_logs(log_dir, limit=2)
    while True:
        paged[:0] = page.entries
        if page.reached_start or not page.entries:
            break
        page = query_logs(log_dir, LogQuery(before=page.entries[0]["id"]), limit=2)
    assert paged == entries
    return entries


def check_follower(log_dir: Path, sc: Scenario, history: list[dict[str, Any]]) -> None:
    active = log_dir / f"{APP}.log"
    data = sc.appended
    with LogFollower(log_dir) as follower:
        assert follower.poll().entries == []
        with active.open("ab") as out:
            out.write(data[: sc.split])
        first = follower.poll()
        with active.open("ab") as out:
            out.write(data[sc.split :])
        second = follower.poll()
        third = follower.poll()
        # In a plain-text file the last entry waits for lines that may continue it (a
        # traceback) until the file has been quiet for TEXT_QUIET_S: let that time pass.
        monotonic = time.monotonic
        later = mock.patch.object(time, "monotonic", side_effect=lambda: monotonic() + TEXT_QUIET_S)
        with later:
            quiet = follower.poll()
    polls = (first, second, third, quiet)
    followed = [entry for batch in polls for entry in batch.entries]
    check_entries(followed, sc.entries(sc.after))
    # Ids as the query's. A raw line with no earlier time takes the file's mtime, which the
    # rewrite between the two reads changed.
    assert timeless(followed) == timeless(history[len(sc.entries(sc.before)) :])
    assert sum(batch.malformed for batch in polls) == sc.malformed
    assert [batch.cleared for batch in polls] == [False] * 4
    with LogFollower(log_dir, from_start=True) as follower:
        batch = follower.poll()
        assert (timeless(batch.entries), batch.malformed) == (timeless(history), sc.malformed)


def check_exports(app: AppContext, out_dir: Path, sc: Scenario) -> None:
    expected = sc.expected
    for fmt in (sc.export_format,):
        target = out_dir / f"export.{fmt}"
        result = export_logs(app, output_path=target, format=fmt)
        raw_count = result["count"] - len(expected)
        assert raw_count >= 0
        data = target.read_bytes()
        if fmt == "jsonl":
            records = records_only([orjson.loads(raw) for raw in data.splitlines()])
            assert [r["fields"]["seq"] for r in records] == [seq for seq, _ in expected]
            for rec, (_, known) in zip(records, expected, strict=True):
                if known is not None:
                    assert rec == {key: known[key] for key in RECORD_KEYS} | {
                        "source": known["source"]
                    }
        elif fmt == "csv":
            rows = list(csv.DictReader(io.StringIO(data.decode(), newline="")))
            seqs_ = [orjson.loads(r["fields"]).get("seq") for r in rows]
            assert [s for s in seqs_ if s is not None] == [s for s, _ in expected]
        else:
            text = data.decode().split("\n")[:-1]
            assert len(text) == len(expected) + raw_count


def check_info(app: AppContext, sc: Scenario, history: list[dict[str, Any]]) -> None:
    info = get_log_info(app)
    assert info["malformed"] == sc.malformed
    assert [f["name"] for f in info["files"]] == [f"{APP}.log"]
    assert info["total_size"] == len(b"".join(p.data for p in sc.before)) + len(sc.appended)
    # The edges are the first and last lines that carry a time of their own (raw lines inherit).
    timed = [e for e in history if timestamp_of_line(e["message"].encode()) or not e.get("raw")]
    if timed and not sc.huge:
        first, last = info["files"][0]["first_timestamp"], info["files"][0]["last_timestamp"]
        assert (first, last) == (timed[0]["timestamp"], timed[-1]["timestamp"])


def _own(seq: int) -> Piece:
    return Piece(line(record(seq)), entries=[(seq, None)])


#: A plain-text file (its first line is no JSON) whose last entry is followed by a line that
#: might continue it: the follower completes it only after the file has been quiet.
TEXT_LAST_ENTRY = Scenario(
    before=[],
    after=[
        Piece(b"\t\x00\n", malformed=1),
        *(_own(seq) for seq in (1, 2)),
        Piece(b'{"time":1795827600003,"msg":"foreign 3 alpha","seq":3}\n', entries=[(3, None)]),
        *(_own(seq) for seq in (4, 5, 6)),
        Piece(b"\x00\n", malformed=1),
    ],
    tail=b"",
    split=3,
    export_format="jsonl",
)


#: A stray indented line first, seen alone by the follower (split=3): no sign of a text log, so
#: the file stays JSON lines, and the same line after a record is no part of that record.
STRAY_INDENTED_HEAD = Scenario(
    before=[],
    after=[
        Piece(b" \x00\n", malformed=1),
        *(_own(seq) for seq in (1, 2, 3)),
        Piece(b" \x00\n", malformed=1),
        _own(4),
    ],
    tail=b"",
    split=3,
    export_format="jsonl",
)


class TestGarbageInTheLog:
    @given(sc=scenarios())
    @example(sc=TEXT_LAST_ENTRY)
    @example(sc=STRAY_INDENTED_HEAD)
    @settings(
        max_examples=2000,  # fixed: this is the reliability bar, whatever the environment
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def test_no_reader_raises_and_every_record_around_garbage_is_kept(
        self, sc: Scenario, tmp_path_factory: pytest.TempPathFactory
    ) -> None:
        """Query, paging, follower, exports and log info all survive any garbage appended to the
        log, return every valid record around it and count each malformed line once."""
        with tempfile.TemporaryDirectory(dir=tmp_path_factory.getbasetemp()) as root:
            log_dir = Path(root) / "logs"
            log_dir.mkdir()
            (log_dir / f"{APP}.log").write_bytes(b"".join(p.data for p in sc.before))
            history_before = query_logs(log_dir, limit=10_000).entries
            check_entries(history_before, sc.entries(sc.before))
            # The follower sees the append happen; the other readers read the result.
            check_follower_and_rest(log_dir, Path(root), sc)


def check_follower_and_rest(log_dir: Path, root: Path, sc: Scenario) -> None:
    active = log_dir / f"{APP}.log"
    before = active.read_bytes()
    active.write_bytes(before + sc.appended)  # first, so the query's ids are known …
    history = check_queries(log_dir, sc)
    active.write_bytes(before)  # … then again, appended while the follower watches
    check_follower(log_dir, sc, history)
    app = AppContext(log_dir=log_dir)
    try:
        check_exports(app, root, sc)
        check_info(app, sc, history)
    finally:
        app.close()


# --- Part 2: a follower while other processes write, rotate, and the log is cleared ----------

#: A process logging through `shared` at full speed with a tiny rotation size, paused until the
#: first ``resume``. stdin commands: ``pause`` (stop after the current record, print
#: ``paused <last seq>``), ``step`` (one more record, then the same), ``resume``, ``stop``
#: (print ``stopped <last seq>``).
WRITER = r"""
import os, select, sys
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, tag, max_mb = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
init_logging(LogConfig(log_dir=log_dir, console_level="error", include_location=False,
                       max_file_size_mb=max_mb, max_files=100_000, enable_span_timing=False))
log = get_logger("writer")
pending, seq, running = b"", 0, False  # until the first resume
def command(wait):
    global pending
    while b"\n" not in pending:
        if not wait and not select.select([0], [], [], 0)[0]:
            return None
        chunk = os.read(0, 4096)
        if not chunk:
            return "stop"
        pending += chunk
    line, pending = pending.split(b"\n", 1)
    return line.decode()
def write():
    global seq
    log.info("w", category="user", tag=tag, seq=seq)
    seq += 1
print("ready", flush=True)
while True:
    if running:
        for _ in range(16):
            write()
    cmd = command(wait=not running)
    if cmd in ("pause", "step"):
        if cmd == "step":
            write()
        running = False
        print(f"paused {seq - 1}", flush=True)
    elif cmd == "resume":
        running = True
    elif cmd == "stop":
        print(f"stopped {seq - 1}", flush=True)
        break
"""
MAX_FILE_MB = 16 / 1024  # 16 KiB: a rotation every ~80 records


class Writer:
    """A `WRITER` process tagged ``tag``."""

    def __init__(self, log_dir: Path, tag: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("MSC_LOG", None)
        self.tag = tag
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(log_dir), tag, str(MAX_FILE_MB)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.reply() == "ready"

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def reply(self) -> str:
        """The child's next line; fails the test instead of hanging."""
        stream = self.process.stdout
        assert stream is not None
        ready, _, _ = select.select([stream], [], [], DEADLINE_S)
        if not ready:
            pytest.fail(f"writer {self.tag} said nothing within {DEADLINE_S} s")
        return stream.readline().rstrip("\n")

    def last_seq(self, command: str, answer: str) -> int:
        """Send ``command``; return the last seq written from the ``<answer> <seq>`` reply."""
        self.send(command)
        word, seq = self.reply().split()
        assert word == answer
        return int(seq)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(DEADLINE_S)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def pause(writers: list[Writer]) -> dict[str, int]:
    """Pause every writer; return the last seqs written.

    A writer paused right after another one rotated still holds the old file, which clear_logs
    deletes: its next record must still arrive (the sink writes it again into the active file).
    """
    return {w.tag: w.last_seq("pause", "paused") for w in writers}


class Collector:
    """Polls a follower, keeping every batch and the last seq seen per writer."""

    def __init__(self, follower: LogFollower, tags: tuple[str, ...]) -> None:
        self.follower = follower
        self.batches: list[FollowBatch] = []
        self.last = dict.fromkeys(tags, -1)

    def poll(self) -> FollowBatch:
        batch = self.follower.poll()
        self.batches.append(batch)
        for entry in batch.entries:
            tag = entry["fields"].get("tag")
            if tag in self.last:
                self.last[tag] = entry["fields"]["seq"]
        return batch

    def until(self, done: Any, what: str) -> None:
        """Poll until ``done()``; the deadline only guards against hanging."""
        deadline = time.monotonic() + DEADLINE_S
        while not done():
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {DEADLINE_S} s")
            self.poll()

    def catch_up(self, written: dict[str, int]) -> None:
        """Poll until the last line of every writer (``written``: tag → seq) arrived."""
        self.until(lambda: self.last == written, f"lines up to {written}")

    def delivered(self, tag: str) -> list[int]:
        return [
            e["fields"]["seq"]
            for b in self.batches
            for e in b.entries
            if e["fields"].get("tag") == tag
        ]


def difference(
    tag: str, got: list[int], expected: list[int], destroyed: list[dict[str, tuple[int, int]]]
) -> str:
    """What went wrong, briefly: a million-line diff helps nobody."""
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    disorder = [(a, b) for a, b in itertools.pairwise(got) if b <= a]
    return (
        f"writer {tag}: missing {missing[:20]} ({len(missing)}), unexpected {extra[:20]} "
        f"({len(extra)}), out of order {disorder[:10]}, destroyed ranges "
        f"{[clear[tag] for clear in destroyed]}"
    )


def rotated_files(log_dir: Path) -> int:
    return sum(
        1 for p in log_dir.iterdir() if p.name.startswith(f"{APP}.log.") and p.suffix[1:].isdigit()
    )


def wait_for_rotations(active: Path, count: int) -> None:
    """Wait (without polling the follower) until the active file was replaced ``count`` times."""
    deadline = time.monotonic() + DEADLINE_S
    inode, changes = 0, -1  # the first look only learns the inode
    while changes < count:
        if time.monotonic() > deadline:
            pytest.fail(f"fewer than {count} rotations within {DEADLINE_S} s")
        try:
            now = active.stat().st_ino
        except FileNotFoundError:  # between the rename and the new file
            continue
        changes += now != inode
        inode = now
        time.sleep(0.0002)


class TestFollowerUnderRotationAndClears:
    def test_every_line_arrives_once_in_order_except_those_a_clear_destroyed(
        self, tmp_path: Path
    ) -> None:
        """Two processes log at full speed through 200+ rotations while the log is cleared five
        times: per writer, the follower delivers every line once and in order, except exactly
        the lines a clear destroyed before the follower read them; each clear is reported once.
        """
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        active = log_dir / f"{APP}.log"
        active.touch()  # the follower starts at offset 0 of the writers' first file
        tags = ("a", "b")
        writers: list[Writer] = []
        # The follower lags across two rotations, or has caught up, when the log is cleared.
        variants = ["lagging", "caught_up", "lagging", "caught_up", "lagging"]
        destroyed: list[dict[str, tuple[int, int]]] = []
        clear_polls: list[int] = []
        rotations = 0
        with LogFollower(log_dir) as follower:
            collector = Collector(follower, tags)
            try:
                writers = [Writer(log_dir, tag) for tag in tags]
                for writer in writers:
                    writer.send("resume")
                for variant in variants:
                    collector.until(lambda: rotated_files(log_dir) >= 40, "40 rotations")
                    if variant == "lagging":
                        wait_for_rotations(active, 2)
                    written = pause(writers)
                    if variant == "caught_up":
                        collector.catch_up(written)
                        # Just rotated: give the clear a line to truncate, or it cannot be
                        # seen. A writer still holding the rotated file would write there.
                        while active.stat().st_size == 0:
                            for writer in writers:
                                written[writer.tag] = writer.last_seq("step", "paused")
                            collector.catch_up(written)
                    destroyed.append({t: (collector.last[t], written[t]) for t in tags})
                    rotations += rotated_files(log_dir)
                    clear_log_files(log_dir)
                    clear_polls.append(len(collector.batches))
                    collector.poll()
                    for writer in writers:
                        writer.send("resume")
                collector.until(lambda: rotated_files(log_dir) >= 10, "10 more rotations")
                final = {w.tag: w.last_seq("stop", "stopped") for w in writers}
                for writer in writers:
                    assert writer.process.wait(DEADLINE_S) == 0
                rotations += rotated_files(log_dir)
                collector.catch_up(final)
                collector.poll()
            finally:
                for writer in writers:
                    writer.kill()
        cleared = [i for i, batch in enumerate(collector.batches) if batch.cleared]
        assert cleared == clear_polls
        assert all(collector.batches[i].entries == [] for i in clear_polls)  # writers paused
        lost = 0
        for tag in tags:
            gaps = [range(low + 1, high + 1) for clear in destroyed for low, high in [clear[tag]]]
            expected = [s for s in range(final[tag] + 1) if not any(s in gap for gap in gaps)]
            got = collector.delivered(tag)
            assert got == expected, difference(tag, got, expected, destroyed)
            lost += sum(len(gap) for gap in gaps)
        assert rotations >= 200
        assert lost > 0  # the lagging clears did destroy unread lines
