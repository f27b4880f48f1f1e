"""The dev server's HTTP side: guards, static files, ``POST /invoke/<command>``, ``GET /events``.

Every request passes the same guards first: ``Host`` must name this server (a page on another
site whose DNS now points at 127.0.0.1 sends its own host name), and an ``Origin``, when sent,
must be this server. ``/invoke`` and ``/events`` also need the token. Nothing here logs per
request or per event: the commands log their calls, and the event stream must never feed itself.

Connections: a request body is either read in full or the connection is closed after the answer
(an unread body would be parsed as the next request, past the guards). A connection that sends
nothing for `IDLE_TIMEOUT` seconds (idle, or stopped half-way through a request) is closed, and
beyond `MAX_CONNECTIONS` at once a new one is answered 503 and closed without a thread.

Clients: a page names itself with a client id (``X-MSC-Client`` or ``?client=``, on ``/events``
and ``/invoke`` alike), so that its subscription to the live log is its own; when its last event
stream ends, it is unsubscribed.
"""

from __future__ import annotations

import contextlib
import hmac
import mimetypes
import re
import secrets
import socket
import sys
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import orjson

from backend._app import AppContext
from backend._dispatch import respond
from backend._events import Broadcaster, EventQueue

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
    "DevHTTPServer",
    "DevHandler",
    "new_token",
]

#: Largest accepted ``/invoke`` body; commands take a few small arguments.
MAX_BODY_BYTES = 1024 * 1024
#: Seconds a connection may go without sending (between requests, or within one) before it is
#: closed; an event stream only sends, so it is not idle.
IDLE_TIMEOUT = 10.0
#: Most connections served at once (event streams included): each one holds a thread.
MAX_CONNECTIONS = 64
#: How often an event stream looks whether its client hung up (seconds).
HANGUP_CHECK_INTERVAL = 1.0
#: Seconds between SSE comment lines that keep idle connections (and proxies) open.
HEARTBEAT_INTERVAL = 15.0
#: Under load (a batch of at least `BUSY_BATCH` events), the gap left before the next SSE batch,
#: so that events arriving meanwhile join it. A quiet stream sends each event at once.
FLUSH_INTERVAL = 0.05
BUSY_BATCH = 64
#: Most events in one SSE message.
MAX_BATCH = 2000
TOKEN_HEADER = "X-MSC-Token"
CLIENT_HEADER = "X-MSC-Client"
#: A client id: what the page's bridge makes (random hex), or any short name of these characters.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
    """A threading HTTP server that carries what its handlers need, and caps its connections."""

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
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        super().__init__(address, handler)
        self.app, self.broadcaster, self.token = app, broadcaster, token
        self.frontend_dir, self.stopping = frontend_dir, stopping
        self.idle_timeout, self.max_connections = idle_timeout, max_connections
        self._active = 0
        self._active_lock = threading.Lock()
        port = self.server_address[1]
        self.hosts = {f"127.0.0.1:{port}", f"localhost:{port}"}
        self.origins = {f"http://{host}" for host in self.hosts}
        message = f"too many connections (at most {max_connections}); try again"
        self._busy = _raw_response(503, {"code": "internal", "message": message})

    def process_request(self, request: Any, client_address: Any) -> None:
        """Serve the connection in a thread of its own, or answer 503 when at the cap."""
        with self._active_lock:
            full = self._active >= self.max_connections
            if not full:
                self._active += 1
        if full:
            self._turn_away(request)
        else:
            super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection; its place is free again when it ends."""
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active -= 1

    def _turn_away(self, request: socket.socket) -> None:
        # On the accepting thread, so nothing may wait: the send buffer of a new connection has
        # room for this short answer. What the client already sent is read first, as closing a
        # socket with unread data resets the connection, which can lose the answer.
        request.setblocking(False)
        with contextlib.suppress(OSError):  # nothing sent yet
            request.recv(65536)
        with contextlib.suppress(OSError):  # gone already
            request.sendall(self._busy)
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away or went silent; anything else is a bug worth
        a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def _raw_response(status: int, body: Any) -> bytes:
    """A complete response that closes the connection (for sockets no handler serves)."""
    data = orjson.dumps(body)
    head = (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + data


class DevHandler(BaseHTTPRequestHandler):
    """One request to the dev server."""

    server: DevHTTPServer
    protocol_version = "HTTP/1.1"
    #: TCP_NODELAY: a response is written as headers, then body. On a kept-alive connection,
    #: Nagle's algorithm held the body back until the client's delayed ACK of the headers came,
    #: 40 ms later, for every static file and every command after a connection's first.
    disable_nagle_algorithm = True
    #: The client id the request carries (`CLIENT_HEADER` or ``?client=``), once checked.
    client: str | None = None
    _body_read = False

    def setup(self) -> None:
        """Give the connection its idle timeout (reads and writes) before anything is read."""
        super().setup()
        self.connection.settimeout(self.server.idle_timeout)

    def parse_request(self) -> bool:
        """Parse the next request on the connection (its body is not read yet)."""
        self._body_read, self.client = False, None
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence http.server's per-request stderr lines."""

    def do_GET(self) -> None:
        """Static files, or the event stream."""
        if not self._guarded():
            return
        path = urlsplit(self.path).path
        if path == "/events":
            if self._authorized() and self._identified():
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
        if not self._authorized() or not self._identified():
            return
        args = self._read_arguments()
        if args is not None:
            name = unquote(path[len("/invoke/") :])
            self._send_json(*respond(self.server.app, name, args, client=self.client))

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

    def _identified(self) -> bool:
        """Take the client id (header, else query) into `client`; refuse a malformed one."""
        client = self.headers.get(CLIENT_HEADER)
        if client is None:
            client = parse_qs(urlsplit(self.path).query).get("client", [None])[0]
        if client is not None and not CLIENT_ID.fullmatch(client):
            message = f"{CLIENT_HEADER} (or ?client=): must be 1 to 64 letters, digits, - or _"
            self._send_json(400, {"code": "invalid_args", "message": message})
            return False
        self.client = client
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
        if len(self.headers.get_all("Content-Length") or []) > 1:
            self._send_json(400, {"code": "invalid_args", "message": "send one Content-Length"})
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
        body = self.rfile.read(length) if length else b"{}"
        self._body_read = True
        return self._parse_body(body)

    def _body_left(self) -> bool:
        """Whether the request came with a body that was not read (or one of unclear length)."""
        lengths = self.headers.get_all("Content-Length") or []
        if self.headers.get("Transfer-Encoding") or len(lengths) > 1:
            return True
        if self._body_read or not lengths:
            return False
        try:
            return int(lengths[0]) != 0
        except ValueError:
            return True

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
        # The one place every response passes: a body left unread would be parsed as the next
        # request on this connection (request smuggling, past the guards), so close it instead.
        if self.close_connection or self._body_left():
            self.send_header("Connection", "close")
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
        broadcaster = self.server.broadcaster
        queue = broadcaster.subscribe(self.client)
        try:
            self._write(b"retry: 1000\ndata: " + HELLO + b"\n\n")
            self._pump(queue)
        except OSError:
            pass  # the page went away (or stopped reading); its queue goes with it
        finally:
            broadcaster.unsubscribe(queue)
            # A tab closed or crashed without unsubscribing: its last stream takes it along.
            # A tab whose new stream is open already keeps its subscription.
            client = self.client
            if client is not None:
                connected = partial(broadcaster.connected, client)
                self.server.app.subscription.unsubscribe(client, unless=connected)

    def _pump(self, queue: EventQueue) -> None:
        stopping = self.server.stopping
        last_write = time.monotonic()
        while not stopping.is_set() and not queue.closed and not self._hung_up():
            if queue.wait(HANGUP_CHECK_INTERVAL):
                batch = queue.drain(MAX_BATCH)
                self._write(b"data: " + orjson.dumps(batch, default=str) + b"\n\n")
                last_write = time.monotonic()
                if len(batch) >= BUSY_BATCH:
                    stopping.wait(FLUSH_INTERVAL)
            elif time.monotonic() - last_write >= HEARTBEAT_INTERVAL:
                self._write(b": heartbeat\n\n")
                last_write = time.monotonic()

    def _hung_up(self) -> bool:
        """Whether the client closed the connection, found without waiting for the next write
        (a stream's client sends nothing, so anything readable is the end: EOF)."""
        self.connection.settimeout(0)  # only this thread uses the socket: a look, no wait
        try:
            peeked: bytes = self.connection.recv(1, socket.MSG_PEEK)
        except BlockingIOError:
            return False
        except OSError:
            return True
        finally:
            self.connection.settimeout(self.server.idle_timeout)
        return peeked == b""

    def _write(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()
