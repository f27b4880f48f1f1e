"""A minimal Chrome DevTools Protocol client over a stdlib websocket, for QtWebEngine.

Playwright's ``connect_over_cdp`` does not work against QtWebEngine (no browser contexts), and
the project has no websocket dependency, so this speaks just enough RFC 6455 (client frames
masked, text/continuation/ping/close) to send ``Runtime.evaluate`` and read its answer.
Used by ``tests/native`` and ``bench/desktop.py``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import struct
import time
import urllib.request
from typing import Any
from urllib.parse import urlparse

__all__ = ["CdpError", "CdpPage", "find_page"]

_OP_TEXT, _OP_CLOSE, _OP_PING, _OP_PONG = 0x1, 0x8, 0x9, 0xA


class CdpError(Exception):
    """The page threw, or the protocol answered with an error."""


def find_page(port: int, timeout: float) -> str:
    """Wait until the DevTools endpoint on ``port`` lists a page; return its websocket URL.

    Raises:
        TimeoutError: No page within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json", timeout=2) as reply:
                targets = json.load(reply)
            pages = [t for t in targets if t.get("type") == "page" and "webSocketDebuggerUrl" in t]
            if pages:
                return str(pages[0]["webSocketDebuggerUrl"])
        except OSError:  # not listening yet
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"no DevTools page on port {port} after {timeout} s")
        time.sleep(0.1)


class CdpPage:
    """One websocket to one page; `evaluate` runs JavaScript and returns its JSON value."""

    def __init__(self, ws_url: str, timeout: float = 30.0) -> None:
        url = urlparse(ws_url)
        self._sock = socket.create_connection((url.hostname, url.port or 80), timeout=timeout)
        self._buffer = b""
        self._next_id = 0
        self._handshake(url.hostname or "127.0.0.1", url.port or 80, url.path or "/")

    def _handshake(self, host: str, port: int, path: str) -> None:
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        self._sock.sendall(request.encode())
        while b"\r\n\r\n" not in self._buffer:
            self._buffer += self._recv_some()
        head, self._buffer = self._buffer.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise CdpError(f"websocket upgrade refused: {head[:200]!r}")

    def set_timeout(self, seconds: float) -> None:
        """Wait up to ``seconds`` for each answer from now on (a long evaluation in a bench)."""
        self._sock.settimeout(seconds)

    def evaluate(self, expression: str, *, await_promise: bool = False) -> Any:
        """Evaluate ``expression`` in the page and return its value (JSON-serializable).

        Raises:
            CdpError: The expression threw (or its promise rejected).
        """
        params = {"expression": expression, "returnByValue": True, "awaitPromise": await_promise}
        result = self.call("Runtime.evaluate", params)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise CdpError(f"page threw: {text}")
        return result.get("result", {}).get("value")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """Send one CDP command and return its ``result`` (events in between are skipped)."""
        self._next_id += 1
        wanted = self._next_id
        message = {"id": wanted, "method": method, "params": params or {}}
        self._send(_OP_TEXT, json.dumps(message).encode())
        while True:
            reply = json.loads(self._receive())
            if reply.get("id") != wanted:
                continue
            if "error" in reply:
                raise CdpError(f"{method}: {reply['error']}")
            result: dict[str, Any] = reply.get("result", {})
            return result

    def close(self) -> None:
        """Close the websocket (the page stays open)."""
        with contextlib.suppress(OSError):  # the page may have gone already
            self._send(_OP_CLOSE, b"")
        self._sock.close()

    def _send(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self._sock.sendall(header + mask + masked)

    def _receive(self) -> str:
        """Read one whole text message, answering pings on the way."""
        parts: list[bytes] = []
        while True:
            first, second = self._take(2)
            size = second & 0x7F
            if size == 126:
                (size,) = struct.unpack("!H", self._take(2))
            elif size == 127:
                (size,) = struct.unpack("!Q", self._take(8))
            mask = self._take(4) if second & 0x80 else b""
            payload = self._take(size)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            opcode = first & 0x0F
            if opcode == _OP_PING:
                self._send(_OP_PONG, payload)
                continue
            if opcode == _OP_CLOSE:
                raise CdpError("the page closed the DevTools connection")
            if opcode != _OP_PONG:
                parts.append(payload)
            if first & 0x80 and parts:
                return b"".join(parts).decode()

    def _take(self, count: int) -> bytes:
        while len(self._buffer) < count:
            self._buffer += self._recv_some()
        data, self._buffer = self._buffer[:count], self._buffer[count:]
        return data

    def _recv_some(self) -> bytes:
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            raise CdpError("DevTools connection closed")
        return chunk
