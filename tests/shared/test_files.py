"""The rotated set on disk: discovery, generations and ids, file infos, and clearing."""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

import orjson
import pytest

from shared.reader import files as _files
from shared.reader.files import DEFAULT_APP_NAME, ClearResult, clear_log_files, log_files
from shared.reader.sources import (
    compute_generation,
    fd_reader,
    format_id,
    open_set,
    parse_id,
    set_names,
)

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record, start_writer


def write(path: Path, indexes: range) -> None:
    with path.open("ab") as out:
        out.writelines(line(record(i)) for i in indexes)


def generation_of(path: Path) -> str | None:
    fd = os.open(path, os.O_RDONLY)
    try:
        return compute_generation(fd_reader(fd), os.fstat(fd).st_ino)
    finally:
        os.close(fd)


class TestSetNames:
    def test_active_then_rotated_in_number_order(self, tmp_path: Path) -> None:
        """Files are listed newest first by rotation number, 10 after 9."""
        for suffix in ["", ".1", ".2", ".10", ".9"]:
            (tmp_path / f"{APP}.log{suffix}").touch()
        assert [index for index, _ in set_names(tmp_path, APP)] == [0, 1, 2, 9, 10]

    def test_unrelated_files_are_ignored(self, tmp_path: Path) -> None:
        """The lock file, backups, other apps and zero-padded numbers are not part of the set."""
        for name in [f"{APP}.log.lock", f"{APP}.log.bak", f"{APP}.log.01", "other.log", f"{APP}"]:
            (tmp_path / name).touch()
        (tmp_path / f"{APP}.log").touch()
        assert set_names(tmp_path, APP) == [(0, f"{APP}.log")]

    def test_default_app_name_is_the_protocols(self) -> None:
        """The default app name is midi-software-center."""
        assert DEFAULT_APP_NAME == "midi-software-center"


class TestOpenSet:
    def test_same_file_under_two_names_is_read_once(self, tmp_path: Path) -> None:
        """A file met twice during a rotation (same inode) appears once in the snapshot."""
        write(tmp_path / f"{APP}.log", range(3))
        os.link(tmp_path / f"{APP}.log", tmp_path / f"{APP}.log.1")
        with open_set(tmp_path, APP) as logset:
            assert [item.name for item in logset.files] == [f"{APP}.log"]

    def test_end_excludes_a_partial_last_line(self, tmp_path: Path) -> None:
        """A snapshot's end is the start of the line still being written."""
        path = tmp_path / f"{APP}.log"
        write(path, range(2))
        complete = path.stat().st_size
        with path.open("ab") as out:
            out.write(b'{"timestamp":')
        with open_set(tmp_path, APP) as logset:
            assert logset.files[0].end == complete


class TestGeneration:
    def test_renamed_file_keeps_its_generation(self, tmp_path: Path) -> None:
        """Rotation renames the file; its entries keep their ids."""
        path = tmp_path / f"{APP}.log"
        write(path, range(3))
        before = generation_of(path)
        path.rename(tmp_path / f"{APP}.log.1")
        assert generation_of(tmp_path / f"{APP}.log.1") == before

    def test_truncated_and_rewritten_file_gets_a_new_generation(self, tmp_path: Path) -> None:
        """Same inode, new first line: a new generation, so old ids cannot point into it."""
        path = tmp_path / f"{APP}.log"
        write(path, range(3))
        before = generation_of(path)
        os.truncate(path, 0)
        write(path, range(10, 13))
        assert generation_of(path) != before

    def test_file_without_a_complete_line_has_none(self, tmp_path: Path) -> None:
        """Until the first line is complete there is nothing to identify."""
        path = tmp_path / f"{APP}.log"
        path.write_bytes(b'{"timestamp"')
        assert generation_of(path) is None

    def test_huge_first_line_uses_its_first_bytes(self, tmp_path: Path) -> None:
        """A first line longer than the probe still yields a generation, without reading it all."""
        path = tmp_path / f"{APP}.log"
        path.write_bytes(b"x" * 10_000)
        assert generation_of(path) is not None


class TestIds:
    def test_id_round_trips(self) -> None:
        """format_id and parse_id are inverse."""
        assert parse_id(format_id("0123456789ab", 0x1F3)) == ("0123456789ab", 0x1F3)

    @pytest.mark.parametrize("text", ["", "-", "0123456789ab", "0123456789ab-", "ABCDEF012345-1"])
    def test_malformed_id_is_rejected(self, text: str) -> None:
        """Anything but 12 lowercase hex digits, a dash and hex is not an id."""
        with pytest.raises(ValueError, match="entry id"):
            parse_id(text)


class TestLogFiles:
    def test_files_oldest_first_with_sizes_and_edge_timestamps(self, tmp_path: Path) -> None:
        """Each file reports its size and the timestamps of its first and last good lines."""
        write(tmp_path / f"{APP}.log.1", range(0, 3))
        with (tmp_path / f"{APP}.log").open("ab") as out:
            out.write(b"junk first\n")
            out.writelines(line(record(i)) for i in range(3, 6))
            out.write(b"junk last\n")
        infos = log_files(tmp_path)
        assert [info.name for info in infos] == [f"{APP}.log.1", f"{APP}.log"]
        assert infos[1].size == (tmp_path / f"{APP}.log").stat().st_size
        assert infos[0].first_timestamp == record(0)["timestamp"]
        assert (infos[1].first_timestamp, infos[1].last_timestamp) == (
            record(3)["timestamp"],
            record(5)["timestamp"],
        )

    def test_file_of_junk_has_no_timestamps(self, tmp_path: Path) -> None:
        """Without a parseable line the timestamps are None."""
        (tmp_path / f"{APP}.log").write_bytes(b"junk\n" * 10)
        (info,) = log_files(tmp_path)
        assert info.first_timestamp is None
        assert info.last_timestamp is None

    def test_missing_directory_has_no_files(self, tmp_path: Path) -> None:
        """A log directory that does not exist yet lists nothing."""
        assert log_files(tmp_path / "missing") == []


class TestClearLogFiles:
    def test_truncates_active_in_place_and_deletes_rotated(self, tmp_path: Path) -> None:
        """The active file keeps its inode and is emptied; rotated files are gone."""
        active = tmp_path / f"{APP}.log"
        write(active, range(5))
        write(tmp_path / f"{APP}.log.1", range(5))
        write(tmp_path / f"{APP}.log.2", range(5))
        inode = active.stat().st_ino
        total = sum(p.stat().st_size for p in tmp_path.iterdir())
        result = clear_log_files(tmp_path)
        assert result == ClearResult(files_removed=2, bytes_cleared=total)
        assert active.stat().st_ino == inode
        assert active.stat().st_size == 0
        assert sorted(p.name for p in tmp_path.iterdir()) == [f"{APP}.log"]  # no lock created

    def test_missing_directory_clears_nothing(self, tmp_path: Path) -> None:
        """Clearing a log that does not exist is a no-op, not an error."""
        assert clear_log_files(tmp_path / "missing") == ClearResult(
            files_removed=0, bytes_cleared=0
        )

    def test_runs_under_the_writers_rotation_lock(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """While clearing, the writers' flock on <app>.log.lock is held (where writers made it)."""
        write(tmp_path / f"{APP}.log", range(3))
        (tmp_path / f"{APP}.log.lock").touch()
        held: list[bool] = []
        real_truncate = os.ftruncate

        def probing_truncate(fd: int, length: int) -> None:
            probe = os.open(tmp_path / f"{APP}.log.lock", os.O_RDWR)
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held.append(False)
            except BlockingIOError:
                held.append(True)
            finally:
                os.close(probe)
            real_truncate(fd, length)

        monkeypatch.setattr(_files.os, "ftruncate", probing_truncate)
        clear_log_files(tmp_path)
        assert held == [True]

    def test_writers_in_other_processes_continue_in_the_emptied_file(self, tmp_path: Path) -> None:
        """Two appending processes keep writing whole lines from offset 0 after a clear."""
        writers = [start_writer(tmp_path, tag, 3000, delay=0.0005) for tag in ("a", "b")]
        active = tmp_path / f"{APP}.log"
        deadline = time.monotonic() + 60
        while not both_tags_written(active) and time.monotonic() < deadline:
            time.sleep(0.01)
        clear_log_files(tmp_path)
        for writer in writers:
            assert writer.wait(timeout=120) == 0
        data = active.read_bytes()
        assert b"\x00" not in data  # no hole: writers appended at the new end, not their old one
        lines = data.splitlines()
        seqs: dict[str, list[int]] = {"a": [], "b": []}
        for raw in lines:
            rec = record_of(raw)
            seqs[rec["tag"]].append(rec["seq"])
        for tag in ("a", "b"):
            assert seqs[tag][-1] == 2999
            assert seqs[tag] == list(range(seqs[tag][0], 3000))  # a gapless tail after the clear
            assert seqs[tag][0] > 0


def both_tags_written(path: Path) -> bool:
    data = path.read_bytes() if path.exists() else b""
    return b'"tag":"a"' in data and b'"tag":"b"' in data and len(data) > 20_000


def record_of(raw: bytes) -> dict[str, int | str]:
    fields: dict[str, int | str] = orjson.loads(raw)["fields"]
    return fields
