"""`msc-logs ship`'s sender: OTLP/HTTP export requests, protobuf and gzip, retried until taken.

One request per batch: ``POST <endpoint>`` (``…/v1/logs``) with ``Content-Type:
application/x-protobuf`` and ``Content-Encoding: gzip``, on a kept-alive connection
(`http.client`, the standard library). What the OTLP specification says is retryable is
retried — connection errors and time-outs, 429, 502, 503 and 504 — after an exponential
back-off (0.5 s doubling to 30 s, with jitter) or the server's ``Retry-After`` (up to 5 min),
until the collector takes the batch or the stop event is set. Any other status is fatal:
`ShipError` names the status and the collector's message. A ``partial_success`` answer is a
success whose rejected records are counted and reported, not sent again (as the specification
asks).
"""

from __future__ import annotations

import gzip
import http.client
import random
import threading
import time
import urllib.parse
from collections.abc import Callable
from email.utils import parsedate_to_datetime

__all__ = ["RETRYABLE", "Sender", "ShipError", "endpoint_url", "parse_headers"]

RETRYABLE = frozenset({429, 502, 503, 504})
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
RETRY_AFTER_MAX_S = 300.0
#: gzip level: 1 compresses OTLP batches to about a tenth, at a fifth of level 6's cost.
GZIP_LEVEL = 1
_USER_AGENT = "msc-logs-ship"


class ShipError(Exception):
    """A failure that retrying cannot mend (the message is for stderr)."""


def endpoint_url(text: str) -> str:
    """The ``/v1/logs`` URL of an OTLP/HTTP endpoint given with or without that path.

    Raises:
        ValueError: Not an ``http://`` or ``https://`` URL with a host.
    """
    parts = urllib.parse.urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http:// or https:// URL: {text!r}")
    try:
        parts.port  # noqa: B018 -- raises ValueError for a port out of range
    except ValueError:
        raise ValueError(f"bad port in {text!r}") from None
    path = parts.path.rstrip("/")
    if not path.endswith("/v1/logs"):
        path += "/v1/logs"
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def parse_headers(text: str) -> dict[str, str]:
    """``k=v,k2=v2`` (the ``OTEL_EXPORTER_OTLP_HEADERS`` form, values percent-encoded).

    Raises:
        ValueError: An item without ``=``, an empty or invalid name, or a line break.
    """
    headers: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        key, value = urllib.parse.unquote(key.strip()), urllib.parse.unquote(value.strip())
        if not sep or not key or not all((c.isascii() and c.isalnum()) or c in "-_." for c in key):
            raise ValueError(f"not name=value: {item.strip()!r}")
        if any(c in value for c in "\r\n\0"):
            raise ValueError(f"a line break in the value of {key!r}")
        headers[key] = value
    return headers


class Sender:
    """POSTs export requests to one endpoint; see the module doc."""

    def __init__(
        self,
        url: str,
        headers: dict[str, str],
        *,
        timeout: float,
        stop: threading.Event,
        note: Callable[[str], None],
    ) -> None:
        """Prepare (no connection is opened until the first batch).

        Args:
            url: The ``/v1/logs`` URL (`endpoint_url`).
            headers: Extra request headers (authentication).
            timeout: Seconds to wait for a connection or an answer.
            stop: When set, back-off waits end and the batch is abandoned.
            note: Takes a message for stderr.
        """
        parts = urllib.parse.urlsplit(url)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._target = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
        self._url = url
        self._headers = {
            "Content-Type": "application/x-protobuf",
            "Content-Encoding": "gzip",
            "User-Agent": _USER_AGENT,
            **headers,
        }
        self._timeout, self._stop, self._note = timeout, stop, note
        self._conn: http.client.HTTPConnection | None = None
        self.retries = 0
        self.rejected = 0

    def send(self, payload: bytes) -> bool:
        """Send one serialized ``ExportLogsServiceRequest`` until the collector takes it.

        Returns:
            True once acknowledged; False when the stop event ended the attempts first.

        Raises:
            ShipError: The collector refused the batch for good (a non-retryable status).
        """
        body = gzip.compress(payload, compresslevel=GZIP_LEVEL, mtime=0)
        delay = BACKOFF_FIRST_S
        while not self._stop.is_set():
            try:
                status, reason, answer, retry_after, kind = self._post(body)
            except (OSError, http.client.HTTPException) as exc:
                self._close()
                problem, wait = f"cannot reach {self._url}: {exc}", _jitter(delay)
            else:
                if 200 <= status < 300:
                    self._partial(answer)
                    return True
                message = f"HTTP {status} {reason}{_status_message(answer, kind)}"
                if status not in RETRYABLE:
                    raise ShipError(f"the collector at {self._url} refused the batch: {message}")
                problem = f"the collector answered {message}"
                wait = retry_after if retry_after is not None else _jitter(delay)
            self.retries += 1
            self._note(f"{problem}; retrying in {wait:.1f} s")
            if self._sleep(wait):
                return False
            delay = min(delay * 2, BACKOFF_MAX_S)
        return False

    def close(self) -> None:
        """Close the connection."""
        self._close()

    def _post(self, body: bytes) -> tuple[int, str, bytes, float | None, str]:
        if self._conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = kind(self._host, self._port, timeout=self._timeout)
        self._conn.request("POST", self._target, body, self._headers)
        response = self._conn.getresponse()
        answer = response.read()
        if response.getheader("Content-Encoding", "").lower() == "gzip":
            answer = gzip.decompress(answer)
        if response.will_close:
            self._close()
        retry_after = _retry_after(response.getheader("Retry-After"))
        content_type = response.getheader("Content-Type", "")
        return response.status, response.reason, answer, retry_after, content_type

    def _partial(self, answer: bytes) -> None:
        """Count and report what a ``partial_success`` answer says was rejected."""
        from google.protobuf.message import DecodeError  # noqa: PLC0415
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (  # noqa: PLC0415
            ExportLogsServiceResponse,
        )

        response = ExportLogsServiceResponse()
        try:
            response.ParseFromString(answer)
        except DecodeError:  # a JSON 200 answer is a success all the same
            return
        rejected = response.partial_success.rejected_log_records
        if rejected or response.partial_success.error_message:
            self.rejected += rejected
            self._note(
                f"the collector rejected {rejected} record(s) of a batch:"
                f" {response.partial_success.error_message or 'no reason given'}"
            )

    def _sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` in short steps; True when the stop event was set meanwhile."""
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            if self._stop.wait(min(left, 0.2)):
                return True
        return self._stop.is_set()

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _jitter(delay: float) -> float:
    """``delay`` less up to half of it, at random: clients that failed together spread out."""
    return delay * (0.5 + random.random() / 2)  # no secret: just spreading retries


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), capped."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = parsedate_to_datetime(value).timestamp() - time.time()
        except (TypeError, ValueError):
            return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_S)


def _status_message(answer: bytes, kind: str) -> str:
    """``": <message>"`` of an error body: a ``google.rpc.Status`` (field 2) or short text."""
    message = _status_field(answer) if "protobuf" in kind else None
    if message is None:
        text = answer.decode("utf-8", "replace").strip()
        message = text if text.isprintable() else ""
    return f": {message[:500]}" if message else ""


def _status_field(data: bytes) -> str | None:
    """Field 2 (``message``) of a protobuf ``google.rpc.Status``, if ``data`` is one."""
    pos, message = 0, None
    try:
        while pos < len(data):
            key, pos = _varint(data, pos)
            if key & 7 == 0:
                _, pos = _varint(data, pos)
            elif key & 7 == 2:
                size, pos = _varint(data, pos)
                if key >> 3 == 2:
                    message = data[pos : pos + size].decode("utf-8")
                pos += size
            else:
                return None
    except (IndexError, UnicodeDecodeError):
        return None
    return message if pos == len(data) else None


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos
