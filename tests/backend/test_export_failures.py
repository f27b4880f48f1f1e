"""`export_logs` when the target or the disk says no: refusals are clear, failures leave nothing.

Complements ``TestExportLogs`` in test_commands.py (existing file without/with overwrite, a
directory with overwrite, a missing directory, a writer failing mid-row, a refusal simulated at
``mkstemp``, a target appearing meanwhile). Here the OS itself refuses or fails: an unprivileged
child process in a read-only directory (the tests run as root, whom permissions do not stop), a
child whose file size limit (RLIMIT_FSIZE) cuts the export short, and odd targets.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from backend import commands
from backend._app import AppContext, CommandError
from backend._dispatch import dispatch

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
#: Upper bound on a child process's run; reaching it fails the test.
DEADLINE_S = 30.0
Rec = Callable[..., dict[str, Any]]
Write = Callable[..., None]
NOBODY = 65534
#: A child that runs one export through the dispatcher and prints ``RESULT [status, body]``.
#: ``nobody``: drop root's privileges first; ``fsize <bytes>``: cap the size of files it writes.
CHILD = r"""
import json, os, resource, signal, sys
from pathlib import Path
from backend._app import AppContext
from backend._dispatch import respond
log_dir, args, mode = Path(sys.argv[1]), json.loads(sys.argv[2]), sys.argv[3]
if mode == "nobody" and os.getuid() == 0:
    os.setgroups([])
    os.setgid(65534)
    os.setuid(65534)
elif mode.startswith("fsize "):
    # Without this the kernel kills the process at the limit; ignored, the write fails (EFBIG).
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(mode.split()[1])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
result = respond(AppContext(log_dir=log_dir), "export_logs", args)
print("RESULT " + json.dumps([os.geteuid(), *result]), flush=True)
"""


def export_in_child(log_dir: Path, args: dict[str, Any], mode: str) -> tuple[int, int, Any]:
    """Run one export in a child process; returns its euid, the status and the body."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(log_dir), json.dumps(args), mode],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=DEADLINE_S,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0, done.stderr
    assert lines, done.stderr
    euid, status, body = json.loads(lines[-1][len("RESULT ") :])
    return euid, status, body


def records(rec: Rec, count: int) -> list[dict[str, Any]]:
    """``count`` records of about 300 bytes each."""
    return [rec(f"entry {n} " + "x" * 100, fields={"n": n}) for n in range(count)]


@pytest.fixture
def filled(active: Path, write: Write, rec: Rec) -> Path:
    """The active file holding 2000 records (over half a megabyte)."""
    write(active, records(rec, 2000))
    return active


@pytest.fixture
def shared_root() -> Iterator[Path]:
    """A directory every user may enter (pytest's own temporary directories are root's only)."""
    root = Path(tempfile.mkdtemp(prefix="msc-export-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for folder, dirs, _ in os.walk(root):
            for name in dirs:
                Path(folder, name).chmod(0o755)
        shutil.rmtree(root)


class TestOSRefusals:
    def test_a_read_only_directory_is_permission_denied_and_nothing_is_created(
        self, shared_root: Path, write: Write, rec: Rec
    ) -> None:
        """An unprivileged process exporting into a 0555 directory gets permission_denied."""
        logs, out = shared_root / "logs", shared_root / "out"
        write(logs / f"{APP}.log", records(rec, 3))
        for path in (logs, *logs.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        out.mkdir(mode=0o555)
        out.chmod(0o555)
        target = out / "export.jsonl"
        euid, status, body = export_in_child(logs, {"output_path": str(target)}, "nobody")
        assert euid != 0  # the refusal came from the OS, not from root's exemption
        assert (status, body["code"]) == (403, "permission_denied")
        assert body["message"] == f"output_path: cannot write {target}: Permission denied"
        assert list(out.iterdir()) == []

    def test_a_parent_that_is_a_file_is_invalid_args_naming_it(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """ENOTDIR: the message says the parent is no directory (not that it is missing)."""
        parent = tmp_path / "plain-file"
        parent.write_text("not a directory\n")
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(parent / "out.jsonl")})
        assert caught.value.to_dict() == {
            "code": "invalid_args",
            "message": f"output_path: {parent} is not a directory",
        }
        assert parent.read_text() == "not a directory\n"


class TestOddTargets:
    def test_a_fifo_is_not_replaced_even_with_overwrite(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """A special file (here a FIFO, think /dev/null) is no export target."""
        (tmp_path / "special").mkdir()
        fifo = tmp_path / "special" / "pipe"
        os.mkfifo(fifo)
        with pytest.raises(CommandError, match="is not a regular file") as caught:
            dispatch(app, "export_logs", {"output_path": str(fifo), "overwrite": True})
        assert caught.value.code == "invalid_args"
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert [p.name for p in fifo.parent.iterdir()] == ["pipe"]

    def test_a_directory_is_refused_without_overwrite_too(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """A directory is invalid_args, not already_exists: overwrite could never help."""
        (tmp_path / "folder").mkdir()
        with pytest.raises(CommandError, match="is a directory") as caught:
            dispatch(app, "export_logs", {"output_path": str(tmp_path / "folder")})
        assert caught.value.code == "invalid_args"

    def test_a_dangling_symlink_is_not_followed_without_overwrite(
        self, app: AppContext, tmp_path: Path
    ) -> None:
        """A link to nowhere counts as an existing file: nothing is created where it points."""
        link = tmp_path / "link.jsonl"
        link.symlink_to(tmp_path / "elsewhere.jsonl")
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(link)})
        assert caught.value.code == "already_exists"
        assert not (tmp_path / "elsewhere.jsonl").exists()

    def test_a_name_near_the_length_limit_exports(
        self, app: AppContext, filled: Path, tmp_path: Path
    ) -> None:
        """A 250-character name is legal: the temporary file's longer name must not fail it."""
        target = tmp_path / ("n" * 244 + ".jsonl")
        result = dispatch(app, "export_logs", {"output_path": str(target)})
        assert result["count"] == 2000
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

    def test_an_overwritten_file_becomes_private(
        self, app: AppContext, filled: Path, tmp_path: Path
    ) -> None:
        """The export is mode 0600 even where a world-readable file stood (logs hold secrets)."""
        target = tmp_path / "shared.jsonl"
        target.write_text("old\n")
        target.chmod(0o644)
        dispatch(app, "export_logs", {"output_path": str(target), "overwrite": True})
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


class TestFailureMidWrite:
    @pytest.mark.parametrize("overwrite", [False, True])
    @pytest.mark.parametrize("format", ["jsonl", "csv", "txt"])
    def test_the_file_size_limit_leaves_no_partial_file_and_no_temp(
        self, filled: Path, log_dir: Path, tmp_path: Path, format: str, overwrite: bool
    ) -> None:
        """EFBIG part way through (RLIMIT_FSIZE): a clear error, the old file or nothing."""
        out = tmp_path / "out"
        out.mkdir()
        target = out / f"export.{format}"
        if overwrite:
            target.write_text("previous\n")
        args = {"output_path": str(target), "format": format, "overwrite": overwrite}
        _, status, body = export_in_child(log_dir, args, f"fsize {64 * 1024}")
        assert (status, body["code"]) == (500, "internal")
        assert body["message"] == f"output_path: cannot write {target}: File too large"
        assert [p.name for p in out.iterdir()] == ([target.name] if overwrite else [])
        assert not overwrite or target.read_text() == "previous\n"

    def test_the_same_export_succeeds_without_the_limit(
        self, filled: Path, log_dir: Path, tmp_path: Path
    ) -> None:
        """The control: the child's export only failed because of its limit."""
        target = tmp_path / "export.jsonl"
        _, status, body = export_in_child(log_dir, {"output_path": str(target)}, "plain")
        assert (status, body["count"]) == (200, 2000)
        assert body["bytes"] == target.stat().st_size > 64 * 1024

    @pytest.mark.parametrize("overwrite", [False, True])
    def test_the_reader_failing_halfway_leaves_no_partial_file_and_no_temp(
        self,
        app: AppContext,
        filled: Path,
        tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
        overwrite: bool,
    ) -> None:
        """An entry stream that breaks after 1000 entries: internal, nothing left behind."""
        real = commands.iter_logs
        yielded: list[int] = []

        def breaking(*args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            for entry in real(*args, **kwargs):
                if len(yielded) == 1000:
                    raise RuntimeError("the reader broke")
                yielded.append(1)
                yield entry

        monkeypatch.setattr(commands, "iter_logs", breaking)
        out = tmp_path / "out"
        out.mkdir()
        target = out / "export.jsonl"
        if overwrite:
            target.write_text("previous\n")
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(target), "overwrite": overwrite})
        assert caught.value.to_dict() == {
            "code": "internal",
            "message": "internal error; the details are in the log",
        }
        assert len(yielded) == 1000  # it did break halfway, after real writing
        assert [p.name for p in out.iterdir()] == ([target.name] if overwrite else [])
        assert not overwrite or target.read_text() == "previous\n"
