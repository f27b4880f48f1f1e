"""Backend test fixtures: app contexts on real directories, writer processes, a dev server.

The viewer logs its own activity through `shared`; `app` sends those records to a separate
directory so the log set under test holds only what a test wrote, while `logged_app` shows a log
directory the viewer itself writes into (for the audit record and the dispatcher's records).
"""

from __future__ import annotations

import http.client
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import AppContext
from backend._dirs import VIEWER_APP_NAME, ViewerDirs
from backend._events import Broadcaster, EventQueue
from backend._ownlog import start_viewer_logging
from shared.writer.setup import reset_logging

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
#: Upper bound on any wait for another thread or process; reaching it fails the test.
DEADLINE_S = 30.0

# A child process that logs through `shared`, driven by lines on stdin:
# "log <message>" logs one info record, "spam <prefix>" starts logging in a loop (about a
# thousand records a second), "stop" ends the loop, "metrics <counter>" counts once and writes a
# metrics snapshot; every command is answered with "done" once carried out.
WRITER = r"""
import sys, threading
from pathlib import Path
from shared.writer.config import LogConfig
from shared._metrics import increment_counter, write_metrics_snapshot
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error"))
log = get_logger("tests.writer")
stop, spammer = threading.Event(), None
def spam(prefix):
    n = 0
    while not stop.is_set():
        log.info(f"{prefix} {n}", category="user")
        n += 1
        stop.wait(0.001)
print("ready", flush=True)
for line in sys.stdin:
    command, _, argument = line.strip().partition(" ")
    if command == "log":
        log.info(argument, category="user")
    elif command == "spam":
        stop.clear()
        spammer = threading.Thread(target=spam, args=(argument,))
        spammer.start()
    elif command == "stop" and spammer is not None:
        stop.set()
        spammer.join()
    elif command == "metrics":
        increment_counter(argument)
        write_metrics_snapshot()
    print("done", flush=True)
"""


def xdg_env(root: Path) -> dict[str, str]:
    """The XDG variables of a user whose directories are under ``root`` (runtime dir 0700)."""
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    runtime.chmod(0o700)  # platformdirs accepts only a private runtime dir
    return {
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
    }


def own_records(log_dir: Path) -> list[dict[str, Any]]:
    """The records of the viewer's own log set in ``log_dir`` (its active file)."""
    path = log_dir / f"{VIEWER_APP_NAME}.log"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


@pytest.fixture(scope="session", autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The whole session runs as a user whose per-user directories are temporary."""
    env = xdg_env(tmp_path_factory.mktemp("user"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


def child_env() -> dict[str, str]:
    """This environment, with the repository importable and no level overrides."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("MSC_LOG", None)
    return env


def read_line(stream: Any, deadline_s: float = DEADLINE_S) -> str:
    """One line from a child's pipe; fails the test instead of hanging."""
    ready, _, _ = select.select([stream], [], [], deadline_s)
    if not ready:
        pytest.fail(f"no output from the child process within {deadline_s} s")
    line: str = stream.readline()
    return line.rstrip("\n")


class Writer:
    """Another process logging into a directory (see `WRITER`)."""

    def __init__(self, log_dir: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(log_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        assert read_line(self.process.stdout) == "ready"

    def send(self, command: str) -> None:
        """Carry out one command and wait until it is done."""
        assert self.process.stdin is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert read_line(self.process.stdout) == "done"

    @property
    def pid(self) -> int:
        """The process id (the ``pid`` of its records)."""
        return self.process.pid

    def close(self) -> None:
        """End the process."""
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(DEADLINE_S)


def record(message: str, **overrides: Any) -> dict[str, Any]:
    """A record in PROTOCOL form (keys in file order), with ``overrides`` applied."""
    base: dict[str, Any] = {
        "timestamp": "2026-01-01T00:00:00.000000Z",
        "level": "info",
        "category": "system",
        "message": message,
        "target": "tests",
        "fields": {},
        "span": None,
        "pid": 4242,
    }
    return {**base, **overrides}


def write_records(path: Path, records: list[dict[str, Any]], extra: bytes = b"") -> None:
    """Append ``records`` as JSON lines (then ``extra`` raw bytes) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as out:
        out.write(b"".join(orjson.dumps(r) + b"\n" for r in records) + extra)


def wait_for(queue: EventQueue, predicate: Callable[[dict[str, Any]], bool]) -> list[Any]:
    """Drain ``queue`` until an event satisfies ``predicate``; return every event seen."""
    seen: list[Any] = []
    end = time.monotonic() + DEADLINE_S
    while time.monotonic() < end:
        queue.wait(0.1)
        for event in queue.drain():
            seen.append(event)
            if predicate(event):
                return seen
    pytest.fail(f"no matching event within {DEADLINE_S} s; saw {seen!r}")


@pytest.fixture(autouse=True)
def _clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts with logging uninitialized and ends reset."""
    monkeypatch.delenv("MSC_LOG", raising=False)
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """The log directory under test (created)."""
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def active(log_dir: Path) -> Path:
    """The active log file of `log_dir` (not created)."""
    return log_dir / f"{APP}.log"


@pytest.fixture
def broadcaster() -> Broadcaster:
    """The emitter of the app contexts."""
    return Broadcaster()


@pytest.fixture
def events(broadcaster: Broadcaster) -> EventQueue:
    """A consumer queue subscribed to `broadcaster`."""
    return broadcaster.subscribe()


@pytest.fixture
def viewer_dirs(tmp_path: Path) -> ViewerDirs:
    """The viewer's own directories for `app` (none created)."""
    root = tmp_path / "viewer"
    return ViewerDirs(root / "log", root / "state", root / "runtime", root / "config")


@pytest.fixture
def viewer_dir(viewer_dirs: ViewerDirs) -> Path:
    """Where the viewer's own records go for `app` (``msc-logs-viewer.log``)."""
    return viewer_dirs.log_dir


@pytest.fixture
def app(log_dir: Path, viewer_dirs: ViewerDirs, broadcaster: Broadcaster) -> Iterator[AppContext]:
    """A context showing `log_dir`, the viewer logging into its own directory as it does."""
    assert start_viewer_logging(viewer_dirs, log_dir, console_level="error") is None
    context = AppContext(log_dir=log_dir, emitter=broadcaster)
    yield context
    context.close()


@pytest.fixture
def writers(log_dir: Path) -> Iterator[Callable[[], Writer]]:
    """Start writer processes on `log_dir`: ``writers()`` → a running `Writer`."""
    started: list[Writer] = []

    def start() -> Writer:
        writer = Writer(log_dir)
        started.append(writer)
        return writer

    yield start
    for writer in started:
        writer.close()


class DevProcess:
    """``python -m backend.devserver`` running as a child process."""

    def __init__(self, log_dir: Path, frontend_dir: Path) -> None:
        self.log_dir, self.frontend_dir = log_dir, frontend_dir
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "backend.devserver", "--port", "0", "--no-browser"),
                *("--log-dir", str(log_dir), "--frontend-dir", str(frontend_dir)),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        self.url = read_line(self.process.stdout)
        self.port = int(self.url.split(":")[2].split("/")[0])
        self.token = self.url.rsplit("token=", 1)[-1]

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """One request; returns status and body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE_S)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def invoke(self, command: str, args: dict[str, Any] | None = None) -> tuple[int, Any]:
        """``POST /invoke/<command>`` with the token; returns status and decoded JSON."""
        status, body = self.request(
            "POST",
            f"/invoke/{command}",
            orjson.dumps(args or {}),
            {"X-MSC-Token": self.token, "Content-Type": "application/json"},
        )
        return status, orjson.loads(body)

    def stop(self) -> int:
        """SIGTERM, then the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
        return self.process.wait(DEADLINE_S)


class EventStream:
    """A ``GET /events`` connection read batch by batch."""

    def __init__(self, port: int, token: str) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE_S)
        self.connection.request("GET", f"/events?token={token}")
        self.response = self.connection.getresponse()

    def batch(self) -> list[dict[str, Any]]:
        """The next ``data:`` batch (comments and other fields skipped)."""
        while True:
            line = self.response.fp.readline()
            if not line:
                pytest.fail("the event stream ended")
            if line.startswith(b"data: "):
                batch: list[dict[str, Any]] = orjson.loads(line[len(b"data: ") :])
                return batch

    def until(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        """Read batches until an event satisfies ``predicate``; return every event seen."""
        seen: list[dict[str, Any]] = []
        while True:  # the socket timeout ends a wait for an event that never comes
            for event in self.batch():
                seen.append(event)
                if predicate(event):
                    return seen

    def close(self) -> None:
        """Hang up."""
        self.connection.close()


def make_frontend(root: Path) -> Path:
    """A small frontend directory for the dev server to serve and watch."""
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>viewer</title>\n")
    (root / "js" / "app.js").write_text("export const ready = true;\n")
    return root


def serve(log_dir: Path, frontend_dir: Path) -> Iterator[DevProcess]:
    """Run a dev server for the duration of a fixture."""
    server = DevProcess(log_dir, frontend_dir)
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(DEADLINE_S)
    for stream in (server.process.stdout, server.process.stderr):
        if stream is not None:
            stream.close()


@pytest.fixture
def frontend_dir(tmp_path: Path) -> Path:
    """A frontend directory of this test."""
    return make_frontend(tmp_path / "frontend")


@pytest.fixture
def dev(log_dir: Path, frontend_dir: Path) -> Iterator[DevProcess]:
    """A dev server of this test on a free port, showing `log_dir`, serving `frontend_dir`."""
    yield from serve(log_dir, frontend_dir)


@pytest.fixture(scope="module")
def shared_dev(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevProcess]:
    """One dev server for the tests of a module that change no state on it."""
    root = tmp_path_factory.mktemp("shared-dev")
    (root / "logs").mkdir()
    yield from serve(root / "logs", make_frontend(root / "frontend"))


# Helpers as fixtures, so test modules need not import this conftest by module name.
@pytest.fixture
def rec() -> Callable[..., dict[str, Any]]:
    """`record`: ``rec(message, **overrides)`` → a record in PROTOCOL form."""
    return record


@pytest.fixture
def write() -> Callable[..., None]:
    """`write_records`: ``write(path, records, extra=b"")`` appends JSON lines."""
    return write_records


@pytest.fixture
def wait_event() -> Callable[..., list[Any]]:
    """`wait_for`: ``wait_event(queue, predicate)`` → the events seen up to the match."""
    return wait_for


@pytest.fixture
def stream(dev: DevProcess) -> Iterator[Callable[[], EventStream]]:
    """Open event streams on `dev`: ``stream()`` → a connected `EventStream`."""
    opened: list[EventStream] = []

    def connect() -> EventStream:
        opened.append(EventStream(dev.port, dev.token))
        return opened[-1]

    yield connect
    for connection in opened:
        connection.close()
