"""The follower against rotation at every step of its walk, and against a model.

Two proofs that every line is delivered exactly once and in order:

- deterministic: rotations are injected at every file the follower opens while it walks the set
  after a rotation (the race that once delivered ``A, C, B, C, D``);
- a `hypothesis` state machine: writes, rotations (with and without the new file, past
  ``max_files``), truncations, clears, deletion of the directory and polls in any order, checked
  against a model of which lines may be lost (only those a destructive step hit before a poll).

``MSC_FOLLOW_EXAMPLES`` sets the state machine's examples (500 by default; for a longer local
run, ``MSC_FOLLOW_EXAMPLES=20000 .venv/bin/pytest tests/shared/test_follow_rotation.py``).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from shared.reader import follow
from shared.reader.files import clear_log_files
from shared.reader.follow import LogFollower

sys.path.insert(0, str(Path(__file__).parent))
from readerdata import APP, line, record

ACTIVE = f"{APP}.log"
EXAMPLES = int(os.environ.get("MSC_FOLLOW_EXAMPLES", "500"))


class LogSet:
    """A numbered rotation set written the way `shared`'s writer writes it."""

    def __init__(self, directory: Path, max_files: int = 1000) -> None:
        self.dir = directory
        self.max_files = max_files
        self.seq = 0
        self.files: dict[int, list[int]] = {}  # inode → the seqs it holds

    def numbers(self) -> list[int]:
        prefix = ACTIVE + "."
        if not self.dir.is_dir():
            return []
        return sorted(
            int(p.name[len(prefix) :])
            for p in self.dir.iterdir()
            if p.name.startswith(prefix) and p.name[len(prefix) :].isdigit()
        )

    def write(self, count: int = 1) -> list[int]:
        """Append ``count`` lines to the active file (creating it and the directory)."""
        self.dir.mkdir(exist_ok=True)
        seqs = list(range(self.seq, self.seq + count))
        self.seq += count
        path = self.dir / ACTIVE
        with path.open("ab") as out:
            out.writelines(line(record(seq)) for seq in seqs)
        self.files.setdefault(path.stat().st_ino, []).extend(seqs)
        return seqs

    def rotate(self, *, create: bool = True) -> list[int]:
        """Shift ``.N`` → ``.N+1`` (dropping past ``max_files``), the active file → ``.1``.

        Returns:
            The seqs of the file deleted past ``max_files``.
        """
        lost: list[int] = []
        if not (self.dir / ACTIVE).exists():
            return lost
        for number in reversed(self.numbers()):
            path = self.dir / f"{ACTIVE}.{number}"
            if number >= self.max_files:
                lost += self.files.pop(path.stat().st_ino, [])
                path.unlink()
            else:
                path.rename(self.dir / f"{ACTIVE}.{number + 1}")
        if self.max_files < 1:
            lost += self.files.pop((self.dir / ACTIVE).stat().st_ino, [])
            (self.dir / ACTIVE).unlink()
        else:
            (self.dir / ACTIVE).rename(self.dir / f"{ACTIVE}.1")
        if create:
            (self.dir / ACTIVE).touch()
        return lost


def seqs(entries: list[dict[str, Any]]) -> list[int]:
    return [entry["fields"]["seq"] for entry in entries]


def drain(follower: LogFollower, polls: int = 3) -> list[int]:
    return [seq for _ in range(polls) for seq in seqs(follower.poll().entries)]


@pytest.fixture
def inject(monkeypatch: pytest.MonkeyPatch) -> Callable[[int, Callable[[], None]], None]:
    """``inject(k, action)``: run ``action`` just before the follower's ``k``-th file open."""
    original = follow._SetFollower._open
    plan: dict[str, Any] = {"at": -1, "action": None, "opens": 0}

    def opening(self: Any, name: str, *, at_end: bool) -> Any:
        if plan["opens"] == plan["at"]:
            plan["action"]()
        plan["opens"] += 1
        return original(self, name, at_end=at_end)

    def arm(at: int, action: Callable[[], None]) -> None:
        plan.update(at=at, action=action, opens=0)

    monkeypatch.setattr(follow._SetFollower, "_open", opening)
    return arm


class TestRotationDuringTheWalk:
    @pytest.mark.parametrize("rotations", [1, 2, 3])
    @pytest.mark.parametrize("at", range(8))
    def test_rotations_at_every_open_deliver_each_line_once_in_order(
        self,
        tmp_path: Path,
        inject: Callable[[int, Callable[[], None]], None],
        at: int,
        rotations: int,
    ) -> None:
        """A is followed; B replaces it; while the follower walks the set, ``rotations`` more
        files (C, D, …) replace B at its ``at``-th open: every line arrives once, A B C D order."""
        logs = LogSet(tmp_path)
        logs.write(2)
        with LogFollower(tmp_path) as follower:
            expected = logs.write(2)  # A
            assert drain(follower, 1) == expected
            logs.rotate()
            expected += logs.write(2)  # B

            def rotate_during_walk() -> None:
                nonlocal expected
                for _ in range(rotations):
                    logs.rotate()
                    expected += logs.write(2)

            inject(at, rotate_during_walk)
            got = drain(follower, 4)
        assert got == expected[2:]

    def test_a_set_rotating_during_every_walk_is_read_once_it_settles(
        self, tmp_path: Path, inject: Callable[[int, Callable[[], None]], None]
    ) -> None:
        """Rotations during every attempt of the walk: nothing is committed, nothing is lost."""
        logs = LogSet(tmp_path)
        with LogFollower(tmp_path) as follower:
            expected = logs.write(1)
            assert drain(follower, 1) == expected
            logs.rotate()
            expected += logs.write(1)
            remaining = follow.WALK_ATTEMPTS * 3

            def rotate_again() -> None:
                nonlocal expected, remaining
                if remaining:
                    remaining -= 1
                    logs.rotate()
                    expected += logs.write(1)

            original = follow._SetFollower._still_active

            def still_active(self: Any, new: Any) -> bool:
                rotate_again()
                return original(self, new)

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(follow._SetFollower, "_still_active", still_active)
                got = drain(follower, 4)
            got += drain(follower, 2)
        assert got == expected[1:]


class FollowerModel(RuleBasedStateMachine):
    """Every line arrives exactly once, in order; only lines a destructive step hit before a poll
    delivered them may be missing."""

    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="follow-model-"))
        self.logs = LogSet(self.root / "logs", max_files=3)
        self.follower = LogFollower(self.logs.dir, APP)
        self.pending: set[int] = set()  # written, not delivered yet
        self.at_risk: set[int] = set()  # pending when a destructive step hit them
        self.delivered: list[int] = []

    def teardown(self) -> None:
        self.follower.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def hit(self, seqs: set[int] | list[int]) -> None:
        self.at_risk |= self.pending & set(seqs)

    @rule(count=st.integers(1, 4))
    def write(self, count: int) -> None:
        self.pending |= set(self.logs.write(count))

    @rule(create=st.booleans(), max_files=st.integers(0, 3))
    def rotate(self, create: bool, max_files: int) -> None:
        self.logs.max_files = max_files
        self.hit(self.logs.rotate(create=create))

    @precondition(lambda self: (self.logs.dir / ACTIVE).exists())
    @rule()
    def truncate(self) -> None:
        os.truncate(self.logs.dir / ACTIVE, 0)
        self.hit(self.pending)

    @rule()
    def clear(self) -> None:
        clear_log_files(self.logs.dir)
        self.hit(self.pending)

    @rule()
    def delete_directory(self) -> None:
        shutil.rmtree(self.logs.dir, ignore_errors=True)
        self.logs.files.clear()
        self.hit(self.pending)

    @rule()
    def poll(self) -> None:
        got = seqs(self.follower.poll().entries)
        for seq in got:
            assert seq in self.pending, f"{seq} delivered twice or never written: {got}"
            assert not self.delivered or seq > self.delivered[-1], f"out of order: {got}"
            self.pending.discard(seq)
            self.delivered.append(seq)
        if not (self.logs.dir / ACTIVE).exists():
            return  # rotated without a new file (yet): the rotated lines wait for the new file
        unsure = self.pending & self.at_risk
        assert self.pending == unsure, f"not delivered: {sorted(self.pending - unsure)}"
        self.pending.clear()  # what a destructive step hit is never delivered later
        self.at_risk.clear()

    @invariant()
    def nothing_delivered_twice(self) -> None:
        assert len(self.delivered) == len(set(self.delivered))


TestFollowerModel = FollowerModel.TestCase
TestFollowerModel.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class TestInodeReuse:
    def test_an_empty_file_closed_earlier_does_not_hide_a_new_one_with_its_inode(
        self, tmp_path: Path
    ) -> None:
        """The model's find: an empty active file, deleted and closed, then a new empty file
        (which may get its inode) rotated in front of a file with lines: those lines arrive."""
        logs = LogSet(tmp_path / "logs", max_files=1)
        follower = LogFollower(logs.dir, APP)
        try:
            expected = logs.write(1)
            logs.rotate()
            got = drain(follower, 1)
            logs.max_files = 0
            logs.rotate()  # the empty active file is deleted, and closed by the next poll
            got += drain(follower, 2)
            logs.rotate(create=False)
            expected += logs.write(1)
            logs.max_files = 1
            logs.rotate()  # a new empty active file: on tmpfs it may reuse a closed inode
            logs.max_files = 2
            logs.rotate(create=False)
            expected += logs.write(1)
            got += drain(follower, 2)
        finally:
            follower.close()
        assert got == expected
