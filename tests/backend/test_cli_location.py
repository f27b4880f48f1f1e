"""One vocabulary on the command line: ``--log-dir``, ``--app-name``, before or after the command.

``query``/``tail`` keep ``--dir``/``--app`` as hidden aliases; an explicit directory that does not
exist is an error on stderr with exit code 1 for the window, ``dev``, ``query`` and ``tail``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend.__main__ import main, subcommand

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
DEADLINE_S = 30.0
Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """``msc-logs <argv>`` in this process; returns the exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def messages(out: str) -> list[str]:
    """The messages of ``--json`` output."""
    return [orjson.loads(line)["message"] for line in out.splitlines()]


@pytest.fixture
def two_sets(tmp_path: Path, write: Write, rec: Rec) -> tuple[Path, Path]:
    """Two directories: ``here`` (app ``midi-software-center``, and app ``other``), ``there``."""
    here, there = tmp_path / "here", tmp_path / "there"
    write(here / f"{APP}.log", [rec("in here")])
    write(here / "other.log", [rec("other app in here")])
    write(there / f"{APP}.log", [rec("in there")])
    return here, there


class TestWhereQueryReads:
    """``query`` honours the location wherever it is given."""

    def test_log_dir_before_the_command(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``msc-logs --log-dir D query`` reads D (it used to read the default directory)."""
        here, _ = two_sets
        code, out, _ = run(capsys, "--log-dir", str(here), "query", "--json")
        assert code == 0
        assert sorted(messages(out)) == ["in here", "other app in here"]  # every source

    def test_log_dir_after_the_command(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``msc-logs query --log-dir D`` reads D."""
        here, _ = two_sets
        _, out, _ = run(capsys, "query", "--log-dir", str(here), "--json")
        assert sorted(messages(out)) == ["in here", "other app in here"]  # every source

    def test_after_wins_over_before(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """Given both ways, the subcommand's own option wins."""
        here, there = two_sets
        _, out, _ = run(capsys, "--log-dir", str(here), "query", "--log-dir", str(there), "--json")
        assert messages(out) == ["in there"]

    def test_app_name_before_the_command(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``--app-name`` before the command selects that app's files."""
        here, _ = two_sets
        _, out, _ = run(capsys, f"--log-dir={here}", "--app-name", "other", "query", "--json")
        assert messages(out) == ["other app in here"]

    def test_old_spellings_still_work(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``--dir`` and ``--app`` are hidden aliases of ``--log-dir`` and ``--app-name``."""
        here, _ = two_sets
        _, out, _ = run(capsys, "query", "--dir", str(here), "--app", "other", "--json")
        assert messages(out) == ["other app in here"]

    @pytest.mark.parametrize("command", ["query", "tail"])
    def test_help_names_the_new_options_only(
        self, capsys: pytest.CaptureFixture[str], command: str
    ) -> None:
        """The help lists --log-dir and --app-name, not the aliases."""
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "--log-dir" in out
        assert "--app-name" in out
        assert "--dir " not in out
        assert "--app " not in out

    def test_the_full_parser_reads_the_same_place(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """With an option the fast path does not know first, the full parser gives the same."""
        here, _ = two_sets
        _, out, _ = run(capsys, "--frontend-dir", "x", "--log-dir", str(here), "query", "--json")
        assert sorted(messages(out)) == ["in here", "other app in here"]  # every source


#: Loaded by neither ``query`` nor ``tail`` (with ``--log-dir``): the window and its toolkits, the
#: dev server, the writer, and what only other paths need (the viewer's own directories and
#: platformdirs, gzip for compressed rotations).
NOT_ON_THE_FAST_PATH = (
    "PyQt6",
    "qtpy",
    "webview",
    "structlog",
    "backend.window",
    "backend.desktop",
    "backend.devserver",
    "backend.demo",
    "backend._app",
    "backend.commands",
    "shared.writer.setup",
    "shared.writer.config",
    "backend._dirs",
    "platformdirs",
    "gzip",
)
#: Not loaded by ``tail`` either: pydantic (it loads OpenSSL, which the window needs for its
#: locks).
NOT_IN_TAIL = ("pydantic", "hashlib")
#: Not loaded by ``query``: also the follower, which only ``tail`` needs.
NOT_IN_QUERY = (*NOT_IN_TAIL, "shared.reader.follow")
#: Runs ``msc-logs <argv>`` (a ``KeyboardInterrupt`` ends ``tail``), then lists the modules loaded.
FAST_PATH_CHILD = """
import json, sys
from backend.__main__ import main
try:
    code = main(sys.argv[1:])
except KeyboardInterrupt:
    code = 0
print("MODULES", json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def heavy_modules(stderr: str, names: tuple[str, ...]) -> list[str]:
    """Which of ``names`` (packages count with their submodules) `FAST_PATH_CHILD` had loaded."""
    line = next(line for line in stderr.splitlines() if line.startswith("MODULES "))
    loaded: list[str] = orjson.loads(line.removeprefix("MODULES "))
    return [name for name in names if any(m == name or m.startswith(f"{name}.") for m in loaded)]


class TestFastPath:
    """``query``/``tail`` skip the writer, the dev server and the window."""

    @pytest.mark.parametrize(
        ("argv", "expected"),
        [
            (["query"], "query"),
            (["--log-dir", "D", "tail", "-n", "1"], "tail"),
            (["--log-dir=D", "--app-name", "x", "--own-log", "query"], "query"),
            (["--frontend-dir", "F", "query"], None),
            (["--version"], None),
            ([], None),
            (["dev", "--log-dir", "D"], "dev"),
        ],
    )
    def test_finds_the_command_after_location_options(
        self, argv: list[str], expected: str | None
    ) -> None:
        """The command word is found behind location options only."""
        assert subcommand(argv) == expected

    @pytest.mark.parametrize(
        "argv",
        [["--log-dir", "{here}", "query"], ["query", "--log-dir", "{here}", "--limit", "1"]],
    )
    def test_query_loads_neither_pydantic_nor_the_window(
        self, two_sets: tuple[Path, Path], argv: list[str]
    ) -> None:
        """``msc-logs query`` stays on the fast path: no pydantic, window, writer or follower."""
        here, _ = two_sets
        child = subprocess.run(
            [sys.executable, "-c", FAST_PATH_CHILD, *(a.format(here=here) for a in argv)],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=DEADLINE_S,
            check=False,
        )
        assert child.returncode == 0, child.stderr
        assert "in here" in child.stdout
        assert heavy_modules(child.stderr, NOT_ON_THE_FAST_PATH + NOT_IN_QUERY) == []

    def test_tail_loads_no_window_and_no_writer(self, two_sets: tuple[Path, Path]) -> None:
        """``msc-logs tail`` (until Ctrl-C) stays off the window, the writer, the viewer's
        directories and pydantic."""
        here, _ = two_sets
        child = subprocess.Popen(
            [sys.executable, "-c", FAST_PATH_CHILD, "--log-dir", str(here), "tail", "-n", "1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            assert child.stdout is not None
            assert child.stderr is not None
            assert child.stdout.readline()  # the history printed: it is following now
            child.send_signal(signal.SIGINT)
            assert child.wait(DEADLINE_S) == 0
            err = child.stderr.read()
        finally:
            if child.poll() is None:
                child.kill()
        assert heavy_modules(err, NOT_ON_THE_FAST_PATH + NOT_IN_TAIL) == []


class TestMissingDirectory:
    """An explicit ``--log-dir`` that does not exist is an error, not an empty log."""

    @pytest.mark.parametrize(
        "argv",
        [
            ["query", "--log-dir", "{missing}"],
            ["--log-dir", "{missing}", "query"],
            ["tail", "--log-dir", "{missing}"],
            ["--log-dir", "{missing}", "tail"],
            ["dev", "--log-dir", "{missing}", "--no-browser"],
            ["--log-dir", "{missing}", "dev", "--no-browser"],
            ["--log-dir", "{missing}"],
        ],
    )
    def test_exit_1_saying_so(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]
    ) -> None:
        """Exit code 1 and one line on stderr naming the option and the directory."""
        missing = tmp_path / "no-such-dir"
        code, out, err = run(capsys, *(a.format(missing=missing) for a in argv))
        assert code == 1
        assert f"--log-dir {missing}: no such file or directory" in err
        assert out == ""
        assert not missing.exists()

    def test_the_window_says_so_before_looking_for_a_display(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without a display, a missing directory is still the error reported (exit 1)."""
        monkeypatch.delenv("DISPLAY", raising=False)
        monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
        code, _, err = run(capsys, "--log-dir", str(tmp_path / "gone"))
        assert code == 1
        assert "no such file or directory" in err

    def test_the_default_directory_may_be_missing(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without --log-dir a missing per-user directory is an empty log (and is not created)."""
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        code, out, err = run(capsys, "query")
        assert (code, out, err) == (0, "", "")
        assert not (tmp_path / "data").exists()

    def test_a_tail_on_a_missing_directory_started_as_a_process_exits_1(
        self, tmp_path: Path
    ) -> None:
        """The real entry point, as a script would run it."""
        done = subprocess.run(
            [sys.executable, "-m", "backend", "tail", "--log-dir", str(tmp_path / "gone")],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=DEADLINE_S,
            check=False,
        )
        assert done.returncode == 1
        assert (
            done.stderr.strip()
            == f"msc-logs tail: --log-dir {tmp_path / 'gone'}: no such file or directory"
        )


class TestOtherCommands:
    """The location options elsewhere."""

    def test_own_log_and_log_dir_together_are_refused(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """They name two different logs."""
        code, _, err = run(capsys, "--own-log", "query", "--log-dir", str(tmp_path))
        assert code == 1
        assert "give one" in err

    def test_own_log_does_not_apply_to_the_demo(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The demo writes; it does not view."""
        code, _, err = run(capsys, "--own-log", "demo", "--duration", "0")
        assert code == 2
        assert "--own-log" in err

    def test_install_desktop_refuses_a_log_dir(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """The menu entry opens the per-user directory: a --log-dir would be silently lost."""
        code, _, err = run(capsys, "--log-dir", str(tmp_path), "install-desktop")
        assert code == 2
        assert "do not apply" in err

    def test_demo_writes_where_the_global_log_dir_says(self, tmp_path: Path) -> None:
        """``msc-logs --log-dir D demo`` writes into D (created: the demo is a writer)."""
        target = tmp_path / "new"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "backend",
                "--log-dir",
                str(target),
                "demo",
                "--duration",
                "0.2",
            ],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=DEADLINE_S,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert (target / f"{APP}.log").stat().st_size > 0

    def test_tail_follows_the_directory_given_before_the_command(
        self, two_sets: tuple[Path, Path], write: Write, rec: Rec
    ) -> None:
        """``msc-logs --log-dir D tail`` prints D's entries, then D's new ones."""
        here, _ = two_sets
        tail = subprocess.Popen(
            [sys.executable, "-m", "backend", "--log-dir", str(here), "tail", "--json"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert tail.stdout is not None
        history = {orjson.loads(tail.stdout.readline())["message"] for _ in range(2)}
        assert history == {"in here", "other app in here"}
        time.sleep(0.3)
        write(here / f"{APP}.log", [rec("later in here")])
        assert orjson.loads(tail.stdout.readline())["message"] == "later in here"
        tail.send_signal(signal.SIGINT)
        assert tail.wait(DEADLINE_S) == 0


class TestSources:
    """``--app-name`` (alias ``--source``) picks one source; a name that matches none is an error;
    ``msc-logs PATH`` takes a directory or a single log file."""

    def test_source_alias_narrows_to_one_source(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``--source other`` reads other.log only."""
        here, _ = two_sets
        code, out, _ = run(capsys, "query", "--log-dir", str(here), "--source", "other", "--json")
        assert (code, messages(out)) == (0, ["other app in here"])

    def test_an_app_name_matching_no_file_exits_1_naming_the_sources(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """A misspelt source is reported with the names there are, not answered with nothing."""
        here, _ = two_sets
        code, out, err = run(capsys, "query", "--log-dir", str(here), "--app-name", "othr")
        assert (code, out) == (1, "")
        assert "--app-name othr: no log file of that name" in err
        assert f"sources there: {APP}, other" in err

    def test_a_single_file_as_log_dir_reads_that_file(
        self, capsys: pytest.CaptureFixture[str], two_sets: tuple[Path, Path]
    ) -> None:
        """``--log-dir FILE`` reads that one file, like ``lnav FILE``."""
        here, _ = two_sets
        code, out, _ = run(capsys, "query", "--log-dir", str(here / "other.log"), "--json")
        assert (code, messages(out)) == (0, ["other app in here"])

    def test_path_in_place_of_the_command_is_the_log_dir(self) -> None:
        """``msc-logs PATH`` means ``msc-logs --log-dir PATH``; a command word stays a command."""
        from backend.__main__ import _path_as_log_dir

        assert _path_as_log_dir([str(REPO)]) == ["--log-dir", str(REPO)]
        assert _path_as_log_dir(["query", "--json"]) == ["query", "--json"]
        assert _path_as_log_dir(["no-such-path-here"]) == ["no-such-path-here"]
