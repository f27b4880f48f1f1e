"""Command-line start-up: ``msc-logs query`` and ``tail`` beside the interpreter's own floor.

    .venv/bin/python bench/cli_start.py [--rounds 20] [--baseline DIR]

Each row is a fresh process on a small log directory (one file of 20 entries in our format).
Rows are measured in rounds: each round runs every row once, in a rotating order, so a busy
moment on a shared machine hits them alike. ``query`` and ``--version`` are timed from spawn to
exit; ``tail`` (which follows until interrupted) from spawn to its first line of output.

Three ways of starting are compared:

- **site**: ``python`` with its site (the venv's ``.pth`` files) and the ``msc-logs`` script,
  as a user runs it. In a development checkout the site includes the editable install's import
  finder (``__editable___msc_logging_…_finder``: it imports pathlib, re and importlib.util at
  every start, query or not), which a wheel install does not have;
- **wheel-like**: a throw-away venv whose site has one plain ``.pth`` line per directory (the
  checkout, the dev venv's site-packages), as a wheel install's site-packages is a plain
  ``sys.path`` entry: no import hook, no other ``.pth`` runs. Its ``msc-logs`` is the dev venv's
  console script (what pip generated) with the shebang pointed at it;
- **no site** (``python -S``): the checkout and the venv's site-packages on ``PYTHONPATH``
  instead, so no ``.pth`` file runs.

For each, ``-c pass`` is the interpreter's floor; for site and no site,
``-c 'import <dependencies>'`` is the floor of what ``query`` needs that is not ours
(`DEPENDENCIES`: argparse, pathlib, typing, orjson …), and ``query`` above it is our imports
and our work. "over floor" is a row's median minus the median of ``-c pass`` started the same
way. "cpu" is the median of the process's own user + system time (``wait4``): other work on a
shared machine inflates wall times far more than it; it is left out for ``tail``, which is
timed to its first line and then stopped. The peer: coreutils ``tail -n 1`` on the same file.
``--baseline DIR`` adds ``query`` and ``tail`` rows running the ``backend`` and ``shared``
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
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MSC_LOGS = str(Path(PYTHON).parent / "msc-logs")
SITE_PACKAGES = sysconfig.get_path("purelib")
#: What ``query`` needs besides our code: the stdlib and third-party modules it imports (orjson
#: imports dataclasses, inspect, uuid and platform), and what building an argparse parser loads
#: (gettext, locale) with a formatter given its width, as ours is (`backend._helpformat`: not
#: shutil, which argparse's own formatter imports).
DEPENDENCIES = (
    "import argparse, datetime, pathlib, re, typing, orjson, stringzilla;"
    " argparse.ArgumentParser(formatter_class=lambda prog: argparse.HelpFormatter(prog, width=78))"
    ".add_argument('-x')"
)
LOG_NAME = "midi-software-center.log"
# Bytecode caching on, as an installed app has it (this sandbox sets PYTHONDONTWRITEBYTECODE=1,
# which would recompile every changed module on every start).
BASE_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


class Row:
    """One command line, timed to exit or (``first_line``) to its first line of output."""

    def __init__(
        self,
        label: str,
        argv: list[str],
        env: dict[str, str],
        *,
        floor: str,
        first_line: bool = False,
    ) -> None:
        self.label, self.argv, self.env, self.first_line = label, argv, env, first_line
        self.floor = floor  # the label of the ``-c pass`` row started the same way
        self.times: list[float] = []
        self.cpu: list[float] = []
        # Not this checkout: ``python -m`` puts the working directory first on sys.path, where
        # it would shadow the tree under test (PYTHONPATH).
        self.cwd = tempfile.gettempdir()

    def run(self) -> None:
        """Run once and record the time (ms) and, when run to its exit, the CPU time (ms)."""
        start = time.perf_counter()
        if self.first_line:
            self._run_to_first_line(start)
            return
        child = subprocess.Popen(self.argv, stdout=subprocess.DEVNULL, env=self.env, cwd=self.cwd)
        _, status, usage = os.wait4(child.pid, 0)
        self.times.append((time.perf_counter() - start) * 1000)
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        self.cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
        if child.returncode != 0:
            raise SystemExit(f"{self.label}: exit code {child.returncode}")

    def _run_to_first_line(self, start: float) -> None:
        with subprocess.Popen(
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=self.env, cwd=self.cwd
        ) as child:
            assert child.stdout is not None
            line = child.stdout.readline()
            self.times.append((time.perf_counter() - start) * 1000)
            child.terminate()
        if not line:
            raise SystemExit(f"{self.label}: no output")


def rows(log_dir: Path, baseline: Path | None, wheel_like: Path) -> list[Row]:
    """The table's rows, reading ``log_dir``; ``baseline``: also that tree's query and tail;
    ``wheel_like``: the venv made by `make_wheel_like`."""
    trees = [(ROOT, "")] + ([(baseline, " (baseline)")] if baseline else [])
    table = []
    for site in (True, False):
        python = [PYTHON] if site else [PYTHON, "-S"]
        prefix = " ".join(["python", *python[1:]])
        site_packages = [] if site else [SITE_PACKAGES]  # without site, PYTHONPATH names it
        env = {**BASE_ENV, "PYTHONPATH": os.pathsep.join(site_packages)}
        floor = f"{prefix} -c pass"
        table += [
            Row(floor, [*python, "-c", "pass"], env, floor=floor),
            Row(
                f"{prefix} -c 'import <dependencies>'",
                [*python, "-c", DEPENDENCIES],
                env,
                floor=floor,
            ),
        ]
        for tree, mark in trees:
            # The editable finder comes after sys.path: PYTHONPATH picks the tree under test.
            env = {**BASE_ENV, "PYTHONPATH": os.pathsep.join([str(tree), *site_packages])}
            command = [MSC_LOGS] if site else [*python, "-m", "backend"]
            name = "msc-logs" if site else f"{prefix} -m backend"
            if not mark:
                table.append(Row(f"{name} --version", [*command, "--version"], env, floor=floor))
            table += _reader_rows(name, command, log_dir, env, floor=floor, mark=mark)
        if site:
            table += _wheel_like_rows(wheel_like, log_dir)
    if shutil.which("tail"):  # the peer: printing the last line without Python
        peer = ["tail", "-n", "1", str(log_dir / LOG_NAME)]
        table.append(Row("tail -n 1 FILE (coreutils)", peer, BASE_ENV, floor=""))
    return table


def _reader_rows(
    name: str, command: list[str], log_dir: Path, env: dict[str, str], *, floor: str, mark: str
) -> list[Row]:
    """``query`` and ``tail`` started by ``command``."""
    query = ["query", "--log-dir", str(log_dir), "--limit", "1"]
    tail = ["tail", "--log-dir", str(log_dir), "-n", "1"]
    return [
        Row(f"{name} query --limit 1{mark}", [*command, *query], env, floor=floor),
        Row(f"{name} tail -n 1{mark}", [*command, *tail], env, floor=floor, first_line=True),
    ]


def _wheel_like_rows(wheel_like: Path, log_dir: Path) -> list[Row]:
    """``-c pass``, ``query`` and ``tail`` from the wheel-like venv (PYTHONPATH unset)."""
    python = str(wheel_like / "bin" / "python")
    env = {key: value for key, value in BASE_ENV.items() if key != "PYTHONPATH"}
    floor = "python -c pass (wheel-like)"
    script = [str(wheel_like / "bin" / "msc-logs")]
    return [
        Row(floor, [python, "-c", "pass"], env, floor=floor),
        *_reader_rows("msc-logs", script, log_dir, env, floor=floor, mark=" (wheel-like)"),
    ]


def make_wheel_like(directory: Path) -> Path:
    """A venv in ``directory`` that finds this checkout and the dev venv's packages through one
    plain ``.pth`` file, as a wheel install would (no editable finder), with the dev venv's
    ``msc-logs`` script."""
    venv.EnvBuilder(with_pip=False, symlinks=True).create(directory)
    python = directory / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "msc-logging.pth").write_text(f"{ROOT}\n{SITE_PACKAGES}\n")
    _, body = Path(MSC_LOGS).read_text().split("\n", 1)  # the shebang names the dev venv
    script = directory / "bin" / "msc-logs"
    script.write_text(f"#!{python}\n{body}")
    script.chmod(0o755)
    return directory


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
    """Median, min-max, median over the floor and median CPU time of each row, in ms."""
    medians = {row.label: statistics.median(row.times) for row in all_rows}
    head = f"{'command':<50} {'median':>7} {'min-max':>13} {'over floor':>11} {'cpu':>6}"
    out = [head, "-" * len(head)]
    for row in all_rows:
        median = medians[row.label]
        spread = f"{min(row.times):.1f}-{max(row.times):.1f}"
        over = f"{median - medians[row.floor]:+.1f}" if row.floor else ""  # not the peer's
        cpu = f"{statistics.median(row.cpu):.1f}" if row.cpu else ""
        out.append(f"{row.label:<50} {median:>7.1f} {spread:>13} {over:>11} {cpu:>6}")
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
        log_dir = Path(tmp, "logs")
        log_dir.mkdir()
        write_log(log_dir)
        wheel_like = make_wheel_like(Path(tmp, "venv"))
        all_rows = rows(log_dir, args.baseline and args.baseline.resolve(), wheel_like)
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
