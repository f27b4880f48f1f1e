"""The live path of bench/query.py: a write in another process until the reader has it.

Two measurements: `LogFollower` in this process (polling every 10 ms, or woken by inotify), and
the viewer's real path, a ``msc-logs dev`` server subscribed over HTTP with the time to each
record's arrival on ``/events``; and the idle CPU of both.
"""

from __future__ import annotations

import contextlib
import ctypes
import http.client
import os
import select
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
from _logsets import APP, CLI_ENV, DATA, ROOT

from shared.reader.follow import LogFollower

# --- follower -----------------------------------------------------------------------------------

WRITER = r"""
import os, random, sys, time, orjson
path, count = sys.argv[1], int(sys.argv[2])
fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
time.sleep(0.3)
for seq in range(count):
    time.sleep(random.uniform(0.002, 0.02))
    rec = {"timestamp": "2026-11-28T01:00:00.000000Z", "level": "info", "category": "system",
           "message": "latency probe", "target": "bench", "fields": {"seq": seq,
           "sent_ns": time.monotonic_ns()}, "span": None, "pid": os.getpid(), "source": None}
    os.write(fd, orjson.dumps(rec) + b"\n")
"""


def follower_latency(mode: str, count: int = 300) -> list[float]:
    """Milliseconds from each write in another process to the entry being yielded."""
    directory = DATA / f"follow-{mode}"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    path = directory / f"{APP}.log"
    path.touch()
    latencies: list[float] = []
    follower = LogFollower(directory, poll_interval=0.01)
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(count)])
    wait = _inotify_waiter(directory) if mode == "inotify" else (lambda: time.sleep(0.01))
    while len(latencies) < count:
        batch = follower.poll()
        now = time.monotonic_ns()
        latencies += [(now - e["fields"]["sent_ns"]) / 1e6 for e in batch.entries]
        if not batch.entries:
            wait()
    writer.wait()
    follower.close()
    return latencies


def _inotify_waiter(directory: Path) -> Callable[[], None]:
    """Block until the directory changes (or 100 ms pass), via inotify through ctypes."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK)
    mask = 0x2 | 0x8 | 0x80 | 0x100 | 0x200  # MODIFY, CLOSE_WRITE, MOVED_TO, CREATE, DELETE
    libc.inotify_add_watch(fd, str(directory).encode(), mask)

    def wait() -> None:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            with_events = os.read(fd, 65536)
            struct.unpack_from("iIII", with_events)  # at least one event: new data to poll

    return wait


def idle_cpu(seconds: float = 3.0) -> float:
    """Percent of one core the follower uses polling an unchanged file every 10 ms."""
    directory = DATA / "follow-idle"
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{APP}.log").touch()
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    started = time.process_time()
    with LogFollower(directory, poll_interval=0.01) as follower:
        for _ in follower.follow(stop):
            pass
    return (time.process_time() - started) / seconds * 100


# --- the viewer's live path ---------------------------------------------------------------------

#: argv: directory, count (-1: until stopped), gap in seconds, app name (the source's file name).
LIVE_WRITER = r"""
import itertools, sys, time
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), app_name=sys.argv[4], console_level="error"))
log = get_logger("bench.live")
count = int(sys.argv[2])
for seq in range(count) if count >= 0 else itertools.count():
    time.sleep(float(sys.argv[3]))
    log.info("live probe", category="system", seq=seq, sent_ns=time.monotonic_ns())
"""


@dataclass
class Dev:
    """A running ``msc-logs dev``: where to reach it, and the environment it runs in."""

    port: int
    token: str
    pid: int
    env: dict[str, str]

    def connect(self) -> http.client.HTTPConnection:
        """A new connection to the server."""
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)

    def events(self, client: str) -> http.client.HTTPResponse:
        """The event stream of ``client``, subscribed: read up to its ``log-subscribed``."""
        stream = self.connect()
        stream.request("GET", f"/events?token={self.token}&client={client}")
        response = stream.getresponse()
        self.invoke("subscribe_to_logs", {}, client)
        while all(event["event"] != "log-subscribed" for event in _sse_batch(response)):
            pass
        return response

    def invoke(self, command: str, args: dict[str, Any], client: str) -> tuple[int, bytes]:
        """``POST /invoke/<command>`` on a connection of its own: the status and the body."""
        connection = self.connect()
        headers = {"X-MSC-Token": self.token, "X-MSC-Client": client}
        connection.request("POST", f"/invoke/{command}", orjson.dumps(args), headers)
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, body


@contextlib.contextmanager
def dev_server(directory: Path) -> Iterator[Dev]:
    """``msc-logs dev`` showing ``directory``, its own log and state in a throw-away home.

    Speaks the protocol of backend/_devhttp.py and frontend/js/bridge/transport.js: the URL, token
    included, is the server's first stdout line; ``GET /events?token=`` streams ``data: [batch]``
    messages, ``hello`` first; ``POST /invoke/subscribe_to_logs`` answers ``log-subscribed`` once
    the follower is positioned. The client id (``client=``, ``X-MSC-Client``) is for servers with
    per-client subscriptions; a server without them ignores it.
    """
    home = Path(tempfile.mkdtemp(prefix="bench-dev-"))  # the viewer's own log and locks
    xdg = {f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("STATE", "CONFIG", "DATA")}
    env = CLI_ENV | xdg | {"XDG_RUNTIME_DIR": str(home)}
    command = [sys.executable, "-m", "backend", "dev", "--log-dir", str(directory), "--no-browser"]
    server = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT
    )
    try:
        first = server.stdout.readline() if server.stdout else ""
        if not first.startswith("http"):
            raise RuntimeError(f"msc-logs dev printed no URL: run `{shlex.join(command)}`")
        url = urlsplit(first.strip())
        assert url.port is not None
        yield Dev(url.port, parse_qs(url.query)["token"][0], server.pid, env)
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(home, ignore_errors=True)


def viewer_live_path(count: int = 300, gap: float = 0.02) -> tuple[list[float], float]:
    """Write → ``/events`` milliseconds per record through a real ``msc-logs dev`` (see
    `dev_server`), and the server's idle CPU (% of a core) over 3 s while subscribed and nothing
    is written."""
    directory = DATA / "live"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    with dev_server(directory) as dev:
        stream = dev.events("bench")
        writer = [sys.executable, "-c", LIVE_WRITER, str(directory), str(count), str(gap), APP]
        subprocess.Popen(writer, env=dev.env, cwd=ROOT)
        latencies: list[float] = []
        while len(latencies) < count:
            latencies += [latency for _, latency in probe_latencies(stream)]
        return latencies, _cpu_percent(dev.pid, 3.0)


def probe_latencies(stream: http.client.HTTPResponse) -> list[tuple[int, float]]:
    """The next batch's live probes (`LIVE_WRITER`): (arrival ns, write → arrival ms) each."""
    batch = _sse_batch(stream)
    now = time.monotonic_ns()  # CLOCK_MONOTONIC: one clock for every process
    fields = [e["payload"]["fields"] for e in batch if e["event"] == "log-entry"]
    return [(now, (now - f["sent_ns"]) / 1e6) for f in fields if "sent_ns" in f]


def _sse_batch(stream: http.client.HTTPResponse) -> list[dict[str, Any]]:
    """The next ``data:`` message of an SSE stream (comments and other fields skipped)."""
    while line := stream.readline():
        if line.startswith(b"data: "):
            batch: list[dict[str, Any]] = orjson.loads(line[len(b"data: ") :])
            return batch
    raise RuntimeError("the event stream ended")


def _cpu_percent(pid: int, seconds: float) -> float:
    """Percent of one core process ``pid`` uses over the next ``seconds`` (/proc/<pid>/stat)."""

    def ticks() -> int:
        after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(after_name[11]) + int(after_name[12])  # utime, stime

    before = ticks()
    time.sleep(seconds)
    return (ticks() - before) / os.sysconf("SC_CLK_TCK") / seconds * 100


def spread(milliseconds: list[float]) -> list[str]:
    """Median and 95th percentile, as table cells."""
    p95 = statistics.quantiles(milliseconds, n=20)[18]
    return [f"{statistics.median(milliseconds):.1f} ms", f"{p95:.1f} ms"]
