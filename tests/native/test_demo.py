"""`msc-logs demo`: realistic activity through `shared`, at a steady rate, until told to stop."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from harness import REPO

from backend.demo import pace

LOG = "midi-software-center.log"


def _records(log_dir: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in (log_dir / LOG).read_bytes().splitlines()]


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeStop(threading.Event):
    """A stop flag that is never set and whose waits advance a `FakeClock`."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock

    def wait(self, timeout: float | None = None) -> bool:
        self.clock.now += timeout or 0.0
        return False


class TestPace:
    """The rate limiter."""

    def test_writes_rate_times_duration_records(self) -> None:
        """At 50/s for 2 s of (simulated) time, 100 records are written, give or take one."""
        clock = FakeClock()
        written = pace(50, 2.0, lambda: 1, FakeStop(clock), clock=clock)
        assert 100 <= written <= 101

    def test_catches_up_after_a_slow_tick(self) -> None:
        """Records due during a stall are written in the next batch, not skipped."""
        clock = FakeClock()
        calls: list[float] = []

        def step() -> int:
            calls.append(clock.now)
            if len(calls) == 10:
                clock.now += 1.0  # one slow write stalls for a second
            return 1

        written = pace(100, 3.0, step, FakeStop(clock), clock=clock)
        assert 300 <= written <= 301


class TestDemoCommand:
    """The subcommand as a real process."""

    def test_writes_every_kind_of_activity(self, tmp_path: Path) -> None:
        """Database, MIDI, files in spans with request ids, user, network, metrics, ~1% problems."""
        options = ["--rate", "3000", "--duration", "1", "--seed", "7"]
        result = subprocess.run(
            [sys.executable, "-m", "backend", "demo", "--log-dir", str(tmp_path), *options],
            cwd=REPO,
            capture_output=True,
            check=False,
            timeout=60,
        )
        assert result.returncode == 0
        records = _records(tmp_path)
        categories = Counter(r["category"] for r in records)
        assert {"database", "midi", "file", "user", "network", "performance"} <= set(categories)
        imports = [r for r in records if r["span"] and r["span"]["name"] == "import_file"]
        assert imports
        assert all(r["fields"]["request_id"].startswith("req-") for r in imports)
        problems = sum(1 for r in records if r["level"] in ("warn", "error"))
        assert 0 < problems < len(records) * 0.05
        snapshots = [r for r in records if r["message"] == "metrics snapshot"]
        assert snapshots[-1]["fields"]["metrics"]["counters"]["midi.events"] > 0

    def test_ctrl_c_ends_it_with_exit_code_0(self, tmp_path: Path) -> None:
        """Without a duration it runs until SIGINT, then exits 0 after a last snapshot."""
        demo = subprocess.Popen(
            [sys.executable, "-m", "backend", "demo", "--log-dir", str(tmp_path), "--rate", "50"],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while not (tmp_path / LOG).exists() or len(_records(tmp_path)) < 5:
            assert time.monotonic() < deadline
            assert demo.poll() is None
            time.sleep(0.05)
        demo.send_signal(signal.SIGINT)
        assert demo.wait(30) == 0
        assert _records(tmp_path)[-1]["message"] == "metrics snapshot"
