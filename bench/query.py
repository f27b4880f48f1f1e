"""Query and follow benchmark: our reader beside tail, rg and lnav, measured in the same run.

    .venv/bin/python bench/query.py [--size-gb 1] [--runs 5]

Generates (once, cached under bench/.data/, git-ignored) a rotated log set of about --size-gb:
~1% errors, 8 categories, structured fields, tracebacks with escapes, and a rare combination
(error + security, ~0.01%). Then prints one markdown table: each query in-process
(`query_logs`), end to end through `msc-logs query` (a fresh process), and through the peers;
plus the follower's latency (write in another process → entry yielded) polling every 10 ms and
woken by inotify, and the follower's idle CPU.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import random
import select
import shutil
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared._follow import LogFollower  # noqa: E402 -- after the path fix-up above
from shared._query import LogQuery, query_logs  # noqa: E402

DATA = ROOT / "bench" / ".data"
APP = "midi-software-center"
FILES = 10
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "security", "user"]
NO_HIT = "zqxjkv-nohit"
LEVEL_MIX = [(0.01, "error"), (0.15, "warn"), (0.45, "debug"), (1.0, "info")]
PEER_TIMEOUT = 300.0
# `python -m backend query` once the lead has wired the subcommand; the module itself until then.
CLI_MODULE = (
    "backend"
    if "cli_query" in (ROOT / "backend" / "__main__.py").read_text()
    else "backend.cli_query"
)

# Subprocesses run with bytecode caching on, as an installed app does: this sandbox sets
# PYTHONDONTWRITEBYTECODE=1, which recompiles every module on every start (+40-50 ms).
CLI_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}

QUERIES: list[tuple[str, dict[str, str], list[str], str | None]] = [
    # (row, LogQuery arguments, msc-logs arguments, fixed string for rg / lnav)
    ("last 100", {}, [], None),
    ("last 100 errors", {"level": "error"}, ["--level", "error"], '"level":"error"'),
    (
        "last 100 error+security (~0.01%)",
        {"level": "error", "category": "security"},
        ["--level", "error", "--category", "security"],
        '"level":"error","category":"security"',
    ),
    ("search, no hit (full scan)", {"search": NO_HIT}, ["--search", NO_HIT], NO_HIT),
]


# --- data ---------------------------------------------------------------------------------------


def dataset(size_gb: float) -> Path:
    """The cached rotated set of about ``size_gb``, generated on first use."""
    target = DATA / f"query-{size_gb:g}gb"
    if (target / "complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    print(f"generating {size_gb:g} GB under {target} (once) …", file=sys.stderr)
    per_file = int(size_gb * 1e9 / FILES)
    rng = random.Random(42)
    seq = 0
    for age in range(FILES - 1, -1, -1):
        name = f"{APP}.log" + (f".{age}" if age else "")
        seq = _write_file(target / name, per_file, seq, rng)
    (target / "complete").write_text(f"{seq} records\n")
    return target


def _write_file(path: Path, size: int, seq: int, rng: random.Random) -> int:
    written = 0
    base = 1_790_000_000
    with path.open("wb") as out:
        while written < size:
            batch = []
            for _ in range(2000):
                batch.append(orjson.dumps(_record(seq, base, rng)) + b"\n")
                seq += 1
            data = b"".join(batch)
            out.write(data)
            written += len(data)
    return seq


def _record(seq: int, base: int, rng: random.Random) -> dict[str, object]:
    roll = rng.random()
    second, micro = divmod(seq * 997, 1_000_000)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(base + second)) + f".{micro:06d}Z"
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


def files_oldest_first(directory: Path) -> list[str]:
    return [str(directory / f"{APP}.log.{age}") for age in range(FILES - 1, 0, -1)] + [
        str(directory / f"{APP}.log")
    ]


def cell(seconds: float | None, scanned: int = 0) -> str:
    if seconds is None:
        return "—"
    text = f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"
    return f"{text} ({scanned / seconds / 1e9:.2f} GB/s)" if scanned else text


def row_cells(
    directory: Path, query: tuple[str, dict[str, str], list[str], str | None], runs: int
) -> list[str]:
    name, arguments, flags, fixed = query
    log_query = LogQuery(**arguments)  # type: ignore[arg-type]
    result = query_logs(directory, log_query, limit=100)
    ours = median_time(lambda: query_logs(directory, log_query, limit=100), runs)
    full_scan = result.scanned_bytes if name.startswith("search") else 0
    cli = [sys.executable, "-m", CLI_MODULE, "query", "--dir", str(directory), "--limit", "100"]
    through_cli = median_time(
        lambda: subprocess.run([*cli, *flags], stdout=subprocess.DEVNULL, check=True, env=CLI_ENV),
        runs,
    )
    files = " ".join(files_oldest_first(directory))
    tail = rg = lnav = None
    if fixed is None:
        tail = median_time(shell(f"tail -n 100 {directory}/{APP}.log"), runs)
        lnav = peer("lnav", f"lnav -n {files} | tail -n 100", runs)
    else:
        flag = "-i" if name.startswith("search") else ""
        rg = peer("rg", f"rg -j1 -N --no-filename {flag} -F '{fixed}' {files} | tail -n 100", runs)
        lnav = peer("lnav", f"lnav -n -c ':filter-in {fixed}' {files} | tail -n 100", runs)
    everything = sum(Path(f).stat().st_size for f in files.split()) if full_scan else 0
    peers = [cell(t, everything) if isinstance(t, float) else t or "—" for t in (tail, rg, lnav)]
    return [name, cell(ours, full_scan), cell(through_cli), *peers]


def peer(tool: str, command: str, runs: int) -> float | str:
    if shutil.which(tool) is None:
        return "not installed"
    try:
        return median_time(shell(command), min(runs, 3))
    except subprocess.TimeoutExpired:
        return f"> {PEER_TIMEOUT:.0f} s"


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


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    directory = dataset(args.size_gb)
    size = sum(Path(name).stat().st_size for name in files_oldest_first(directory))
    rows = [row_cells(directory, query, args.runs) for query in QUERIES]
    poll = follower_latency("poll")
    inotify = follower_latency("inotify")
    cpu = idle_cpu()
    rows.append(
        ["follower latency, poll 10 ms (median / p95)", f"{poll[0]:.1f} / {poll[1]:.1f} ms"]
    )
    rows.append(
        ["follower latency, inotify (median / p95)", f"{inotify[0]:.1f} / {inotify[1]:.1f} ms"]
    )
    rows.append(["follower idle CPU, poll 10 ms", f"{cpu:.2f} % of a core"])
    header = ["query", "ours in-process", f"`python -m {CLI_MODULE} query`", "`tail -n 100`",
              "`rg -F … \\| tail -n 100`", "`lnav -n …`"]  # fmt: skip
    print(
        f"\n{size / 1e9:.2f} GB in {FILES} files, page cache warm, median of {args.runs} runs;"
        " subprocesses with bytecode caching on\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row + ["—"] * (len(header) - len(row))) + " |")


if __name__ == "__main__":
    main()
