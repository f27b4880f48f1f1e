"""Query and follow benchmark: our reader beside tail, rg and lnav, measured in the same run.

    .venv/bin/python bench/query.py [--size-gb 1] [--runs 5] [--sets own,pino,mixed]
                                    [--baseline REV]

Generates (once, cached under bench/.data/, git-ignored) three log directories of about
--size-gb each, every source a rotated set of 10 files (the active file newest):

- own: our format: ~1% errors, 8 categories, structured fields, tracebacks with escapes, and a
  rare combination (error + security, ~0.01%);
- pino: ``node.log`` in pino's own layout (level, time, pid, hostname, name, reqId, fields, msg
  last, as pino writes them): ~1% level 50 with a serialised ``err`` and its stack, a few 60,
  ~14% 40, the rest 30 and 20;
- mixed: our format (~40%), pino (~40%) and Python logging text
  (``%(asctime)s - %(name)s - %(levelname)s - %(message)s`` with tracebacks, ~20%,
  ``worker.log``), their times interleaved over the same period.

Then prints one markdown table per set: each query in-process (`query_logs`), end to end through
`msc-logs query` (a fresh process), and through the peers; the own set's table also holds the
follower's latency (write in another process → entry yielded) polling every 10 ms and woken by
inotify, and the follower's idle CPU. With ``--baseline REV`` the own set's in-process rows are
also timed with the reader as it was at REV (a temporary git worktree, queried from a
subprocess), runs alternating with the current reader's so both see the same machine state.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import itertools
import os
import random
import select
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared.reader.follow import LogFollower  # noqa: E402 -- after the path fix-up above
from shared.reader.query import LogQuery, query_logs  # noqa: E402

DATA = ROOT / "bench" / ".data"
APP = "midi-software-center"
FILES = 10
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "security", "user"]
NO_HIT = "zqxjkv-nohit"
PEER_TIMEOUT = 300.0
BASE_US = 1_790_000_000 * 1_000_000  # the first record's time
OWN_STEP_US = 997  # between two records of ours
# `python -m backend query` once the lead has wired the subcommand; the module itself until then.
CLI_MODULE = (
    "backend"
    if "cli_query" in (ROOT / "backend" / "__main__.py").read_text()
    else "backend.cli_query"
)

# Subprocesses run with bytecode caching on, as an installed app does: this sandbox sets
# PYTHONDONTWRITEBYTECODE=1, which recompiles every module on every start (+40-50 ms).
CLI_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


# --- what is measured ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One query: its `LogQuery` arguments, `msc-logs query` flags and the peers' patterns.

    A row without ``rg`` is a "last N" row: its peer is ``tail -n 100`` of the active file(s).
    """

    name: str
    arguments: dict[str, str] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    rg: str | None = None
    """rg's pattern arguments (shell text)."""
    lnav: str | None = None
    """lnav's ``:filter-in`` regex."""
    full_scan: bool = False


ERRORS = {"level": "error"}
OWN_ROWS = (
    Row("last 100"),
    Row(
        "last 100 errors",
        ERRORS,
        ("--level", "error"),
        """-F '"level":"error"'""",
        '"level":"error"',
    ),
    Row(
        "last 100 error+security (~0.01%)",
        {"level": "error", "category": "security"},
        ("--level", "error", "--category", "security"),
        """-F '"level":"error","category":"security"'""",
        '"level":"error","category":"security"',
    ),
    Row(
        "search, no hit (full scan)",
        {"search": NO_HIT},
        ("--search", NO_HIT),
        f"-i -F '{NO_HIT}'",
        NO_HIT,
        full_scan=True,
    ),
)
PINO_ROWS = (
    Row("last 100"),
    Row(
        "last 100 errors",
        ERRORS,
        ("--level", "error"),
        """-F '"level":50'""",  # 60 (fatal) left out: two -F patterns are 10x slower
        '"level":[56]0,',
    ),
)
# The three formats' error markers: ours, pino's 50 and 60, Python logging's ERROR and CRITICAL.
MIXED_ERRORS = '"level":"error"|"level":50|"level":60| - ERROR - | - CRITICAL - '
MIXED_ROWS = (
    Row("last 100"),
    Row("last 100 errors", ERRORS, ("--level", "error"), f"-e '{MIXED_ERRORS}'", MIXED_ERRORS),
)


@dataclass(frozen=True)
class Dataset:
    """A generated log directory: its sources (base names) and the rows measured on it."""

    name: str
    sources: tuple[str, ...]
    rows: tuple[Row, ...]

    def files(self, directory: Path) -> list[Path]:
        """Every file, source by source, each source oldest first."""
        return [
            directory / (f"{base}.log" + (f".{age}" if age else ""))
            for base in self.sources
            for age in range(FILES - 1, -1, -1)
        ]

    def active(self, directory: Path) -> list[Path]:
        """The active (newest) file of each source."""
        return [directory / f"{base}.log" for base in self.sources]


SETS = {
    "own": Dataset("own", (APP,), OWN_ROWS),
    "pino": Dataset("pino", ("node",), PINO_ROWS),
    "mixed": Dataset("mixed", (APP, "node", "worker"), MIXED_ROWS),
}


# --- data ---------------------------------------------------------------------------------------

Lines = Callable[[random.Random, int, float], Iterator[bytes]]
"""A source's entries (each one or more lines) from a start time (µs) a step apart (µs)."""


def dataset(name: str, size_gb: float) -> Path:
    """The cached directory of set ``name`` of about ``size_gb``, generated on first use."""
    prefix = "query" if name == "own" else name  # the own set keeps its old cache directory
    target = DATA / f"{prefix}-{size_gb:g}gb"
    if (target / "complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    print(f"generating {name}, {size_gb:g} GB under {target} (once) …", file=sys.stderr)
    size = int(size_gb * 1e9)
    if name == "mixed":
        _generate_mixed(target, size)
    else:
        lines = _own_lines if name == "own" else _pino_lines
        count = int(size / _mean_size(lines))
        _write_source(target, SETS[name].sources[0], count, lines(random.Random(42), BASE_US, 0))
    (target / "complete").write_text("complete\n")
    return target


def _generate_mixed(target: Path, size: int) -> None:
    """Three sources spanning the same period, ours as dense as in the own set.

    Each source's share of ``size`` sets its number of entries; its entries are spread evenly
    over the period, so all three end at the same moment.
    """
    shares: list[tuple[str, float, Lines]] = [
        (APP, 0.4, _own_lines),
        ("node", 0.4, _pino_lines),
        ("worker", 0.2, _text_lines),
    ]
    counts = [int(share * size / _mean_size(lines)) for _, share, lines in shares]
    period = counts[0] * OWN_STEP_US
    for seed, ((base, _, lines), count) in enumerate(zip(shares, counts, strict=True)):
        _write_source(target, base, count, lines(random.Random(seed), BASE_US, period / count))


def _mean_size(lines: Lines) -> float:
    sample = list(itertools.islice(lines(random.Random(7), BASE_US, 1000), 20000))
    return sum(map(len, sample)) / len(sample)


def _write_source(target: Path, base: str, count: int, entries: Iterator[bytes]) -> None:
    """``base.log.9`` … ``base.log.1``, ``base.log`` (oldest first): ``count`` entries in all."""
    for age in range(FILES - 1, -1, -1):
        left = count // FILES
        with (target / (f"{base}.log" + (f".{age}" if age else ""))).open("wb") as out:
            while left:
                batch = min(left, 1000)
                out.write(b"".join(itertools.islice(entries, batch)))
                left -= batch


def _own_lines(rng: random.Random, start_us: int, step_us: float) -> Iterator[bytes]:
    step = step_us or OWN_STEP_US
    for seq in itertools.count():
        yield orjson.dumps(_record(seq, start_us + int(seq * step), rng)) + b"\n"


def _record(seq: int, micros: int, rng: random.Random) -> dict[str, object]:
    roll = rng.random()
    second, micro = divmod(micros, 1_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)) + f".{micro:06d}Z"
    level = (
        "error" if roll < 0.01 else "warn" if roll < 0.15 else "debug" if roll < 0.45 else "info"
    )
    category = rng.choice(CATEGORIES[:6] + CATEGORIES[7:] if level == "error" else CATEGORIES)
    if roll < 0.0001:
        category = "security"  # the rare combination: error + security
    fields: dict[str, object] = {
        "request_id": f"req-{rng.getrandbits(32):08x}",
        "duration_ms": round(rng.random() * 50, 3),
        "file": f"/home/user/midi/song_{seq % 5000}.mid",
    }
    if level == "error":
        fields["error"] = 'Traceback (most recent call last):\n  File "a.py", line 3\nOSError'
    return {
        "timestamp": stamp,
        "level": level,
        "category": category,
        "message": f"{category} operation {rng.choice(['done', 'started', 'retried'])} #{seq}",
        "target": f"midi.{category}",
        "fields": fields,
        "span": {"name": "import_file", "id": f"{seq:x}", "parent_id": None} if seq % 7 else None,
        "pid": 4242 + seq % 3,
        "source": "importer.py:88",
    }


PINO_MIX = [(0.0001, 60), (0.01, 50), (0.15, 40), (0.45, 20), (1.0, 30)]
PINO_ROUTES = ["/api/songs", "/api/songs/4411", "/api/import", "/api/devices", "/health"]
PINO_STACK = (
    "Error: {message}\n"
    "    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1607:16)\n"
    "    at Pool.connect (/srv/api/node_modules/pg-pool/index.js:45:11)\n"
    "    at async SongRepository.find (/srv/api/src/songs/repository.js:88:19)\n"
    "    at async Object.handler (/srv/api/src/songs/routes.js:31:20)"
)


def _pino_lines(rng: random.Random, start_us: int, step_us: float) -> Iterator[bytes]:
    step = step_us or 700.0
    for seq in itertools.count():
        millis = (start_us + int(seq * step)) // 1000
        yield orjson.dumps(_pino_record(seq, millis, rng)) + b"\n"


def _pino_record(seq: int, millis: int, rng: random.Random) -> dict[str, object]:
    """A line as pino writes it: level, time, then the bindings, the fields, ``msg`` last."""
    roll = rng.random()
    level = next(number for bound, number in PINO_MIX if roll < bound)
    record: dict[str, object] = {"level": level, "time": millis, "pid": 48211}
    record |= {"hostname": "api-7d9f8c6b5-x2kqz", "name": "api", "reqId": _base36(seq // 3 + 1)}
    return record | _pino_body(level, seq, rng)


def _base36(number: int) -> str:
    digits = ""
    while number:
        number, digit = divmod(number, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[digit] + digits
    return "req-" + digits


def _pino_body(level: int, seq: int, rng: random.Random) -> dict[str, object]:
    url = rng.choice(PINO_ROUTES)
    if level >= 50:
        message = f"connect ECONNREFUSED 10.0.3.{seq % 250}:5432"
        error = {"type": "Error", "message": message, "stack": PINO_STACK.format(message=message)}
        error |= {"code": "ECONNREFUSED", "errno": -111, "syscall": "connect", "port": 5432}
        return {"err": error, "msg": "uncaught exception" if level == 60 else message}
    if level == 40:
        return {"url": url, "responseTime": round(1000 + rng.random() * 4000, 3)} | {
            "msg": "slow request"
        }
    if level == 20:
        query = "SELECT id, title, bpm FROM songs WHERE id = $1"
        return {"query": query, "durationMs": round(rng.random() * 8, 3), "msg": "db query"}
    if seq % 2:
        request = {"method": rng.choice(["GET", "POST"]), "url": url, "hostname": "api:3000"}
        request |= {"remoteAddress": f"10.0.7.{seq % 200}", "remotePort": 30000 + seq % 30000}
        return {"req": request, "msg": "incoming request"}
    response = {"statusCode": rng.choice([200, 200, 200, 201, 204, 304, 404])}
    return {"res": response, "responseTime": round(rng.random() * 40, 3)} | {
        "msg": "request completed"
    }


TEXT_LOGGERS = ["worker.jobs", "worker.queue", "worker.midi", "urllib3.connectionpool"]
TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/worker/jobs.py", line 88, in run\n'
    "    result = handler(payload)\n"
    '  File "/srv/worker/handlers.py", line 41, in handle\n'
    '    raise ValueError(f"bad payload {{payload_id}}")\n'
    "ValueError: bad payload {seq}\n"
)


def _text_lines(rng: random.Random, start_us: int, step_us: float) -> Iterator[bytes]:
    """Python logging's ``%(asctime)s - %(name)s - %(levelname)s - %(message)s``."""
    step = step_us or 1000.0
    for seq in itertools.count():
        second, micro = divmod(start_us + int(seq * step), 1_000_000)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(second)) + f",{micro // 1000:03d}"
        level, message = _text_message(seq, rng)
        entry = f"{stamp} - {rng.choice(TEXT_LOGGERS)} - {level} - {message}\n"
        if level in ("ERROR", "CRITICAL"):
            entry += TRACEBACK.format(seq=seq)
        yield entry.encode()


def _text_message(seq: int, rng: random.Random) -> tuple[str, str]:
    roll = rng.random()
    if roll < 0.0001:
        return "CRITICAL", "worker pool exhausted; exiting"
    if roll < 0.01:
        return "ERROR", f"job {seq} failed"
    if roll < 0.15:
        return "WARNING", f"job {seq} timed out; retry {rng.randint(1, 5)}/5"
    if roll < 0.45:
        return "DEBUG", f"polling queue midi-import (depth {rng.randint(0, 40)})"
    return "INFO", f"job {seq} finished in {rng.random() * 3:.2f}s"


# --- timing -------------------------------------------------------------------------------------


def median_time(action: Callable[[], object], runs: int) -> float:
    """Median seconds of ``runs`` calls after one warm-up (fewer when one call is slow)."""
    started = time.perf_counter()
    action()
    if time.perf_counter() - started > 5:
        runs = 1
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def shell(command: str) -> Callable[[], object]:
    def run() -> object:
        return subprocess.run(
            command, shell=True, stdout=subprocess.DEVNULL, check=False, timeout=PEER_TIMEOUT
        )

    return run


def cell(seconds: float | None, scanned: int = 0) -> str:
    if seconds is None:
        return "—"
    text = f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"
    return f"{text} ({scanned / seconds / 1e9:.2f} GB/s)" if scanned else text


def cli_flag() -> str:
    """``--log-dir`` where `msc-logs query` accepts it, else its older spelling ``--dir``."""
    command = [sys.executable, "-m", CLI_MODULE, "query", "--help"]
    shown = subprocess.run(command, capture_output=True, text=True, check=False, env=CLI_ENV)
    return "--log-dir" if "--log-dir" in shown.stdout else "--dir"


def row_cells(
    directory: Path, data: Dataset, row: Row, runs: int, ours: float | None = None
) -> list[str]:
    """The row's cells: in-process (``ours`` when already measured), CLI, tail, rg, lnav."""
    log_query = LogQuery(**row.arguments)  # type: ignore[arg-type]
    result = query_logs(directory, log_query, 100)
    if ours is None:
        ours = median_time(lambda: query_logs(directory, log_query, 100), runs)
    full_scan = result.scanned_bytes if row.full_scan else 0
    files = " ".join(map(str, data.files(directory)))
    tail = rg = lnav = None
    if row.rg is None:
        active = " ".join(map(str, data.active(directory)))
        tail = median_time(shell(f"tail -n 100 {active}"), runs)
        lnav = peer("lnav", f"lnav -n {files} | tail -n 100", runs)
    else:
        rg = peer("rg", f"rg -j1 -N --no-filename {row.rg} {files} | tail -n 100", runs)
        lnav = peer("lnav", f"lnav -n -c ':filter-in {row.lnav}' {files} | tail -n 100", runs)
    everything = sum(path.stat().st_size for path in data.files(directory)) if full_scan else 0
    peers = [cell(t, everything) if isinstance(t, float) else t or "—" for t in (tail, rg, lnav)]
    through_cli = cli_cell(directory, row, runs, [e["id"] for e in result.entries])
    return [row.name, cell(ours, full_scan), through_cli, *peers]


def cli_cell(directory: Path, row: Row, runs: int, expected: list[str]) -> str:
    """`msc-logs query`'s time, noting when it printed other entries than we found in-process."""
    command = [sys.executable, "-m", CLI_MODULE, "query", CLI_FLAG, str(directory)]
    command += ["--limit", "100", *row.flags]
    printed = subprocess.run([*command, "--json"], capture_output=True, check=True, env=CLI_ENV)
    ids = [orjson.loads(line)["id"] for line in printed.stdout.splitlines()]
    seconds = median_time(
        lambda: subprocess.run(command, stdout=subprocess.DEVNULL, check=True, env=CLI_ENV), runs
    )
    same = sum(entry_id in set(expected) for entry_id in ids)
    if ids == expected:
        return cell(seconds)
    return cell(seconds) + f" ⚠ printed {len(ids)}, {same} of the {len(expected)} found in-process"


def peer(tool: str, command: str, runs: int) -> float | str:
    if shutil.which(tool) is None:
        return "not installed"
    try:
        return median_time(shell(command), min(runs, 3))
    except subprocess.TimeoutExpired:
        return f"> {PEER_TIMEOUT:.0f} s"


# --- baseline: the reader as it was at another revision -----------------------------------------

BASELINE_WORKER = r"""
import sys, time, orjson
from pathlib import Path
import importlib
sys.path.insert(0, sys.argv[1])
# The reader is shared.reader.query since it became a subpackage, shared._query before.
name = "shared.reader.query" if Path(sys.argv[1], "shared", "reader").is_dir() else "shared._query"
reader = importlib.import_module(name)
print(orjson.dumps(reader.__file__).decode(), flush=True)
directory = Path(sys.argv[2])
for line in sys.stdin:
    query = reader.LogQuery(**orjson.loads(line))
    started = time.perf_counter()
    result = reader.query_logs(directory, query, 100)
    elapsed = time.perf_counter() - started
    print(orjson.dumps([elapsed, len(result.entries)]).decode(), flush=True)
"""


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """A temporary detached worktree of ``rev``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    tree = parent / "tree"
    git = ["git", "-C", str(ROOT), "worktree"]
    subprocess.run([*git, "add", "--detach", str(tree), rev], check=True, capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run([*git, "remove", "--force", str(tree)], check=False)
        shutil.rmtree(parent, ignore_errors=True)


class BaselineReader:
    """`query_logs` of another checkout, in a subprocess whose ``sys.path`` starts with it."""

    def __init__(self, tree: Path, directory: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", BASELINE_WORKER, str(tree), str(directory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=tree,
            env=CLI_ENV,
            text=True,
        )
        if self._process.stdin is None or self._process.stdout is None:
            raise RuntimeError("the baseline reader has no pipes")
        self._stdin: IO[str] = self._process.stdin
        self._stdout: IO[str] = self._process.stdout
        loaded = orjson.loads(self._stdout.readline())
        if not loaded.startswith(str(tree)):  # the editable install must not win
            raise RuntimeError(f"baseline reader loaded from {loaded}, not {tree}")

    def query(self, arguments: dict[str, str]) -> tuple[float, int]:
        """Seconds one query took in the subprocess, and how many entries it returned."""
        self._stdin.write(orjson.dumps(arguments).decode() + "\n")
        self._stdin.flush()
        seconds, count = orjson.loads(self._stdout.readline())
        return seconds, count

    def close(self) -> None:
        """End the subprocess."""
        self._stdin.close()
        self._process.wait(timeout=30)


def compare_with_baseline(
    rev: str, directory: Path, rows: tuple[Row, ...], runs: int
) -> list[tuple[float, float, str]]:
    """Per row: the median seconds before (at ``rev``) and now, and a note when counts differ."""
    # Both readers run in a worker process of their own, so neither pays for the other's
    # state (this process holds the datasets' bookkeeping and the peers' results).
    with worktree(rev) as tree:
        before, after = BaselineReader(tree, directory), BaselineReader(ROOT, directory)
        try:
            return [_alternate(before, after, row, runs) for row in rows]
        finally:
            before.close()
            after.close()


def _alternate(
    before: BaselineReader, after: BaselineReader, row: Row, runs: int
) -> tuple[float, float, str]:
    def now() -> tuple[float, int]:
        return after.query(row.arguments)

    old_first, new_first = before.query(row.arguments), now()  # warm-up, and the counts
    if max(old_first[0], new_first[0]) > 5:
        runs = 1
    old, new = [], []
    for run in range(runs):  # alternating, and which of the two goes first alternates too
        if run % 2:
            new.append(now()[0])
            old.append(before.query(row.arguments)[0])
        else:
            old.append(before.query(row.arguments)[0])
            new.append(now()[0])
    note = "" if old_first[1] == new_first[1] else f" ⚠ {old_first[1]} vs {new_first[1]} entries"
    return statistics.median(old), statistics.median(new), note


# --- follower -----------------------------------------------------------------------------------

WRITER = r"""
import os, random, sys, time, orjson
path, count = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
time.sleep(0.3)
for seq in range(count):
    time.sleep(random.uniform(0.002, 0.02))
    rec = {"timestamp": "2026-11-28T01:00:00.000000Z", "level": "info", "category": "system",
           "message": "latency probe", "target": "bench", "fields": {"seq": seq,
           "sent_ns": time.monotonic_ns()}, "span": None, "pid": os.getpid(), "source": None}
    os.write(fd, orjson.dumps(rec) + b"\n")
"""


def follower_latency(mode: str, count: int = 300) -> tuple[float, float]:
    """Median and p95 milliseconds from a write in another process to the entry being yielded."""
    directory = DATA / f"follow-{mode}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    path = directory / f"{APP}.log"
    path.touch()
    latencies: list[float] = []
    follower = LogFollower(directory, poll_interval=0.01)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(count)])
    wait = _inotify_waiter(directory) if mode == "inotify" else (lambda: time.sleep(0.01))
    while len(latencies) < count:
        batch = follower.poll()
        now = time.monotonic_ns()
        latencies += [(now - e["fields"]["sent_ns"]) / 1e6 for e in batch.entries]
        if not batch.entries:
            wait()
    writer.wait()
    follower.close()
    return statistics.median(latencies), statistics.quantiles(latencies, n=20)[18]


def _inotify_waiter(directory: Path) -> Callable[[], None]:
    """Block until the directory changes (or 100 ms pass), via inotify through ctypes."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    mask = 0x2 | 0x8 | 0x80 | 0x100 | 0x200  # MODIFY, CLOSE_WRITE, MOVED_TO, CREATE, DELETE
    libc.inotify_add_watch(fd, str(directory).encode(), mask)

    def wait() -> None:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            with_events = os.read(fd, 65536)
            struct.unpack_from("iIII", with_events)  # at least one event: new data to poll

    return wait


def idle_cpu(seconds: float = 3.0) -> float:
    """Percent of one core the follower uses polling an unchanged file every 10 ms."""
    directory = DATA / "follow-idle"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{APP}.log").touch()
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    started = time.process_time()
    with LogFollower(directory, poll_interval=0.01) as follower:
        for _ in follower.follow(stop):
            pass
    return (time.process_time() - started) / seconds * 100


def follower_rows() -> list[list[str]]:
    poll = follower_latency("poll")
    inotify = follower_latency("inotify")
    cpu = idle_cpu()
    return [
        ["follower latency, poll 10 ms (median / p95)", f"{poll[0]:.1f} / {poll[1]:.1f} ms"],
        ["follower latency, inotify (median / p95)", f"{inotify[0]:.1f} / {inotify[1]:.1f} ms"],
        ["follower idle CPU, poll 10 ms", f"{cpu:.2f} % of a core"],
    ]


# --- main ---------------------------------------------------------------------------------------

CLI_FLAG = "--log-dir"  # set in main: the spelling this checkout's `msc-logs query` accepts


def table(data: Dataset, size_gb: float, runs: int, baseline: str | None) -> None:
    """Measure set ``data`` and print its heading and table."""
    directory = dataset(data.name, size_gb)
    files = data.files(directory)
    size = sum(path.stat().st_size for path in files)
    header = ["query", "ours in-process"]
    compared = None
    if baseline is not None and data.name == "own":
        compared = compare_with_baseline(baseline, directory, data.rows, runs)
        header += [f"before ({baseline})", "before ÷ now"]
    header += [f"`python -m {CLI_MODULE} query`", "`tail -n 100`",
               "`rg … \\| tail -n 100`", "`lnav -n …`"]  # fmt: skip
    rows = []
    for index, row in enumerate(data.rows):
        if compared is None:
            rows.append(row_cells(directory, data, row, runs))
            continue
        old, new, note = compared[index]
        cells = row_cells(directory, data, row, runs, ours=new)
        rows.append([*cells[:2], cell(old) + note, f"{old / new:.2f}x", *cells[2:]])
    if data.name == "own":
        rows += follower_rows()
    sources = ", ".join(f"{base}.log + {FILES - 1} rotations" for base in data.sources)
    print(
        f"\n**{data.name}**: {size / 1e9:.2f} GB in {len(files)} files ({sources}), page cache"
        f" warm, median of {runs} runs; subprocesses with bytecode caching on\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for cells in rows:
        print("| " + " | ".join(cells + ["—"] * (len(header) - len(cells))) + " |", flush=True)


def main() -> None:
    global CLI_FLAG  # noqa: PLW0603 -- read once at the entry point, used by every CLI row
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sets", default="own,pino,mixed", help="comma-separated: own,pino,mixed")
    parser.add_argument("--baseline", metavar="REV", help="also time the own set's rows at REV")
    args = parser.parse_args()
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in names if name not in SETS]
    if unknown or not names:
        parser.error(f"--sets: choose among {', '.join(SETS)}, not {args.sets!r}")
    CLI_FLAG = cli_flag()
    for name in names:  # generate first: measuring runs on a quiet machine
        dataset(name, args.size_gb)
    for name in names:
        table(SETS[name], args.size_gb, args.runs, args.baseline)


if __name__ == "__main__":
    main()
