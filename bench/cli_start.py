"""Command-line start-up: ``msc-logs query`` and ``tail`` beside the interpreter's own floor.

    .venv/bin/python bench/cli_start.py [--rounds 20] [--baseline DIR]

Each row is a fresh process on a small log directory (one file of 20 entries in our format).
Rows are measured in rounds: each round runs every row once, in a rotating order, so a busy
moment on a shared machine hits them alike. ``query`` and ``--version`` are timed from spawn to
exit; ``tail`` (which follows until interrupted) from spawn to its first line of output.

Two ways of starting are compared:

- **site**: ``python`` with its site (the venv's ``.pth`` files) and the ``msc-logs`` script,
  as a user runs it. In a development checkout the site includes the editable install's import
  finder (``__editable___msc_logging_…_finder``: a few ms, it imports pathlib and
  importlib.util), which a wheel install does not have;
- **no site** (``python -S``): the checkout and the venv's site-packages on ``PYTHONPATH``
  instead, so no ``.pth`` file runs.

For each, ``-c pass`` is the interpreter's floor and ``-c 'import <dependencies>'`` the floor of
what ``query`` needs that is not ours (`DEPENDENCIES`: argparse, pathlib, typing, orjson …);
``query`` above the latter is our imports and our work. "over floor" is a row's median minus
the median of ``-c pass`` started the same way. The peer: coreutils ``tail -n 1`` on the same
file. ``--baseline DIR`` adds ``query`` and ``tail`` rows running the ``backend`` and ``shared``
packages found in DIR (an older tree, e.g. ``git archive REV backend shared | tar -x -C DIR``),
marked "(baseline)". Goal from the issue: ``msc-logs query`` within 30 ms.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MSC_LOGS = str(Path(PYTHON).parent / "msc-logs")
SITE_PACKAGES = sysconfig.get_path("purelib")
#: What ``query`` needs besides our code: the stdlib and third-party modules it imports (orjson
#: imports dataclasses and inspect), and what building an argparse parser loads (shutil, locale).
DEPENDENCIES = (
    "import argparse, datetime, pathlib, typing, orjson, stringzilla;"
    " argparse.ArgumentParser().add_argument('-x')"
)
LOG_NAME = "midi-software-center.log"
# Bytecode caching on, as an installed app has it (this sandbox sets PYTHONDONTWRITEBYTECODE=1,
# which would recompile every changed module on every start).
BASE_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


class Row:
    """One command line, timed to exit or (``first_line``) to its first line of output."""

    def __init__(
        self, label: str, argv: list[str], env: dict[str, str], *, first_line: bool = False
    ) -> None:
        self.label, self.argv, self.env, self.first_line = label, argv, env, first_line
        self.times: list[float] = []
        # Not this checkout: ``python -m`` puts the working directory first on sys.path, where
        # it would shadow the tree under test (PYTHONPATH).
        self.cwd = tempfile.gettempdir()

    def run(self) -> None:
        """Run once and record the time (ms)."""
        start = time.perf_counter()
        if self.first_line:
            with subprocess.Popen(
                self.argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
            ) as child:
                assert child.stdout is not None
                line = child.stdout.readline()
                self.times.append((time.perf_counter() - start) * 1000)
                child.terminate()
            if not line:
                raise SystemExit(f"{self.label}: no output")
            return
        done = subprocess.run(
            self.argv, stdout=subprocess.DEVNULL, env=self.env, cwd=self.cwd, check=False
        )
        self.times.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            raise SystemExit(f"{self.label}: exit code {done.returncode}")


def rows(log_dir: Path, baseline: Path | None) -> list[Row]:
    """The table's rows, reading ``log_dir``; ``baseline``: also that tree's query and tail."""
    query = ["query", "--log-dir", str(log_dir), "--limit", "1"]
    tail = ["tail", "--log-dir", str(log_dir), "-n", "1"]
    trees = [(ROOT, "")] + ([(baseline, " (baseline)")] if baseline else [])
    table = []
    for site in (True, False):
        python = [PYTHON] if site else [PYTHON, "-S"]
        prefix = " ".join(["python", *python[1:]])
        site_packages = [] if site else [SITE_PACKAGES]  # without site, PYTHONPATH names it
        env = {**BASE_ENV, "PYTHONPATH": os.pathsep.join(site_packages)}
        table += [
            Row(f"{prefix} -c pass", [*python, "-c", "pass"], env),
            Row(f"{prefix} -c 'import <dependencies>'", [*python, "-c", DEPENDENCIES], env),
        ]
        for tree, mark in trees:
            # The editable finder comes after sys.path: PYTHONPATH picks the tree under test.
            env = {**BASE_ENV, "PYTHONPATH": os.pathsep.join([str(tree), *site_packages])}
            command = [MSC_LOGS] if site else [*python, "-m", "backend"]
            name = "msc-logs" if site else f"{prefix} -m backend"
            if not mark:
                table.append(Row(f"{name} --version", [*command, "--version"], env))
            table += [
                Row(f"{name} query --limit 1{mark}", [*command, *query], env),
                Row(f"{name} tail -n 1{mark}", [*command, *tail], env, first_line=True),
            ]
    if shutil.which("tail"):  # the peer: printing the last line without Python
        peer = ["tail", "-n", "1", str(log_dir / LOG_NAME)]
        table.append(Row("tail -n 1 FILE (coreutils)", peer, BASE_ENV))
    return table


def write_log(log_dir: Path) -> None:
    """A small log: 20 entries in our own format."""
    lines = [
        f'{{"timestamp":"2026-01-01T00:00:{second:02d}.000000Z","level":"info",'
        f'"category":"system","message":"entry {second}","target":"bench","fields":{{}},'
        f'"span":null,"pid":1,"source":"bench.py:1"}}\n'
        for second in range(20)
    ]
    (log_dir / LOG_NAME).write_text("".join(lines))


def table(all_rows: list[Row]) -> str:
    """Median, min-max and median over the floor of each row, in ms."""
    floors = {row.label: statistics.median(row.times) for row in all_rows if "pass" in row.argv}
    head = f"{'command':<50} {'median':>7} {'min-max':>13} {'over floor':>11}"
    out = [head, "-" * len(head)]
    for row in all_rows:
        median = statistics.median(row.times)
        spread = f"{min(row.times):.1f}-{max(row.times):.1f}"
        floor = floors["python -S -c pass" if "-S" in row.argv else "python -c pass"]
        over = "" if row.argv[0] == "tail" else f"{median - floor:+.1f}"  # not the peer's
        out.append(f"{row.label:<50} {median:>7.1f} {spread:>13} {over:>11}")
    return "\n".join(out)


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="runs of every row (20)")
    parser.add_argument("--baseline", type=Path, metavar="DIR", help="an older tree to compare")
    args = parser.parse_args()
    if args.baseline and not (args.baseline / "backend" / "__main__.py").is_file():
        parser.error(f"--baseline {args.baseline}: no backend/__main__.py there")
    with tempfile.TemporaryDirectory(prefix="cli-start-") as tmp:
        log_dir = Path(tmp)
        write_log(log_dir)
        all_rows = rows(log_dir, args.baseline and args.baseline.resolve())
        for row in all_rows:  # warm-up: bytecode caches and the page cache
            row.run()
            row.times.clear()
        for offset in itertools.islice(itertools.cycle(range(len(all_rows))), args.rounds):
            for row in all_rows[offset:] + all_rows[:offset]:
                row.run()
    print(f"Python {sys.version.split()[0]}, {args.rounds} rounds, times in ms")
    print(table(all_rows))


if __name__ == "__main__":
    main()
