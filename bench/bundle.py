"""The PyInstaller bundle: its size, what takes the room, and its cold start beside the venv's.

    .venv/bin/python bench/bundle.py [--dist dist/msc-logs] [--archive PATH] [--runs 7]

Builds nothing: measures the bundle ``./run.sh bundle`` left in ``--dist`` and the archive beside
it (``msc-logs-<version>-linux-<arch>.tar.gz``, or ``--archive``).

- **on disk**: what ``du`` counts (allocated blocks, symlinks as nothing), and the same split by
  part (`PARTS`): Qt WebEngine's Chromium, the ICU data of Qt and of Chromium, the rest of Qt, the
  system libraries PyInstaller copied from the build machine, Python with the packages and the
  page;
- **cold start**: from spawning the app to the first rows in the list's DOM (polled every 20 ms;
  the DevTools endpoint every 100 ms), under a private Xvfb (tests/native/harness.py). The bundle
  (its executable) and the venv (``python -m backend``) take turns, one warm-up run each first so
  that both start from a warm page cache and compiled bytecode; median of ``--runs`` (min-max).

Goals from issue 16: <= 250 MiB (``du -sh``'s 250M), first rows <= 1.0 s from the bundle.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "native"))

from harness import APP_COMMAND, Viewer, XServer, write_entries  # noqa: E402

ICU = "ICU data (Qt's libicudata, Chromium's icudtl.dat)"
CHROMIUM = "Qt WebEngine's Chromium (libQt6WebEngineCore, QtWebEngineProcess, .pak, V8 snapshot)"
QT = "other Qt (Core, Gui, Widgets, Quick/Qml, ICU code, plugins, PyQt6)"
PAGE = "page (frontend/)"
SYSTEM = "system libraries from the build machine (X11/xcb, NSS, OpenSSL, libstdc++, ...)"
PYTHON = "Python, the packages and our code (libpython, extensions, the archive in msc-logs)"
CHROMIUM_FILES = tuple(
    f"PyQt6/Qt6/{sub}" for sub in ("lib/libQt6WebEngineCore.so", "libexec/", "resources/", "transl")
)
GOALS = {"on disk": "<= 250 MiB", "cold start": "<= 1.0 s"}


def part_of(relative: str) -> str:
    """Which part a file is, from its path under _internal/."""
    name = relative.rsplit("/", 1)[-1]
    if name.startswith("libicudata.so") or name == "icudtl.dat":
        return ICU
    if relative.startswith(CHROMIUM_FILES):
        return CHROMIUM
    if relative.startswith("PyQt6/"):
        return QT
    if relative.startswith("frontend/"):
        return PAGE
    # PyInstaller puts the libraries it collects from the system at the top (libpython too).
    if "/" not in relative and ".so" in name and not name.startswith("libpython"):
        return SYSTEM
    return PYTHON


def disk_usage(path: Path) -> int:
    """Bytes allocated to ``path`` as ``du`` counts them (symlinks count as nothing)."""
    info = path.lstat()
    return 0 if path.is_symlink() else info.st_blocks * 512


def sizes(folder: Path) -> dict[str, int]:
    """Bytes on disk per part of the one-folder bundle, the executable counted as Python."""
    totals = {PYTHON: disk_usage(folder / "msc-logs")}
    internal = folder / "_internal"
    for path in internal.rglob("*"):
        if path.is_file() and not path.is_symlink():
            part = part_of(path.relative_to(internal).as_posix())
            totals[part] = totals.get(part, 0) + disk_usage(path)
    return totals


def find_archive(folder: Path) -> Path | None:
    """The newest ``msc-logs-*.tar.*`` beside the bundle's folder, if any."""
    found = sorted(folder.parent.glob("msc-logs-*.tar.*"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def cold_start(x: XServer, work: Path, command: Sequence[str], run: int) -> float:
    """Seconds from spawning ``command`` to the first rows of a fresh 200-entry directory."""
    log_dir = work / f"cold-{Path(command[0]).name}-{run}"
    write_entries(log_dir, [f"entry {n}" for n in range(200)])
    started = time.monotonic()
    viewer = Viewer.launch(x, log_dir, work, command=command, poll=0.02)
    elapsed = time.monotonic() - started
    viewer.close()
    return elapsed


def cold_starts(commands: Mapping[str, Sequence[str]], runs: int) -> dict[str, list[float]]:
    """Cold starts per command, taking turns, after one discarded warm-up run each."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    x = XServer()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(runs + 1):
                for name, command in commands.items():
                    elapsed = cold_start(x, Path(tmp), command, run)
                    if run:
                        times[name].append(elapsed)
    finally:
        x.stop()
    return times


def mib(size: int) -> str:
    """Bytes in MiB, the unit of ``du -h`` (and of the issue's "MB")."""
    return f"{size / 2**20:,.1f} MiB"


def seconds(values: list[float]) -> str:
    """Median and range of ``values`` in seconds."""
    return f"{statistics.median(values):.2f} s ({min(values):.2f}-{max(values):.2f})"


def table(folder: Path, archive: Path | None, times: dict[str, list[float]], runs: int) -> str:
    """The markdown table of sizes and cold starts."""
    parts = sizes(folder)
    rows = [
        "| measure | bundle | venv (`python -m backend`) | goal (issue 16) |",
        "|---|---:|---:|---|",
        f"| on disk ({folder}) | {mib(sum(parts.values()))} | | {GOALS['on disk']} |",
    ]
    if archive is not None:
        rows.append(f"| archive ({archive.name}) | {mib(archive.stat().st_size)} | | |")
    for part, size in sorted(parts.items(), key=lambda item: -item[1]):
        rows.append(f"| - {part} | {mib(size)} | | |")
    rows.append(
        f"| cold start to first rows, median of {runs} (min-max) | {seconds(times['bundle'])} "
        f"| {seconds(times['venv'])} | {GOALS['cold start']} |"
    )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=REPO / "dist" / "msc-logs")
    parser.add_argument("--archive", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    folder: Path = args.dist.resolve()
    executable = folder / "msc-logs"
    if not executable.is_file():
        parser.error(f"no bundle at {folder} (build it with ./run.sh bundle)")
    # Bytecode caching on for the venv, as an installed app has it (this sandbox sets
    # PYTHONDONTWRITEBYTECODE=1, which would make the venv compile changed modules every start).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    commands = {"bundle": [str(executable)], "venv": list(APP_COMMAND)}
    times = cold_starts(commands, args.runs)
    print(table(folder, args.archive or find_archive(folder), times, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
