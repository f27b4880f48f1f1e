"""`LogFollower.start_points`: where following began in each source, to hand history over at."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from shared.reader.follow import LogFollower

# readerdata.py sits beside these tests; pytest's importlib import mode does not put this
# directory on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record


def append(path: Path, indexes: range) -> None:
    with path.open("ab") as out:
        out.writelines(line(record(i)) for i in indexes)


def seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["fields"]["seq"] for entry in entries]


class TestStartPoints:
    def test_points_at_the_end_of_each_active_file(self, tmp_path: Path) -> None:
        """Each source's point is its active file's inode and the end of its last whole line."""
        ours, other = tmp_path / f"{APP}.log", tmp_path / "worker.log"
        append(ours, range(3))
        append(other, range(2))
        with other.open("ab") as out:
            out.write(b'{"partial": ')  # a line still being written is not history yet
        with LogFollower(tmp_path) as follower:
            points = follower.start_points()
        assert points == {
            APP: (os.stat(ours).st_ino, ours.stat().st_size),
            "worker": (os.stat(other).st_ino, len(line(record(0)) + line(record(1)))),
        }

    def test_history_before_the_point_and_followed_lines_are_every_line_once(
        self, tmp_path: Path
    ) -> None:
        """Bytes before the point plus what the follower yields hold each line exactly once."""
        active = tmp_path / f"{APP}.log"
        append(active, range(5))
        with LogFollower(tmp_path) as follower:
            inode, offset = follower.start_points()[APP]
            append(active, range(5, 8))
            os.rename(active, tmp_path / f"{APP}.log.1")  # rotated before the first poll
            append(active, range(8, 10))
            history = (tmp_path / f"{APP}.log.1").read_bytes()[:offset].splitlines()
            followed = seqs(follower.poll().entries)
        assert os.stat(tmp_path / f"{APP}.log.1").st_ino == inode
        assert len(history) + len(followed) == 10
        assert followed == list(range(5, 10))

    def test_a_source_without_an_active_file_has_no_point(self, tmp_path: Path) -> None:
        """Only rotated files, or an empty directory: nothing is followed yet, so no point."""
        append(tmp_path / f"{APP}.log.1", range(2))
        with LogFollower(tmp_path) as follower:
            assert follower.start_points() == {}

    def test_an_empty_active_file_points_at_its_start(self, tmp_path: Path) -> None:
        """An active file without a line yet: the point is offset 0 of that very file."""
        active = tmp_path / f"{APP}.log"
        active.touch()
        with LogFollower(tmp_path) as follower:
            assert follower.start_points() == {APP: (os.stat(active).st_ino, 0)}
