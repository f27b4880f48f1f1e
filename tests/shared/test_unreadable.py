"""Files the reader may not open: kept with their reason, never skipped silently.

The refusals are the kernel's (refusal.py: mode 000 and, as root, the capabilities that pass
file modes dropped for this thread), not simulated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.reader.follow import LogFollower
from shared.reader.query import query_logs
from shared.reader.sources import Source, open_set, unreadable_files

# readerdata.py and refusal.py sit beside these tests; pytest's importlib import mode does not
# put this directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record
from refusal import refused

ACTIVE = f"{APP}.log"
#: Upper bound on waiting for a read that must not block; reaching it fails the test.
DEADLINE_S = 30.0


def write(path: Path, indexes: range) -> Path:
    with path.open("ab") as out:
        out.writelines(line(record(i)) for i in indexes)
    return path


def seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["fields"]["seq"] for entry in entries]


def returns_despite(fifo: Path, call: Callable[[], Any]) -> Any:
    """``call()``'s result; fails if it is still blocked (on ``fifo``) after `DEADLINE_S`."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(call()), daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    blocked = worker.is_alive()
    if blocked:  # a writer lets the blocked open return, so the thread ends
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert not blocked, f"blocked on {fifo.name}"
    return result[0]


def rotated_set(log_dir: Path) -> tuple[Path, Path, Path]:
    """``.2`` (seq 0, 1), ``.1`` (seq 2, 3) and the active file (seq 4, 5)."""
    return (
        write(log_dir / f"{ACTIVE}.2", range(2)),
        write(log_dir / f"{ACTIVE}.1", range(2, 4)),
        write(log_dir / ACTIVE, range(4, 6)),
    )


class TestOpenSet:
    def test_an_unreadable_rotation_is_kept_with_its_reason(self, tmp_path: Path) -> None:
        """The snapshot opens the other files and lists the refused one with errno and reason."""
        _, middle, _ = rotated_set(tmp_path)
        with refused(middle), open_set(tmp_path) as logset:
            assert [item.name for item in logset.files] == [f"{ACTIVE}.2", ACTIVE]
            [item] = logset.unreadable
        assert (item.name, item.source, item.path) == (middle.name, APP, middle)
        assert (item.errno, item.code, item.reason) == (
            errno.EACCES,
            "EACCES",
            "permission denied",
        )

    def test_the_readable_files_are_still_queried(self, tmp_path: Path) -> None:
        """A query shows every entry of the files it can read."""
        _, middle, _ = rotated_set(tmp_path)
        with refused(middle):
            assert seqs(query_logs(tmp_path, limit=10).entries) == [0, 1, 4, 5]

    def test_a_set_of_only_unreadable_files_is_a_permission_error_naming_one(
        self, tmp_path: Path
    ) -> None:
        """Nothing can be read: the query fails as for an unreadable directory, naming the
        active file (the newest refused)."""
        files = rotated_set(tmp_path)
        with refused(*files), pytest.raises(PermissionError) as caught:
            query_logs(tmp_path, limit=10)
        assert caught.value.errno == errno.EACCES
        assert caught.value.filename == str(tmp_path / ACTIVE)

    def test_one_unreadable_file_given_as_the_path_is_a_permission_error(
        self, tmp_path: Path
    ) -> None:
        """A single log file shown that cannot be read fails, naming it."""
        path = write(tmp_path / "app.log", range(3))
        with refused(path), pytest.raises(PermissionError) as caught:
            open_set(path)
        assert caught.value.filename == str(path)

    def test_a_readable_source_beside_an_unreadable_one_is_shown(self, tmp_path: Path) -> None:
        """One source readable is enough: no error, the other source is listed unreadable."""
        write(tmp_path / "api.log", range(2))
        worker = write(tmp_path / "worker.log", range(2, 4))
        with refused(worker):
            assert seqs(query_logs(tmp_path, limit=10).entries) == [0, 1]
            assert [(u.name, u.source) for u in unreadable_files(tmp_path)] == [
                ("worker.log", "worker")
            ]

    def test_unreadable_files_lists_them_even_when_nothing_can_be_read(
        self, tmp_path: Path
    ) -> None:
        """`unreadable_files` (for warnings beside a failed query) lists instead of raising."""
        files = rotated_set(tmp_path)
        with refused(*files):
            names = [item.name for item in unreadable_files(tmp_path)]
        assert names == [ACTIVE, f"{ACTIVE}.1", f"{ACTIVE}.2"]  # newest first

    def test_a_file_gone_since_the_listing_is_no_refusal(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """ENOENT (rotation renamed or clear deleted it after the listing) is left out quietly."""
        write(tmp_path / ACTIVE, range(2))
        names = [f"{ACTIVE}.1", ACTIVE]  # as listed just before .1 went away
        listing = [Source(APP, ACTIVE, names, tmp_path, ACTIVE)]
        monkeypatch.setattr("shared.reader.sources.find_sources", lambda *_: listing)
        with open_set(tmp_path) as logset:
            assert [item.name for item in logset.files] == [ACTIVE]
            assert logset.unreadable == []

    def test_a_fifo_named_like_a_log_file_does_not_block_the_snapshot(self, tmp_path: Path) -> None:
        """A FIFO among the names is skipped, not waited on for a writer that never comes."""
        write(tmp_path / ACTIVE, range(2))
        fifo = tmp_path / f"{ACTIVE}.1"
        os.mkfifo(fifo)
        assert returns_despite(fifo, lambda: seqs(query_logs(tmp_path, limit=10).entries)) == [0, 1]


class TestFollower:
    def test_following_only_an_unreadable_active_file_is_a_permission_error(
        self, tmp_path: Path
    ) -> None:
        """A follower that could follow nothing says so (as for an unreadable directory)."""
        active = write(tmp_path / ACTIVE, range(2))
        with refused(active), pytest.raises(PermissionError) as caught:
            LogFollower(tmp_path)
        assert caught.value.filename == str(active)

    def test_a_fifo_named_like_the_active_file_does_not_block_the_follower(
        self, tmp_path: Path
    ) -> None:
        """The follower does not wait on a FIFO for a writer either; it follows the rest."""
        api = write(tmp_path / "api.log", range(2))
        os.mkfifo(tmp_path / "worker.log")
        with returns_despite(tmp_path / "worker.log", lambda: LogFollower(tmp_path)) as follower:
            write(api, range(2, 4))
            assert seqs(follower.poll().entries) == [2, 3]

    def test_an_unreadable_source_does_not_stop_the_others(self, tmp_path: Path) -> None:
        """The readable source is followed; polls neither fail nor yield the refused one."""
        api = write(tmp_path / "api.log", range(2))
        worker = write(tmp_path / "worker.log", range(10, 12))
        with refused(worker), LogFollower(tmp_path) as follower:
            write(api, range(2, 4))
            assert seqs(follower.poll().entries) == [2, 3]
            assert follower.poll().entries == []

    def test_an_active_file_readable_again_is_read_from_its_start(self, tmp_path: Path) -> None:
        """The refused file is tried again each poll; once readable, all of it is news (the
        page never saw any of it)."""
        write(tmp_path / "api.log", range(2))
        worker = write(tmp_path / "worker.log", range(10, 12))
        with contextlib.ExitStack() as stack:
            with refused(worker):
                follower = stack.enter_context(LogFollower(tmp_path))
                assert follower.poll().entries == []
            assert seqs(follower.poll().entries) == [10, 11]

    def test_a_rotation_to_an_unreadable_active_file_keeps_the_old_one_read(
        self, tmp_path: Path
    ) -> None:
        """The new active file cannot be opened: polls go on, the lines still written to the
        file rotated away (a late writer) are read, and nothing fails."""
        active = write(tmp_path / ACTIVE, range(2))
        with LogFollower(tmp_path) as follower:
            active.rename(tmp_path / f"{ACTIVE}.1")
            write(tmp_path / ACTIVE, range(100, 101))
            write(tmp_path / f"{ACTIVE}.1", range(2, 4))
            with refused(tmp_path / ACTIVE):
                assert seqs(follower.poll().entries) == [2, 3]
                assert follower.poll().entries == []
            assert seqs(follower.poll().entries) == [100]
