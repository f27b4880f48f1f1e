"""Several processes writing one log directory, crashes, forks and a full disk."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from shared._events import LogEvent

Events = Callable[..., list[LogEvent]]
Python = Callable[..., subprocess.CompletedProcess[str]]

_WORKER = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
log_dir, worker, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
config = LogConfig(log_dir=log_dir, console_level="error", max_file_size_mb=0.25, max_files=1000)
init_logging(config, env_filter="")
log = get_logger("worker")
for seq in range(count):
    log.info("record", worker=worker, seq=seq)
"""


class TestManyProcesses:
    def test_four_writers_lose_and_duplicate_nothing(
        self,
        log_dir: Path,
        lines: Callable[..., list[bytes]],
        files: Callable[..., list[Path]],
        child_env: dict[str, str],
    ) -> None:
        """4 processes x 20,000 records with rotation: every record once, every line valid."""
        count = 20_000
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", _WORKER, str(log_dir), str(worker), str(count)],
                env=child_env,
                stderr=subprocess.PIPE,
            )
            for worker in range(4)
        ]
        for process in workers:
            _, err = process.communicate(timeout=600)
            assert process.returncode == 0, err
        events = [LogEvent.model_validate_json(raw) for raw in lines(log_dir)]
        seen = Counter(
            (e.fields["worker"], e.fields["seq"]) for e in events if e.message == "record"
        )
        assert len(seen) == 4 * count
        assert set(seen.values()) == {1}
        rotated = files(log_dir)[:-1]
        assert len(rotated) > 10
        assert sorted(int(p.suffix[1:]) for p in rotated) == list(range(1, len(rotated) + 1))
        # A file is rotated only once it is over the limit, re-checked under the lock, so no
        # rotated file is small (which a double rotation would leave behind).
        assert min(p.stat().st_size for p in rotated) >= 0.25 * 1024 * 1024


class TestManyThreads:
    def test_threads_lose_and_duplicate_nothing_across_rotations(
        self, log_dir: Path, lines: Callable[..., list[bytes]]
    ) -> None:
        """4 threads x 5,000 records through rotations (lock-free appends): each record once."""
        from shared.writer.config import LogConfig
        from shared.writer.setup import get_logger, init_logging

        config = LogConfig(log_dir=log_dir, console_level="error", max_file_size_mb=0.05)
        init_logging(config.model_copy(update={"max_files": 1000}), env_filter="")
        log = get_logger("threads")

        def work(worker: int) -> None:
            for seq in range(5000):
                log.info("record", worker=worker, seq=seq)

        threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = [LogEvent.model_validate_json(raw) for raw in lines(log_dir)]
        seen = Counter(
            (e.fields["worker"], e.fields["seq"]) for e in events if e.message == "record"
        )
        assert len(seen) == 4 * 5000
        assert set(seen.values()) == {1}


_EXIT_AT_ONCE = """
import os, sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1], console_level="error"), env_filter="")
log = get_logger("crashy")
for n in range(100):
    log.info("before exit", n=n)
os._exit(0)
"""

_FORK = """
import os, sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1], console_level="error"), env_filter="")
log = get_logger("forky")
pid = os.fork()
if pid == 0:
    log.info("from child", parent=os.getppid())
    os._exit(0)
os.waitpid(pid, 0)
log.info("from parent", child=pid)
"""


class TestCrashAndFork:
    def test_records_survive_immediate_os_exit(
        self, log_dir: Path, events: Events, python: Python
    ) -> None:
        """A process that logs and then os._exit()s has all its records on disk."""
        result = python(_EXIT_AT_ONCE, str(log_dir))
        assert result.returncode == 0, result.stderr
        numbers = [e.fields["n"] for e in events(log_dir) if e.message == "before exit"]
        assert numbers == list(range(100))

    def test_forked_child_logs_with_its_own_pid(
        self, log_dir: Path, events: Events, python: Python
    ) -> None:
        """After fork the child's records carry the child's pid, the parent's its own."""
        result = python(_FORK, str(log_dir))
        assert result.returncode == 0, result.stderr
        by_message = {e.message: e for e in events(log_dir)}
        child, parent = by_message["from child"], by_message["from parent"]
        assert child.pid == parent.fields["child"]
        assert parent.pid == child.fields["parent"]


_DISK_FULL = """
import os, resource, sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1], console_level="error"), env_filter="")
log = get_logger("host")
size = os.path.getsize(os.path.join(sys.argv[1], "midi-software-center.log"))
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (size + 1000, hard))
for n in range(50):
    log.info("while full", n=n, pad="x" * 100)  # must not raise
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
log.info("space is back")
print("host survived")
"""


class TestDiskFull:
    def test_logging_never_raises_and_reports_once(
        self, log_dir: Path, python: Python, lines: Callable[..., list[bytes]]
    ) -> None:
        """With the file size capped, logging calls return normally, stderr gets one line,
        and once space returns writing resumes with a record of what was dropped."""
        result = python(_DISK_FULL, str(log_dir))
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "host survived"
        complaints = [ln for ln in result.stderr.splitlines() if ln.startswith("msc-logging:")]
        assert len(complaints) == 1, result.stderr
        valid = []
        for raw in lines(log_dir):
            try:
                valid.append(LogEvent.model_validate_json(raw))
            except ValueError:
                continue  # the one line cut at the size limit
        dropped = next(e for e in valid if e.message == "log records dropped")
        written = sum(1 for e in valid if e.message == "while full")
        assert dropped.fields["count"] == 50 - written
        assert dropped.level == "warn"
        # The notice follows the first record that made it to disk again.
        assert [e.message for e in valid[-2:]] == ["space is back", "log records dropped"]
