"""The live follower: new lines, partial lines, late files, truncation and rotation."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

from shared.reader.files import clear_log_files
from shared.reader.follow import FollowBatch, LogFollower
from shared.reader.query import LogQuery, query_logs

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record, start_writer


def append(path: Path, indexes: range) -> None:
    with path.open("ab") as out:
        out.writelines(line(record(i)) for i in indexes)


def seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["fields"]["seq"] for entry in entries]


def collect_until(
    follower: LogFollower, done: Any, timeout: float = 120
) -> tuple[list[FollowBatch], list[dict[str, Any]]]:
    """Poll until ``done(entries)``; a deadline only guards against hanging forever."""
    batches: list[FollowBatch] = []
    entries: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while not done(entries) and time.monotonic() < deadline:
        batch = follower.poll()
        if batch.entries or batch.cleared:
            batches.append(batch)
            entries.extend(batch.entries)
        else:
            time.sleep(0.002)
    return batches, entries


class TestNewLines:
    def test_only_lines_appended_after_start_are_yielded(self, tmp_path: Path) -> None:
        """Following starts at the end of the active file."""
        active = tmp_path / f"{APP}.log"
        append(active, range(3))
        with LogFollower(tmp_path) as follower:
            assert follower.poll().entries == []
            append(active, range(3, 6))
            assert seqs(follower.poll().entries) == [3, 4, 5]

    def test_from_start_yields_what_is_already_there(self, tmp_path: Path) -> None:
        """With from_start the existing lines come first."""
        append(tmp_path / f"{APP}.log", range(3))
        with LogFollower(tmp_path, from_start=True) as follower:
            assert seqs(follower.poll().entries) == [0, 1, 2]

    def test_entries_carry_the_same_ids_as_queries(self, tmp_path: Path) -> None:
        """A followed entry equals the entry a query returns for the same line, id included."""
        active = tmp_path / f"{APP}.log"
        append(active, range(2))
        with LogFollower(tmp_path) as follower:
            append(active, range(2, 4))
            assert follower.poll().entries == query_logs(tmp_path, limit=2).entries

    def test_partial_line_is_held_until_completed(self, tmp_path: Path) -> None:
        """Half a line is not yielded; once its newline arrives it is, whole."""
        active = tmp_path / f"{APP}.log"
        append(active, range(1))
        data = line(record(1))
        with LogFollower(tmp_path) as follower:
            with active.open("ab") as out:
                out.write(data[:30])
            assert follower.poll().entries == []
            with active.open("ab") as out:
                out.write(data[30:])
            assert seqs(follower.poll().entries) == [1]

    def test_malformed_lines_are_counted(self, tmp_path: Path) -> None:
        """Junk among new lines is counted in the batch and shown raw; the rest still yielded."""
        active = tmp_path / f"{APP}.log"
        active.touch()
        with LogFollower(tmp_path) as follower:
            with active.open("ab") as out:
                out.write(b"junk\n" + line(record(1)))
            batch = follower.poll()
            junk, good = batch.entries
            assert (junk["raw"], junk["message"], batch.malformed) == (True, "junk", 1)
            assert seqs([good]) == [1]

    def test_file_appearing_later_is_read_from_its_start(self, tmp_path: Path) -> None:
        """Neither the directory nor the file exists yet: both may appear later."""
        log_dir = tmp_path / "logs"
        with LogFollower(log_dir) as follower:
            assert follower.poll().entries == []
            log_dir.mkdir()
            append(log_dir / f"{APP}.log", range(3))
            assert seqs(follower.poll().entries) == [0, 1, 2]


class TestTruncation:
    def test_truncation_reports_cleared_and_restarts_at_zero(self, tmp_path: Path) -> None:
        """A file shorter than our position was cleared: say so, then read it from 0."""
        active = tmp_path / f"{APP}.log"
        append(active, range(5))
        with LogFollower(tmp_path) as follower:
            os.truncate(active, 0)
            append(active, range(100, 102))
            batch = follower.poll()
            assert batch.cleared
            assert seqs(batch.entries) == [100, 101]

    def test_truncated_and_refilled_past_our_position_is_detected(self, tmp_path: Path) -> None:
        """Even when the new content is longer than the old, the changed first line tells."""
        active = tmp_path / f"{APP}.log"
        append(active, range(2))
        with LogFollower(tmp_path) as follower:
            os.truncate(active, 0)
            append(active, range(100, 110))
            batch = follower.poll()
            assert batch.cleared
            assert seqs(batch.entries) == list(range(100, 110))


class TestRotation:
    def test_old_file_is_finished_before_the_new_one(self, tmp_path: Path) -> None:
        """Lines added to the old file up to the rename come before the new file's lines."""
        active = tmp_path / f"{APP}.log"
        append(active, range(2))
        with LogFollower(tmp_path) as follower:
            append(active, range(2, 4))
            active.rename(tmp_path / f"{APP}.log.1")
            append(active, range(4, 6))
            assert seqs(follower.poll().entries) == [2, 3, 4, 5]

    def test_late_line_in_the_rotated_file_is_not_lost(self, tmp_path: Path) -> None:
        """A writer that has not noticed the rotation yet still gets its line read."""
        active = tmp_path / f"{APP}.log"
        append(active, range(1))
        with LogFollower(tmp_path) as follower:
            active.rename(tmp_path / f"{APP}.log.1")
            append(active, range(1, 2))
            assert seqs(follower.poll().entries) == [1]
            append(tmp_path / f"{APP}.log.1", range(2, 3))
            assert seqs(follower.poll().entries) == [2]

    def test_two_rotations_between_polls_lose_nothing(self, tmp_path: Path) -> None:
        """A file rotated in and out between two polls is read from the rotated set."""
        active = tmp_path / f"{APP}.log"
        append(active, range(1))
        with LogFollower(tmp_path) as follower:
            append(active, range(1, 2))
            active.rename(tmp_path / f"{APP}.log.1")
            append(active, range(2, 4))
            (tmp_path / f"{APP}.log.1").rename(tmp_path / f"{APP}.log.2")
            active.rename(tmp_path / f"{APP}.log.1")
            append(active, range(4, 6))
            assert seqs(follower.poll().entries) == [1, 2, 3, 4, 5]

    def test_other_process_rotating_while_writing_loses_nothing(self, tmp_path: Path) -> None:
        """Every record of a rotating writer arrives once and in order."""
        count = 3000
        with LogFollower(tmp_path) as follower:
            writer = start_writer(tmp_path, "w", count, max_bytes=16_384, delay=0.0002)
            _, entries = collect_until(follower, lambda got: len(got) >= count)
            assert writer.wait(timeout=60) == 0
            _, rest = collect_until(follower, lambda got: True, timeout=0)
        assert [e["fields"]["seq"] for e in entries + rest] == list(range(count))
        assert len(list(tmp_path.glob(f"{APP}.log.*[0-9]"))) > 3  # it did rotate, many times


class TestClearWhileWriting:
    def test_clear_is_the_only_gap_and_order_is_kept(self, tmp_path: Path) -> None:
        """Records before the clear form a prefix, after it a tail: no duplicate, no other gap."""
        count = 3000
        with LogFollower(tmp_path) as follower:
            writer = start_writer(tmp_path, "w", count, delay=0.0003)
            batches, _ = collect_until(follower, lambda got: len(got) > 300)
            clear_log_files(tmp_path)
            more, _ = collect_until(
                follower, lambda got: bool(got) and got[-1]["fields"]["seq"] == count - 1
            )
            assert writer.wait(timeout=60) == 0
        batches += more
        cleared_at = next(i for i, batch in enumerate(batches) if batch.cleared)
        before = [e["fields"]["seq"] for b in batches[:cleared_at] for e in b.entries]
        after = [e["fields"]["seq"] for b in batches[cleared_at:] for e in b.entries]
        assert before == list(range(len(before)))
        assert after == list(range(after[0], count))
        assert after[0] >= len(before)
        assert sum(batch.cleared for batch in batches) == 1


class TestFollowLoop:
    def test_follow_yields_batches_until_stopped(self, tmp_path: Path) -> None:
        """The blocking generator yields what is written and ends when the event is set."""
        active = tmp_path / f"{APP}.log"
        active.touch()
        stop = threading.Event()
        got: list[int] = []
        follower = LogFollower(tmp_path, poll_interval=0.001)  # positioned before the writes

        def consume() -> None:
            for batch in follower.follow(stop):
                got.extend(seqs(batch.entries))
                if len(got) >= 3:
                    stop.set()

        thread = threading.Thread(target=consume)
        thread.start()
        append(active, range(3))
        thread.join(timeout=60)
        stop.set()  # ends the loop even if the assertion below fails
        follower.close()
        assert not thread.is_alive()
        assert got == [0, 1, 2]

    def test_start_cursor_splits_history_from_followed_lines(self, tmp_path: Path) -> None:
        """Entries before start_cursor (a query) plus followed ones are every line exactly once."""
        active = tmp_path / f"{APP}.log"
        append(active, range(5))
        with LogFollower(tmp_path) as follower:
            append(active, range(5, 8))
            history = query_logs(tmp_path, LogQuery(before=follower.start_cursor))
            assert seqs(history.entries) + seqs(follower.poll().entries) == list(range(8))

    def test_start_cursor_is_none_without_a_file(self, tmp_path: Path) -> None:
        """Nothing to point at before the active file has a line."""
        with LogFollower(tmp_path) as follower:
            assert follower.start_cursor is None
