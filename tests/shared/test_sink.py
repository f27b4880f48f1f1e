"""FileSink: whole-line appends, size rotation, the lock protocol, surviving a hostile disk."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.writer import sink as _sink
from shared.writer.fileops import rotation_lock
from shared.writer.sink import FileSink

LINE = 100  # bytes per test line, newline included


def line(n: int) -> bytes:
    """A LINE-byte line carrying ``n``."""
    return f"{n:08d} ".encode().ljust(LINE - 1, b"x") + b"\n"


def numbers(path: Path) -> list[int]:
    """The numbers of the lines in ``path``."""
    return [int(raw[:8]) for raw in path.read_bytes().splitlines()]


@pytest.fixture
def make_sink(tmp_path: Path) -> Iterator[Callable[..., FileSink]]:
    """Create sinks in tmp_path (``app`` files) and close them afterwards."""
    made: list[FileSink] = []

    def make(max_bytes: int = 1000, max_files: int = 3, **kw: object) -> FileSink:
        sink = FileSink(tmp_path, "app", max_bytes, max_files, **kw)  # type: ignore[arg-type]
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


class TestWriting:
    def test_creates_the_active_file(self, make_sink: Callable[..., FileSink]) -> None:
        """Opening a sink creates ``<app_name>.log``."""
        sink = make_sink()
        assert sink.path.name == "app.log"
        assert sink.path.exists()

    def test_each_write_reaches_the_file_at_once(self, make_sink: Callable[..., FileSink]) -> None:
        """A record is in the file as soon as write returns (no buffering)."""
        sink = make_sink()
        sink.write(line(1))
        assert sink.path.read_bytes() == line(1)

    def test_appends_to_an_existing_file(self, tmp_path: Path) -> None:
        """Reopening keeps what is there and appends after it."""
        (tmp_path / "app.log").write_bytes(line(0))
        sink = FileSink(tmp_path, "app", 10_000, 3)
        sink.write(line(1))
        sink.close()
        assert numbers(tmp_path / "app.log") == [0, 1]

    def test_descriptor_is_close_on_exec(self, make_sink: Callable[..., FileSink]) -> None:
        """Child programs do not inherit the log file."""
        sink = make_sink()
        assert not os.get_inheritable(sink._fd)

    def test_ignores_writes_after_close(self, make_sink: Callable[..., FileSink]) -> None:
        """Writing to a closed sink neither raises nor writes."""
        sink = make_sink()
        sink.close()
        sink.write(line(1))
        assert sink.path.read_bytes() == b""


class TestRotation:
    def test_rotates_when_file_exceeds_max_size(self, make_sink: Callable[..., FileSink]) -> None:
        """The write that reaches max_bytes moves the file to ``.1`` and starts a new one."""
        sink = make_sink(max_bytes=5 * LINE)
        for n in range(6):
            sink.write(line(n))
        assert numbers(sink.path.with_name("app.log.1")) == [0, 1, 2, 3, 4]
        assert numbers(sink.path) == [5]

    def test_keeps_exactly_max_files_numbered_newest_first(
        self, make_sink: Callable[..., FileSink], tmp_path: Path
    ) -> None:
        """After many rotations only ``.1`` … ``.max_files`` remain, ``.1`` the newest."""
        sink = make_sink(max_bytes=2 * LINE, max_files=3)
        for n in range(21):
            sink.write(line(n))
        names = sorted(p.name for p in tmp_path.iterdir() if p.name != "app.log.lock")
        assert names == ["app.log", "app.log.1", "app.log.2", "app.log.3"]
        assert [numbers(tmp_path / f"app.log.{i}") for i in (3, 2, 1)] == [
            [14, 15],
            [16, 17],
            [18, 19],
        ]
        assert numbers(sink.path) == [20]

    def test_removes_files_beyond_a_lowered_max_files(
        self, make_sink: Callable[..., FileSink], tmp_path: Path
    ) -> None:
        """Rotated files numbered above max_files (an older, larger setting) are deleted."""
        for i in range(1, 6):
            (tmp_path / f"app.log.{i}").write_bytes(line(100 + i))
        sink = make_sink(max_bytes=LINE, max_files=2)
        sink.write(line(0))
        assert sorted(p.name for p in tmp_path.glob("app.log.*[0-9]")) == ["app.log.1", "app.log.2"]

    def test_uses_the_lock_file(self, make_sink: Callable[..., FileSink]) -> None:
        """Rotation creates ``<app_name>.log.lock`` beside the log (the lock protocol's file)."""
        sink = make_sink(max_bytes=LINE)
        sink.write(line(0))
        assert sink.lock_path.name == "app.log.lock"
        assert sink.lock_path.exists()

    def test_writer_of_a_rotated_file_only_reopens(
        self, make_sink: Callable[..., FileSink], tmp_path: Path
    ) -> None:
        """When another writer rotated already, the late writer reopens without rotating again."""
        first, second = make_sink(max_bytes=3 * LINE), make_sink(max_bytes=3 * LINE)
        for n in range(3):
            first.write(line(n))  # the third write rotates: app.log → app.log.1
        second.write(line(3))  # still into the old file, now over the limit: reopen only
        second.write(line(4))
        first.write(line(5))
        assert numbers(tmp_path / "app.log.1") == [0, 1, 2, 3]
        assert numbers(tmp_path / "app.log") == [4, 5]
        assert not (tmp_path / "app.log.2").exists()

    def test_does_not_rotate_a_file_truncated_meanwhile(
        self, make_sink: Callable[..., FileSink], tmp_path: Path
    ) -> None:
        """A file cleared by another tool (truncated in place) is kept and appended to."""
        sink = make_sink(max_bytes=3 * LINE)
        sink.write(line(0))
        sink.write(line(1))
        os.truncate(sink.path, 0)
        sink.write(line(2))
        sink.write(line(3))
        assert numbers(sink.path) == [2, 3]
        assert not (tmp_path / "app.log.1").exists()


class TestRotationLock:
    def test_excludes_other_processes(
        self, tmp_path: Path, python: Callable[..., subprocess.CompletedProcess[str]]
    ) -> None:
        """While one process holds the lock another cannot take it (flock, exclusive)."""
        lock = tmp_path / "app.log.lock"
        with rotation_lock(lock):
            held = python(_TRY_LOCK, str(lock))
        free = python(_TRY_LOCK, str(lock))
        assert (held.stdout.strip(), free.stdout.strip()) == ("busy", "free")


_TRY_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    print("free")
except BlockingIOError:
    print("busy")
"""


class TestReliability:
    def test_recreates_a_deleted_directory(
        self, make_sink: Callable[..., FileSink], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When the log directory disappears, the next path check recreates it and the file, and
        writes again what went to the deleted file since the previous check (here: record 0)."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", 0.0)
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        sink = FileSink(log_dir, "app", 10_000, 3)
        sink.write(line(0))
        shutil.rmtree(log_dir)
        sink.write(line(1))
        sink.close()
        assert numbers(log_dir / "app.log") == [0, 1]

    def test_reopens_a_replaced_file(
        self, make_sink: Callable[..., FileSink], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A log file deleted by someone else is created again on the next path check. Its
        directory stayed: what was in the file is meant to be gone, and does not come back."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", 0.0)
        sink = make_sink(max_bytes=10_000)
        sink.write(line(0))
        sink.path.unlink()
        sink.write(line(1))
        assert numbers(sink.path) == [1]

    def test_survives_file_size_limit_and_resumes(
        self, tmp_path: Path, python: Callable[..., subprocess.CompletedProcess[str]]
    ) -> None:
        """Under RLIMIT_FSIZE writes fail without raising, one line goes to stderr, and writing
        resumes (reporting the dropped count) once the limit is lifted."""
        result = python(_FSIZE_CHILD, str(tmp_path))
        assert result.returncode == 0, result.stderr
        complaints = [ln for ln in result.stderr.splitlines() if ln.startswith("msc-logging:")]
        assert len(complaints) == 1
        assert "File too large" in complaints[0]
        assert "app.log" in complaints[0]
        assert result.stdout.strip() == "resumed [(20, True)]"
        raw = (tmp_path / "app.log").read_bytes().splitlines()
        whole = [r for r in raw if len(r) == LINE - 1]
        assert int(whole[-1][:8]) == 99  # the last line, written after the limit was lifted
        assert len(raw) - len(whole) <= 1  # at most the one line cut at the limit


# Child: cap the file size at 10.5 lines, write 30 lines (20 fail), lift the cap, write one more.
_FSIZE_CHILD = """
import resource, sys
from pathlib import Path
from shared.writer.fileops import rotation_lock
from shared.writer.sink import FileSink
LINE = 100
def line(n):
    return f"{n:08d} ".encode().ljust(LINE - 1, b"x") + b"\\n"
resumed = []
sink = FileSink(Path(sys.argv[1]), "app", 10**9, 3)
sink.on_resume = lambda count, problem: resumed.append((count, "too large" in problem))
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (LINE * 10 + 50, hard))
for n in range(30):
    sink.write(line(n))
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
sink.write(line(99))
print("resumed", resumed)
"""
