"""The dev server's connections, with raw sockets against the real process.

Every response either follows a body read in full or closes the connection (a body left unread
would be parsed as the next request: request smuggling past the guards). Idle and half-sent
connections are closed after the idle timeout, and connections beyond the cap are answered 503
and closed, so no client can hold every thread. Error messages stay small whatever the input.
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

DEADLINE_S = 30.0
APP = "midi-software-center"
MARKER = "still-here-7c1e"


def connect(dev: Any) -> socket.socket:
    """A raw connection to the dev server."""
    return socket.create_connection(("127.0.0.1", dev.port), timeout=DEADLINE_S)


def request(dev: Any, method: str, path: str, body: bytes = b"", **headers: str) -> bytes:
    """A raw HTTP/1.1 request with a Content-Length (header names with ``_`` for ``-``)."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{dev.port}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def read_to_end(sock: socket.socket) -> tuple[bytes, bool]:
    """Everything the server sends; and whether it closed the connection (else: it went quiet
    for `DEADLINE_S`)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return received, False
    except ConnectionResetError:
        pass
    return received, True


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (it reads as EOF or reset), without waiting."""
    if not select.select([sock], [], [], 0)[0]:
        return False
    try:
        sock.recv(65536)  # a late answer would come first; EOF is checked on the next look
        return not select.select([sock], [], [], 0)[0] or sock.recv(65536) == b""
    except ConnectionResetError:
        return True


def wait_all_closed(sockets: list[socket.socket]) -> None:
    """Wait (generously) until the server has closed every one of ``sockets``."""
    open_ = list(sockets)
    end = time.monotonic() + DEADLINE_S
    while open_:
        if time.monotonic() > end:
            pytest.fail(
                f"{len(open_)} of {len(sockets)} connections still open after {DEADLINE_S} s"
            )
        select.select(open_, [], [], 0.2)
        open_ = [s for s in open_ if not closed_by_server(s)]


@pytest.fixture
def held(dev: Any, active: Path, rec: Any, write: Any) -> Any:
    """The test's dev server, its log holding a record a smuggled ``clear_logs`` would remove."""
    write(active, [rec(MARKER)])
    return dev


@pytest.fixture
def quick(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A dev server that closes connections idle for one second."""
    monkeypatch.setenv("MSC_DEV_IDLE_TIMEOUT", "1")
    return request.getfixturevalue("dev")


@pytest.fixture
def capped(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A dev server that serves at most eight connections at a time."""
    monkeypatch.setenv("MSC_DEV_MAX_CONNECTIONS", "8")
    return request.getfixturevalue("dev")


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    """Raw connections of a test, closed at its end."""
    opened: list[socket.socket] = []
    yield opened
    for sock in opened:
        sock.close()


#: Requests whose body the server has no use for: (method, path, needs the token).
UNREAD = [
    pytest.param("POST", "/no-such-endpoint", id="post-unknown-path"),
    pytest.param("GET", "/invoke/get_log_info", id="get-invoke"),
    pytest.param("GET", "/", id="get-static"),
    pytest.param("HEAD", "/index.html", id="head-static"),
]


class TestUnreadBodies:
    @pytest.mark.parametrize(("method", "path"), UNREAD)
    def test_a_body_holding_a_second_request_is_not_executed(
        self, held: Any, active: Path, method: str, path: str
    ) -> None:
        """The body of a request whose body is not read is never parsed as a request: one
        response, the connection closed, and the smuggled ``clear_logs`` cleared nothing."""
        smuggled = request(held, "POST", "/invoke/clear_logs", b"{}", X_MSC_Token=held.token)
        with connect(held) as sock:
            sock.sendall(request(held, method, path, smuggled, X_MSC_Token=held.token))
            received, closed = read_to_end(sock)
        assert MARKER in active.read_text(), "the smuggled clear_logs ran"
        assert received.count(b"HTTP/1.1 ") == 1, received[:300]
        assert closed

    def test_a_body_with_a_bad_client_id_is_not_executed(self, held: Any, active: Path) -> None:
        """A request refused before its body is read (here: a malformed client id) closes too."""
        smuggled = request(held, "POST", "/invoke/clear_logs", b"{}", X_MSC_Token=held.token)
        with connect(held) as sock:
            headers = {"X_MSC_Token": held.token, "X_MSC_Client": "no way"}
            sock.sendall(request(held, "POST", "/invoke/get_log_info", smuggled, **headers))
            received, closed = read_to_end(sock)
        assert MARKER in active.read_text()
        assert received.startswith(b"HTTP/1.1 400 ")
        assert received.count(b"HTTP/1.1 ") == 1
        assert closed

    def test_a_body_read_in_full_keeps_the_connection_for_the_next_request(self, held: Any) -> None:
        """The control: two pipelined requests whose bodies are read are both answered."""
        first = request(held, "POST", "/invoke/get_log_info", b"{}", X_MSC_Token=held.token)
        second = request(held, "POST", "/invoke/get_log_info", b"{}", X_MSC_Token=held.token,
                         Connection="close")  # fmt: skip
        with connect(held) as sock:
            sock.sendall(first + second)
            received, closed = read_to_end(sock)
        assert received.count(b"HTTP/1.1 200 ") == 2
        assert closed


class TestTimeouts:
    def test_idle_connections_are_closed_while_requests_are_answered(
        self, quick: Any, sockets: list[socket.socket]
    ) -> None:
        """Fifty connections that send nothing do not stop a request; the server closes them."""
        sockets.extend(connect(quick) for _ in range(50))
        status, body = quick.invoke("get_log_info")
        assert status == 200
        assert body["log_dir"] == str(quick.log_dir)
        wait_all_closed(sockets)

    def test_half_sent_headers_and_bodies_are_closed(
        self, quick: Any, sockets: list[socket.socket]
    ) -> None:
        """A request that stops in its headers or its body is dropped after the idle timeout."""
        header = f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{quick.port}\r\nX-Half".encode()
        body = request(quick, "POST", "/invoke/get_log_info", b'{"a": 1}' + b" " * 92,
                       X_MSC_Token=quick.token)[:-80]  # fmt: skip
        for data in (header, body, b"GE"):
            sockets.append(connect(quick))
            sockets[-1].sendall(data)
        wait_all_closed(sockets)

    def test_an_event_stream_is_not_idle(self, quick: Any, writers: Any) -> None:
        """A stream only sends: it stays open past the idle timeout and still delivers."""
        with connect(quick) as sock:
            sock.sendall(request(quick, "GET", f"/events?token={quick.token}&client=t"))
            headers = {"X-MSC-Token": quick.token, "X-MSC-Client": "t"}
            assert quick.request("POST", "/invoke/subscribe_to_logs", b"{}", headers)[0] == 200
            time.sleep(3)  # three idle timeouts
            writers().send("log after the quiet")
            received = b""
            while b"after the quiet" not in received:
                chunk = sock.recv(65536)
                assert chunk, "the stream was closed"
                received += chunk


class TestConnectionCap:
    def test_connections_beyond_the_cap_get_503_and_are_closed(
        self, capped: Any, sockets: list[socket.socket]
    ) -> None:
        """With eight connections held, a ninth is answered 503 in the error shape and closed;
        once they are gone, requests are served again."""
        sockets.extend(connect(capped) for _ in range(8))
        with connect(capped) as extra:
            extra.sendall(request(capped, "GET", "/"))
            received, closed = read_to_end(extra)
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503 ")
        assert b"connection: close" in head.lower()
        assert orjson.loads(body) == {
            "code": "internal",
            "message": "too many connections (at most 8); try again",
        }
        assert closed
        for sock in sockets:
            sock.close()
        end = time.monotonic() + DEADLINE_S
        while capped.request("GET", "/")[0] != 200:
            assert time.monotonic() < end, "still refused after the held connections closed"
            time.sleep(0.1)


class TestErrorMessages:
    def test_sixty_thousand_unknown_keys_get_a_short_answer(self, held: Any) -> None:
        """The message names the first unknown keys and counts the rest (it echoed 469 KB)."""
        args = {f"key{n}": n for n in range(60_000)}
        status, body = held.invoke("get_log_info", args)
        assert status == 400
        assert body["code"] == "invalid_args"
        assert len(orjson.dumps(body)) < 4096
        assert "key0" in body["message"]
        assert "and 59990 more" in body["message"]
