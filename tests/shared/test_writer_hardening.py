"""Hostile log directories and hostile values: links and FIFOs planted among the log files,
values nested too deep, lone surrogates, and rotation in a directory of thousands of files.

Every test uses real files, real symbolic links and real FIFOs in ``tmp_path``.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.reader.files import ClearResult, clear_log_files
from shared.reader.parse import MAX_DEPTH, parse_line
from shared.writer import encode as _encode
from shared.writer import sink as _sink
from shared.writer.config import LogConfig, LoggingError
from shared.writer.encode import encode_json
from shared.writer.setup import get_logger, init_logging
from shared.writer.sink import FileSink

LINE = 100  # bytes per test line, newline included
SECRET = b"the user's own file, not a log\n" * 3


def line(n: int) -> bytes:
    """A LINE-byte line carrying ``n``."""
    return f"{n:08d} ".encode().ljust(LINE - 1, b"x") + b"\n"


def numbers(path: Path) -> list[int]:
    """The numbers of the lines in ``path``."""
    return [int(raw[:8]) for raw in path.read_bytes().splitlines()]


def digest(path: Path) -> str:
    """sha256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the log directory that links will point at."""
    elsewhere = tmp_path / "home"
    elsewhere.mkdir()
    target = elsewhere / "important"
    target.write_bytes(SECRET)
    return target


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    """An existing, empty log directory."""
    directory = tmp_path / "logs"
    directory.mkdir()
    return directory


@pytest.fixture
def make_sink(logs: Path) -> Iterator[Callable[..., FileSink]]:
    """Create sinks in ``logs`` (``app`` files) and close them afterwards."""
    made: list[FileSink] = []

    def make(max_bytes: int = 10_000, max_files: int = 3) -> FileSink:
        sink = FileSink(logs, "app", max_bytes, max_files)
        made.append(sink)
        return sink

    yield make
    for sink in made:
        sink.close()


def plant_link(link: Path, target: Path) -> None:
    """Put a symbolic link at ``link`` (replacing whatever is there) in one rename."""
    temporary = link.with_name(link.name + ".planting")
    temporary.symlink_to(target)
    os.replace(temporary, link)


class TestClearLeavesLinksAlone:
    def test_a_linked_active_file_is_skipped_not_truncated(self, logs: Path, outside: Path) -> None:
        """``app.log`` -> a file elsewhere: the file keeps every byte; the link is reported."""
        before = digest(outside)
        (logs / "app.log").symlink_to(outside)
        result = clear_log_files(logs, "app")
        assert digest(outside) == before
        assert outside.read_bytes() == SECRET
        assert result.skipped == ["app.log"]
        assert (logs / "app.log").is_symlink()

    def test_a_linked_rotated_file_is_skipped_not_deleted(self, logs: Path, outside: Path) -> None:
        """``app.log.2`` -> a file elsewhere: neither it nor the link go; regular files do."""
        (logs / "app.log").write_bytes(line(0))
        (logs / "app.log.1").write_bytes(line(1))
        (logs / "app.log.2").symlink_to(outside)
        before = digest(outside)
        result = clear_log_files(logs, "app")
        assert digest(outside) == before
        assert result == ClearResult(files_removed=1, bytes_cleared=2 * LINE, skipped=["app.log.2"])
        assert (logs / "app.log").read_bytes() == b""
        assert sorted(p.name for p in logs.iterdir()) == ["app.log", "app.log.2"]

    def test_a_fifo_in_the_active_files_place_is_skipped(self, logs: Path) -> None:
        """A FIFO named ``app.log`` is left alone (truncating it failed the whole clear)."""
        os.mkfifo(logs / "app.log")
        (logs / "app.log.1").write_bytes(line(1))
        result = clear_log_files(logs, "app")
        assert result == ClearResult(files_removed=1, bytes_cleared=LINE, skipped=["app.log"])

    def test_a_directory_in_a_rotated_files_place_is_skipped(self, logs: Path) -> None:
        """A directory named ``app.log.1`` is no file of the log: it stays, with its content."""
        (logs / "app.log").write_bytes(line(0))
        (logs / "app.log.1").mkdir()
        (logs / "app.log.1" / "keep").write_bytes(SECRET)
        result = clear_log_files(logs, "app")
        assert result.skipped == ["app.log.1"]
        assert (logs / "app.log.1" / "keep").read_bytes() == SECRET

    def test_a_linked_lock_file_is_not_followed(self, logs: Path, tmp_path: Path) -> None:
        """A lock name that is a dangling link creates nothing where it points."""
        (logs / "app.log").write_bytes(line(0))
        missing = tmp_path / "home" / "created-by-clear"
        missing.parent.mkdir()
        (logs / "app.log.lock").symlink_to(missing)
        result = clear_log_files(logs, "app")
        assert result.bytes_cleared == LINE
        assert not missing.exists()


class TestWriterRefusesLinks:
    def test_init_refuses_a_linked_active_file(self, logs: Path, outside: Path) -> None:
        """``init_logging`` raises LoggingError naming the link; the linked file is unchanged."""
        before = digest(outside)
        (logs / "midi-software-center.log").symlink_to(outside)
        with pytest.raises(LoggingError, match=r"midi-software-center\.log: .*symbolic link"):
            init_logging(LogConfig(log_dir=logs, console_level="error"), env_filter="")
        assert digest(outside) == before

    def test_a_dangling_link_creates_nothing_where_it_points(
        self, logs: Path, tmp_path: Path
    ) -> None:
        """``O_CREAT`` through a dangling link would create the file elsewhere: refused."""
        missing = tmp_path / "created-by-the-writer"
        (logs / "app.log").symlink_to(missing)
        with pytest.raises(OSError, match="symbolic link"):
            FileSink(logs, "app", 10_000, 3)
        assert not missing.exists()

    def test_a_fifo_with_a_reader_is_refused(self, logs: Path) -> None:
        """A FIFO named ``app.log`` is no regular file: the sink refuses it."""
        os.mkfifo(logs / "app.log")
        reader = os.open(logs / "app.log", os.O_RDONLY | os.O_NONBLOCK)
        try:
            with pytest.raises(OSError, match="not a regular file"):
                FileSink(logs, "app", 10_000, 3)
        finally:
            os.close(reader)

    def test_a_fifo_without_a_reader_does_not_block(self, logs: Path) -> None:
        """Opening a FIFO for writing waits for a reader: the sink must not wait, it refuses."""
        os.mkfifo(logs / "app.log")
        result = subprocess.run(
            [sys.executable, "-c", _OPEN_FIFO, str(logs)],
            capture_output=True,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
            timeout=120,  # a guard against hanging the suite, far above the time it takes
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "refused: is not a regular file"

    def test_a_link_planted_while_writing_is_not_written_through(
        self,
        make_sink: Callable[..., FileSink],
        logs: Path,
        outside: Path,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """The path check finds a link in the active file's place: the writer does not open it,
        says so once on stderr, and goes on without raising."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", 0.0)
        before = digest(outside)
        sink = make_sink()
        sink.write(line(0))
        plant_link(logs / "app.log", outside)
        for n in range(1, 20):
            sink.write(line(n))
        assert digest(outside) == before
        complaints = [ln for ln in capsys.readouterr().err.splitlines() if "msc-logging" in ln]
        assert len(complaints) == 1
        assert "app.log" in complaints[0]
        assert "symbolic link" in complaints[0]

    def test_writing_resumes_once_the_link_is_gone(
        self,
        make_sink: Callable[..., FileSink],
        logs: Path,
        outside: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        """After the link is removed the next record creates a regular ``app.log`` again."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", 0.0)
        sink = make_sink()
        sink.write(line(0))
        plant_link(logs / "app.log", outside)
        sink.write(line(1))
        (logs / "app.log").unlink()
        sink.write(line(2))
        assert not (logs / "app.log").is_symlink()
        assert numbers(logs / "app.log") == [2]
        assert outside.read_bytes() == SECRET


class TestRotationLeavesLinksAlone:
    def test_links_at_rotated_names_never_reach_their_targets(
        self, make_sink: Callable[..., FileSink], logs: Path, outside: Path
    ) -> None:
        """Links planted at ``.1``, ``.2`` and beyond ``max_files`` are renamed or deleted as
        links: after many rotations the linked file has every byte it had."""
        before = digest(outside)
        for name in ("app.log.1", "app.log.2", "app.log.7"):
            (logs / name).symlink_to(outside)
        sink = make_sink(max_bytes=2 * LINE, max_files=3)
        for n in range(30):
            sink.write(line(n))
        assert digest(outside) == before
        assert not any(p.is_symlink() for p in logs.iterdir())
        assert [numbers(logs / f"app.log.{i}") for i in (3, 2, 1)] == [
            [24, 25],
            [26, 27],
            [28, 29],
        ]

    def test_a_link_planted_at_the_active_name_before_a_rotation_is_not_opened(
        self, make_sink: Callable[..., FileSink], logs: Path, outside: Path
    ) -> None:
        """The rotation after which a link sits at ``app.log`` reopens nothing through it."""
        before = digest(outside)
        first, second = make_sink(max_bytes=3 * LINE), make_sink(max_bytes=3 * LINE)
        for n in range(3):
            first.write(line(n))  # rotates: app.log -> app.log.1
        plant_link(logs / "app.log", outside)
        second.write(line(3))  # its file is over the limit and no longer app.log: reopen
        first.write(line(4))
        second.write(line(5))
        assert digest(outside) == before
        assert (logs / "app.log").is_symlink()

    def test_a_dangling_lock_link_creates_nothing_where_it_points(
        self, make_sink: Callable[..., FileSink], logs: Path, tmp_path: Path
    ) -> None:
        """The rotation lock is never opened through a link (``O_CREAT`` would create its
        target): the rotation is refused and writing goes on."""
        missing = tmp_path / "created-by-rotation"
        (logs / "app.log.lock").symlink_to(missing)
        sink = make_sink(max_bytes=2 * LINE)
        for n in range(5):
            sink.write(line(n))
        assert not missing.exists()
        assert numbers(logs / "app.log") == [0, 1, 2, 3, 4]


# Child: a FileSink over a FIFO nobody reads; prints what happened (a hang fails by timeout).
_OPEN_FIFO = """
import sys
from pathlib import Path
from shared.writer.sink import FileSink
try:
    FileSink(Path(sys.argv[1]), "app", 10_000, 3)
except OSError as exc:
    print("refused:", exc.strerror)
else:
    print("opened")
"""


def nested(depth: int) -> Any:
    """A list nested ``depth`` levels deep around the string ``"bottom"``."""
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def depth_of(value: Any) -> int:
    """How many lists are nested in ``value`` (iteratively: it is deep)."""
    depth = 0
    while isinstance(value, list):
        depth += 1
        value = value[0]
    return depth


class TestStandInsPerValue:
    @pytest.mark.parametrize("depth", [260, 300, 2000])
    def test_a_value_nested_too_deep_keeps_every_other_field(self, depth: int) -> None:
        """The too-deep value gets a stand-in where the nesting is cut; ``request_id`` and the
        other fields stay as they were (the whole ``fields`` object used to be replaced)."""
        record = {"message": "deep", "fields": {"request_id": "r-1", "deep": nested(depth), "n": 7}}
        fields = orjson.loads(encode_json(record))["fields"]
        assert fields["request_id"] == "r-1"
        assert fields["n"] == 7
        assert "unencodable_fields" not in fields
        cut = fields["deep"]
        assert 0 < depth_of(cut) < depth
        bottom = cut
        while isinstance(bottom, list):
            bottom = bottom[0]
        assert isinstance(bottom, str)

    @pytest.mark.parametrize("depth", [300, 1000])
    def test_the_record_of_a_too_deep_value_reads_back_as_a_record(
        self, tmp_path: Path, depth: int
    ) -> None:
        """The cut keeps the line within the reader's nesting limit: a record, not a raw line."""
        init_logging(LogConfig(log_dir=tmp_path, console_level="error"), env_filter="")
        get_logger("deep").info("deep value", request_id="r-2", deep=nested(depth))
        raw = (tmp_path / "midi-software-center.log").read_bytes().splitlines()[-1]
        entry = parse_line(raw)
        assert entry["message"] == "deep value"
        assert entry["fields"]["request_id"] == "r-2"
        assert 0 < depth_of(entry["fields"]["deep"]) < depth

    def test_the_cut_depth_is_the_readers_limit(self) -> None:
        """The writer cuts where the reader would stop reading a line as a record."""
        assert _encode.MAX_DEPTH == MAX_DEPTH

    def test_lone_surrogates_become_replacement_characters(self, tmp_path: Path) -> None:
        """In the message, a key and a value a lone surrogate is stored as U+FFFD, not as the
        ``repr`` of the string (quotes and backslashes); the other fields are untouched."""
        init_logging(LogConfig(log_dir=tmp_path, console_level="error"), env_filter="")
        fields = {"request_id": "r-3", "key\udc80": "value\ud800!", "nested": {"k": ["\udfff"]}}
        get_logger("surrogates").info("message \ud800 here", **fields)
        raw = (tmp_path / "midi-software-center.log").read_bytes().splitlines()[-1]
        record = orjson.loads(raw)
        assert record["message"] == "message \ufffd here"
        assert record["fields"] == {
            "request_id": "r-3",
            "key\ufffd": "value\ufffd!",
            "nested": {"k": ["\ufffd"]},
        }

    def test_a_paired_surrogate_written_as_two_code_points_is_replaced_too(self) -> None:
        """Two surrogates in a row are still two invalid code points: two U+FFFD."""
        line_ = encode_json({"message": "\ud83d\ude00"})
        assert orjson.loads(line_)["message"] == "\ufffd\ufffd"


class TestRotationKeepsItsSet:
    def test_rotation_does_not_list_the_directory_each_time(
        self, make_sink: Callable[..., FileSink], logs: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With 500 rotated files, 50 rotations list the directory at most once (they listed it
        every time, which with thousands of files cost most of the writing time)."""
        for i in range(1, 501):
            (logs / f"app.log.{i}").write_bytes(line(100_000 + i))
        listings: list[str] = []
        real_listdir, real_scandir = os.listdir, os.scandir

        def counting_listdir(path: Any = ".") -> list[str]:
            listings.append("listdir")
            return real_listdir(path)

        def counting_scandir(path: Any = ".") -> Any:
            listings.append("scandir")
            return real_scandir(path)

        monkeypatch.setattr(os, "listdir", counting_listdir)
        monkeypatch.setattr(os, "scandir", counting_scandir)
        sink = make_sink(max_bytes=LINE, max_files=1000)
        for n in range(50):
            sink.write(line(n))
        assert len(listings) <= 1
        names = {p.name for p in logs.iterdir()} - {"app.log", "app.log.lock"}
        assert names == {f"app.log.{i}" for i in range(1, 551)}
        assert [numbers(logs / f"app.log.{i}") for i in (1, 50, 51, 550)] == [
            [49],
            [0],
            [100_001],
            [100_500],
        ]

    def test_writers_rotating_in_turn_keep_every_file(
        self, make_sink: Callable[..., FileSink], logs: Path
    ) -> None:
        """Three writers rotate in turn (each writes twice: the first record reaches the file it
        had, rotated away by another, the second fills the new one): no rename overwrites a file,
        every record is kept once and the numbers have no gap."""
        sinks = [make_sink(max_bytes=LINE, max_files=1000) for _ in range(3)]
        for n in range(0, 120, 2):
            sinks[n // 2 % 3].write(line(n))
            sinks[n // 2 % 3].write(line(n + 1))
        rotated = {p.name for p in logs.iterdir()} - {"app.log", "app.log.lock"}
        count = len(rotated)
        assert rotated == {f"app.log.{i}" for i in range(1, count + 1)}
        kept = [n for i in range(count, 0, -1) for n in numbers(logs / f"app.log.{i}")]
        assert sorted(kept + numbers(logs / "app.log")) == list(range(120))

    def test_a_foreign_rotation_between_ours_overwrites_nothing(
        self, make_sink: Callable[..., FileSink], logs: Path
    ) -> None:
        """A writer that does not share the set's state (another program, an older version)
        rotates between two of ours: the set is seen to have grown and is listed again."""
        sink = make_sink(max_bytes=2 * LINE, max_files=1000)
        for n in range(4):
            sink.write(line(n))  # two rotations: .2 = [0, 1], .1 = [2, 3]
        for index in (2, 1):  # the foreign rotation, as logrotate would do it
            os.rename(logs / f"app.log.{index}", logs / f"app.log.{index + 1}")
        (logs / "app.log").write_bytes(line(90) + line(91))  # a full file of its own
        os.rename(logs / "app.log", logs / "app.log.1")
        (logs / "app.log").write_bytes(b"")
        for n in range(4, 8):  # the sink's file is .1 now: it reopens, then rotates twice
            sink.write(line(n))
        assert [numbers(logs / f"app.log.{i}") for i in (4, 3, 2, 1)] == [
            [0, 1],
            [2, 3],
            [90, 91, 4],
            [5, 6],
        ]
        assert numbers(logs / "app.log") == [7]
