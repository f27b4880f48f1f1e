"""Viewing never writes: the viewer leaves the directory it shows exactly as it found it.

Three directories, each viewed by real ``msc-logs`` processes — the dev server (every read
command over HTTP, paging, metrics polled again and again, an export to elsewhere, the event
stream subscribed, read and left), then ``msc-logs query`` and ``msc-logs tail``:

- our own set as ``LogConfig(max_file_size_mb=12, max_files=8)`` leaves it: all nine files, each
  just under 12 MiB (~108 MB in all). The lines are written directly in our format, which is
  what the writer would have produced, only faster. The viewer used to log into it with the
  default 10 MB x 5 policy and so deleted ``.6``-``.8`` within seconds.
- a foreign pino set (``app.log``, ``app.log.1``) opened with ``--app-name app``; the viewer used
  to append its records to ``app.log`` and rotate it.
- a read-only directory (0555, files 0444) viewed by an unprivileged process (uid 65534; the
  tests run as root, whom permissions do not stop). It used to be refused at start-up. Clearing
  it is ``permission_denied`` and changes nothing.

Before and after: the listing, and every entry's mode, size, mtime (set far in the past first,
so any write would move it) and sha256 — identical. The viewer's own records went to its own
log directory instead (tests/backend/test_own_log.py).
"""

from __future__ import annotations

import hashlib
import http.client
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from shared.writer.config import LogConfig

REPO = Path(__file__).resolve().parents[2]
NOBODY = 65534
DEADLINE_S = 60.0
#: How long the event stream is read, and ``tail`` left following.
WATCH_S = 2.0
#: Every file's mtime is set to this before viewing (2001-09-09): any write moves it.
OLD_NS = 1_000_000_000 * 10**9
OWN_SET = LogConfig(max_file_size_mb=12, max_files=8)
LEVELS = ("trace", "debug", "info", "warn", "error")
CATEGORIES = ("database", "midi", "file", "network", "system", "performance", "security", "user")

#: Runs ``msc-logs`` with argv as uid 65534. Python and its libraries live under /root (0700),
#: which uid 65534 cannot enter: everything the viewer may import is imported first, as root,
#: then the process drops to nobody (as test_export_failures.py does) and runs the entry point.
AS_NOBODY = r"""
import os, pkgutil, sys
import backend, shared
for package in (backend, shared):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if module.name != "backend.desktop._app":  # Qt: not used by dev, query, tail
            try:
                __import__(module.name)
            except Exception as exc:  # reported; the test fails later if the module is needed
                print(f"not imported: {module.name}: {exc!r}", file=sys.stderr)
import csv, encodings.idna, getpass, gzip, http.server, pwd, re._parser, tempfile, uuid, zlib
import platformdirs, platformdirs.unix
import backend.__main__
os.setgroups([])
os.setgid(65534)
os.setuid(65534)
sys.exit(backend.__main__.main(sys.argv[1:]))
"""


# ---- the three directories -----------------------------------------------------------------


def _own_line(i: int) -> bytes:
    second = i // 100
    stamp = f"2026-01-01T{second // 3600 % 24:02d}:{second // 60 % 60:02d}:{second % 60:02d}"
    return (
        f'{{"timestamp":"{stamp}.{i % 1_000_000:06d}Z","level":"{LEVELS[i % 5]}",'
        f'"category":"{CATEGORIES[i % 8]}","message":"entry {i} of the set",'
        f'"target":"tests.pure","fields":{{"n":{i},"request_id":"req-{i % 50}"}},'
        f'"span":{{"name":"step","id":"s{i % 20}","parent_id":null}},"pid":4242,'
        f'"source":"pure.py:1"}}\n'
    ).encode()


def write_own_set(log_dir: Path, config: LogConfig, per_file: int | None = None) -> int:
    """Fill every file ``config`` keeps (active + ``max_files`` rotated), oldest first.

    Args:
        log_dir: Where (created).
        config: The writer's rotation policy; each file ends just under its size limit.
        per_file: Bytes per file instead (a small set).

    Returns:
        The number of records written.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    limit = per_file or config.max_file_bytes - 1024
    names = [f"{config.app_name}.log.{k}" for k in range(config.max_files, 0, -1)]
    count = 0
    for name in [*names, f"{config.app_name}.log"]:
        chunk = bytearray()
        while len(chunk) < limit - 400:
            chunk += _own_line(count)
            count += 1
        (log_dir / name).write_bytes(bytes(chunk))
    return count


def write_pino_set(log_dir: Path) -> None:
    """``app.log`` and ``app.log.1`` as pino writes them (numeric levels, epoch-ms time, msg)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    start_ms = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    for name, first in (("app.log.1", 0), ("app.log", 500)):
        lines = [
            orjson.dumps(
                {
                    "level": (20, 30, 30, 40, 50)[i % 5],
                    "time": start_ms + 1000 * i,
                    "pid": 77,
                    "hostname": "build-host",
                    "reqId": f"req-{i % 7}",
                    "msg": f"pino line {i}",
                }
            )
            for i in range(first, first + 500)
        ]
        (log_dir / name).write_bytes(b"\n".join(lines) + b"\n")


def age(root: Path) -> None:
    """Set the mtime (and atime) of ``root`` and everything in it far into the past."""
    for path in [*root.rglob("*"), root]:
        os.utime(path, ns=(OLD_NS, OLD_NS), follow_symlinks=False)


def snapshot(root: Path) -> dict[str, tuple[int, int, int, str]]:
    """Every entry under ``root`` (itself included): mode, size, mtime and content hash."""
    seen: dict[str, tuple[int, int, int, str]] = {}
    for path in sorted([root, *root.rglob("*")]):
        info = path.lstat()
        digest = ""
        if path.is_file():
            hasher = hashlib.sha256()
            with path.open("rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    hasher.update(block)
            digest = hasher.hexdigest()
        seen[path.relative_to(root).as_posix()] = (
            info.st_mode,
            info.st_size,
            info.st_mtime_ns,
            digest,
        )
    return seen


@dataclass
class Place:
    """A directory to view, and how: app name, whether as uid 65534, the viewer's user dirs."""

    log_dir: Path
    app_name: str
    nobody: bool
    env: dict[str, str]
    out: Path

    def command(self, *argv: str) -> list[str]:
        """``msc-logs --log-dir D --app-name N <argv>``, as this place's user."""
        where = ["--log-dir", str(self.log_dir), "--app-name", self.app_name]
        if self.nobody:
            return [sys.executable, "-c", AS_NOBODY, *where, *argv]
        return [sys.executable, "-m", "backend", *where, *argv]


@pytest.fixture
def open_root() -> Iterator[Path]:
    """A directory uid 65534 may enter (pytest's temporary directories are root's only)."""
    root = Path(tempfile.mkdtemp(prefix="msc-pure-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for path in [root, *root.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(root)


def user_env(root: Path, uid: int) -> dict[str, str]:
    """This environment, with the repository importable and per-user dirs under ``root``."""
    runtime = root / "runtime"
    for name in ("state", "config", "data", "runtime"):
        (root / name).mkdir(parents=True, exist_ok=True)
        os.chown(root / name, uid, uid)
    runtime.chmod(0o700)
    env = {k: v for k, v in os.environ.items() if k != "MSC_LOG"}
    env.update(
        PYTHONPATH=str(REPO),
        NO_COLOR="1",
        XDG_STATE_HOME=str(root / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(root / "config"),
        XDG_DATA_HOME=str(root / "data"),
    )
    return env


@pytest.fixture
def place(request: pytest.FixtureRequest, open_root: Path) -> Place:
    """One of the three directories, filled and aged (``own``, ``pino``, ``read-only``)."""
    kind: str = request.param
    log_dir, out = open_root / kind, open_root / "out"
    out.mkdir()
    out.chmod(0o777)  # the export target's directory, outside the viewed one
    nobody = kind == "read-only"
    if kind == "own":
        write_own_set(log_dir, OWN_SET)
        app_name = OWN_SET.app_name
    elif kind == "pino":
        write_pino_set(log_dir)
        app_name = "app"
    else:
        write_own_set(log_dir, LogConfig(max_files=2), per_file=64 * 1024)
        app_name = "midi-software-center"
        for path in log_dir.iterdir():
            path.chmod(0o444)
        log_dir.chmod(0o555)
    age(log_dir)
    env = user_env(open_root / "user", NOBODY if nobody else os.getuid())
    return Place(log_dir, app_name, nobody, env, out)


PLACES = pytest.mark.parametrize("place", ["own", "pino", "read-only"], indirect=True)


# ---- the dev server --------------------------------------------------------------------------


class Dev:
    """``msc-logs dev`` on a place, as a child process."""

    def __init__(self, place: Place) -> None:
        self.process = subprocess.Popen(
            place.command("dev", "--port", "0", "--no-browser"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
            env=place.env,
        )
        assert self.process.stdout is not None
        ready = select.select([self.process.stdout], [], [], DEADLINE_S)[0]
        url = self.process.stdout.readline().strip() if ready else ""
        assert url.startswith("http://127.0.0.1:"), self.stop_and_read()
        self.port = int(url.split(":")[2].split("/")[0])
        self.token = url.rsplit("token=", 1)[-1]

    def invoke(self, command: str, args: dict[str, Any] | None = None) -> tuple[int, Any]:
        """``POST /invoke/<command>``; returns the status and the decoded body."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=DEADLINE_S)
        try:
            headers = {"X-MSC-Token": self.token, "Content-Type": "application/json"}
            connection.request("POST", f"/invoke/{command}", orjson.dumps(args or {}), headers)
            response = connection.getresponse()
            return response.status, orjson.loads(response.read())
        finally:
            connection.close()

    def ok(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """The result of a call that must succeed."""
        status, body = self.invoke(command, args)
        assert status == 200, (command, args, body)
        return body

    def events(self, seconds: float) -> list[dict[str, Any]]:
        """Subscribe, read ``/events`` for ``seconds``, unsubscribe; returns the events seen."""
        received = b""
        with socket.create_connection(("127.0.0.1", self.port), timeout=DEADLINE_S) as sock:
            host = f"127.0.0.1:{self.port}"
            sock.sendall(
                f"GET /events?token={self.token} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode()
            )
            assert self.ok("subscribe_to_logs") is None
            end = time.monotonic() + seconds
            while (left := end - time.monotonic()) > 0:
                if not select.select([sock], [], [], left)[0]:
                    break
                data = sock.recv(1 << 16)
                if not data:
                    break
                received += data
        assert self.ok("unsubscribe_from_logs") is None
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        return [
            event
            for line in received.split(b"\n")
            if line.startswith(b"data: ")
            for event in orjson.loads(line[len(b"data: ") :])
        ]

    def stop_and_read(self) -> str:
        """SIGTERM, wait, and return what it wrote to stderr."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, err = self.process.communicate(timeout=DEADLINE_S)
        return err


def read_everything(dev: Dev, place: Place) -> None:
    """Every read command the page makes, with every filter, paging, polling, export, stream."""
    filters: list[dict[str, Any]] = [
        {},
        {"level": "error"},
        {"min_level": "warn"},
        {"category": "database"},
        {"search": "entry 1"},
        {"search": r"line \d+5", "regex": True},
        {"since": "2026-01-01T00:01:00Z", "until": "2026-01-01T00:02:00Z"},
        {"request_id": "req-3"},
        {"span_id": "s4"},
    ]
    for args in filters:
        dev.ok("get_recent_logs", {"limit": 200, **args})
    page = dev.ok("get_recent_logs", {"limit": 50})
    for _ in range(3):  # paging back, as the list does when scrolled to the top
        if not page:
            break
        page = dev.ok("get_recent_logs", {"limit": 50, "before": page[0]["id"]})
    info = dev.ok("get_log_info")
    assert info["log_dir"] == str(place.log_dir)
    for _ in range(5):  # the metrics panel polls
        dev.ok("get_performance_metrics")
    for fmt, args in (("jsonl", {}), ("csv", {"min_level": "warn"}), ("txt", {"search": "1"})):
        target = place.out / f"export.{fmt}"
        result = dev.ok("export_logs", {"output_path": str(target), "format": fmt, **args})
        assert Path(result["path"]) == target
    events = dev.events(WATCH_S)
    assert {"event": "log-subscribed", "payload": {"log_dir": str(place.log_dir)}} in events


def uid_of(pid: int) -> int:
    """The effective uid of a running process."""
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("Uid:"))
    return int(line.split()[2])


class TestDevServer:
    """``msc-logs dev`` over HTTP, every read command and the event stream."""

    @PLACES
    def test_every_read_leaves_the_directory_as_it_was(self, place: Place) -> None:
        """Listing, modes, sizes, mtimes and contents are identical after a whole session."""
        before = snapshot(place.log_dir)
        dev = Dev(place)
        try:
            if place.nobody:
                assert uid_of(dev.process.pid) == NOBODY  # the OS, not root's exemption, decides
            read_everything(dev, place)
        finally:
            err = dev.stop_and_read()
        assert dev.process.returncode == 0, err
        assert snapshot(place.log_dir) == before

    @pytest.mark.parametrize("place", ["own"], indirect=True)
    def test_the_whole_own_set_is_shown(self, place: Place) -> None:
        """All nine files of the 12 MB x 8 set are listed, oldest first, none missing."""
        dev = Dev(place)
        try:
            names = [f["name"] for f in dev.ok("get_log_info")["files"]]
        finally:
            dev.stop_and_read()
        app = OWN_SET.app_name
        expected = [*(f"{app}.log.{k}" for k in range(8, 0, -1)), f"{app}.log"]
        assert names == expected

    @pytest.mark.parametrize("place", ["read-only"], indirect=True)
    def test_clearing_a_read_only_directory_is_permission_denied(self, place: Place) -> None:
        """403 permission_denied with a message naming the directory; nothing changes."""
        before = snapshot(place.log_dir)
        dev = Dev(place)
        try:
            assert len(dev.ok("get_recent_logs", {"limit": 10})) == 10
            status, body = dev.invoke("clear_logs")
        finally:
            err = dev.stop_and_read()
        assert (status, body["code"]) == (403, "permission_denied")
        assert str(place.log_dir) in body["message"]
        assert "cannot be cleared" in body["message"]
        assert "Traceback" not in err
        assert snapshot(place.log_dir) == before


# ---- the terminal ----------------------------------------------------------------------------


class TestTerminal:
    """``msc-logs query`` and ``msc-logs tail``."""

    @PLACES
    def test_query_leaves_the_directory_as_it_was(self, place: Place) -> None:
        """Several queries (filters, JSON, a page back) change nothing."""
        before = snapshot(place.log_dir)
        for argv in (
            ["query"],
            ["query", "--json", "--limit", "500"],
            ["query", "--min-level", "warn", "--search", "1"],
            ["query", "--since", "3650d"],
        ):
            done = subprocess.run(
                place.command(*argv),
                capture_output=True,
                cwd=REPO,
                env=place.env,
                timeout=DEADLINE_S,
                check=False,
            )
            assert done.returncode == 0, done.stderr
        assert snapshot(place.log_dir) == before

    @PLACES
    def test_tail_leaves_the_directory_as_it_was(self, place: Place) -> None:
        """``tail`` prints the last entries, follows for a while, ends on Ctrl-C; no change."""
        before = snapshot(place.log_dir)
        tail = subprocess.Popen(
            place.command("tail", "-n", "5", "--json"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env=place.env,
        )
        time.sleep(WATCH_S)
        tail.send_signal(signal.SIGINT)
        out, err = tail.communicate(timeout=DEADLINE_S)
        assert tail.returncode == 0, err
        assert b"Traceback" not in err
        if place.app_name != "app":  # our own format: the five newest entries came first
            assert len(out.splitlines()) == 5
        assert snapshot(place.log_dir) == before
