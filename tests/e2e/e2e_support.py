"""Helpers of the Playwright end-to-end tests: the dev server in a subprocess, log writers, pages.

`dev_server` starts ``python -m backend dev --log-dir <tmp> --port 0 --no-browser`` and reads the
page URL (token included) from the first stdout line. The dev server logs its own activity into
the viewer's own log (under the session's temporary XDG directories, tests/e2e/conftest.py), never
into the directory it shows, so a test's directory holds exactly what the test wrote.
`static_page` serves ``frontend/`` without any backend (Playwright routes), for the pywebview
transport with a stand-in ``window.pywebview``.

Screenshots go to ``test-artifacts/e2e/`` (git-ignored): look at them.
"""

from __future__ import annotations

import json
import mimetypes
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
FRONTEND = REPO / "frontend"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
APP = "midi-software-center"
CHROMIUM = os.environ.get("MSC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Upper bound on waits for the server or the page; reaching it fails the test.
DEADLINE_S = 30.0
STATIC_ORIGIN = "http://msc.test"

# A child process that logs through `shared` (the real writer), driven by stdin lines:
# "log <level> <category> <message>" writes one record; every line is answered with "done".
WRITER = r"""
import sys
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error", file_level="trace"))
log = get_logger("tests.e2e.writer")
print("ready", flush=True)
for line in sys.stdin:
    _, level, category, message = line.rstrip("\n").split(" ", 3)
    getattr(log, level)(message, category=category, request_id="req-writer")
    print("done", flush=True)
"""


# ---- log files ------------------------------------------------------------------------------


def record(
    message: str,
    *,
    level: str = "info",
    category: str = "system",
    target: str = "tests.e2e",
    fields: dict[str, Any] | None = None,
    span: dict[str, Any] | None = None,
    at: datetime | None = None,
    pid: int = 4242,
) -> dict[str, Any]:
    """One record in PROTOCOL order (timestamp, level, category, message, target, fields, …)."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return {
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": level,
        "category": category,
        "message": message,
        "target": target,
        "fields": fields or {},
        "span": span,
        "pid": pid,
        "source": "e2e.py:1",
    }


def write_records(log_dir: Path, records: list[dict[str, Any]]) -> None:
    """Append records as compact JSON lines to the active log file."""
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{APP}.log").open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(r, separators=(",", ":")) + "\n" for r in records)


def append_text(log_dir: Path, name: str, text: str) -> Path:
    """Append ``text`` (whole lines, newline-terminated) to the file ``name`` of ``log_dir``."""
    assert text.endswith("\n"), "a line without its newline is one still being written"
    path = log_dir / name
    with path.open("a", encoding="utf-8") as out:
        out.write(text)
    return path


def write_many(log_dir: Path, count: int, *, start: datetime | None = None) -> None:
    """Write ``count`` records fast: levels cycle trace…error, 8 categories, ``message <i>``."""
    levels = ("trace", "debug", "info", "warn", "error")
    categories = (
        "database",
        "midi",
        "file",
        "network",
        "system",
        "performance",
        "security",
        "user",
    )
    first = (start or datetime.now(UTC) - timedelta(seconds=count // 100 + 60)).astimezone(UTC)
    base = first.replace(tzinfo=None)
    lines = []
    for i in range(count):
        stamp = (base + timedelta(milliseconds=10 * i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lines.append(
            f'{{"timestamp":"{stamp}","level":"{levels[i % 5]}","category":"{categories[i % 8]}",'
            f'"message":"message {i}","target":"tests.bulk","fields":{{"n":{i}}},"span":null,'
            f'"pid":4242,"source":"e2e.py:1"}}\n'
        )
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{APP}.log").open("a", encoding="utf-8") as out:
        out.writelines(lines)


class Writer:
    """Another process logging into a directory through `shared` (the real writer)."""

    def __init__(self, log_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(log_dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO,
        )
        assert _readline(self.proc, DEADLINE_S) == "ready"

    def log(self, message: str, *, level: str = "info", category: str = "user") -> None:
        """Write one record and wait until it is written."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"log {level} {category} {message}\n")
        self.proc.stdin.flush()
        assert _readline(self.proc, DEADLINE_S) == "done"

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(DEADLINE_S)


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output from child process within {timeout} s")
    return proc.stdout.readline().strip()


# ---- the dev server -------------------------------------------------------------------------


def _dev_command(log_dir: Path) -> list[str]:
    options = ["--log-dir", str(log_dir), "--port", "0", "--no-browser"]
    return [sys.executable, "-m", "backend", "dev", *options]


@dataclass
class DevServer:
    """A running dev server: its URL (with token), log directory and process."""

    url: str
    log_dir: Path
    proc: subprocess.Popen[str]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def origin(self) -> str:
        return self.url.split("/?", 1)[0]

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def page_url(self, path: str = "/", /, **params: str | int) -> str:
        """The URL of a page on this server, token and ``params`` in the query."""
        query = "&".join([f"token={self.token}", *(f"{k}={v}" for k, v in params.items())])
        return f"{self.origin}{path}?{query}"

    def drop_connections(self) -> None:
        """Kill every client connection to this server (event streams too), as a network drop.

        ``ss`` also prints "RTNETLINK answers: Invalid argument" for a dump it does not need.
        """
        port = self.origin.rsplit(":", 1)[1]
        subprocess.run(["ss", "-K", "dst", "127.0.0.1", "dport", "=", port], check=True)


def start_dev_server(log_dir: Path) -> DevServer:
    """Start the dev server on a free port and wait for its URL."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        _dev_command(log_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    url = _readline(proc, DEADLINE_S)
    assert url.startswith("http://127.0.0.1:"), f"unexpected first line {url!r}"
    return DevServer(url, log_dir, proc)


def stop_dev_server(server: DevServer) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()


# ---- the browser ----------------------------------------------------------------------------


def serve_frontend(page: Page) -> None:
    """Serve ``frontend/`` at `STATIC_ORIGIN` through Playwright routes (no backend at all)."""

    def handle(route: Any) -> None:
        path = route.request.url[len(STATIC_ORIGIN) :].split("?", 1)[0].lstrip("/") or "index.html"
        file = (FRONTEND / path).resolve()
        if not file.is_relative_to(FRONTEND) or not file.is_file():
            route.fulfill(status=404, body="not found")
            return
        kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0]
        route.fulfill(status=200, body=file.read_bytes(), content_type=kind or "text/plain")

    page.route(f"{STATIC_ORIGIN}/**", handle)


def open_viewer(page: Page, server: DevServer, /, **params: str | int) -> None:
    """Open the viewer on ``server`` and wait until the first fetch has succeeded."""
    page.goto(server.page_url("/", **params))
    wait_loaded(page)


def wait_loaded(page: Page) -> None:
    page.wait_for_function(
        "() => window.__msc?.logStore.state.loaded && !window.__msc.logStore.state.loading"
    )


def shot(page: Page, name: str) -> Path:
    """Save a screenshot under test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def visible_messages(page: Page) -> list[str]:
    """The message cells of the rows on screen, top to bottom."""
    result: list[str] = page.evaluate(
        """() => [...document.querySelectorAll('msc-log-list .row:not([hidden])')]
          .sort((a, b) => Number(a.dataset.index) - Number(b.dataset.index))
          .filter((r) => { const b = r.getBoundingClientRect();
                           const v = r.closest('.viewport').getBoundingClientRect();
                           return b.bottom > v.top && b.top < v.bottom; })
          .map((r) => r.querySelector('.c-message .msg').textContent)"""
    )
    return result


def shown(page: Page) -> list[dict[str, Any]]:
    """The filtered view (every entry the list would show), as plain objects."""
    result: list[dict[str, Any]] = page.evaluate(
        """async () => { const { filteredLogs } = await import('/js/store.js');
          return filteredLogs.value.map((e) => ({ message: e.message, level: e.level,
            category: e.category, target: e.target, id: e.id })); }"""
    )
    return result


def wait_until(predicate: Callable[[], bool], timeout: float = DEADLINE_S) -> None:
    """Poll ``predicate`` (Python side) until true, or fail."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
