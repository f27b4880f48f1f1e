"""Query and live-path benchmark: our reader beside rg, tail and lnav, measured in the same run.

    .venv/bin/python bench/query.py [--size-gb 1] [--rounds 5] [--sets own,pino,mixed]
                                    [--baseline REV]

Generates (once, cached under bench/.data/, git-ignored) log directories of about --size-gb
each, every source a rotated set of 10 files (the active file newest):

- own (the default): our format: ~1% errors, 8 categories, structured fields, tracebacks with
  escapes, and a rare combination (error + security, ~0.01%);
- pino: ``node.log`` in pino's own layout (level, time, pid, hostname, name, reqId, fields, msg
  last, as pino writes them): ~1% level 50 with a serialised ``err`` and its stack, a few 60,
  ~14% 40, the rest 30 and 20;
- mixed: our format (~40%), pino (~40%) and Python logging text
  (``%(asctime)s - %(name)s - %(levelname)s - %(message)s`` with tracebacks, ~20%,
  ``worker.log``), their times interleaved over the same period;
- aaaa, for one row of the own table: a single file of 10,000 lines of 26-40 ``a``.

Rows: ordinary English words that occur nowhere in the data, level/category combinations,
regexes, "last 100". They are measured in rounds: each round runs every contender once per row,
the contenders' order rotating from row to row and round to round, so a busy moment on a shared
machine hits them alike. Contenders: ours in-process (`query_logs`), ours end to end
(``python -m backend query``, a fresh process), ``rg -j1``, ``rg`` (every core), ``tail`` on
"last 100" rows and ``lnav`` on a few rows; one whose first run takes over 10 s runs in the
first round only. Each peer's cell: its median time, and ours ÷ peer per round as median
(min-max).

The own set also gets the live table: the follower's latency (write in another process → entry
yielded; polling every 10 ms, and woken by inotify) and idle CPU, and the viewer's real path:
``msc-logs dev`` subscribed over HTTP, records written with the library by another process, time
to their arrival on ``/events``, and the server's idle CPU; and the table of the dev server under
long work (bench/_busy.py): a whole-set scan, an export, a first ``get_log_info`` and a first
histogram, each while other clients fetch a static file, call a light command and receive live
entries. With ``--baseline REV`` the reader as
it was at REV (a temporary git worktree) and the current one run in worker processes of their
own, as two more contenders.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import orjson
from _logsets import CLI_ENV, DATA, FILES, ROOT, SOURCES, active_files, dataset, log_files

sys.path.insert(0, str(ROOT))  # this checkout's packages, whatever is installed

from _busy import busy_rows
from _live import follower_latency, idle_cpu, spread, viewer_live_path

from shared.reader.query import LogQuery, query_logs

LNAV_CONFIG = DATA / "lnav"
PEER_TIMEOUT = 300.0
SLOW_S = 10.0


# --- what is measured ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One query: its `LogQuery` arguments, ``query`` flags and the peers' arguments.

    A row without ``rg`` is a "last N" row: its peer is ``tail -n 100`` of the active file(s).
    """

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    rg: str | None = None
    """rg's pattern arguments (shell text)."""
    lnav: str | None = None
    """lnav's ``-c`` command ("": none); None: lnav does not run on this row."""
    data: str | None = None
    """The set this row runs on, when not the table's."""


# Ordinary words, none of which occurs in any of the sets (checked with `rg -i -c`).
WORDS = (
    "zebrafish", "elephant", "deadlock", "kubernetes", "timeout", "pineapple",
    "umbrella", "hospital", "volcano", "saxophone", "wardrobe", "lighthouse",
)  # fmt: skip


def search_row(text: str, label: str = "", *, regex: bool = False, lnav: bool = False) -> Row:
    """A case-insensitive search (literal, or RE2 regex) and the same through rg and lnav."""
    return Row(
        f"`{text}`{label}",
        {"search": text, "regex": regex},
        ("--search", text, "--regex") if regex else ("--search", text),
        f"-i -e '{text}'" if regex else f"-i -F '{text}'",
        f":filter-in (?i){text}" if lnav else None,
    )


def filter_row(name: str, rg: str, lnav: str | None = None, **arguments: str) -> Row:
    """Level and/or category: rg looks for the JSON text, lnav filters on its columns."""
    flags = itertools.chain.from_iterable((f"--{key}", value) for key, value in arguments.items())
    return Row(name, arguments, tuple(flags), rg, lnav)


WORD_ROWS = tuple(search_row(word, lnav=index == 0) for index, word in enumerate(WORDS))
LNAV_ERROR_SECURITY = ":filter-expr :log_level = 'error' AND :category = 'security'"
OWN_ROWS = (
    Row("last 100", lnav=""),
    *WORD_ROWS,
    search_row("zqxjkv-nohit", " (not a word)"),
    filter_row(
        "error + security (~0.01%)",
        """-F '"level":"error","category":"security"'""",
        LNAV_ERROR_SECURITY,
        level="error",
        category="security",
    ),
    filter_row(
        "warn + midi", """-F '"level":"warn","category":"midi"'""", level="warn", category="midi"
    ),
    filter_row("error", """-F '"level":"error"'""", level="error"),
    filter_row("category security", """-F '"category":"security"'""", category="security"),
    search_row("time(out|d out)", " (regex)", regex=True, lnav=True),
    search_row("(a+)+$", " (regex): ours tests values, rg lines", regex=True),
    replace(search_row("(a+)+$", " (regex) on 10k lines of 26-40 a", regex=True), data="aaaa"),
)
PINO_ROWS = (
    Row("last 100", lnav=""),
    # 60 (fatal) left out: two -F patterns are 10x slower
    filter_row("error", """-F '"level":50'""", ":filter-expr :log_level = 'error'", level="error"),
    *WORD_ROWS,
)
# The three formats' error markers: ours, pino's 50 and 60, Python logging's ERROR and CRITICAL.
MIXED_ERRORS = '"level":"error"|"level":50|"level":60| - ERROR - | - CRITICAL - '
MIXED_ROWS = (
    Row("last 100", lnav=""),
    filter_row(
        "error",
        f"-e '{MIXED_ERRORS}'",
        ":filter-expr :log_level IN ('error', 'critical', 'fatal')",
        level="error",
    ),
    *WORD_ROWS,
)


SETS = {"own": OWN_ROWS, "pino": PINO_ROWS, "mixed": MIXED_ROWS}


# --- rounds -------------------------------------------------------------------------------------

Action = Callable[[], str]
"""One run of a contender: "" when it printed what ours found, else a note (first round only)."""


@dataclass
class Plan:
    """A row on its directory: its contenders, and what each measured round by round."""

    row: Row
    contenders: dict[str, Action]
    found: int
    """Entries ours returned (at most 100)."""
    scanned: int
    size: int
    times: dict[str, list[float]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    def run(self, name: str, *, first: bool) -> None:
        """Time contender ``name`` once; after the first round, only those under `SLOW_S`."""
        times = self.times.setdefault(name, [])
        if not first and times[0] > SLOW_S:
            return
        started = time.perf_counter()
        try:
            note = self.contenders[name]()
        except subprocess.TimeoutExpired:
            note = f"gave up after {PEER_TIMEOUT:.0f} s"
        times.append(time.perf_counter() - started)
        if first and note:
            self.notes[name] = note


def plan(row: Row, directory: Path, workers: dict[str, BaselineReader]) -> Plan:
    """The row's contenders on ``directory``, after one warm-up query of ours."""
    query = LogQuery(**row.arguments)
    first = query_logs(directory, query, 100)
    ids = [entry["id"] for entry in first.entries]
    files = " ".join(map(str, log_files(directory)))

    def ours() -> str:
        query_logs(directory, query, 100)
        return ""

    contenders: dict[str, Action] = {"ours": ours, "CLI": cli(directory, row, ids)}
    if row.rg is None:
        active = " ".join(map(str, active_files(directory)))
        contenders["tail"] = shell(f"tail -n 100 {active}", len(ids))
    elif shutil.which("rg"):
        for name, threads in (("rg -j1", "-j1 "), ("rg", "")):
            rg = f"rg {threads}-N --no-filename {row.rg} {files} | tail -n 100"
            contenders[name] = shell(rg, len(ids))
    if row.lnav is not None and shutil.which("lnav"):
        command = f"-c {shlex.quote(row.lnav)} " if row.lnav else ""
        lnav = f"lnav -I {LNAV_CONFIG} -n {command}{files} | tail -n 100"
        contenders["lnav"] = shell(lnav, len(ids))
    for name, worker in workers.items():
        contenders[name] = worker.action(directory, row.arguments, len(ids))
    size = sum(path.stat().st_size for path in log_files(directory))
    return Plan(row, contenders, len(ids), first.scanned_bytes, size)


def shell(command: str, expected: int) -> Action:
    """Run ``command`` in a shell; a note unless it printed ``expected`` lines."""

    def run() -> str:
        done = subprocess.run(
            command, shell=True, capture_output=True, check=False, timeout=PEER_TIMEOUT
        )
        printed = done.stdout.count(b"\n")
        return "" if printed == expected else f"printed {printed} lines"

    return run


def cli(directory: Path, row: Row, expected: list[str]) -> Action:
    """``python -m backend query --json``; a note unless it printed the entries ours found."""
    command = [sys.executable, "-m", "backend", "query", "--log-dir", str(directory)]
    command += ["--limit", "100", "--json", *row.flags]

    def run() -> str:
        printed = subprocess.run(command, capture_output=True, check=True, env=CLI_ENV)
        ids = [orjson.loads(line)["id"] for line in printed.stdout.splitlines()]
        same = len(set(ids) & set(expected))
        return "" if ids == expected else f"printed {len(ids)}, {same} of ours"

    return run


def measure(plans: list[Plan], rounds: int) -> None:
    """``rounds`` rounds of every contender once per row, the order rotating."""
    for number in range(rounds):
        for index, item in enumerate(plans):
            names = list(item.contenders)
            turn = (number + index) % len(names)
            for name in names[turn:] + names[:turn]:
                item.run(name, first=number == 0)
        print(f"round {number + 1}/{rounds} done", file=sys.stderr, flush=True)


# --- baseline: the reader as it was at another revision -----------------------------------------

BASELINE_WORKER = r"""
import sys, orjson
from pathlib import Path
import importlib
sys.path.insert(0, sys.argv[1])
# The reader is shared.reader.query since it became a subpackage, shared._query before.
name = "shared.reader.query" if Path(sys.argv[1], "shared", "reader").is_dir() else "shared._query"
reader = importlib.import_module(name)
print(orjson.dumps(reader.__file__).decode(), flush=True)
for line in sys.stdin:
    directory, arguments = orjson.loads(line)
    result = reader.query_logs(Path(directory), reader.LogQuery(**arguments), 100)
    print(len(result.entries), flush=True)
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
    """`query_logs` of a checkout, in a subprocess whose ``sys.path`` starts with it."""

    def __init__(self, tree: Path) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-c", BASELINE_WORKER, str(tree)],
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

    def action(self, directory: Path, arguments: dict[str, Any], expected: int) -> Action:
        """One query in the subprocess; a note unless it returned ``expected`` entries."""

        def run() -> str:
            self._stdin.write(orjson.dumps([str(directory), arguments]).decode() + "\n")
            self._stdin.flush()
            count = int(self._stdout.readline())
            return "" if count == expected else f"{count} entries"

        return run

    def close(self) -> None:
        """End the subprocess."""
        self._stdin.close()
        self._process.wait(timeout=30)


# --- tables -------------------------------------------------------------------------------------

COLUMNS = {"CLI": None, "rg -j1": "ours", "rg": "ours", "tail": "ours", "lnav": "ours"}
"""Timed columns after ours, and what each is compared with (None: nothing)."""
BASELINE_COLUMNS = {"before": "now", "now": None}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def ratio(ours: list[float], theirs: list[float]) -> str:
    """Ours ÷ theirs per round (the rounds both ran): median (min-max)."""
    pairs = [mine / other for mine, other in zip(ours, theirs, strict=False)]
    if len(pairs) == 1:
        return f"{number(pairs[0])} (1 round)"
    middle, low, high = map(number, (statistics.median(pairs), min(pairs), max(pairs)))
    return f"{middle} ({low}–{high})"  # noqa: RUF001 -- an en dash: a range


def number(value: float) -> str:
    """Two decimals, or two significant digits below 0.1 (lnav is thousands of times slower)."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.2g}"


def cells(item: Plan, columns: dict[str, str | None]) -> list[str]:
    """The row's cells: name, found, ours and its GB/s (full scans), then ``columns``."""
    ours = statistics.median(item.times["ours"])
    speed = f"{item.scanned / ours / 1e9:.2f}" if item.scanned >= 0.9 * item.size else "—"
    row = [item.row.name, str(item.found), ms(ours), speed]
    for name, reference in columns.items():
        times = item.times.get(name)
        text = ms(statistics.median(times)) if times else "—"
        if times and reference:
            text += " · " + ratio(item.times[reference], times)
        row.append(text + (f" ⚠ {item.notes[name]}" if name in item.notes else ""))
    return row


def markdown(header: list[str], rows: list[list[str]]) -> None:
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |", flush=True)


def table(name: str, args: argparse.Namespace, workers: dict[str, BaselineReader]) -> None:
    """Measure set ``name`` in rounds; print its heading, its table and the peers' patterns."""
    directory = dataset(name, args.size_gb)
    rows = SETS[name]
    plans = [plan(row, dataset(row.data, 0) if row.data else directory, workers) for row in rows]
    measure(plans, args.rounds)
    size = sum(path.stat().st_size for path in log_files(directory)) / 1e9
    sources = ", ".join(f"{base}.log + {FILES - 1} rotations" for base in SOURCES[name])
    print(f"\n**{name}**: {size:.2f} GB ({sources}), page cache warm, {args.rounds} rounds\n")
    columns = COLUMNS | (BASELINE_COLUMNS if workers else {})
    header = ["query", "found", "ours in-process", "GB/s", *(f"`{column}`" for column in columns)]
    markdown(header, [cells(item, columns) for item in plans])
    print("\nPeers' patterns (search rows: `rg -i -F 'WORD'`, lnav `:filter-in (?i)WORD`):")
    for row in rows:
        if row.rg and not row.rg.startswith("-i -F"):
            lnav = f", lnav `{row.lnav}`" if row.lnav else ""
            print(f"- {row.name}: rg `{row.rg}`{lnav}")


LEGEND = """
Cells: median over the rounds; after `·`, ours in-process ÷ that peer per round, median
(min-max), below 1 = ours faster (`before`: now ÷ before, both in worker processes). found: the
entries ours returned (≤ 100); GB/s only where ours read ≥ 90% of the set. `CLI`:
`python -m backend query --log-dir DIR --limit 100 --json FLAGS`, a fresh process (bytecode
cached). `rg -j1` / `rg`: `rg [-j1] -N --no-filename PATTERN FILES | tail -n 100`. `tail`:
`tail -n 100` of the active file(s). `lnav`: `lnav -I bench/.data/lnav -n [-c CMD] FILES |
tail -n 100`, with formats for our JSON and pino (without them lnav takes the files as plain text
and `-n` prints only one of them). ⚠: what a contender printed when it was not the entries
ours found (first round)."""


def live_table() -> None:
    """The follower's and the viewer's live path: latency and idle CPU."""
    follower = {mode: follower_latency(mode) for mode in ("poll", "inotify")}
    viewer, server_cpu = viewer_live_path()
    tick = 100 / os.sysconf("SC_CLK_TCK") / 3
    rows = [
        [f"follower, {how}: write → entry", *spread(follower[mode]), ""]
        for mode, how in (("poll", "polling every 10 ms"), ("inotify", "woken by inotify"))
    ]
    rows += [
        [
            f"viewer `msc-logs dev`: write → `/events` ({len(viewer)} records 20 ms apart)",
            *spread(viewer),
            "≤ 5 / ≤ 15 ms",
        ],
        ["follower idle CPU, polling every 10 ms", f"{idle_cpu():.2f} % of a core", "—", ""],
        [
            f"`msc-logs dev` idle CPU, subscribed, 3 s (in clock ticks: ± {tick:.2f} %)",
            f"{server_cpu:.2f} % of a core",
            "—",
            "",
        ],
    ]
    print("\n**live path** (writes from another process; the viewer's records by the library)\n")
    markdown(["", "median", "p95", "goal (median / p95)"], rows)


def busy_table(directory: Path) -> None:
    """The dev server's other requests while long work runs on ``directory`` (bench/_busy.py)."""
    rows = busy_rows(directory)
    print(
        "\n**responsive under long work** (`msc-logs dev` on the own set; other clients meanwhile,"
        " every 20 ms: a static file, `get_view_state`, and a live probe written in another"
        " process; median / max (count); goal: within 100 ms)\n"
    )
    markdown(["long work", "took", "static file", "`get_view_state`", "write → `/events`"], rows)


# --- main ---------------------------------------------------------------------------------------

LNAV_FORMATS: dict[str, dict[str, Any]] = {
    "msc_log": {
        "file-pattern": r"midi-software-center\.log.*",
        "timestamp-field": "timestamp",
        "body-field": "message",
        "level": {"error": "error", "warning": "warn", "info": "info", "debug": "debug"},
        "value": {
            "category": {"kind": "string", "identifier": True},
            "target": {"kind": "string"},
            "fields": {"kind": "json"},
        },
        "line-format": ["level", "category", "message", "target", "fields"],
    },
    "pino_log": {
        "file-pattern": r"node\.log.*",
        "timestamp-field": "time",
        "timestamp-divisor": 1000,
        "body-field": "msg",
        "level": {"fatal": 60, "error": 50, "warning": 40, "info": 30, "debug": 20},
        "value": {"name": {"kind": "string", "identifier": True}},
        "line-format": ["level", "name", "msg"],
    },
}


def write_lnav_formats() -> None:
    """lnav formats for our JSON lines and pino's, under `LNAV_CONFIG` (``lnav -I``)."""
    for name, spec in LNAV_FORMATS.items():
        line: list[Any] = [{"field": "__timestamp__"}]
        for key in spec["line-format"]:
            line += [" ", {"field": key}]
        body = spec | {"title": name, "json": True, "hide-extra": True, "level-field": "level"}
        target = LNAV_CONFIG / "formats" / name / "format.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(orjson.dumps({name: body | {"line-format": line}}))


def machine() -> str:
    """Cores, CPU model, date, load, peers' versions."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "?")
    versions = [
        subprocess.run(
            [tool, "--version" if tool == "rg" else "-V"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.splitlines()[0]
        for tool in ("rg", "lnav")
        if shutil.which(tool)
    ]
    return (
        f"{len(os.sched_getaffinity(0))} cores ({model}), {time.strftime('%Y-%m-%d %H:%M %Z')},"
        f" load average {os.getloadavg()[0]:.1f}, {', '.join(versions)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--rounds", "--runs", type=int, default=5)
    parser.add_argument("--sets", default="own", help="comma-separated: own,pino,mixed")
    parser.add_argument("--baseline", metavar="REV", help="also time the reader as it was at REV")
    args = parser.parse_args()
    names = [name.strip() for name in args.sets.split(",") if name.strip()]
    unknown = [name for name in names if name not in SETS]
    if unknown or not names or args.rounds < 1:
        parser.error(f"--sets: choose among {', '.join(SETS)}, not {args.sets!r}; --rounds ≥ 1")
    for name in [*names, "aaaa"]:  # generate first: measuring runs on a quiet machine
        dataset(name, args.size_gb)
    write_lnav_formats()
    print(f"Machine: {machine()}")
    with contextlib.ExitStack() as stack:
        workers: dict[str, BaselineReader] = {}
        if args.baseline:
            tree = stack.enter_context(worktree(args.baseline))
            workers = {"before": BaselineReader(tree), "now": BaselineReader(ROOT)}
            for worker in workers.values():
                stack.callback(worker.close)
        for name in names:
            table(name, args, workers)
    print(LEGEND)
    if "own" in names:
        live_table()
        busy_table(dataset("own", args.size_gb))
    print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
