"""Write throughput of our file sink against peers, measured side by side in the same run.

    .venv/bin/python bench/write_throughput.py [--events N] [--rounds R]

Every contender writes the same N info events (a message and four fields) to a file in a fresh
temporary directory, single-threaded, in its own subprocess so one's global logging setup cannot
slow another. Rounds go round-robin over the contenders (so a busy moment on a shared machine
hits them alike) and each contender's best of R rounds counts. Every contender hands each record to
the OS before returning (ours: one ``os.write``; the others flush per record).

- ours: `init_logging` with JSON lines, size rotation (defaults: 10 MiB x 5), the multi-process
  safe sink, source locations, console above info so only the file path is measured; and the
  same without ``include_location`` (the frame walk for ``source``);
- structlog per its performance page: filtering bound logger, cached loggers, contextvars,
  orjson, ``BytesLoggerFactory`` on a plain file;
- stdlib ``logging`` + python-json-logger's ``JsonFormatter`` on a ``FileHandler``;
- loguru with ``serialize=True`` to a file;
- raw: ``orjson.dumps`` of a ready dict + ``os.write`` per event, the floor for Python.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

MESSAGE = "request handled"
CONTENDERS = ("ours", "ours (no source)", "structlog", "stdlib+pjl", "loguru", "raw")
BASELINE = "stdlib+pjl"
Emit = Callable[[int], None]


def _ours(directory: Path, *, include_location: bool = True) -> Emit:
    from shared.writer.config import LogConfig
    from shared.writer.setup import get_logger, init_logging

    config = LogConfig(log_dir=directory, console_level="error", include_location=include_location)
    init_logging(config, env_filter="")
    log = get_logger("bench")

    def emit(i: int) -> None:
        log.info(MESSAGE, path="/api/items", status=200, duration_ms=3.25, request_id=i)

    return emit


def _structlog(directory: Path) -> Emit:
    import logging

    import orjson
    import structlog

    stream = (directory / "structlog.log").open("wb")
    structlog.configure(
        cache_logger_on_first_use=True,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        logger_factory=structlog.BytesLoggerFactory(stream),
    )
    log = structlog.get_logger("bench")

    def emit(i: int) -> None:
        log.info(MESSAGE, path="/api/items", status=200, duration_ms=3.25, request_id=i)

    return emit


def _stdlib_pjl(directory: Path) -> Emit:
    import logging

    from pythonjsonlogger.json import JsonFormatter

    handler = logging.FileHandler(directory / "stdlib.log")
    handler.setFormatter(JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    log = logging.getLogger("bench")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False

    def emit(i: int) -> None:
        extra = {"path": "/api/items", "status": 200, "duration_ms": 3.25, "request_id": i}
        log.info(MESSAGE, extra=extra)

    return emit


def _loguru(directory: Path) -> Emit:
    from loguru import logger

    logger.remove()
    logger.add(directory / "loguru.log", serialize=True, level="INFO")

    def emit(i: int) -> None:
        logger.info(MESSAGE, path="/api/items", status=200, duration_ms=3.25, request_id=i)

    return emit


def _raw(directory: Path) -> Emit:
    import orjson

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    fd = os.open(directory / "raw.log", flags, 0o644)
    record: dict[str, object] = {
        "timestamp": "2026-01-01T00:00:00.000000Z",
        "level": "info",
        "message": MESSAGE,
    }

    def emit(i: int) -> None:
        fields = {"path": "/api/items", "status": 200, "duration_ms": 3.25, "request_id": i}
        record["fields"] = fields
        os.write(fd, orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))

    return emit


def _ours_no_source(directory: Path) -> Emit:
    return _ours(directory, include_location=False)


SETUPS: dict[str, Callable[[Path], Emit]] = {
    "ours": _ours,
    "ours (no source)": _ours_no_source,
    "structlog": _structlog,
    "stdlib+pjl": _stdlib_pjl,
    "loguru": _loguru,
    "raw": _raw,
}


def measure(name: str, events: int) -> float:
    """Run one contender once in this process; return its seconds per event."""
    with tempfile.TemporaryDirectory(prefix="msc-bench-") as tmp:
        emit = SETUPS[name](Path(tmp))
        start = time.perf_counter()
        for i in range(events):
            emit(i)
        return (time.perf_counter() - start) / events


def _in_subprocess(name: str, events: int) -> float | None:
    command = [sys.executable, __file__, "--child", name, "--events", str(events)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{name}: failed\n{done.stderr.strip()}", file=sys.stderr)
        return None
    return float(json.loads(done.stdout.strip().splitlines()[-1])["seconds_per_event"])


def run_all(events: int, rounds: int) -> dict[str, float | None]:
    """Measure every contender ``rounds`` times, round-robin; return each one's best."""
    best: dict[str, float | None] = dict.fromkeys(CONTENDERS, float("inf"))
    for _ in range(rounds):
        for name in CONTENDERS:
            seconds, previous = _in_subprocess(name, events), best[name]
            best[name] = None if seconds is None or previous is None else min(previous, seconds)
    return best


def table(results: dict[str, float | None]) -> str:
    """Format the results as a markdown table (events/s, µs/event, ratio to the baseline)."""
    base = results.get(BASELINE)
    lines = [
        f"| contender | events/s | µs/event | vs {BASELINE} |",
        "|---|---:|---:|---:|",
    ]
    for name, seconds in results.items():
        if seconds is None:
            lines.append(f"| {name} | failed | | |")
            continue
        ratio = f"{base / seconds:.2f}x" if base else "n/a"
        lines.append(f"| {name} | {1 / seconds:,.0f} | {seconds * 1e6:.2f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    """Parse arguments; run every contender (or, with --child, one) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps({"seconds_per_event": measure(args.child, args.events)}))
        return
    results = run_all(args.events, args.rounds)
    print(f"{args.events:,} events, best of {args.rounds}, Python {sys.version.split()[0]}\n")
    print(table(results))


if __name__ == "__main__":
    main()
