"""Write throughput of our file sink against peers, measured side by side in the same run.

    .venv/bin/python bench/write_throughput.py [--events N] [--rounds R] [--baseline DIR]

Every contender writes the same N info events (a message and four fields) to a file in a fresh
temporary directory, single-threaded, each in a subprocess of its own so that one's global
logging setup cannot slow another, after 1,000 events of warm-up. A round runs every contender
once (the order reversed every other round), so a busy moment on a shared machine hits them
alike. Each child reports its wall time and its CPU time (user + system, so the writes count);
events per CPU second are what the contender does on a core of its own, and what the ratios
use: on a machine others share, wall time mostly measures them. The table gives each one's
median over the rounds and, for ours, the ratio ours ÷ peer computed per round: median
(min-max). Every contender hands each record to the OS before returning (ours and raw: one
``os.write``; the others flush per record).

- ours: `init_logging` with JSON lines, size rotation (defaults: 10 MiB x 5), the multi-process
  safe sink, source locations, console above info so only the file path is measured; the
  same without ``include_location`` (the frame walk for ``source``); and the same with
  ``redact=True`` (every record redacted by the default rules before it is written);
- raw: ``orjson.dumps`` of a dict with our record's keys and a real ``datetime.now(UTC)``
  timestamp (serialised by orjson, ``OPT_UTC_Z``) + ``os.write`` per event: the floor for a
  Python writer; and the same with ``datetime.isoformat()`` text;
- structlog per its performance page: filtering bound logger, cached loggers, contextvars,
  orjson, ``BytesLoggerFactory`` on a plain file (flushed per record);
- stdlib ``logging`` + python-json-logger's ``JsonFormatter`` on a ``FileHandler``;
- loguru with ``serialize=True`` to a file;
- 4 processes: four of ours writing to one log set at once (one file, rotating) against four raw
  loops appending to one file; wall-clock events/s of the four together, from the first start to
  the last end (the children start together, on a signal, once all are set up);
- with ``--baseline DIR`` (a directory holding another version's ``shared/``, e.g. an older
  checkout): that version as ``ours (baseline)``, one more peer, to measure a change.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's packages, whatever is installed

MESSAGE = "request handled"
WARMUP = 1_000
OURS = ("ours", "ours (no source)", "ours (redaction)")
BASELINE = "ours (baseline)"
PEERS = ("raw", "raw (isoformat)", "structlog", "stdlib+pjl", "loguru")
CONTENDERS = (*OURS, BASELINE, *PEERS)
GROUP = 4  # processes in the aggregate row
GROUPED = ("ours", "raw")
Emit = Callable[[int], None]


def _ours(directory: Path, *, include_location: bool = True, redact: bool = False) -> Emit:
    from shared.writer.config import LogConfig
    from shared.writer.setup import get_logger, init_logging

    config = LogConfig(log_dir=directory, console_level="error", include_location=include_location)
    if redact:  # not passed otherwise: a baseline's LogConfig may not know the field
        config = LogConfig(**{**config.model_dump(), "redact": True})
    init_logging(config, env_filter="")
    log = get_logger("bench")

    def emit(i: int) -> None:
        log.info(MESSAGE, path="/api/items", status=200, duration_ms=3.25, request_id=i)

    return emit


def _ours_no_source(directory: Path) -> Emit:
    return _ours(directory, include_location=False)


def _ours_redaction(directory: Path) -> Emit:
    return _ours(directory, redact=True)


def _raw(directory: Path, *, isoformat: bool = False) -> Emit:
    import orjson

    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
    fd = os.open(directory / "raw.log", flags, 0o644)
    dumps, write, now, pid = orjson.dumps, os.write, datetime.now, os.getpid()
    option = orjson.OPT_APPEND_NEWLINE | orjson.OPT_UTC_Z

    def emit(i: int) -> None:
        stamp = now(UTC)
        record = {
            "timestamp": stamp.isoformat() if isoformat else stamp,
            "level": "info",
            "category": "unknown",
            "message": MESSAGE,
            "target": "bench",
            "fields": {"path": "/api/items", "status": 200, "duration_ms": 3.25, "request_id": i},
            "span": None,
            "pid": pid,
        }
        write(fd, dumps(record, option=option))

    return emit


def _raw_isoformat(directory: Path) -> Emit:
    return _raw(directory, isoformat=True)


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


SETUPS: dict[str, Callable[[Path], Emit]] = {
    "ours": _ours,
    "ours (no source)": _ours_no_source,
    "ours (redaction)": _ours_redaction,
    BASELINE: _ours,
    "raw": _raw,
    "raw (isoformat)": _raw_isoformat,
    "structlog": _structlog,
    "stdlib+pjl": _stdlib_pjl,
    "loguru": _loguru,
}


def child(
    name: str, events: int, directory: Path | None, wait: bool, root: Path | None
) -> dict[str, float]:
    """Run one contender once in this process; return its start and end (monotonic clock).

    Args:
        name: The contender.
        events: Events to time.
        directory: Where to write; a fresh temporary directory when None.
        wait: Say ``ready`` on stdout once set up and warmed up, then wait for a line on stdin.
        root: Import ``shared`` from this directory instead of this checkout.

    Returns:
        ``{"start": …, "end": …, "cpu": …}``: `time.monotonic` seconds (comparable across
        processes) and the CPU seconds the timed events took.
    """
    if root is not None:
        sys.path.insert(0, str(root))
    with tempfile.TemporaryDirectory(prefix="msc-bench-") as tmp:
        emit = SETUPS[name](directory or Path(tmp))
        shared = sys.modules.get("shared")
        if root is not None and not (shared and str(shared.__file__).startswith(str(root))):
            raise RuntimeError(f"shared was not imported from {root}")
        for i in range(WARMUP):
            emit(i)
        if wait:
            print("ready", flush=True)
            sys.stdin.readline()
        start, cpu = time.monotonic(), time.process_time()
        for i in range(events):
            emit(i)
        return {"start": start, "end": time.monotonic(), "cpu": time.process_time() - cpu}


def _command(name: str, events: int, baseline: Path | None, *extra: str) -> list[str]:
    command = [sys.executable, __file__, "--child", name, "--events", str(events), *extra]
    return [*command, "--root", str(baseline)] if name == BASELINE and baseline else command


def _result(output: str) -> dict[str, float]:
    return dict(json.loads(output.strip().splitlines()[-1]))


def run_one(name: str, events: int, baseline: Path | None = None) -> tuple[float, float] | None:
    """Run ``name`` in a subprocess; return its events per CPU second and per wall second.

    None (reported on stderr) when it failed.
    """
    command = _command(name, events, baseline)
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"{name}: failed\n{done.stderr.strip()}", file=sys.stderr)
        return None
    times = _result(done.stdout)
    return events / times["cpu"], events / (times["end"] - times["start"])


def run_group(name: str, events: int) -> float | None:
    """Run `GROUP` processes of ``name`` on one directory at once; return their events/s."""
    with tempfile.TemporaryDirectory(prefix="msc-bench-group-") as tmp:
        command = _command(name, events, None, "--dir", tmp, "--wait")
        children = [
            subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for _ in range(GROUP)
        ]
        for process in children:  # all set up before any starts
            assert process.stdout is not None
            process.stdout.readline()
        for process in children:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        outputs = [process.communicate()[0] for process in children]
    if any(process.returncode != 0 for process in children):
        print(f"{name} x{GROUP}: failed", file=sys.stderr)
        return None
    times = [_result(output) for output in outputs]
    elapsed = max(t["end"] for t in times) - min(t["start"] for t in times)
    return GROUP * events / elapsed


Rounds = dict[str, list[float | None]]


def run_all(events: int, rounds: int, baseline: Path | None) -> tuple[Rounds, Rounds]:
    """Run every contender once per round, then the group rows.

    Returns:
        Events per CPU second of each contender per round, and events per wall second of each
        contender and group per round.
    """
    contenders = [name for name in CONTENDERS if baseline or name != BASELINE]
    cpu: Rounds = {name: [] for name in contenders}
    wall: Rounds = {name: [] for name in (*contenders, *_group_names())}
    for number in range(rounds):
        order = contenders if number % 2 == 0 else contenders[::-1]
        for name in order:
            rates = run_one(name, events, baseline)
            cpu[name].append(rates and rates[0])
            wall[name].append(rates and rates[1])
        for name, group in zip(GROUPED, _group_names(), strict=True):
            wall[group].append(run_group(name, events))
        print(f"round {number + 1}/{rounds} done", file=sys.stderr)
    return cpu, wall


def _group_names() -> tuple[str, ...]:
    return tuple(f"{name} x{GROUP} processes" for name in GROUPED)


def _ratio(ours: list[float | None], peer: list[float | None]) -> str:
    ratios = [a / b for a, b in zip(ours, peer, strict=True) if a is not None and b is not None]
    if not ratios:
        return "n/a"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def table(cpu: Rounds, wall: Rounds) -> str:
    """Format the rates per contender and the per-round ratios of ours to each peer (markdown)."""
    lines = [
        "| contender | events/CPU-s (median) | µs CPU/event | min-max | events/s wall (median) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in cpu.items():
        measured = [value for value in values if value is not None]
        if not measured:
            lines.append(f"| {name} | failed | | | |")
            continue
        median = statistics.median(measured)
        spread = f"{min(measured):,.0f}-{max(measured):,.0f}"
        lines.append(
            f"| {name} | {median:,.0f} | {1e6 / median:.2f} | {spread} | {_rate(wall[name])} |"
        )
    peers = [name for name in (BASELINE, *PEERS) if name in cpu]
    lines += ["", "| ours ÷ peer, per round (CPU) | " + " | ".join(peers) + " |"]
    lines.append("|---|" + "---:|" * len(peers))
    for name in OURS:
        # The baseline is measured with source locations: compare it with ours alike only.
        cells = [
            "" if peer == BASELINE and name != "ours" else _ratio(cpu[name], cpu[peer])
            for peer in peers
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    ours_group, raw_group = _group_names()
    lines += [
        "",
        f"| {GROUP} processes, one log set (wall) | ours x{GROUP} | raw x{GROUP} | ours ÷ raw |",
        "|---|---:|---:|---:|",
        f"| events/s, all together | {_rate(wall[ours_group])} | {_rate(wall[raw_group])} |"
        f" {_ratio(wall[ours_group], wall[raw_group])} |",
    ]
    return "\n".join(lines)


def _rate(values: list[float | None]) -> str:
    measured = [value for value in values if value is not None]
    return f"{statistics.median(measured):,.0f}" if measured else "failed"


def machine() -> str:
    """Cores, CPU model, load average, Python and the peers' versions."""
    from importlib.metadata import PackageNotFoundError, version

    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    versions = []
    for package in ("orjson", "structlog", "python-json-logger", "loguru"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} missing")
    return (
        f"nproc {len(os.sched_getaffinity(0))} ({model}), load average"
        f" {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}, {', '.join(versions)}"
    )


def main() -> None:
    """Parse arguments; run every contender (or, with --child, one) and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", type=Path, help="a directory holding another shared/")
    parser.add_argument("--wait", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.events, args.dir, args.wait, args.root)))
        return
    before = machine()
    baseline = args.baseline.resolve() if args.baseline else None
    cpu, wall = run_all(args.events, args.rounds, baseline)
    print(f"{args.events:,} events per process, {args.rounds} rounds, flush per event")
    print(f"machine: {before}; load average after {os.getloadavg()[0]:.1f}\n")
    print(table(cpu, wall))


if __name__ == "__main__":
    main()
