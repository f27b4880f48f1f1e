"""Ship benchmark: `msc-logs ship --once` to a local OTLP/HTTP receiver, beside plain reads.

    .venv/bin/python bench/ship.py [--size-gb 1] [--sets own] [--batch-size 1000]

Uses the generated log sets of bench/query.py (`_logsets.dataset`: ``own``, ``pino``,
``mixed``; cached under bench/.data/). ``ship`` runs as a fresh process (``python -m backend
ship --once``, a new checkpoint each time) sending to a receiver in another process that does
what a collector's OTLP receiver does first: gunzip each request, decode the protobuf
``ExportLogsServiceRequest`` and count the records, then answer 200. The time is end to end:
start-up, reading and parsing every line, mapping, encoding, gzip, HTTP, checkpoints.

Peers in the same run, as floors: ``cat`` (reading the bytes), ``rg -c`` (reading and finding
lines, every core) when installed, and the reader alone (``all_entries``: reading and parsing
every entry in one process, no mapping or sending). Rows: records/s and MB/s of the set.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _logsets import CLI_ENV, ROOT, dataset, log_files

# argv: nothing. Prints its port; GET /count answers "<records> <requests>".
RECEIVER = r"""
import gzip, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest, ExportLogsServiceResponse)
records = requests = 0
OK = ExportLogsServiceResponse().SerializeToString()
class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def reply(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        global records, requests
        data = gzip.decompress(self.rfile.read(int(self.headers["Content-Length"])))
        request = ExportLogsServiceRequest.FromString(data)
        records += sum(len(s.log_records) for r in request.resource_logs for s in r.scope_logs)
        requests += 1
        self.reply(OK, "application/x-protobuf")
    def do_GET(self):
        self.reply(f"{records} {requests}".encode(), "text/plain")
server = HTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

READER = """
import sys
from pathlib import Path
from shared.reader.engine import all_entries
from shared.reader.match import Criteria, Matcher
print(sum(1 for _ in all_entries(Path(sys.argv[1]), Matcher(Criteria()))))
"""


def receiver() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True, env=CLI_ENV
    )
    assert process.stdout is not None
    return process, f"http://127.0.0.1:{process.stdout.readline().strip()}"


def received(url: str) -> tuple[int, int]:
    with urllib.request.urlopen(f"{url}/count", timeout=10) as answer:
        records, requests = answer.read().decode().split()
    return int(records), int(requests)


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env or CLI_ENV, check=True)
    return time.perf_counter() - start, done.stdout + done.stderr


def ship(directory: Path, url: str, batch_size: int) -> tuple[float, int, str]:
    with tempfile.TemporaryDirectory() as state:
        env = {**CLI_ENV, "PYTHONPATH": str(ROOT), "XDG_STATE_HOME": state}
        before, _ = received(url)
        argv = [sys.executable, "-m", "backend", "ship", "--log-dir", str(directory),
                "--otlp-endpoint", url, "--once", "--progress-every", "0",
                "--batch-size", str(batch_size)]  # fmt: skip
        seconds, output = timed(argv, env)
        after, _ = received(url)
    return seconds, after - before, output.strip().splitlines()[-1]


def peers(directory: Path) -> list[tuple[str, float]]:
    files = [str(path) for path in log_files(directory)]
    rows = [("cat (read the bytes)", timed(["cat", *files])[0])]
    if shutil.which("rg"):
        rows.append(("rg -c '' (read, count lines)", timed(["rg", "-c", "", *files])[0]))
    env = {**CLI_ENV, "PYTHONPATH": str(ROOT)}
    reader = timed([sys.executable, "-c", READER, str(directory)], env)[0]
    rows.append(("our reader alone (parse every entry)", reader))
    return rows


def table(name: str, size_gb: float, batch_size: int) -> None:
    directory = dataset(name, size_gb)
    size = sum(path.stat().st_size for path in log_files(directory))
    process, url = receiver()
    try:
        seconds, records, summary = ship(directory, url, batch_size)
    finally:
        process.kill()
        process.wait()
    print(f"\n### {name} set: {size / 1e9:.2f} GB, {records:,} records shipped\n")
    print(f"ship's own summary: `{summary}`\n")
    print("| contender | seconds | records/s | MB/s |")
    print("|---|---:|---:|---:|")
    print(f"| msc-logs ship --once | {seconds:.1f} | {records / seconds:,.0f} "
          f"| {size / 1e6 / seconds:.1f} |")  # fmt: skip
    for label, peer in peers(directory):
        print(f"| {label} | {peer:.1f} | {records / peer:,.0f} | {size / 1e6 / peer:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--sets", default="own", help="comma-separated: own,pino,mixed")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args()
    print(f"ship benchmark on {os.cpu_count()} CPUs, batch size {args.batch_size}")
    for name in args.sets.split(","):
        table(name, args.size_gb, args.batch_size)


if __name__ == "__main__":
    main()
