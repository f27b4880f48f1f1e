"""Log files the viewer may not read: `get_log_info` and the command line name them.

The refusals are the kernel's: tests/shared/refusal.py makes a file mode 000 and, as root, drops
the capabilities that pass file modes (for this thread in-process; ``setpriv`` for a child).
"""

from __future__ import annotations

import select
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch

# refusal.py sits with the reader's tests; pytest's importlib import mode puts no test directory
# on sys.path.
sys.path.insert(0, str(Path(__file__).parents[1] / "shared"))
from refusal import WITHOUT_DAC, refused

APP = "midi-software-center"
#: Upper bound on a child process's run; reaching it fails the test.
DEADLINE_S = 60.0
Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]


@pytest.fixture
def rotation(log_dir: Path, active: Path, write: Write, rec: Rec) -> Path:
    """``.1`` holding "old", the active file "new"; returns the rotated file."""
    rotated = log_dir / f"{APP}.log.1"
    write(rotated, [rec("old")])
    write(active, [rec("new")])
    return rotated


class TestGetLogInfo:
    def test_an_unreadable_rotation_is_listed_and_the_rest_read(
        self, app: AppContext, rotation: Path
    ) -> None:
        """The refused file is in ``unreadable`` with its reason; the active file is shown."""
        with refused(rotation):
            info = dispatch(app, "get_log_info", {})
            entries = dispatch(app, "get_recent_logs", {})
        assert info["unreadable"] == [
            {"name": rotation.name, "source": APP, "code": "EACCES", "reason": "permission denied"}
        ]
        assert [f["name"] for f in info["files"]] == [f"{APP}.log"]
        assert [e["message"] for e in entries] == ["new"]

    def test_a_readable_log_has_no_unreadable_files(self, app: AppContext, rotation: Path) -> None:
        """Every file read: ``unreadable`` is there, empty."""
        assert dispatch(app, "get_log_info", {})["unreadable"] == []


class TestNothingReadable:
    @pytest.mark.parametrize(
        "command", ["get_recent_logs", "get_log_info", "get_histogram", "subscribe_to_logs"]
    )
    def test_is_permission_denied_naming_the_file(
        self, app: AppContext, active: Path, write: Write, rec: Rec, command: str
    ) -> None:
        """The only file refused: the command fails as for an unreadable directory, naming it
        (the page's indicators then go red)."""
        write(active, [rec("cannot be read")])
        with refused(active), pytest.raises(CommandError) as caught:
            dispatch(app, command, {})
        assert caught.value.to_dict() == {
            "code": "permission_denied",
            "message": f"Permission denied: {active}",
        }


def read_line(stream: IO[str]) -> str:
    """The next line of a child's output; fails instead of waiting past `DEADLINE_S`."""
    ready, _, _ = select.select([stream], [], [], DEADLINE_S)
    assert ready, f"no line within {DEADLINE_S} s"
    return stream.readline()


def cli(*args: str) -> list[str]:
    """``msc-logs`` in a child process that file modes bind."""
    return [*WITHOUT_DAC, sys.executable, "-m", "backend.cli_query", *args]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``msc-logs ARGS`` run to its end in a child that file modes bind."""
    return subprocess.run(
        cli(*args), capture_output=True, text=True, timeout=DEADLINE_S, check=False
    )


class TestCommandLine:
    def test_query_warns_of_each_unreadable_file_and_exits_0(
        self, log_dir: Path, rotation: Path
    ) -> None:
        """One warning line per refused file on stderr; the rest is printed; exit code 0."""
        with refused(rotation):
            done = run_cli("query", "--dir", str(log_dir), "--json")
        assert done.returncode == 0, done.stderr
        assert [orjson.loads(line)["message"] for line in done.stdout.splitlines()] == ["new"]
        assert done.stderr.splitlines() == [
            f"msc-logs query: cannot read {rotation}: permission denied"
        ]

    def test_query_of_nothing_readable_fails_naming_the_file(
        self, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """As for an unreadable directory: a non-zero exit naming the file, no empty success."""
        write(active, [rec("cannot be read")])
        with refused(active):
            done = run_cli("query", "--dir", str(log_dir))
        assert done.returncode == 1
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            f"msc-logs query: cannot read {active}: permission denied"
        ]

    def test_query_of_an_unreadable_directory_says_so(
        self, log_dir: Path, active: Path, write: Write, rec: Rec
    ) -> None:
        """A refused directory: one line naming it, exit code 1, no traceback."""
        write(active, [rec("cannot be read")])
        with refused(log_dir):
            done = run_cli("query", "--dir", str(log_dir))
        assert done.returncode == 1
        assert done.stderr.splitlines() == [
            f"msc-logs query: cannot read {log_dir}: permission denied"
        ]

    def test_tail_warns_then_prints_and_follows(
        self, log_dir: Path, active: Path, rotation: Path, write: Write, rec: Rec
    ) -> None:
        """tail says which file it cannot read, then prints history and new lines as ever."""
        with refused(rotation):
            tail = subprocess.Popen(
                cli("tail", "--dir", str(log_dir), "-n", "5", "--json"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            try:
                assert tail.stdout is not None
                assert tail.stderr is not None
                warning = read_line(tail.stderr)
                history = read_line(tail.stdout)
                write(active, [rec("followed")])
                followed = read_line(tail.stdout)
                tail.send_signal(signal.SIGINT)
                assert tail.wait(timeout=DEADLINE_S) == 0
            finally:
                if tail.poll() is None:
                    tail.kill()
                    tail.wait()
        assert warning == f"msc-logs tail: cannot read {rotation}: permission denied\n"
        assert [orjson.loads(line)["message"] for line in (history, followed)] == [
            "new",
            "followed",
        ]
