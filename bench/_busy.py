"""The dev server while long work runs: bench/query.py's "responsive under long work" table.

One ``msc-logs dev`` shows the 1 GB set. For each long command (run by a client of its own),
other clients meanwhile fetch a static file and call a light command every 20 ms, and a writer
process logs a live probe every 20 ms into a source of its own in the set (``bench-busy.log``,
removed afterwards), which a subscribed client receives over ``/events``. The goal from the
issue: static files, the event stream and other requests answered within 100 ms while a scan of
the whole set runs.
"""

from __future__ import annotations

import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _live import LIVE_WRITER, Dev, dev_server, probe_latencies
from _logsets import ROOT

#: Source name of the probe writer: its files are removed from the set afterwards.
BUSY_APP = "bench-busy"
EXPORT = Path(tempfile.gettempdir()) / "msc-bench-busy-export.jsonl"
#: (label, command, arguments, seconds watched at least): each reads the whole set, or the newest
#: 64 MiB of it. The histogram answers from a sample at once and indexes the set afterwards, in the
#: background: that is the work watched.
LONG_WORK: tuple[tuple[str, str, dict[str, Any], float], ...] = (
    (
        "`get_recent_logs` where `duration_ms>500 and category=database` (no hit: the whole set)",
        "get_recent_logs",
        {"where": "duration_ms>500 and category=database", "limit": 200},
        0,
    ),
    (
        "`export_logs` jsonl, where `duration_ms>45 and category=database` (the whole set)",
        "export_logs",
        {
            "format": "jsonl",
            "output_path": str(EXPORT),
            "where": "duration_ms>45 and category=database",
        },
        0,
    ),
    (
        "`get_log_info`, first call (counts the unparsed lines of the newest 64 MiB)",
        "get_log_info",
        {},
        0,
    ),
    ("`get_histogram`, first call, and its indexing for 10 s after", "get_histogram", {}, 10),
)


def busy_rows(directory: Path) -> list[list[str]]:
    """One row per `LONG_WORK` item: how long it took, and the other requests meanwhile."""
    rows = []
    with dev_server(directory) as dev:
        stream = dev.events("watcher")
        arrivals: list[tuple[int, float]] = []
        threading.Thread(target=_read, args=(stream, arrivals), daemon=True).start()
        argv = [sys.executable, "-c", LIVE_WRITER, str(directory), "-1", "0.02", BUSY_APP]
        writer = subprocess.Popen(argv, env=dev.env, cwd=ROOT)
        try:
            time.sleep(1)  # the probes flow
            for label, command, args, watch in LONG_WORK:
                started = time.monotonic_ns()
                status, static, light = _meanwhile(dev, command, args, watch)
                ended = time.monotonic_ns()
                events = [ms for at, ms in list(arrivals) if started <= at <= ended]
                took = f"{(ended - started) / 1e6:,.0f} ms" if not watch else f"{watch:g} s watched"
                rows.append(
                    [label, took + ("" if status == 200 else f" (HTTP {status})")]
                    + [_spread(values) for values in (static, light, events)]
                )
        finally:
            writer.terminate()
            writer.wait(30)
            for path in directory.glob(f"{BUSY_APP}.log*"):
                path.unlink()
            EXPORT.unlink(missing_ok=True)
    return rows


def _meanwhile(
    dev: Dev, command: str, args: dict[str, Any], watch: float
) -> tuple[int, list[float], list[float]]:
    """Run ``command`` (for ``watch`` seconds at least) and time the other requests meanwhile:
    its HTTP status, and the static file's and the light command's milliseconds."""
    answer: list[int] = []
    thread = threading.Thread(target=lambda: answer.append(dev.invoke(command, args, "long")[0]))
    thread.start()
    until = time.monotonic() + watch
    static, light = [], []
    while thread.is_alive() or time.monotonic() < until:
        static.append(_timed(lambda: _get(dev.connect(), "/js/store.js")))
        light.append(_timed(lambda: dev.invoke("get_view_state", {}, "light")))
        time.sleep(0.02)
    thread.join()
    return answer[0], static, light


def _read(stream: http.client.HTTPResponse, arrivals: list[tuple[int, float]]) -> None:
    try:
        while True:
            arrivals += probe_latencies(stream)
    except Exception:  # the server went away at the end
        return


def _get(connection: http.client.HTTPConnection, path: str) -> None:
    connection.request("GET", path)
    connection.getresponse().read()
    connection.close()


def _timed(call: Callable[[], object]) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _spread(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.1f} / {max(values):.1f} ms ({len(values)})"
