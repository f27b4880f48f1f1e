"""The dev server's HTTP side: guards, static files, ``POST /invoke/<command>``, ``GET /events``.

Every request passes the same guards first: ``Host`` must name this server (a page on another
site whose DNS now points at 127.0.0.1 sends its own host name), and an ``Origin``, when sent,
must be this server. ``/invoke`` and ``/events`` also need the token. Nothing here logs per
request or per event: the commands log their calls, and the event stream must never feed itself.
"""

from __future__ import annotations

import hmac
import mimetypes
import secrets
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from backend._app import AppContext
from backend._dispatch import respond
from backend._events import Broadcaster, EventQueue

__all__ = ["MAX_BODY_BYTES", "DevHTTPServer", "DevHandler", "new_token"]

#: Largest accepted ``/invoke`` body; commands take a few small arguments.
MAX_BODY_BYTES = 1024 * 1024
#: Seconds between SSE comment lines that keep idle connections (and proxies) open.
HEARTBEAT_INTERVAL = 15.0
#: Shortest gap between two SSE batches: events arriving meanwhile join the next batch.
FLUSH_INTERVAL = 0.05
#: Most events in one SSE message.
MAX_BATCH = 2000
TOKEN_HEADER = "X-MSC-Token"
HELLO = orjson.dumps([{"event": "hello", "payload": {}}])
# Explicit where the platform's mime table may be missing or old (ES modules need a JS type).
_TYPES = {
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".map": "application/json",
}


def new_token() -> str:
    """A fresh random token for one server run."""
    return secrets.token_urlsafe(24)


class DevHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries what its handlers need."""

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[BaseHTTPRequestHandler],
        *,
        app: AppContext,
        broadcaster: Broadcaster,
        frontend_dir: Path,
        token: str,
        stopping: threading.Event,
    ) -> None:
        super().__init__(address, handler)
        self.app, self.broadcaster, self.token = app, broadcaster, token
        self.frontend_dir, self.stopping = frontend_dir, stopping
        port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away; anything else is a bug worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class DevHandler(BaseHTTPRequestHandler):
    """One request to the dev server."""

    server: DevHTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's per-request stderr lines."""

    def do_GET(self) -> None:
        """Static files, or the event stream."""
        if not self._guarded():
            return
        path = urlsplit(self.path).path
        if path == "/events":
            if self._authorized():
                self._stream_events()
        elif path.startswith("/invoke/"):
            self._send_json(405, {"code": "invalid_args", "message": "use POST for /invoke"})
        else:
            self._send_static(path, body=True)

    def do_HEAD(self) -> None:
        """Static files' headers."""
        if self._guarded():
            self._send_static(urlsplit(self.path).path, body=False)

    def do_OTHER(self) -> None:
        """Any other method: refused in the JSON error shape, after the same guards."""
        if self._guarded():
            self.close_connection = True
            message = f"method {self.command} is not allowed; use GET, HEAD or POST"
            self._send_json(405, {"code": "invalid_args", "message": message})

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = do_OTHER

    def do_POST(self) -> None:
        """``/invoke/<command>`` with a JSON object body."""
        if not self._guarded():
            return
        path = urlsplit(self.path).path
        if not path.startswith("/invoke/"):
            self._send_json(404, {"code": "not_found", "message": f"no such endpoint: {path}"})
            return
        if not self._authorized():
            return
        args = self._read_arguments()
        if args is not None:
            status, body = respond(self.server.app, unquote(path[len("/invoke/") :]), args)
            self._send_json(status, body)

    # -- guards ---------------------------------------------------------------------------

    def _guarded(self) -> bool:
        # Exactly one Host, and at most one Origin: with two, the check and whatever reads the
        # header later could disagree about which one counts.
        hosts, origins = self.headers.get_all("Host") or [], self.headers.get_all("Origin") or []
        if len(hosts) != 1 or hosts[0] not in self.server.hosts:
            return self._refuse(403, f"foreign Host {', '.join(hosts)[:100]!r}")
        if len(origins) > 1 or (origins and origins[0] not in self.server.origins):
            return self._refuse(403, f"foreign Origin {', '.join(origins)[:100]!r}")
        return True

    def _authorized(self) -> bool:
        token = self.headers.get(TOKEN_HEADER)
        if token is None:
            token = parse_qs(urlsplit(self.path).query).get("token", [None])[0]
        if token is None:
            return self._refuse(401, f"missing token: send header {TOKEN_HEADER} or ?token=")
        if not hmac.compare_digest(token.encode(), self.server.token.encode()):
            return self._refuse(403, "wrong token")
        return True

    def _refuse(self, status: int, message: str) -> bool:
        self.close_connection = True
        self._send_json(status, {"code": "permission_denied", "message": message})
        return False

    # -- /invoke ----------------------------------------------------------------------------

    def _read_arguments(self) -> dict[str, Any] | None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send_json(411, {"code": "invalid_args", "message": "send a Content-Length"})
            return None
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY_BYTES:
            self.close_connection = True  # the unread body would be taken for the next request
            status, message = (
                (413, f"body over {MAX_BODY_BYTES} bytes") if length > 0 else (400, "")
            )
            self._send_json(status, {"code": "invalid_args", "message": message or "bad length"})
            return None
        return self._parse_body(self.rfile.read(length) if length else b"{}")

    def _parse_body(self, body: bytes) -> dict[str, Any] | None:
        try:
            args = orjson.loads(body)
        except orjson.JSONDecodeError:
            args = None
        if not isinstance(args, dict):
            self._send_json(400, {"code": "invalid_args", "message": "body must be a JSON object"})
            return None
        return args

    # -- responses --------------------------------------------------------------------------

    def _send_json(self, status: int, body: Any) -> None:
        try:
            data = orjson.dumps(body)
        except TypeError:  # a result the encoder cannot write: a bug, reported as one
            status, data = 500, b'{"code":"internal","message":"unencodable result"}'
        # A refused HEAD gets the headers only: a body there would be read as the next response.
        self._send(status, "application/json", data, body=self.command != "HEAD")

    def _send(self, status: int, content_type: str, data: bytes, *, body: bool = True) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self._common_headers()
        self.end_headers()
        if body:
            self.wfile.write(data)

    def _common_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        # The page's URL carries the token: never send it on as a Referer.
        self.send_header("Referrer-Policy", "no-referrer")

    def _send_static(self, url_path: str, *, body: bool) -> None:
        file = self._static_file(url_path)
        if file is None:
            self._send(404, "text/plain; charset=utf-8", b"not found\n", body=body)
            return
        kind = _TYPES.get(file.suffix) or mimetypes.guess_type(file.name)[0]
        kind = kind or "application/octet-stream"
        if kind.startswith("text/") or kind == "application/json":
            kind += "; charset=utf-8"
        self._send(200, kind, file.read_bytes(), body=body)

    def _static_file(self, url_path: str) -> Path | None:
        relative = unquote(url_path).lstrip("/") or "index.html"
        if "\0" in relative:
            return None
        root = self.server.frontend_dir
        try:
            file = (root / relative).resolve()
        except (OSError, RuntimeError):
            return None
        # resolve() follows "..": whatever lands outside the frontend directory does not exist.
        return file if file.is_relative_to(root) and file.is_file() else None

    # -- /events ----------------------------------------------------------------------------

    def _stream_events(self) -> None:
        self.close_connection = True  # the stream ends only when the connection does
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self._common_headers()
        self.end_headers()
        queue = self.server.broadcaster.subscribe()
        try:
            self._write(b"retry: 1000\ndata: " + HELLO + b"\n\n")
            self._pump(queue)
        except (ConnectionError, OSError):
            pass  # the page went away; its queue goes with it
        finally:
            self.server.broadcaster.unsubscribe(queue)

    def _pump(self, queue: EventQueue) -> None:
        stopping = self.server.stopping
        last_write = time.monotonic()
        while not stopping.is_set() and not queue.closed:
            if queue.wait(HEARTBEAT_INTERVAL):
                batch = queue.drain(MAX_BATCH)
                self._write(b"data: " + orjson.dumps(batch, default=str) + b"\n\n")
                last_write = time.monotonic()
                stopping.wait(FLUSH_INTERVAL)
            elif time.monotonic() - last_write >= HEARTBEAT_INTERVAL:
                self._write(b": heartbeat\n\n")
                last_write = time.monotonic()

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
