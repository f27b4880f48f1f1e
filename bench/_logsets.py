"""The generated log sets of bench/query.py, and where benchmarks keep them.

Each set is a log directory of about ``size_gb`` under ``bench/.data/`` (git-ignored), generated
once and reused; every source is a rotated set of `FILES` files, the active file newest. The
sets are described in bench/query.py's docstring.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / ".data"
APP = "midi-software-center"
FILES = 10
SOURCES = {"own": (APP,), "pino": ("node",), "mixed": (APP, "node", "worker")}
"""Each set's sources (base names); the aaaa set is one file, ``midi-software-center.log``."""
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "security", "user"]
BASE_US = 1_790_000_000 * 1_000_000  # the first record's time
OWN_STEP_US = 997  # between two records of ours

# Subprocesses run with bytecode caching on, as an installed app does: this sandbox sets
# PYTHONDONTWRITEBYTECODE=1, which recompiles every module on every start (+40-50 ms).
CLI_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def log_files(directory: Path) -> list[Path]:
    """Every log file, source by source, each source oldest first (``x.log.9`` … ``x.log``)."""

    def order(path: Path) -> tuple[str, int]:
        base, _, age = path.name.partition(".log")
        return base, -int(age[1:] or 0)

    return sorted(directory.glob("*.log*"), key=order)


def active_files(directory: Path) -> list[Path]:
    """The active (newest) file of each source."""
    return sorted(directory.glob("*.log"))


# --- data ---------------------------------------------------------------------------------------

Lines = Callable[[random.Random, int, float], Iterator[bytes]]
"""A source's entries (each one or more lines) from a start time (µs) a step apart (µs)."""


def dataset(name: str, size_gb: float) -> Path:
    """The cached directory of set ``name`` (about ``size_gb``; aaaa: 10,000 short lines).

    Generated on first use.
    """
    prefix = "query" if name == "own" else name  # the own set keeps its old cache directory
    target = DATA / ("regex-aaaa" if name == "aaaa" else f"{prefix}-{size_gb:g}gb")
    if (target / "complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    print(f"generating {name} under {target} (once) …", file=sys.stderr)
    size = int(size_gb * 1e9)
    if name == "aaaa":  # (a+)+$ backtracks exponentially in a backtracking engine
        rng = random.Random(26)
        text = "".join("a" * rng.randint(26, 40) + "\n" for _ in range(10_000))
        (target / f"{APP}.log").write_text(text)
    elif name == "mixed":
        _generate_mixed(target, size)
    else:
        lines = _own_lines if name == "own" else _pino_lines
        count = int(size / _mean_size(lines))
        _write_source(target, SOURCES[name][0], count, lines(random.Random(42), BASE_US, 0))
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
        error: dict[str, object] = {
            "type": "Error",
            "message": message,
            "stack": PINO_STACK.format(message=message),
        }
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
        request: dict[str, object] = {
            "method": rng.choice(["GET", "POST"]),
            "url": url,
            "hostname": "api:3000",
        }
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
