"""The dev server's guards as a table: every route against foreign hosts, origins and tokens.

By design (backend/devserver.py) static files need no token, ``/invoke`` and ``/events`` do, and
every request must name this server in ``Host`` and, when it sends one, in ``Origin``. Each
refusal must carry the right status and the ``permission_denied`` envelope, leak nothing (no log
record, no page, no token, no log directory) and do nothing (``clear_logs`` clears nothing). The
server listens on 127.0.0.1 only. test_devserver.py holds the first cases of each; this extends
them to every route.
"""

from __future__ import annotations

import http.client
import itertools
import socket
from pathlib import Path
from typing import Any

import orjson
import pytest

SECRET = "secret-marker-3f9a0c"
APP = "midi-software-center"

#: (method, path, body): every kind of route; the token is added where a case gives one.
TOKEN_ROUTES = [
    pytest.param("POST", "/invoke/get_recent_logs", b"{}", id="invoke-read"),
    pytest.param("POST", "/invoke/clear_logs", b"{}", id="invoke-clear"),
    pytest.param("POST", "/invoke/export_logs", b'{"output_path": "/tmp/x"}', id="invoke-export"),
    pytest.param("GET", "/events", None, id="events"),
]
STATIC_ROUTES = [
    pytest.param("GET", "/", None, id="static-root"),
    pytest.param("GET", "/js/app.js", None, id="static-module"),
    pytest.param("HEAD", "/index.html", None, id="static-head"),
]
ALL_ROUTES = TOKEN_ROUTES + STATIC_ROUTES

#: Host headers of a page on another site whose name now resolves to 127.0.0.1 (DNS rebinding).
FOREIGN_HOSTS = [
    pytest.param("evil.example:{port}", id="other-name"),
    pytest.param("127.0.0.1.evil.com:{port}", id="loopback-prefixed-name"),
    pytest.param("127.0.0.1.evil.com", id="loopback-prefixed-name-no-port"),
    pytest.param("localhost.evil.com:{port}", id="localhost-prefixed-name"),
    pytest.param("evil.example", id="other-name-no-port"),
    pytest.param("127.0.0.1", id="own-address-port-80"),
    pytest.param("127.0.0.1:{other}", id="own-address-other-port"),
    pytest.param("[::1]:{port}", id="ipv6-loopback"),
    pytest.param("", id="empty"),
]
#: Origin headers of pages that are not this server.
FOREIGN_ORIGINS = [
    pytest.param("http://evil.example", id="other-site"),
    pytest.param("null", id="opaque"),
    pytest.param("http://127.0.0.1.evil.com:{port}", id="loopback-prefixed-name"),
    pytest.param("http://127.0.0.1:{port}.evil.com", id="own-origin-as-prefix"),
    pytest.param("https://127.0.0.1:{port}", id="other-scheme"),
    pytest.param("http://localhost:{other}", id="other-port"),
    pytest.param("http://127.0.0.1", id="no-port"),
]


def token_case(
    name: str, status: int, *, query: str = "", headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Any:  # fmt: skip
    """A way of sending (or misplacing, or getting wrong) the token; ``{token}`` is replaced."""
    return pytest.param((status, query, headers or {}, body), id=name)


TOKEN_CASES = [
    token_case("missing", 401),
    token_case("wrong-header", 403, headers={"X-MSC-Token": "guess"}),
    token_case("empty-header", 403, headers={"X-MSC-Token": ""}),
    token_case("wrong-query", 403, query="token=guess"),
    token_case("empty-query", 401, query="token="),  # a blank value is no token
    token_case("upper-cased", 403, headers={"X-MSC-Token": "{upper}"}),
    token_case("truncated", 403, headers={"X-MSC-Token": "{truncated}"}),
    token_case("extended", 403, headers={"X-MSC-Token": "{token}x"}),
    token_case("wrong-header-right-query", 403, query="token={token}",
               headers={"X-MSC-Token": "guess"}),
    token_case("wrong-first-query", 403, query="token=guess&token={token}"),
    token_case("in-a-cookie", 401, headers={"Cookie": "token={token}"}),
    token_case("as-bearer", 401, headers={"Authorization": "Bearer {token}"}),
    token_case("other-header-name", 401, headers={"X-Token": "{token}"}),
    token_case("other-query-name", 401, query="msc_token={token}"),
    token_case("in-the-body", 401, body='{{"token": "{token}"}}'),
]  # fmt: skip


@pytest.fixture(scope="module")
def guarded(shared_dev: Any) -> Any:
    """The module's dev server, its log holding a record no refused request may reveal."""
    active = Path(shared_dev.log_dir) / f"{APP}.log"
    with active.open("ab") as out:
        out.write(orjson.dumps({"timestamp": "2026-01-01T00:00:00.000000Z", "level": "info",
                                "category": "security", "message": SECRET, "target": "tests",
                                "fields": {}, "span": None, "pid": 1}) + b"\n")  # fmt: skip
    return shared_dev


def fill(text: str, server: Any) -> str:
    """``text`` with this server's port, another port and forms of its token filled in."""
    return text.format(
        port=server.port,
        other=server.port + 1 if server.port < 65535 else server.port - 1,
        token=server.token,
        upper=server.token.upper() if server.token.upper() != server.token else "X",
        truncated=server.token[:-1],
    )


def send(
    server: Any,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    *,
    host: str | None = None,
    extra: list[tuple[str, str]] = (),  # type: ignore[assignment]
) -> tuple[int, dict[str, str], bytes | None]:
    """One raw request with full control of Host and repeated headers; status, headers, body."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        connection.putrequest(method, path, skip_host=host is not None, skip_accept_encoding=True)
        if host is not None and host != "<none>":
            connection.putheader("Host", host)
        for name, value in [*headers.items(), *extra]:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        if method == "HEAD":
            data = None
        elif "event-stream" in response.getheader("Content-Type", ""):
            data = response.fp.readline()  # a stream let through: never read it to the end
        else:
            data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


def assert_refused(
    server: Any, answer: tuple[int, dict[str, str], bytes | None], status: int
) -> None:
    """Refused with ``status`` and the envelope; nothing of the logs, page or token in it."""
    got, headers, body = answer
    assert got == status
    assert headers["content-type"] == "application/json"
    if body is not None:  # HEAD: headers only (see test_a_refused_head_has_no_body)
        assert orjson.loads(body)["code"] == "permission_denied"
    for leak in (SECRET, server.token, str(server.log_dir), "<!doctype", "export const"):
        assert leak.encode() not in (body or b"")
    assert "event-stream" not in headers["content-type"]
    assert (Path(server.log_dir) / f"{APP}.log").read_text().count(SECRET) == 1  # not cleared


def with_token(server: Any) -> dict[str, str]:
    """The right token header."""
    return {"X-MSC-Token": server.token}


class TestForeignHost:
    @pytest.mark.parametrize("host", FOREIGN_HOSTS)
    @pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
    def test_is_403_on_every_route(
        self, guarded: Any, method: str, path: str, body: bytes | None, host: str
    ) -> None:
        """A Host that is not this server is refused before anything else, token or not."""
        answer = send(guarded, method, path, body, with_token(guarded), host=fill(host, guarded))
        assert_refused(guarded, answer, 403)

    @pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
    def test_a_missing_host_is_403(
        self, guarded: Any, method: str, path: str, body: bytes | None
    ) -> None:
        """No Host at all (HTTP/1.0 style) does not name this server."""
        assert_refused(guarded, send(guarded, method, path, body, with_token(guarded),
                                     host="<none>"), 403)  # fmt: skip

    @pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
    def test_a_second_host_header_is_403(
        self, guarded: Any, method: str, path: str, body: bytes | None
    ) -> None:
        """Own Host then a foreign one: ambiguous, refused."""
        own = f"127.0.0.1:{guarded.port}"
        extra = [("Host", f"evil.example:{guarded.port}")]
        answer = send(guarded, method, path, body, with_token(guarded), host=own, extra=extra)
        assert_refused(guarded, answer, 403)

    def test_a_refused_head_has_no_body(self, guarded: Any) -> None:
        """The refusal of a HEAD is headers only: a body would be taken for the next response."""
        with socket.create_connection(("127.0.0.1", guarded.port), timeout=30) as raw:
            raw.sendall(b"HEAD / HTTP/1.1\r\nHost: evil.example\r\n\r\n")
            received = b""
            while chunk := raw.recv(65536):  # the server closes the connection after refusing
                received += chunk
        assert received.startswith(b"HTTP/1.1 403 ")
        assert received.endswith(b"\r\n\r\n")


class TestForeignOrigin:
    @pytest.mark.parametrize("origin", FOREIGN_ORIGINS)
    @pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
    def test_is_403_on_every_route(
        self, guarded: Any, method: str, path: str, body: bytes | None, origin: str
    ) -> None:
        """A request made by another site's page is refused, with the right token too."""
        headers = {**with_token(guarded), "Origin": fill(origin, guarded)}
        assert_refused(guarded, send(guarded, method, path, body, headers), 403)

    @pytest.mark.parametrize(("method", "path", "body"), ALL_ROUTES)
    def test_a_second_origin_header_is_403(
        self, guarded: Any, method: str, path: str, body: bytes | None
    ) -> None:
        """Own Origin then a foreign one: ambiguous, refused."""
        headers = {**with_token(guarded), "Origin": f"http://127.0.0.1:{guarded.port}"}
        extra = [("Origin", "http://evil.example")]
        assert_refused(guarded, send(guarded, method, path, body, headers, extra=extra), 403)


class TestToken:
    @pytest.mark.parametrize("case", TOKEN_CASES)
    @pytest.mark.parametrize(("method", "path", "body"), TOKEN_ROUTES)
    def test_a_missing_wrong_or_misplaced_token_is_refused(
        self,
        guarded: Any,
        method: str,
        path: str,
        body: bytes | None,
        case: tuple[int, str, dict[str, str], str | None],
    ) -> None:
        """Only the exact token, as X-MSC-Token or ?token=, opens /invoke and /events."""
        status, query, headers, body_text = case
        target = f"{path}?{fill(query, guarded)}" if query else path
        filled = {name: fill(value, guarded) for name, value in headers.items()}
        payload = fill(body_text, guarded).encode() if body_text is not None else body
        if method == "GET":
            payload = None if body_text is None else payload
        assert_refused(guarded, send(guarded, method, target, payload, filled), status)

    @pytest.mark.parametrize(("method", "path", "body"), TOKEN_ROUTES[:1] + TOKEN_ROUTES[3:])
    @pytest.mark.parametrize("where", ["header", "query"])
    def test_the_right_token_in_its_place_is_let_through(
        self, guarded: Any, method: str, path: str, body: bytes | None, where: str
    ) -> None:
        """The control for the table: header or query, the right token opens the route."""
        headers = with_token(guarded) if where == "header" else {}
        target = path if where == "header" else f"{path}?token={guarded.token}"
        connection = http.client.HTTPConnection("127.0.0.1", guarded.port, timeout=30)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            assert response.status == 200
            if path == "/events":
                assert response.getheader("Content-Type", "").startswith("text/event-stream")
                assert response.fp.readline().startswith(b"retry:")
            else:
                assert SECRET in response.read().decode()
        finally:
            connection.close()


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses other than 127.0.0.1 (from the kernel's routing table)."""
    lines = Path("/proc/net/fib_trie").read_text().splitlines()
    found = {
        previous.split()[-1]
        for previous, line in itertools.pairwise(lines)
        if line.strip() == "/32 host LOCAL"
    }
    return sorted(found - {"127.0.0.1"})


def listening(port: int) -> list[str]:
    """Local addresses of the sockets listening on ``port`` (IPv4 and IPv6, hex as the kernel
    writes them)."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.rpartition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.append(address)
    return found


class TestLoopbackOnly:
    def test_the_server_listens_on_127_0_0_1_alone(self, guarded: Any) -> None:
        """One listening socket on the port, bound to 127.0.0.1 (0100007F), not 0.0.0.0 or ::."""
        assert listening(guarded.port) == ["0100007F"]

    @pytest.mark.parametrize("address", ["127.0.0.2", "::1", *local_addresses()])
    def test_connecting_through_another_address_of_this_machine_fails(
        self, guarded: Any, address: str
    ) -> None:
        """Another loopback address, IPv6 loopback and every interface address are refused."""
        with pytest.raises(OSError, match=r"refused|assign requested address|unreachable"):
            socket.create_connection((address, guarded.port), timeout=10).close()
        socket.create_connection(("127.0.0.1", guarded.port), timeout=10).close()  # the control


class TestOtherMethods:
    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
    @pytest.mark.parametrize("path", ["/", "/invoke/clear_logs", "/events"])
    def test_are_405_in_the_error_shape(self, guarded: Any, method: str, path: str) -> None:
        """Methods the server does not serve get the JSON envelope, not the stock HTML page,
        and do nothing (a DELETE on clear_logs clears nothing)."""
        status, headers, body = send(guarded, method, path, b"{}", with_token(guarded))
        assert status == 405
        assert headers["content-type"] == "application/json"
        answer = orjson.loads(body or b"")
        assert answer["code"] == "invalid_args"
        assert method in answer["message"]
        assert (Path(guarded.log_dir) / f"{APP}.log").read_text().count(SECRET) == 1

    def test_a_foreign_host_is_refused_first(self, guarded: Any) -> None:
        """The guards run before the method is looked at."""
        answer = send(guarded, "OPTIONS", "/invoke/clear_logs", None, {}, host="evil.example")
        assert_refused(guarded, answer, 403)
