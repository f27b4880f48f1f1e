"""What `msc-logs` loads when it starts: for ``query``, only the reader, none of the viewer.

Start-up is most of what a query costs (bench/cli_start.py measures it); what it loads decides
it. The tests of imports run a real process — the `msc-logs` console script or ``python -m
backend`` — with ``PYTHONPROFILEIMPORTTIME=1`` (``-X importtime``), which reports on stderr every
module imported, or attempted, and check that list: ``query`` never loads pydantic, the window
(pywebview, Qt), the writer or the dev server, and loads the where language, RE2 and ``shutil``
only when a query needs them; ``tail``, ``export`` and ``--version`` load only what they use.
No timings. The help formatter that spares ``shutil`` formats exactly as argparse's own."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from backend import cli_query
from backend._helpformat import terminal_columns

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
DEADLINE_S = 60.0
MSC_LOGS = Path(sys.executable).parent / "msc-logs"
#: The two ways the command line starts: the installed console script, and the module.
STARTS = {"msc-logs": [str(MSC_LOGS)], "python -m backend": [sys.executable, "-m", "backend"]}
#: Never loaded by `query`: the models, the window, the writer, the viewer's server and commands.
NEVER = (
    "pydantic",
    "webview",
    "PyQt6",
    "backend.window",
    "backend.desktop",
    "backend.devserver",
    "backend.commands",
    "backend._app",
    "shared.writer.setup",
    "shared.writer.config",
    "shared.reader.query",
    "shared.reader.follow",
    "opentelemetry",
    "google.protobuf",
)
#: Loaded only for a query that needs them (the where language, regular expressions) or for
#: printing help (argparse's own formatter sizes itself through shutil).
ON_DEMAND = ("shared.reader.where", "shared.reader.where_match", "re2", "shutil")
_IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+\d+ \| *(\S+)")


def imported(stderr: str) -> set[str]:
    """The modules an ``-X importtime`` report names (imported, or tried and not found)."""
    return {match.group(1) for match in map(_IMPORT_LINE.match, stderr.splitlines()) if match}


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The modules of ``modules`` that are one of ``packages`` or inside one."""
    return sorted(m for m in modules if any(m == p or m.startswith(f"{p}.") for p in packages))


def start(command: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``command`` as a user would (from elsewhere than the checkout), reporting imports."""
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "PYTHONPATH": str(REPO)}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=DEADLINE_S,
        check=False,
    )


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A log directory holding three entries in our layout."""
    directory = tmp_path / "logs"
    directory.mkdir()
    lines = [
        orjson.dumps(
            {
                "timestamp": f"2026-01-01T00:00:0{n}.000000Z",
                "level": "info",
                "category": "system",
                "message": f"entry {n}",
                "target": "tests",
                "fields": {"n": n},
                "span": None,
                "pid": 1,
                "source": None,
            }
        )
        for n in range(3)
    ]
    (directory / f"{APP}.log").write_bytes(b"\n".join(lines) + b"\n")
    return directory


@pytest.mark.parametrize("how", STARTS)
class TestQueryImports:
    def test_prints_without_loading_pydantic_the_window_or_the_writer(
        self, how: str, log_dir: Path, tmp_path: Path
    ) -> None:
        """A plain query prints its entries and loads none of the viewer's other parts, nor
        what only other queries need."""
        done = start([*STARTS[how], "query", "--log-dir", str(log_dir), "--limit", "2"], tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert [line.split("  ")[-1] for line in done.stdout.splitlines()] == [
            "[tests] n=1",
            "[tests] n=2",
        ]
        modules = imported(done.stderr)
        assert {"backend.cli_query", "shared.reader.engine"} <= modules  # the report is real
        assert loaded(modules, NEVER + ON_DEMAND) == []

    def test_where_loads_the_where_language(self, how: str, log_dir: Path, tmp_path: Path) -> None:
        """``--where`` loads the where language, and filters with it."""
        argv = ["query", "--log-dir", str(log_dir), "--where", "n>=1", "--json"]
        done = start([*STARTS[how], *argv], tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert [orjson.loads(line)["fields"]["n"] for line in done.stdout.splitlines()] == [1, 2]
        modules = imported(done.stderr)
        assert "shared.reader.where_match" in modules
        assert loaded(modules, NEVER) == []

    def test_regex_search_loads_re2(self, how: str, log_dir: Path, tmp_path: Path) -> None:
        """``--regex`` loads RE2 (a plain ``--search`` does not: see the first test)."""
        argv = ["query", "--log-dir", str(log_dir), "--search", "entry [02]$", "--regex"]
        done = start([*STARTS[how], *argv, "--json"], tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert [orjson.loads(line)["message"] for line in done.stdout.splitlines()] == [
            "entry 0",
            "entry 2",
        ]
        modules = imported(done.stderr)
        assert "re2" in modules
        assert loaded(modules, NEVER) == []


class TestOtherStarts:
    def test_tail_loads_no_window(self, log_dir: Path, tmp_path: Path) -> None:
        """``tail`` prints its first entries without loading the window."""
        env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1", "PYTHONPATH": str(REPO)}
        argv = [str(MSC_LOGS), "tail", "--log-dir", str(log_dir), "-n", "1"]
        with subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path, text=True
        ) as child:
            assert child.stdout is not None
            first = child.stdout.readline()  # following from here on: stop it
            child.terminate()
            _, stderr = child.communicate(timeout=DEADLINE_S)
        assert first.endswith("entry 2  [tests] n=2\n")
        # Following needs the pydantic follower (`shared.reader.follow`), not the window.
        never = ("webview", "PyQt6", "backend.window", "backend.desktop", "backend.devserver")
        assert loaded(imported(stderr), never) == []

    def test_export_loads_only_its_own_command(self, log_dir: Path, tmp_path: Path) -> None:
        """``export`` writes its file without loading the window or the other commands."""
        output = tmp_path / "out.jsonl"
        done = start(
            [str(MSC_LOGS), "export", "--log-dir", str(log_dir), "-o", str(output)], tmp_path
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(output.read_bytes().splitlines()) == 3
        others = ("webview", "PyQt6", "backend.window", "backend.devserver", "backend.demo")
        assert loaded(imported(done.stderr), (*others, "backend.desktop", "backend.ship")) == []

    def test_version_loads_no_reader(self, tmp_path: Path) -> None:
        """``--version`` answers without loading the reader."""
        done = start([str(MSC_LOGS), "--version"], tmp_path)
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith("msc-logs ")
        assert loaded(imported(done.stderr), ("shared", "backend._location")) == []


class TestHelpFormatter:
    @pytest.mark.parametrize("columns", [None, "57", "0", "-3", "wide"])
    def test_width_is_the_one_shutil_finds(
        self, columns: str | None, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The width is `shutil.get_terminal_size`'s, with $COLUMNS unset, valid or not."""
        if columns is None:
            monkeypatch.delenv("COLUMNS", raising=False)
        else:
            monkeypatch.setenv("COLUMNS", columns)
        assert terminal_columns() == shutil.get_terminal_size().columns

    @pytest.mark.parametrize("argv", [["--help"], ["query", "--help"], ["tail", "--help"]])
    def test_help_reads_as_with_argparse_own_formatter(
        self,
        argv: list[str],
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The help is exactly what argparse's own formatter writes, wrapped to the same width."""
        monkeypatch.setenv("COLUMNS", "200")
        wide = help_text(argv, capsys)
        monkeypatch.setenv("COLUMNS", "61")  # narrow: the usage and the options wrap
        ours = help_text(argv, capsys)
        monkeypatch.setattr(cli_query, "HelpFormatter", argparse.HelpFormatter)
        assert ours == help_text(argv, capsys)
        assert ours != wide


def help_text(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """What ``query``/``tail``'s stand-alone parser prints for ``argv``."""
    with pytest.raises(SystemExit):
        cli_query.build_parser().parse_args(argv)
    out: str = capsys.readouterr().out
    assert out.startswith("usage: msc-logs")
    return out
