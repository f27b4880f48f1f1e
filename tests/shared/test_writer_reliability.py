"""The writer under stress: many processes, a hostile disk, odd values, huge and torn lines.

Every test writes real files; where processes are involved they are real child interpreters.
"""

from __future__ import annotations

import decimal
import math
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared._events import LogEvent
from shared.reader.files import clear_log_files
from shared.reader.follow import LogFollower
from shared.reader.query import query_logs
from shared.writer import sink as _sink
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging, reset_logging
from shared.writer.sink import FileSink

Python = Callable[..., subprocess.CompletedProcess[str]]
Lines = Callable[..., list[bytes]]
Files = Callable[..., list[Path]]

APP = "midi-software-center"
RECORD_START = b'{"timestamp":"'


def complaints(stderr: str) -> list[str]:
    """The lines the logging machinery wrote about itself."""
    return [ln for ln in stderr.splitlines() if ln.startswith("msc-logging:")]


def valid_events(raw_lines: list[bytes]) -> list[LogEvent]:
    """The lines that are records (others, e.g. one cut at a size limit, are left out)."""
    found = []
    for raw in raw_lines:
        try:
            found.append(LogEvent.model_validate_json(raw))
        except ValueError:
            continue
    return found


def numbers(events: list[LogEvent], message: str) -> list[int]:
    """``fields.n`` of the records with ``message``, in file order."""
    return [e.fields["n"] for e in events if e.message == message]


def stop(process: subprocess.Popen[bytes]) -> None:
    """Kill ``process`` if it still runs and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait(timeout=60)


# --------------------------------------------------------------------------------------- load

_LOAD_WRITER = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
config = LogConfig(
    log_dir=log_dir, console_level="error", include_location=False,
    max_file_size_mb=1, max_files=100_000,
)
init_logging(config, env_filter="")
info = get_logger("load").info
for seq in range(count):
    info("r", w=worker, s=seq)
"""


class TestLoad:
    WRITERS = 8
    RECORDS = 50_000

    def test_eight_processes_lose_duplicate_and_reorder_nothing(
        self, log_dir: Path, files: Files, child_env: dict[str, str]
    ) -> None:
        """8 processes x 50,000 records with rotation at 1 MB: every record exactly once, every
        line a valid record, rotated files numbered 1..N without gaps, and each writer's records
        in its own order when the files are read oldest to newest."""
        writers = [
            subprocess.Popen(
                [sys.executable, "-c", _LOAD_WRITER, str(log_dir), str(w), str(self.RECORDS)],
                env=child_env,
                stderr=subprocess.PIPE,
            )
            for w in range(self.WRITERS)
        ]
        try:
            for process in writers:
                _, err = process.communicate(timeout=600)
                assert process.returncode == 0, err
        finally:
            for process in writers:
                stop(process)
        paths = files(log_dir)
        rotated = sorted(int(p.suffix[1:]) for p in paths[:-1])
        assert rotated == list(range(1, len(rotated) + 1))
        assert len(rotated) >= 40  # ~60 MB of records at 1 MB per file
        seqs: dict[int, list[int]] = defaultdict(list)
        for path in paths:
            for raw in path.read_bytes().splitlines():
                event = LogEvent.model_validate_json(raw)  # every line is a whole record
                if event.message == "r":
                    seqs[event.fields["w"]].append(event.fields["s"])
        assert sorted(seqs) == list(range(self.WRITERS))
        for worker, found in seqs.items():
            # Equal to 0..N-1 in order: none lost, none duplicated, none out of order.
            assert found == list(range(self.RECORDS)), f"writer {worker}"


# ------------------------------------------------------------------------- deleted directory

_DELETED_DIR = """
import os, resource, shutil, sys, time
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, max_mb, then_full = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "full"
config = LogConfig(
    log_dir=log_dir, console_level="error", include_location=False,
    max_file_size_mb=max_mb, max_files=1000,
)
init_logging(config, env_filter="")
log = get_logger("host")
active = os.path.join(log_dir, "midi-software-center.log")
for n in range(2000):
    log.info("before", n=n)
shutil.rmtree(log_dir)
deadline = time.monotonic() + 60  # only guards against looping forever
n = 0
while not os.path.exists(active):  # the host keeps logging; the writer brings the file back
    if time.monotonic() > deadline:
        print("never recreated")
        sys.exit(3)
    log.info("during", n=n, pad="x" * 200)
    n += 1
during = n
for n in range(100):
    log.info("after", n=n)
if then_full:
    size = os.path.getsize(active)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size + 500, hard))
    for n in range(20):
        log.info("while full", n=n, pad="x" * 100)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    log.info("space is back")
print(during)
print("host alive")
"""


class TestDeletedDirectory:
    @pytest.mark.parametrize("max_mb", [10, 0.05], ids=["no-rotation", "rotation-due"])
    def test_logging_loop_goes_on_and_lands_in_the_recreated_directory(
        self, log_dir: Path, python: Python, lines: Lines, max_mb: float
    ) -> None:
        """Deleting the log directory under a logging loop: the host keeps running, the directory
        and file come back (reported at most once), and every record logged after the deletion
        is in the file, also those that went to the deleted file before the writer noticed."""
        result = python(_DELETED_DIR, str(log_dir), str(max_mb), "plain")
        assert result.returncode == 0, result.stdout + result.stderr
        during, alive = result.stdout.split()[0], " ".join(result.stdout.split()[1:])
        assert alive == "host alive"
        assert int(during) > 0  # the loop logged while the directory was missing
        assert len(complaints(result.stderr)) <= 1, result.stderr
        raw = lines(log_dir)
        events = [LogEvent.model_validate_json(r) for r in raw]  # every line a whole record
        assert numbers(events, "during") == list(range(int(during)))
        assert numbers(events, "after") == list(range(100))

    def test_a_later_outage_is_still_reported(
        self, log_dir: Path, python: Python, lines: Lines
    ) -> None:
        """A rotation that failed while the directory was gone leaves no stale problem behind:
        after the directory is back, a new outage (file size limit) gets its own report."""
        result = python(_DELETED_DIR, str(log_dir), "0.05", "full")
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith("host alive")
        reported = complaints(result.stderr)
        assert [c for c in reported if "File too large" in c] != [], result.stderr
        assert len(reported) <= 2, result.stderr  # the deletion at most once, the outage once
        events = valid_events(lines(log_dir))
        assert numbers(events, "after") == list(range(100))
        assert [e.message for e in events[-2:]] == ["space is back", "log records dropped"]


# ----------------------------------------------------------------------- file size limit

_OUTAGES = """
import logging, os, resource, signal, sys, threading
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a host that kept the default would be killed
log_dir, outages, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
init_logging(LogConfig(log_dir=log_dir, include_location=False), env_filter="")
log = get_logger("host")
stdlib = logging.getLogger("host.stdlib")
active = os.path.join(log_dir, "midi-software-center.log")
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
raised = []

def burst(outage, worker):
    for n in range(50):
        try:
            log.info("while full", outage=outage, worker=worker, n=n, pad="x" * 100)
            stdlib.warning("stdlib while full %d", n)
        except BaseException as exc:  # the host's logging calls must never raise
            raised.append(repr(exc))

for outage in range(outages):
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(active) + 1000, hard))
    workers = [threading.Thread(target=burst, args=(outage, w)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    for n in range(10):
        log.info("resumed", outage=outage, n=n)
print("raised", raised)
"""


class TestFileSizeLimit:
    @pytest.mark.parametrize(("outages", "threads"), [(1, 1), (3, 1), (1, 4)])
    def test_each_outage_is_reported_once_and_logging_resumes(
        self, log_dir: Path, python: Python, lines: Lines, outages: int, threads: int
    ) -> None:
        """Under RLIMIT_FSIZE no logging call raises (structlog or stdlib, from any thread), each
        outage puts exactly one line on stderr and no error records, and after each the next
        records land whole, followed by a note of how many were dropped."""
        result = python(_OUTAGES, str(log_dir), str(outages), str(threads))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "raised []"
        reported = complaints(result.stderr)
        assert len(reported) == outages, result.stderr
        assert all("File too large" in c and f"{APP}.log" in c for c in reported)
        assert " ERROR " not in result.stderr  # the console shows no error records for it
        events = valid_events(lines(log_dir))
        for outage in range(outages):
            resumed = [e for e in events if e.message == "resumed" and e.fields["outage"] == outage]
            assert [e.fields["n"] for e in resumed] == list(range(10))
        dropped = [e for e in events if e.message == "log records dropped"]
        assert len(dropped) == outages
        written = sum(1 for e in events if e.message == "while full")
        written += sum(1 for e in events if e.message.startswith("stdlib while full"))
        attempted = outages * threads * 50 * 2
        assert sum(e.fields["count"] for e in dropped) == attempted - written


# --------------------------------------------------------------------- unserializable values


class _Opaque:
    __slots__ = ()


class _BadRepr:
    def __repr__(self) -> str:
        raise RuntimeError("repr refused")

    def __str__(self) -> str:
        raise RuntimeError("str refused")


def _cyclic_dict() -> dict[str, Any]:
    value: dict[str, Any] = {"a": 1}
    value["self"] = value
    return value


def _cyclic_list() -> list[Any]:
    value: list[Any] = [1]
    value.append(value)
    return value


def _is_opaque_repr(value: Any) -> bool:
    return isinstance(value, str) and "_Opaque object at 0x" in value


# (value factory, check of the stand-in read back from the file)
_ODD_VALUES: dict[str, tuple[Callable[[], Any], Callable[[Any], bool]]] = {
    "object": (_Opaque, _is_opaque_repr),
    "bytes": (lambda: b"ab\xff\x00", lambda v: v == "ab\\xff\x00"),
    "set": (lambda: {3, 1, 2}, lambda v: v == [1, 2, 3]),
    "frozenset": (lambda: frozenset({"b", "a"}), lambda v: v == ["a", "b"]),
    "cyclic dict": (_cyclic_dict, lambda v: v == {"a": 1, "self": "<cycle>"}),
    "cyclic list": (_cyclic_list, lambda v: v == [1, "<cycle>"]),
    "nan": (lambda: math.nan, lambda v: v == "NaN"),
    "inf": (lambda: math.inf, lambda v: v == "Infinity"),
    "-inf": (lambda: -math.inf, lambda v: v == "-Infinity"),
    "nested nan": (lambda: {"x": [1.5, math.nan]}, lambda v: v == {"x": [1.5, "NaN"]}),
    "broken repr": (_BadRepr, lambda v: v == "<unrepresentable _BadRepr>"),
    "non-str keys": (
        lambda: {1: "a", None: "b", (1, 2): "c", 2.5: "d"},
        lambda v: v == {"1": "a", "None": "b", "(1, 2)": "c", "2.5": "d"},
    ),
    "key with broken repr": (
        lambda: {_BadRepr(): 1},
        lambda v: v == {"<unrepresentable _BadRepr>": 1},
    ),
    "incomparable set": (
        lambda: {decimal.Decimal("NaN"), decimal.Decimal(1)},
        lambda v: v == ["Decimal('1')", "Decimal('NaN')"],
    ),
    "huge int": (lambda: 2**100, lambda v: v == str(2**100)),
    "lone surrogate": (lambda: "a\ud800b", lambda v: v == "a\ufffdb"),
}


class TestUnserializableValues:
    @pytest.fixture(autouse=True)
    def _logging(self, log_dir: Path) -> None:
        init_logging(
            LogConfig(log_dir=log_dir, include_location=False, console_level="info"),
            env_filter="",
        )

    @pytest.mark.parametrize("kind", list(_ODD_VALUES))
    def test_value_is_written_as_one_valid_line_with_a_readable_stand_in(
        self, log_dir: Path, lines: Lines, kind: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A field value JSON cannot hold still gives one valid record line, the value replaced by
        readable text or JSON (and the console shows the record too)."""
        make, readable = _ODD_VALUES[kind]
        before = len(lines(log_dir))
        get_logger("odd").info("odd value", kind=kind, value=make())
        new = lines(log_dir)[before:]
        assert len(new) == 1
        event = LogEvent.model_validate_json(new[0])
        assert event.message == "odd value"
        assert event.fields["kind"] == kind
        assert readable(event.fields["value"]), event.fields["value"]
        console = [ln for ln in capsys.readouterr().err.splitlines() if "odd value" in ln]
        assert len(console) == 1

    def test_all_kinds_in_one_record_make_one_valid_line(
        self, log_dir: Path, lines: Lines, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Every odd value at once, plus a message whose str() fails: still one valid line."""
        values = {kind.replace(" ", "_"): make() for kind, (make, _) in _ODD_VALUES.items()}
        before = len(lines(log_dir))
        get_logger("odd").info(_BadRepr(), **values)
        new = lines(log_dir)[before:]
        assert len(new) == 1
        event = LogEvent.model_validate_json(new[0])
        assert event.message == "<unrepresentable _BadRepr>"
        for kind, (_, readable) in _ODD_VALUES.items():
            assert readable(event.fields[kind.replace(" ", "_")]), kind
        assert "msc-logging" not in capsys.readouterr().err


# ----------------------------------------------------------------------------- huge message


class TestHugeMessage:
    def test_ten_mb_message_is_one_whole_line_and_reads_back_equal(
        self, log_dir: Path, files: Files
    ) -> None:
        """A 10 MB message is written whole as one line (one file, even with rotation at 1 MB)
        and parses back equal, the records around it intact."""
        message = _huge_text(10 * 1024 * 1024)
        _log_around(log_dir, message)
        found = []
        for path in files(log_dir):
            for raw in path.read_bytes().splitlines():
                found.append(LogEvent.model_validate_json(raw))
        messages = [e.message for e in found if e.target == "huge"]
        assert messages == ["first", message, "last"]

    def test_readers_return_the_ten_mb_message_whole(self, log_dir: Path) -> None:
        """What the writer writes the readers read: query_logs and LogFollower return the 10 MB
        message equal to what was logged (the reader's line limit is above it)."""
        message = _huge_text(10 * 1024 * 1024)
        _log_around(log_dir, message, max_mb=100)  # one file: the follower reads the active one
        result = query_logs(log_dir, limit=10)
        assert result.malformed == 0
        returned = [e["message"] for e in result.entries if e["target"] == "huge"]
        assert returned == ["first", message, "last"]
        with LogFollower(log_dir, from_start=True) as follower:
            batch = follower.poll()
        assert [e["message"] for e in batch.entries if e["target"] == "huge"] == returned


def _huge_text(size: int) -> str:
    # Varied text with characters JSON escapes, so the line is longer than the message.
    unit = 'midi "note" \\ on\tchannel 10 — ünïcode 日本\n'
    return (unit * (size // len(unit) + 1))[:size]


def _log_around(log_dir: Path, message: str, max_mb: float = 1) -> None:
    init_logging(
        LogConfig(
            log_dir=log_dir,
            include_location=False,
            console_level="error",
            max_file_size_mb=max_mb,
            max_files=100,
        ),
        env_filter="",
    )
    log = get_logger("huge")
    log.info("first")
    log.info(message)
    log.info("last")
    reset_logging()


# ---------------------------------------------------------------------------- killed writer

_FAST_WRITER = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, writer = sys.argv[1], int(sys.argv[2])
config = LogConfig(
    log_dir=log_dir, console_level="error", include_location=False, max_file_size_mb=1000
)
init_logging(config, env_filter="")
info = get_logger("fast").info
pad = "x" * 10_000  # big enough that a kill often lands inside a write
seq = 0
while True:
    info("r", writer=writer, seq=seq, pad=pad)
    seq += 1
"""


class TestKilledWriter:
    CYCLES = 8

    def test_sigkill_leaves_at_most_a_partial_last_line_that_readers_skip(
        self, log_dir: Path, child_env: dict[str, str]
    ) -> None:
        """Writers killed with SIGKILL mid-stream, one after another in the same directory (a
        crashing app restarted): the file ends in at most one partial line, query_logs and
        LogFollower skip it without raising and return every complete record, and a restarted
        writer's records are never glued onto a predecessor's partial line."""
        active = log_dir / f"{APP}.log"
        torn = 0
        for writer in range(self.CYCLES):
            start = active.stat().st_size if active.exists() else 0
            _run_and_kill(log_dir, writer, start + 30 * 10_000, child_env)
            data = active.read_bytes()
            tail = data[data.rfind(b"\n") + 1 :]
            if tail:
                torn += 1
                assert tail.startswith(RECORD_START) or RECORD_START.startswith(tail)
            complete = data[: len(data) - len(tail)].splitlines()
            whole = valid_events(complete)
            # Lines that are not records are earlier writers' partial lines, one per tear.
            assert len(complete) - len(whole) == torn - (1 if tail else 0)
            # Each writer's first record (written by init_logging) survived too.
            assert [e.message for e in whole].count("logging initialized") == writer + 1
            expected = _by_writer(
                [(e.fields["writer"], e.fields["seq"]) for e in whole if e.message == "r"]
            )
            assert sorted(expected) == list(range(writer + 1))
            for seqs in expected.values():
                assert seqs == list(range(len(seqs)))  # nothing lost, not even the first
                assert len(seqs) >= 25
            result = query_logs(log_dir, limit=1_000_000)
            assert _by_writer(_pairs(result.entries)) == expected
            with LogFollower(log_dir, from_start=True) as follower:
                followed = follower.poll().entries
            assert _by_writer(_pairs(followed)) == expected


def _run_and_kill(log_dir: Path, writer: int, size: int, env: dict[str, str]) -> None:
    """Start a fast writer, let the active file grow to ``size`` bytes, SIGKILL it."""
    active = log_dir / f"{APP}.log"
    process = subprocess.Popen(
        [sys.executable, "-c", _FAST_WRITER, str(log_dir), str(writer)],
        env=env,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120  # only guards against waiting forever
        while not active.exists() or active.stat().st_size < size:
            assert process.poll() is None, process.communicate()[1]
            assert time.monotonic() < deadline, "the writer wrote too little"
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        stop(process)
        if process.stderr is not None:
            process.stderr.close()


def _pairs(entries: list[dict[str, Any]]) -> list[tuple[int, int]]:
    return [(e["fields"]["writer"], e["fields"]["seq"]) for e in entries if e["message"] == "r"]


def _by_writer(pairs: list[tuple[int, int]]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = defaultdict(list)
    for writer, seq in pairs:
        found[writer].append(seq)
    return dict(found)


class TestPartialLineLeftBehind:
    def test_new_writer_starts_on_a_fresh_line(
        self, log_dir: Path, python: Python, lines: Lines
    ) -> None:
        """A process that opens a log ending in a partial line (left by a killed writer) starts
        its first record on a new line, so no record of its own is lost."""
        log_dir.mkdir()
        partial = b'{"timestamp":"2026-11-28T01:57:36.123456Z","level":"info","categ'
        (log_dir / f"{APP}.log").write_bytes(partial)
        result = python(_RESTART, str(log_dir))
        assert result.returncode == 0, result.stderr
        raw = lines(log_dir)
        assert raw[0] == partial
        events = [LogEvent.model_validate_json(r) for r in raw[1:]]
        assert [e.message for e in events] == ["logging initialized", "one", "two"]
        result_entries = query_logs(log_dir, limit=10)
        shown = [e["message"] for e in result_entries.entries]
        assert shown == [partial.decode(), *(e.message for e in events)]  # the partial, raw
        assert result_entries.malformed == 1


_RESTART = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1], console_level="error"), env_filter="")
get_logger("restarted").info("one")
get_logger("restarted").info("two")
"""


class TestClearWhileAWriterIsBehind:
    # "rotation": the next record finds its file over the limit; "path check": it is due for the
    # path check first (as after a pause), which finds the file deleted.
    @pytest.mark.parametrize("check_interval", [1.0, 0.0], ids=["rotation", "path-check"])
    def test_record_sent_to_a_deleted_rotated_file_is_written_again(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, check_interval: float
    ) -> None:
        """A writer whose file another writer rotated away, and clear_logs then deleted, does
        not lose its next record: it lands in the active file. The one it wrote before the clear
        stays cleared (readers may have seen it)."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", check_interval)
        size = 100

        def record(n: int) -> bytes:
            return f"{n:08d} ".encode().ljust(size - 1, b"x") + b"\n"

        behind = FileSink(tmp_path, "app", 3 * size, 10)
        ahead = FileSink(tmp_path, "app", 3 * size, 10)
        try:
            behind.write(record(0))
            for n in (1, 2):
                ahead.write(record(n))  # the file is full: app.log → app.log.1
            assert (tmp_path / "app.log.1").exists()
            clear_log_files(tmp_path, "app")  # deletes app.log.1, where `behind` still points
            behind.write(record(3))
            ahead.write(record(4))
        finally:
            behind.close()
            ahead.close()
        kept = [int(raw[:8]) for raw in (tmp_path / "app.log").read_bytes().splitlines()]
        assert kept == [3, 4]
