"""Reliability soak: the figures README and SECURITY.md quote, measured again in one run.

    .venv/bin/python bench/reliability.py [--writers 8] [--records 50000] [--clear-runs 20]

1. ``--writers`` processes log ``--records`` records each through `shared` with rotation at
   ``--rotate-kb`` while a `LogFollower` in this process follows the set. Afterwards every file
   is read: per writer, records lost, duplicated or out of order, in the files and as the
   follower delivered them.
2. The follower across rotations *and* clears: the test
   ``TestFollowerUnderRotationAndClears`` (two writers at full speed through 200+ rotations,
   five clears) run ``--clear-runs`` times in a row; it checks every line once, in order,
   except exactly those a clear destroyed.

Counts, not timings: the table says what was lost, not how fast.
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from shared.reader.follow import LogFollower  # noqa: E402

APP = "midi-software-center"
WRITER = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rotate_mb = float(sys.argv[4])
init_logging(LogConfig(log_dir=log_dir, console_level="error", include_location=False,
                       max_file_size_mb=rotate_mb, max_files=1_000_000), env_filter="")
info = get_logger("soak").info
for seq in range(count):
    info("r", w=worker, s=seq)
"""


def verdict(found: dict[int, list[int]], writers: int, records: int) -> tuple[int, int, int]:
    """Lost, duplicated and out-of-order records over every writer."""
    lost = duplicated = disorder = 0
    for worker in range(writers):
        seqs = found.get(worker, [])
        lost += records - len(set(seqs))
        duplicated += len(seqs) - len(set(seqs))
        disorder += sum(1 for a, b in itertools.pairwise(seqs) if b <= a)
    return lost, duplicated, disorder


def soak(writers: int, records: int, rotate_kb: int) -> list[tuple[str, str]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="msc-soak-") as tmp:
        log_dir = Path(tmp)
        (log_dir / f"{APP}.log").touch()  # the follower starts at the writers' first line
        stop = threading.Event()
        delivered: dict[int, list[int]] = defaultdict(list)

        def follow() -> None:
            with LogFollower(log_dir, APP, poll_interval=0.005) as follower:
                while True:
                    done = stop.is_set()  # one last poll after the writers ended
                    for entry in follower.poll().entries:
                        if entry["message"] == "r":
                            delivered[entry["fields"]["w"]].append(entry["fields"]["s"])
                    if done:
                        return
                    time.sleep(0.005)

        thread = threading.Thread(target=follow)
        thread.start()
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("MSC_LOG", None)
        began = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", WRITER, tmp, str(w), str(records), str(rotate_kb / 1024)],
                env=env,
            )
            for w in range(writers)
        ]
        failed = sum(p.wait() != 0 for p in procs)
        elapsed = time.monotonic() - began
        time.sleep(2 * 0.005 + 0.1)
        stop.set()
        thread.join()
        in_files: dict[int, list[int]] = defaultdict(list)
        names = sorted(
            (p for p in log_dir.iterdir() if p.name == f"{APP}.log" or p.suffix[1:].isdigit()),
            key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0,
        )
        invalid = 0
        for path in names:
            for raw in path.read_bytes().splitlines():
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    invalid += 1
                    print(f"invalid line in {path.name}: {raw[:200]!r}", file=sys.stderr)
                    continue
                if record["message"] == "r":
                    in_files[record["fields"]["w"]].append(record["fields"]["s"])
        total = writers * records
        rows.append(("writers", f"{writers} processes x {records:,} records ({total:,})"))
        rows.append(("rotations", f"{len(names) - 1:,} at {rotate_kb} KiB, {elapsed:.1f} s"))
        rows.append(("writers failed", str(failed)))
        rows.append(("invalid lines in the files", str(invalid)))
        lost, dup, disorder = verdict(in_files, writers, records)
        rows.append(("files: lost / duplicated / out of order", f"{lost} / {dup} / {disorder}"))
        lost, dup, disorder = verdict(delivered, writers, records)
        rows.append(("follower: lost / duplicated / out of order", f"{lost} / {dup} / {disorder}"))
    return rows


def clear_runs(runs: int) -> list[tuple[str, str]]:
    failed = 0
    for _ in range(runs):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/shared/test_reader_reliability.py::TestFollowerUnderRotationAndClears",
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        failed += result.returncode != 0
    return [
        ("follower through 200+ rotations and 5 clears", f"{runs - failed} of {runs} runs exact")
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--rotate-kb", type=int, default=256)
    parser.add_argument("--clear-runs", type=int, default=20)
    args = parser.parse_args()
    rows = soak(args.writers, args.records, args.rotate_kb) + clear_runs(args.clear_runs)
    width = max(len(name) for name, _ in rows)
    print(f"| {'what':<{width}} | result |\n|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name:<{width}} | {value} |")


if __name__ == "__main__":
    main()
