"""`msc-logs ship` against a real OTLP/HTTP receiver: delivery, retries, crashes, checkpoints.

The receiver is a child process (`RECEIVER`): an ``http.server`` that decodes each request
(gzip, then protobuf ``ExportLogsServiceRequest`` from ``opentelemetry-proto``) and appends
every LogRecord, as protobuf's JSON mapping plus its ``service.name``, to ``records.jsonl``.
``ship`` runs as ``python -m backend ship`` in a child process with its own state directory.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml  # type: ignore[import-untyped]

from backend._ship_encode import encode
from backend._ship_send import endpoint_url, parse_headers
from shared.otlp import export_request, log_record, to_protobuf
from tests.backend.conftest import APP, DEADLINE_S, child_env, read_line, record, write_records

# argv: output directory, status of the first N answers, N (-1: every answer), partial (0/1),
# the request to stall on (never answered nor recorded, "stalled" logged; 0: none).
RECEIVER = r"""
import gzip, json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest, ExportLogsServiceResponse)
out = Path(sys.argv[1])
status, count, partial = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1"
stall = int(sys.argv[5])
records, requests = (out / "records.jsonl").open("a"), (out / "requests.jsonl").open("a")
seen, lock = 0, threading.Lock()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args): pass
    def answer(self, code, body=b"", kind="application/x-protobuf", extra=()):
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in extra:
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
    def do_POST(self):
        with lock:
            self.handle_request()
        if self.stalled:
            time.sleep(3600)  # the client gives up or is killed first
    def handle_request(self):
        global seen
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen += 1
        failing = count < 0 or seen <= count
        self.stalled = seen == stall
        requests.write(json.dumps({"path": self.path, "status": status if failing else 200,
            "headers": {k.lower(): v for k, v in self.headers.items()},
            "stalled": self.stalled}) + "\n")
        requests.flush()
        if self.stalled:
            return
        if failing:
            if status == 400:
                self.answer(400, b"\x08\x03\x12\x14bad batch, try again", extra=[])
            else:
                self.answer(status, b"", extra=[("Retry-After", "0")])
            return
        request = ExportLogsServiceRequest.FromString(gzip.decompress(body))
        for resource_logs in request.resource_logs:
            service = resource_logs.resource.attributes[0].value.string_value
            for scope_logs in resource_logs.scope_logs:
                for log_record in scope_logs.log_records:
                    row = json_format.MessageToDict(log_record)
                    row["service"] = service
                    records.write(json.dumps(row) + "\n")
        records.flush()
        response = ExportLogsServiceResponse()
        if partial:
            response.partial_success.rejected_log_records = 1
            response.partial_success.error_message = "one record too old"
        self.answer(200, response.SerializeToString())

ThreadingHTTPServer.daemon_threads = True
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""

# A process logging through `shared` with tiny files: it rotates every ~80 records.
WRITER = r"""
import sys, time
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging, reset_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error",
                       max_file_size_mb=0.02, max_files=10000))
log = get_logger("tests.ship")
for seq in range(int(sys.argv[2])):
    log.info(f"record {seq}", category="user", seq=seq)
    if seq % 10 == 0:
        time.sleep(0.01)
reset_logging()
print("done", flush=True)
"""


class Receiver:
    """The OTLP/HTTP receiver child process (see `RECEIVER`)."""

    def __init__(
        self, out: Path, status: int = 200, count: int = 0, partial: bool = False, stall: int = 0
    ) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        options = [str(status), str(count), str(int(partial)), str(stall)]
        argv = [sys.executable, "-c", RECEIVER, str(out), *options]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True, env=child_env())
        self.url = f"http://127.0.0.1:{read_line(self.process.stdout)}"

    def records(self) -> list[dict[str, Any]]:
        """Every LogRecord received and decoded so far."""
        return _rows(self.out / "records.jsonl")

    def requests(self) -> list[dict[str, Any]]:
        """Every request so far: path, status answered, headers."""
        return _rows(self.out / "requests.jsonl")

    def close(self) -> None:
        """End the process."""
        self.process.kill()
        self.process.wait(DEADLINE_S)


def _rows(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.endswith(b"}")]


@pytest.fixture
def receivers(tmp_path: Path) -> Iterator[Any]:
    started: list[Receiver] = []

    def start(**options: Any) -> Receiver:
        receiver = Receiver(tmp_path / f"receiver{len(started)}", **options)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.close()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """The ``XDG_STATE_HOME`` of the ship processes."""
    return tmp_path / "xdg-state"


def ship_argv(log_dir: Path, url: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "backend", "ship", "--log-dir", str(log_dir),
            "--otlp-endpoint", url, "--progress-every", "0", *extra]  # fmt: skip


def ship_env(state: Path) -> dict[str, str]:
    return {**child_env(), "XDG_STATE_HOME": str(state)}


def ship_once(
    log_dir: Path, url: str, state: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ship_argv(log_dir, url, "--once", *extra),
        env=ship_env(state),
        capture_output=True,
        text=True,
        timeout=DEADLINE_S,
        check=False,
    )


def attributes(row: dict[str, Any]) -> dict[str, Any]:
    """A received LogRecord's attributes as plain values."""
    return {item["key"]: _plain(item.get("value", {})) for item in row.get("attributes", [])}


def _plain(value: dict[str, Any]) -> Any:
    if "kvlistValue" in value:
        return {i["key"]: _plain(i.get("value", {})) for i in value["kvlistValue"]["values"]}
    if "intValue" in value:
        return int(value["intValue"])
    return next(iter(value.values()), None)


def bodies(rows: list[dict[str, Any]]) -> list[str]:
    return [row["body"]["stringValue"] for row in rows]


def our_records(path: Path, seqs: range) -> None:
    write_records(
        path,
        [
            record(f"record {n}", fields={"seq": n}, timestamp=f"2026-11-28T01:57:{n:02d}.123456Z")
            for n in seqs
        ],
    )


def rotated_set(log_dir: Path) -> None:
    """Our source in three files (a raw line in the middle one), and a pino source."""
    our_records(log_dir / f"{APP}.log.2", range(3))
    our_records(log_dir / f"{APP}.log.1", range(3, 6))
    with (log_dir / f"{APP}.log.1").open("ab") as out:
        out.write(b"kernel: something that is no record\n")
    our_records(log_dir / f"{APP}.log", range(6, 9))
    pino = b'{"level":40,"time":1795831056000,"pid":7,"hostname":"h","msg":"pino says","n":5}\n'
    (log_dir / "node.log").write_bytes(pino)


def listing(directory: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in directory.iterdir()}


class TestShipOnce:
    def test_delivers_every_record_of_a_rotated_set_with_fields_intact(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """Our lines oldest file first, a raw line with msc.raw, a pino line: every field kept."""
        rotated_set(log_dir)
        receiver = receivers()
        done = ship_once(log_dir, receiver.url, state)
        assert done.returncode == 0, done.stderr
        rows = receiver.records()
        ours = [row for row in rows if row["service"] == APP]
        assert bodies(ours) == [
            *(f"record {n}" for n in range(6)),
            "kernel: something that is no record",
            *(f"record {n}" for n in range(6, 9)),
        ]
        first = ours[0]
        assert first["timeUnixNano"] == str(1795831020123456000)
        assert first["severityNumber"] == "SEVERITY_NUMBER_INFO"
        assert attributes(first) == {
            "seq": 0,
            "msc.category": "system",
            "msc.target": "tests",
            "msc.origin": APP,
            "process.pid": 4242,
        }
        raw = ours[6]
        assert attributes(raw)["msc.raw"] is True
        assert raw["timeUnixNano"] == str(1795831025123456000)  # the time of the line before
        (pino,) = [row for row in rows if row["service"] == "node"]
        assert pino["body"] == {"stringValue": "pino says"}
        assert pino["severityNumber"] == "SEVERITY_NUMBER_WARN"
        assert attributes(pino)["n"] == 5
        assert {r["path"] for r in receiver.requests()} == {"/v1/logs"}

    def test_sends_protobuf_gzip_with_the_headers_given(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """Content-Type protobuf, Content-Encoding gzip, and --headers (percent-decoded)."""
        our_records(log_dir / f"{APP}.log", range(2))
        receiver = receivers()
        headers = "authorization=Bearer%20s3cret,x-scope-orgid=team-a"
        done = ship_once(log_dir, receiver.url + "/v1/logs", state, "--headers", headers)
        assert done.returncode == 0, done.stderr
        (request,) = receiver.requests()
        assert request["path"] == "/v1/logs"
        sent = request["headers"]
        assert sent["content-type"] == "application/x-protobuf"
        assert sent["content-encoding"] == "gzip"
        assert sent["authorization"] == "Bearer s3cret"
        assert sent["x-scope-orgid"] == "team-a"

    def test_a_second_run_sends_only_what_was_written_since(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """The checkpoint resumes after the last record sent, though its file rotated meanwhile."""
        our_records(log_dir / f"{APP}.log", range(3))
        receiver = receivers()
        assert ship_once(log_dir, receiver.url, state).returncode == 0
        os.rename(log_dir / f"{APP}.log", log_dir / f"{APP}.log.1")
        our_records(log_dir / f"{APP}.log.1", range(3, 4))  # a late line of the old file
        our_records(log_dir / f"{APP}.log", range(4, 6))
        done = ship_once(log_dir, receiver.url, state)
        assert done.returncode == 0, done.stderr
        assert bodies(receiver.records()) == [f"record {n}" for n in range(6)]

    def test_a_checkpoint_whose_file_is_gone_restarts_at_the_oldest_and_says_so(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """A cleared log: the gap is explained on stderr and what is there now is sent."""
        our_records(log_dir / f"{APP}.log", range(2))
        receiver = receivers()
        assert ship_once(log_dir, receiver.url, state).returncode == 0
        (log_dir / f"{APP}.log").unlink()
        our_records(log_dir / f"{APP}.log", range(10, 12))
        done = ship_once(log_dir, receiver.url, state)
        assert done.returncode == 0, done.stderr
        assert "is no longer in the log" in done.stderr
        assert bodies(receiver.records()) == ["record 0", "record 1", "record 10", "record 11"]

    def test_start_at_end_skips_the_history_and_ships_what_follows(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """--start-at end sends nothing already there; the next run sends what came after."""
        our_records(log_dir / f"{APP}.log", range(3))
        receiver = receivers()
        assert ship_once(log_dir, receiver.url, state, "--start-at", "end").returncode == 0
        assert receiver.records() == []
        our_records(log_dir / f"{APP}.log", range(3, 5))
        assert ship_once(log_dir, receiver.url, state).returncode == 0
        assert bodies(receiver.records()) == ["record 3", "record 4"]

    def test_checkpoint_is_in_the_state_dir_and_the_log_dir_is_untouched(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """Nothing in D is created or changed; the checkpoint lives under XDG_STATE_HOME."""
        rotated_set(log_dir)
        before = listing(log_dir)
        receiver = receivers()
        assert ship_once(log_dir, receiver.url, state).returncode == 0
        assert listing(log_dir) == before
        (checkpoint,) = (state / "midi-software-center" / "ship").glob("*.json")
        saved = orjson.loads(checkpoint.read_bytes())
        assert saved["log_dir"] == str(log_dir.resolve())
        assert saved["sources"][APP]["records"] == 10
        assert saved["sources"][APP]["file"] == f"{APP}.log"

    def test_progress_and_partial_success_are_reported_on_stderr(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """The final line counts records and batches; rejected records are named with why."""
        our_records(log_dir / f"{APP}.log", range(5))
        receiver = receivers(partial=True)
        done = ship_once(log_dir, receiver.url, state, "--batch-size", "2")
        assert done.returncode == 0, done.stderr
        assert "sent 5 records in 3 batches; 0 retries" in done.stderr
        assert "rejected 1 record(s) of a batch: one record too old" in done.stderr
        assert "3 rejected by the collector" in done.stderr


class TestShipFailures:
    def test_503_is_retried_until_taken_and_every_record_arrives_once(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """The first four answers are 503: ship retries, then delivers each record exactly once."""
        our_records(log_dir / f"{APP}.log", range(7))
        receiver = receivers(status=503, count=4)
        done = ship_once(log_dir, receiver.url, state, "--batch-size", "3")
        assert done.returncode == 0, done.stderr
        assert bodies(receiver.records()) == [f"record {n}" for n in range(7)]
        assert [r["status"] for r in receiver.requests()] == [503] * 4 + [200] * 3
        assert done.stderr.count("HTTP 503 Service Unavailable; retrying") == 4

    def test_400_is_fatal_with_the_collectors_message_and_no_checkpoint(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """A refused batch ends ship with exit 1, the status and message, nothing marked sent."""
        our_records(log_dir / f"{APP}.log", range(2))
        receiver = receivers(status=400, count=-1)
        done = ship_once(log_dir, receiver.url, state)
        assert done.returncode == 1
        assert "refused the batch: HTTP 400 Bad Request: bad batch, try again" in done.stderr
        assert "Traceback" not in done.stderr
        assert len(receiver.requests()) == 1
        assert not list((state / "midi-software-center" / "ship").glob("*.json"))

    def test_an_unreachable_collector_is_retried_until_stopped(
        self, log_dir: Path, state: Path
    ) -> None:
        """Connection refused: ship keeps retrying, and SIGTERM ends it with exit 0."""
        our_records(log_dir / f"{APP}.log", range(2))
        url = f"http://127.0.0.1:{_closed_port()}"
        process = subprocess.Popen(
            ship_argv(log_dir, url, "--once"),
            env=ship_env(state),
            stderr=subprocess.PIPE,
            text=True,
        )
        assert "cannot reach" in read_line(process.stderr)
        assert "retrying in" in read_line(process.stderr)
        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE_S) == 0
        assert not list((state / "midi-software-center" / "ship").glob("*.json"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TestShipFollowing:
    @pytest.mark.parametrize("stall", [0, 8])
    def test_kill_9_mid_stream_and_restart_loses_no_record(
        self, log_dir: Path, receivers: Any, state: Path, stall: int
    ) -> None:
        """A writer rotates every ~80 records; ship is killed and restarted: every record arrives.

        With ``stall``, the kill lands while that batch is in flight and unanswered (it must be
        sent again); without, wherever it lands (only the batch in flight may come twice).
        """
        total = 3000
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(log_dir), str(total)],
            stdout=subprocess.PIPE,
            text=True,
            env=child_env(),
        )
        receiver = receivers(stall=stall)
        argv = ship_argv(log_dir, receiver.url, "--batch-size", "50", "--batch-wait", "0.05")
        first = subprocess.Popen(argv, env=ship_env(state), stderr=subprocess.DEVNULL)
        if stall:
            _wait_until(lambda: any(r["stalled"] for r in receiver.requests()))
        else:
            _wait_until(lambda: len(receiver.records()) >= 400)
        first.kill()  # SIGKILL: no chance to finish anything
        first.wait(DEADLINE_S)
        killed_at = len(receiver.records())
        _wait_until(lambda: len(list(log_dir.glob(f"{APP}.log.*"))) >= 8)  # rotations meanwhile
        second = subprocess.Popen(argv, env=ship_env(state), stderr=subprocess.DEVNULL)
        assert read_line(writer.stdout, 120) == "done"
        assert writer.wait(DEADLINE_S) == 0

        def seqs() -> Counter[int]:  # the writer logs its own start-up too: no seq
            rows = [attributes(row) for row in receiver.records()]
            return Counter(row["seq"] for row in rows if "seq" in row)

        _wait_until_settled(lambda: set(range(total)) <= set(seqs()), receiver)
        second.send_signal(signal.SIGTERM)
        assert second.wait(DEADLINE_S) == 0
        counts = seqs()
        assert set(range(total)) - set(counts) == set()
        assert killed_at < total  # the kill did land mid-stream
        duplicates = sum(count - 1 for count in counts.values())
        assert duplicates == 0 if stall else duplicates <= 50  # at most the batch in flight

    def test_follows_records_written_after_start_and_stops_on_sigterm(
        self, log_dir: Path, receivers: Any, state: Path
    ) -> None:
        """History first, then records appended while it runs, within the batch wait."""
        our_records(log_dir / f"{APP}.log", range(2))
        receiver = receivers()
        argv = ship_argv(log_dir, receiver.url, "--batch-wait", "0.05")
        process = subprocess.Popen(argv, env=ship_env(state), stderr=subprocess.PIPE, text=True)
        _wait_until(lambda: len(receiver.records()) == 2)
        our_records(log_dir / f"{APP}.log", range(2, 4))
        os.rename(log_dir / f"{APP}.log", log_dir / f"{APP}.log.1")
        our_records(log_dir / f"{APP}.log", range(4, 6))
        _wait_until(lambda: len(receiver.records()) == 6)
        process.send_signal(signal.SIGTERM)
        assert process.wait(DEADLINE_S) == 0
        assert bodies(receiver.records()) == [f"record {n}" for n in range(6)]
        assert process.stderr is not None
        assert "sent 6 records" in process.stderr.read()


def _wait_until_settled(condition: Any, receiver: Receiver, quiet_s: float = 5) -> None:
    """Wait until ``condition`` holds, or until nothing arrived at ``receiver`` for ``quiet_s``
    (then whatever is missing will not come: the caller's assertions fail at once)."""
    last, changed = -1, time.monotonic()
    while not condition():
        count = len(receiver.records())
        if count != last:
            last, changed = count, time.monotonic()
        elif time.monotonic() - changed > quiet_s:
            return
        time.sleep(0.05)


def _wait_until(condition: Any, deadline_s: float = 120) -> None:
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"not reached within {deadline_s} s")
        time.sleep(0.05)


class TestShipArguments:
    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--otlp-endpoint", "ftp://x"], "--otlp-endpoint: not an http:// or https:// URL"),
            (["--otlp-endpoint", "http://h:4318", "--headers", "novalue"], "--headers: not name"),
            (["--otlp-endpoint", "http://h:4318", "--batch-size", "0"], "--batch-size"),
            (["--otlp-endpoint", "http://h:4318", "--start-at", "middle"], "--start-at"),
        ],
    )
    def test_bad_arguments_exit_2_naming_the_option(
        self, log_dir: Path, state: Path, argv: list[str], message: str
    ) -> None:
        """Usage errors say which option was wrong and send nothing."""
        done = subprocess.run(
            [sys.executable, "-m", "backend", "ship", "--log-dir", str(log_dir), *argv],
            env=ship_env(state),
            capture_output=True,
            text=True,
            timeout=DEADLINE_S,
            check=False,
        )
        assert done.returncode == 2
        assert message in done.stderr

    def test_a_missing_log_dir_is_an_error_naming_it(self, tmp_path: Path, state: Path) -> None:
        """--log-dir must exist: exit 1 and why."""
        done = ship_once(tmp_path / "nope", "http://127.0.0.1:9", state)
        assert done.returncode == 1
        assert "--log-dir" in done.stderr
        assert "no such file or directory" in done.stderr


class TestEndpointAndHeaders:
    @pytest.mark.parametrize(
        ("given", "url"),
        [
            ("http://collector:4318", "http://collector:4318/v1/logs"),
            ("http://collector:4318/", "http://collector:4318/v1/logs"),
            ("https://otlp.example/v1/logs", "https://otlp.example/v1/logs"),
            ("https://gw.example/otlp", "https://gw.example/otlp/v1/logs"),
        ],
    )
    def test_the_logs_path_is_added_when_missing(self, given: str, url: str) -> None:
        """An endpoint is accepted with or without /v1/logs."""
        assert endpoint_url(given) == url

    def test_headers_are_otel_form_percent_decoded(self) -> None:
        """``k=v,k2=v2`` with spaces around items and %-escapes in values."""
        parsed = parse_headers(" api-key = a%2Cb , x-team=t ")
        assert parsed == {"api-key": "a,b", "x-team": "t"}

    def test_a_header_with_a_line_break_is_refused(self) -> None:
        """No header injection through a percent-encoded CR/LF."""
        with pytest.raises(ValueError, match="line break"):
            parse_headers("a=b%0d%0aX-Evil: 1")


RECIPE = Path(__file__).resolve().parents[2] / "deploy" / "otel-collector.yaml"


class TestCollectorRecipe:
    def test_recipe_has_both_receivers_in_one_logs_pipeline(self) -> None:
        """filelog (our files, lock files excluded) and OTLP/HTTP on 4318 feed batch → debug."""
        config = yaml.safe_load(RECIPE.read_text())
        filelog = config["receivers"]["filelog"]
        assert filelog["include"][0].endswith("/*.log*")
        assert any(pattern.endswith("*.lock") for pattern in filelog["exclude"])
        assert filelog["start_at"] in ("beginning", "end")
        assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
        pipeline = config["service"]["pipelines"]["logs"]
        assert pipeline == {
            "receivers": ["filelog", "otlp"], "processors": ["batch"], "exporters": ["debug"]
        }  # fmt: skip
        parser = next(op for op in filelog["operators"] if op["type"] == "json_parser")
        assert parser["timestamp"]["parse_from"] == "attributes.timestamp"
        assert parser["severity"]["parse_from"] == "attributes.level"
        assert set(parser["severity"]["mapping"]) >= {"trace", "debug", "info", "warn", "error"}


class TestEncode:
    @pytest.mark.parametrize(
        "entry",
        [
            record("plain"),
            record(
                "every kind of value",
                level="error",
                level_name="CRITICAL",
                fields={
                    "int": 3,
                    "big": 2**70,
                    "neg": -(2**63),
                    "float": 0.5,
                    "bool": False,
                    "none": None,
                    "text": "é\u202e",
                    "list": [1, "a", None, [], {}],
                    "map": {"inner": {"deep": [True]}},
                    "empty_map": {},
                    "empty_list": [],
                    "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
                    "exception": "Traceback …",
                },
                span={"name": "load", "id": "00f067aa0ba902b7", "parent_id": "x"},
                source="engine.py:10",
            ),
            {"timestamp": None, "level": "warn", "message": "raw line", "raw": True},
        ],
    )
    def test_bytes_equal_shared_otlps_protobuf(self, entry: dict[str, Any]) -> None:
        """The direct encoder writes exactly what json_format writes from the same request."""
        request = export_request([log_record(entry, observed_nanos=7)] * 2, APP)
        assert encode(request) == to_protobuf(request).SerializeToString()
