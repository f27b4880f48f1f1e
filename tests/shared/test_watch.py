"""The follower's wake-up: inotify where it sees changes, polling where it does not."""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.reader import follow as _follow
from shared.reader import watch as _watch
from shared.reader.follow import LogFollower
from shared.reader.watch import DirectoryWatch, filesystem_type, watch_mode

sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record, start_writer

DEADLINE_S = 60


def follow_until(
    follower: LogFollower, done: Callable[[list[int]], bool], act: Callable[[], None]
) -> list[int]:
    """Run ``follower.follow`` in a thread, call ``act``, collect seqs until ``done``."""
    stop = threading.Event()
    got: list[int] = []

    def consume() -> None:
        for batch in follower.follow(stop):
            got.extend(entry["fields"]["seq"] for entry in batch.entries)
            if done(got):
                stop.set()

    thread = threading.Thread(target=consume)
    thread.start()
    try:
        act()
        thread.join(timeout=DEADLINE_S)
    finally:
        stop.set()
        thread.join(timeout=DEADLINE_S)
    assert not thread.is_alive()
    return got


class TestInotify:
    def test_another_process_writing_wakes_the_follower(self, tmp_path: Path) -> None:
        """Records from another process arrive in order, and the follower sleeps on inotify."""
        (tmp_path / f"{APP}.log").touch()
        with LogFollower(tmp_path, poll_interval=60) as follower:  # a poll would be too late
            writer = start_writer(tmp_path, "w", 200, delay=0.001)
            got = follow_until(follower, lambda got: len(got) >= 200, lambda: None)
            assert writer.wait(timeout=DEADLINE_S) == 0
            assert follower.watch_mode == "inotify"
        assert got == list(range(200))

    def test_the_directory_deleted_and_made_again_is_watched_again(self, tmp_path: Path) -> None:
        """rm -rf of the log directory, then a new file there: its lines still wake the follower."""
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        active = log_dir / f"{APP}.log"
        active.write_bytes(line(record(0)))
        follower = LogFollower(log_dir, APP, poll_interval=60)

        def rewrite() -> None:
            with active.open("ab") as out:  # an append: a rewrite could be seen truncated
                out.write(line(record(1)))
            while not follower_saw[0]:
                threading.Event().wait(0.01)
            shutil.rmtree(log_dir)
            log_dir.mkdir()
            active.write_bytes(line(record(2)) + line(record(3)))

        follower_saw = [False]

        def done(got: list[int]) -> bool:
            follower_saw[0] = 1 in got
            return 3 in got

        with follower:
            got = follow_until(follower, done, rewrite)
            assert follower.watch_mode == "inotify"
        assert got == [1, 2, 3]


class TestFallback:
    def test_changes_inotify_misses_are_polled_for(self, tmp_path: Path) -> None:
        """Writes through a hard link in another directory raise no event in the log directory
        (like another machine's writes on NFS): the follower notices and polls from then on."""
        log_dir, elsewhere = tmp_path / "logs", tmp_path / "elsewhere"
        log_dir.mkdir()
        elsewhere.mkdir()
        (log_dir / f"{APP}.log").touch()
        (elsewhere / f"{APP}.log").hardlink_to(log_dir / f"{APP}.log")
        with LogFollower(log_dir, poll_interval=0.005) as follower:
            writer = start_writer(elsewhere, "w", 300, delay=0.002)
            got = follow_until(follower, lambda got: len(got) >= 300, lambda: None)
            assert writer.wait(timeout=DEADLINE_S) == 0
            assert follower.watch_mode == "polling"
        assert got == list(range(300))

    @pytest.mark.parametrize(
        ("kind", "mode"),
        [("nfs4", "polling"), ("fuse.sshfs", "polling"), ("cifs", "polling"), ("ext4", "inotify")],
    )
    def test_remote_filesystems_are_polled(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, mode: str
    ) -> None:
        """A directory on a network or FUSE filesystem is polled, and the reason says why."""
        mounts = tmp_path / "mountinfo"
        target = tmp_path / "logs"
        target.mkdir()
        mounts.write_text(
            "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
            f"40 22 0:50 / {tmp_path.resolve()} rw,relatime shared:9 - {kind} server:/x rw\n"
        )
        monkeypatch.setattr(_watch, "MOUNTINFO", str(mounts))
        assert filesystem_type(target) == kind
        found, why = watch_mode(target)
        assert found == mode
        assert (kind in why) == (mode == "polling")
        assert DirectoryWatch(target).mode == mode

    def test_without_inotify_the_follower_polls(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Where inotify_simple cannot be imported (not Linux), following still works."""
        monkeypatch.setitem(sys.modules, "inotify_simple", None)  # the import raises
        assert watch_mode(tmp_path) == ("polling", "inotify is not available here")
        active = tmp_path / f"{APP}.log"
        active.touch()
        with LogFollower(tmp_path, poll_interval=0.005) as follower:

            def write() -> None:
                active.write_bytes(b"".join(line(record(i)) for i in range(3)))

            got: list[Any] = follow_until(follower, lambda got: len(got) >= 3, write)
            assert follower.watch_mode == "polling"
        assert got == [0, 1, 2]


class TestWake:
    """A follower sleeps up to `SAFETY_POLL_S` between polls when nothing happens; a stop or
    a text entry's quiet end must not wait for that."""

    @pytest.mark.parametrize("inotify", [True, False])
    def test_wake_ends_a_wait_at_once(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inotify: bool
    ) -> None:
        """A wait of ten minutes returns (True) once another thread calls ``wake``, on an
        inotify watch and on a polled directory alike."""
        if not inotify:
            monkeypatch.setitem(sys.modules, "inotify_simple", None)
        watch = DirectoryWatch(tmp_path)
        assert watch.mode == ("inotify" if inotify else "polling")
        woke: list[bool] = []
        waiter = threading.Thread(target=lambda: woke.append(watch.wait(600)), daemon=True)
        waiter.start()
        watch.wake()
        waiter.join(timeout=DEADLINE_S)
        assert woke == [True]
        watch.close()

    def test_a_stopped_follower_ends_without_waiting_for_its_safety_poll(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``stop`` set and ``wake`` called: ``follow`` ends though its next poll is far off."""
        monkeypatch.setattr(_follow, "SAFETY_POLL_S", 600)
        (tmp_path / f"{APP}.log").write_bytes(line(record(0)))
        stop = threading.Event()
        with LogFollower(tmp_path, APP) as follower:
            thread = threading.Thread(target=lambda: list(follower.follow(stop)), daemon=True)
            thread.start()
            while follower._watch is None and thread.is_alive():  # asleep in its wait
                threading.Event().wait(0.01)
            stop.set()
            follower.wake()
            thread.join(timeout=DEADLINE_S)
            assert not thread.is_alive()

    def test_a_text_entry_ends_without_another_write(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The last entry of a plain-text log (it might go on with a traceback) is yielded once
        the file has been quiet for a while, with no event and the safety poll far off."""
        monkeypatch.setattr(_follow, "SAFETY_POLL_S", 600)
        log = tmp_path / f"{APP}.log"
        log.write_text("2026-12-07 04:00:00,000 - app - INFO - first\n")
        stop = threading.Event()
        messages: list[str] = []

        def consume() -> None:
            for batch in follower.follow(stop):
                messages.extend(entry["message"] for entry in batch.entries)
                if messages:
                    stop.set()

        with LogFollower(tmp_path, APP) as follower:
            thread = threading.Thread(target=consume, daemon=True)
            thread.start()
            while follower._watch is None and thread.is_alive():
                threading.Event().wait(0.01)
            with log.open("a") as out:
                out.write("2026-12-07 04:00:01,000 - app - INFO - second and last\n")
            thread.join(timeout=DEADLINE_S)
            stop.set()
            follower.wake()
        assert messages == ["second and last"]


class TestNewSources:
    def test_a_new_source_is_followed_when_its_file_appears(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Another program starts logging into the directory: its file's creation makes the
        follower list the directory, with the periodic listing and the safety poll far off."""
        monkeypatch.setattr(_follow, "DISCOVER_EVERY_S", 600)
        monkeypatch.setattr(_follow, "SAFETY_POLL_S", 600)
        (tmp_path / f"{APP}.log").write_bytes(line(record(0)))
        newcomer = tmp_path / "worker.log"

        def start_logging() -> None:
            while follower._watch is None:  # asleep in its wait
                threading.Event().wait(0.01)
            newcomer.write_bytes(line(record(1)))

        with LogFollower(tmp_path) as follower:
            got = follow_until(follower, lambda got: 1 in got, start_logging)
            assert follower.watch_mode == "inotify"
        assert got == [1]

    def test_appeared_says_whether_a_name_was_created_or_moved_in(self, tmp_path: Path) -> None:
        """Writes to a file are no new name; a created file and one renamed into the directory
        are, once each."""
        (tmp_path / "a.log").write_bytes(b"x\n")
        watch = DirectoryWatch(tmp_path)
        try:
            with (tmp_path / "a.log").open("ab") as out:
                out.write(b"y\n")
            assert watch.wait(DEADLINE_S)
            assert not watch.appeared()
            (tmp_path / "b.log").touch()
            assert watch.wait(DEADLINE_S)
            assert watch.appeared()
            assert not watch.appeared()
            (tmp_path.parent / "c.tmp").write_bytes(b"z\n")
            (tmp_path.parent / "c.tmp").rename(tmp_path / "c.log")
            assert watch.wait(DEADLINE_S)
            assert watch.appeared()
        finally:
            watch.close()
