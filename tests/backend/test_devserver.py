"""The dev server as a real process on a free port: static files, /invoke, /events, guards."""

from __future__ import annotations

import http.client
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._events import Broadcaster
from backend.devserver import FrontendWatcher

PROTOCOL_STATUS = {"invalid_args": 400, "not_found": 404, "already_exists": 409}


class TestStartup:
    def test_the_first_stdout_line_is_the_url_with_a_token(self, dev: Any) -> None:
        """The server prints http://127.0.0.1:<port>/?token=<token> first."""
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[A-Za-z0-9_-]{20,}", dev.url)
        assert dev.port > 0

    def test_each_run_has_its_own_token(self, dev: Any, log_dir: Path, frontend_dir: Path) -> None:
        """Two servers never share a token."""
        other = type(dev)(log_dir, frontend_dir)
        try:
            assert other.token != dev.token
        finally:
            other.stop()


class TestStatic:
    def test_the_page_is_served_without_a_token(self, shared_dev: Any) -> None:
        """GET / returns index.html; static files need no token."""
        status, body = shared_dev.request("GET", "/")
        assert status == 200
        assert body == (shared_dev.frontend_dir / "index.html").read_bytes()

    def test_modules_are_served_as_javascript(self, shared_dev: Any) -> None:
        """ES modules get a JavaScript content type (browsers refuse modules otherwise)."""
        connection = http.client.HTTPConnection("127.0.0.1", shared_dev.port, timeout=30)
        connection.request("GET", "/js/app.js")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type", "").startswith("text/javascript")
        assert response.getheader("Referrer-Policy") == "no-referrer"
        connection.close()

    @pytest.mark.parametrize(
        "path", ["/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/js/../../x", "/missing.js"]
    )
    def test_nothing_outside_the_frontend_is_served(self, shared_dev: Any, path: str) -> None:
        """Paths that leave the frontend directory, or name nothing, are 404."""
        assert shared_dev.request("GET", path)[0] == 404


class TestInvoke:
    def test_a_command_answers_with_its_result(self, shared_dev: Any) -> None:
        """POST /invoke/<command> with the token returns 200 and the JSON result."""
        status, body = shared_dev.invoke("get_log_info")
        assert status == 200
        assert body["log_dir"] == str(shared_dev.log_dir)

    def test_errors_carry_the_protocol_status_and_envelope(
        self, shared_dev: Any, tmp_path: Path
    ) -> None:
        """Each error code comes with its HTTP status and the {code, message} body."""
        existing = tmp_path / "exists.jsonl"
        existing.write_text("x\n")
        cases = {
            "invalid_args": shared_dev.invoke("get_recent_logs", {"limit": 0}),
            "not_found": shared_dev.invoke("no_such_command"),
            "already_exists": shared_dev.invoke("export_logs", {"outputPath": str(existing)}),
        }
        for code, (status, body) in cases.items():
            assert status == PROTOCOL_STATUS[code]
            assert body["code"] == code
            assert set(body) == {"code", "message"}

    def test_without_a_token_is_401(self, shared_dev: Any) -> None:
        """No token, no command."""
        status, body = shared_dev.request("POST", "/invoke/get_log_info", b"{}")
        assert status == 401
        assert orjson.loads(body)["code"] == "permission_denied"

    def test_a_wrong_token_is_403(self, shared_dev: Any) -> None:
        """A wrong token is refused."""
        status, _ = shared_dev.request(
            "POST", "/invoke/clear_logs", b"{}", {"X-MSC-Token": "guess"}
        )
        assert status == 403

    def test_the_token_may_come_in_the_query(self, shared_dev: Any) -> None:
        """?token= works like the header (EventSource cannot send headers)."""
        status, _ = shared_dev.request(
            "POST", f"/invoke/get_log_info?token={shared_dev.token}", b"{}"
        )
        assert status == 200

    @pytest.mark.parametrize("origin", ["http://evil.example", "null", "http://127.0.0.1:1"])
    def test_a_foreign_origin_is_403(self, shared_dev: Any, origin: str) -> None:
        """A request sent from another site is refused even with the right token."""
        headers = {"X-MSC-Token": shared_dev.token, "Origin": origin}
        assert shared_dev.request("POST", "/invoke/get_log_info", b"{}", headers)[0] == 403

    @pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
    def test_the_servers_own_origins_are_allowed(self, shared_dev: Any, host: str) -> None:
        """The page's own origin, by address or by name, passes."""
        headers = {"X-MSC-Token": shared_dev.token, "Origin": f"http://{host}:{shared_dev.port}"}
        assert shared_dev.request("POST", "/invoke/get_log_info", b"{}", headers)[0] == 200

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_a_foreign_host_is_403(self, shared_dev: Any, method: str) -> None:
        """A Host other than this server (DNS rebinding) is refused, static files included."""
        headers = {"X-MSC-Token": shared_dev.token, "Host": f"evil.example:{shared_dev.port}"}
        path = "/" if method == "GET" else "/invoke/get_log_info"
        assert (
            shared_dev.request(method, path, b"{}" if method == "POST" else None, headers)[0] == 403
        )

    def test_a_body_over_the_limit_is_413(self, shared_dev: Any) -> None:
        """A body announced over 1 MiB is refused before it is read."""
        connection = http.client.HTTPConnection("127.0.0.1", shared_dev.port, timeout=30)
        # Only the headers are sent: the server must answer from Content-Length alone.
        connection.putrequest("POST", "/invoke/get_recent_logs")
        connection.putheader("X-MSC-Token", shared_dev.token)
        connection.putheader("Content-Length", str(1024 * 1024 + 1))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413
        assert orjson.loads(response.read())["code"] == "invalid_args"
        connection.close()

    def test_a_body_at_the_limit_is_read(self, shared_dev: Any) -> None:
        """A body of exactly 1 MiB is accepted and validated."""
        body = b'{"search":"' + b"x" * (1024 * 1024 - 14) + b'"}'
        assert len(body) == 1024 * 1024 - 1
        status, _ = shared_dev.request(
            "POST", "/invoke/get_recent_logs", body, {"X-MSC-Token": shared_dev.token}
        )
        assert status == 200

    @pytest.mark.parametrize("body", [b"[1]", b"not json", b'"text"'])
    def test_the_body_must_be_a_json_object(self, shared_dev: Any, body: bytes) -> None:
        """Anything but a JSON object is invalid_args."""
        status, answer = shared_dev.request(
            "POST", "/invoke/get_log_info", body, {"X-MSC-Token": shared_dev.token}
        )
        assert (status, orjson.loads(answer)["code"]) == (400, "invalid_args")

    def test_get_on_invoke_is_405(self, shared_dev: Any) -> None:
        """Commands are POST only."""
        assert (
            shared_dev.request(
                "GET", "/invoke/get_log_info", None, {"X-MSC-Token": shared_dev.token}
            )[0]
            == 405
        )


class TestEvents:
    def test_the_stream_needs_the_token(self, shared_dev: Any) -> None:
        """GET /events without a token is 401."""
        assert shared_dev.request("GET", "/events")[0] == 401

    def test_every_connection_starts_with_hello(self, stream: Callable[[], Any]) -> None:
        """Each (re)connect first receives [{"event": "hello", "payload": {}}]."""
        for _ in range(2):
            assert stream().batch() == [{"event": "hello", "payload": {}}]

    def test_a_line_another_process_writes_arrives_as_log_entry(
        self, dev: Any, stream: Callable[[], Any], writers: Callable[[], Any]
    ) -> None:
        """After subscribe_to_logs, a record written elsewhere reaches the stream."""
        events = stream()
        events.batch()  # hello
        writer = writers()
        assert dev.invoke("subscribe_to_logs") == (200, None)
        events.until(lambda e: e["event"] == "log-subscribed")
        writer.send("log from another process")
        seen = events.until(
            lambda e: (
                e["event"] == "log-entry" and e["payload"]["message"] == "from another process"
            )
        )
        assert seen[-1]["payload"]["pid"] == writer.pid

    def test_editing_a_frontend_file_sends_dev_reload(
        self, stream: Callable[[], Any], frontend_dir: Path
    ) -> None:
        """A changed file under the frontend directory triggers dev-reload {path}."""
        events = stream()
        events.batch()  # hello
        (frontend_dir / "js" / "app.js").write_text("export const ready = false; // edited\n")
        seen = events.until(lambda e: e["event"] == "dev-reload")
        assert seen[-1]["payload"] == {"path": "js/app.js"}


class TestFrontendWatcher:
    """The dev server's watch of the page's files (in-process): inotify, polling elsewhere."""

    @staticmethod
    def _reloads(queue: Any, until: str) -> list[str]:
        paths: list[str] = []
        deadline = time.monotonic() + 30
        while until not in paths and time.monotonic() < deadline:
            queue.wait(1.0)
            paths += [e["payload"]["path"] for e in queue.drain() if e["event"] == "dev-reload"]
        return paths

    @pytest.mark.parametrize("inotify", [True, False])
    def test_a_file_in_a_folder_made_after_the_start_is_watched(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inotify: bool
    ) -> None:
        """A new folder, then a file in it, then an edit of that file: each is a dev-reload."""
        if not inotify:
            monkeypatch.setitem(sys.modules, "inotify_simple", None)
        (tmp_path / "index.html").write_text("<p>page</p>")
        broadcaster = Broadcaster()
        queue = broadcaster.subscribe()
        watcher = FrontendWatcher(tmp_path, broadcaster, interval=0.05)
        assert watcher._watch.mode == ("inotify" if inotify else "polling")
        watcher.start()
        try:
            (tmp_path / "js" / "deep").mkdir(parents=True)
            (tmp_path / "js" / "deep" / "new.js").write_text("export const a = 1;\n")
            assert "js/deep/new.js" in self._reloads(queue, "js/deep/new.js")
            (tmp_path / "js" / "deep" / "new.js").write_text("export const a = 22;\n")
            assert "js/deep/new.js" in self._reloads(queue, "js/deep/new.js")
        finally:
            watcher.stop()

    def test_stop_does_not_wait_for_a_change(self, tmp_path: Path) -> None:
        """Asleep until a change comes (inotify), the watcher still stops at once when told."""
        watcher = FrontendWatcher(tmp_path, Broadcaster())
        watcher.start()
        stopper = threading.Thread(target=watcher.stop, daemon=True)
        stopper.start()
        stopper.join(timeout=30)
        assert not stopper.is_alive()


class TestShutdown:
    @pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
    def test_a_signal_stops_the_server_cleanly(
        self, dev: Any, stream: Callable[[], Any], signum: int
    ) -> None:
        """SIGTERM or Ctrl-C ends the process with exit code 0, open streams included."""
        events = stream()
        events.batch()  # hello: the stream is open
        dev.process.send_signal(signum)
        assert dev.process.wait(30) == 0
        assert events.response.fp.read().strip() == b""  # it ended (a hang would time out)
