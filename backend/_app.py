"""What every command receives: the `AppContext`, and the one error type commands raise.

The context is built once at the entry point (the window, the dev server, a test) from argv and
the environment; commands never read either. It also owns the live-log subscription, so there is
at most one follower thread per context however many clients subscribe.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from backend._events import Broadcaster, Emitter
from shared.reader.files import LineCounts
from shared.reader.follow import LogFollower
from shared.reader.histogram import HistogramCache
from shared.writer.setup import get_logger

__all__ = [
    "HTTP_STATUS",
    "MAX_MESSAGE_CHARS",
    "AppContext",
    "Caller",
    "CommandError",
    "ErrorCode",
    "LogSubscription",
    "unknown_arguments",
]

ErrorCode = Literal[
    "invalid_args", "not_found", "already_exists", "permission_denied", "cancelled", "internal"
]

#: The dev server's HTTP status per error code (docs/PROTOCOL.md).
HTTP_STATUS: dict[ErrorCode, int] = {
    "invalid_args": 400,
    "not_found": 404,
    "already_exists": 409,
    "permission_denied": 403,
    "cancelled": 409,
    "internal": 500,
}

#: How often the follower looks at the active file for new lines (seconds).
FOLLOW_POLL_INTERVAL = 0.05
#: How long stopping the follower waits for its thread before giving up on it.
STOP_TIMEOUT = 10.0
#: Longest error message a caller gets; a longer one is cut, saying how much was left out.
MAX_MESSAGE_CHARS = 4096
#: Most unknown argument names one message lists; the others are counted.
MAX_LISTED = 10


@dataclass(frozen=True)
class Caller:
    """Who called a command: the client (a browser tab, the window) its transport knows it by.

    A command that needs it declares a parameter annotated ``Caller``, and the dispatcher passes
    it in (as Tauri passes a ``Window``): it is never one of the arguments the page sends.

    Attributes:
        client: The client's id; None for a caller that names none (a script, a test), which
            acts for the app as a whole.
    """

    client: str | None = None


class CommandError(Exception):
    """A command failed in a way the page is told about: ``{code, message}``."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        message = _capped(message)
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message

    @property
    def status(self) -> int:
        """The HTTP status of this error on the dev server."""
        return HTTP_STATUS[self.code]

    def to_dict(self) -> dict[str, str]:
        """The wire shape, ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"CommandError({self.code!r}, {self.message!r})"

    @classmethod
    def invalid_args(
        cls, exc: ValidationError, model: type[BaseModel] | None = None
    ) -> CommandError:
        """An ``invalid_args`` error naming each bad argument and what was wrong with it.

        Args:
            exc: The failed validation of the arguments.
            model: The arguments' model, for the allowed range of a number and the names of the
                known arguments when unknown ones were given.
        """
        errors = exc.errors()
        fields = model.model_fields if model is not None else {}
        parts = [_describe(e, fields) for e in errors if e["type"] != "extra_forbidden"]
        unknown = [_key(e) for e in errors if e["type"] == "extra_forbidden"]
        if unknown:
            parts.append(unknown_arguments(unknown, fields))
        return cls("invalid_args", "; ".join(parts) or "invalid arguments")


def unknown_arguments(unknown: Sequence[str], known: Iterable[str]) -> str:
    """The message about unknown argument names: the first `MAX_LISTED`, then how many more
    (60,000 unknown keys must not come back as a 500 KB message)."""
    listed = ", ".join(unknown[:MAX_LISTED])
    if len(unknown) > MAX_LISTED:
        listed += f", and {len(unknown) - MAX_LISTED} more"
    return f"unknown argument(s) {listed}; expected: {', '.join(known) or 'none'}"


def _capped(message: str) -> str:
    if len(message) <= MAX_MESSAGE_CHARS:
        return message
    kept = message[: MAX_MESSAGE_CHARS - 40]  # room for the note
    return f"{kept}… ({len(message) - len(kept)} more characters)"


def _name(error: ErrorDetails) -> str:
    return ".".join(str(part) for part in error["loc"]) or "arguments"


def _key(error: ErrorDetails) -> str:
    """An unknown key as given, quoted when it would not read as a name (empty, odd characters)."""
    text = ".".join(str(part) for part in error["loc"])
    shown = text if text.isidentifier() else repr(text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _describe(error: ErrorDetails, fields: dict[str, FieldInfo]) -> str:
    kind, ctx = error["type"], error.get("ctx", {})
    if kind == "missing":
        return f"{_name(error)}: required"
    if kind in ("greater_than_equal", "less_than_equal"):
        what = _range(fields.get(_name(error))) or error["msg"]
    elif kind in ("literal_error", "enum"):
        what = f"must be one of {ctx.get('expected', '')}"
    elif kind == "value_error":
        what = str(ctx.get("error", error["msg"]))
    else:
        what = _EXPLAIN.get(kind) or error["msg"][:1].lower() + error["msg"][1:]
    return f"{_name(error)}: {what}, got {_show(error['input'])}"


_EXPLAIN = {
    "int_type": "must be an integer",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "path_type": "must be a path string",
    "datetime_type": "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
    "datetime_parsing": "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
    "datetime_from_date_parsing": "must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z",
    "model_type": "must be an object",
    "dict_type": "must be an object",
}


def _range(info: FieldInfo | None) -> str | None:
    bounds = {
        key: getattr(m, key)
        for m in getattr(info, "metadata", ())
        for key in ("ge", "le")
        if hasattr(m, key)
    }
    low, high = bounds.get("ge"), bounds.get("le")
    if low is not None and high is not None:
        return f"must be between {low} and {high}"
    if low is not None:
        return f"must be at least {low}"
    return f"must be at most {high}" if high is not None else None


def _show(value: Any) -> str:
    """A short, safe rendering of a rejected value (never the whole of a huge input)."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class LogSubscription:
    """One follower thread, shared by the subscribed clients, turning new lines into events.

    Subscriptions are per client, with the semantics of Tauri's ``listen``/``unlisten``:
    subscribing is idempotent for a client, unsubscribing ends that client's stream only, and
    the follower runs while at least one client is subscribed. The stream (``log-subscribed``,
    ``log-entry``, ``logs-cleared``) goes to the subscribed clients only. The client None (a
    caller that names none) is the app as a whole: while it is subscribed, the stream goes to
    every consumer.
    """

    def __init__(self, log_dir: Path, app_name: str | None, emitter: Emitter) -> None:
        self._log_dir = log_dir
        self._app_name = app_name
        self._emitter = emitter
        self._lock = threading.Lock()
        self._clients: frozenset[str | None] = frozenset()
        self._thread: threading.Thread | None = None
        self._follower: LogFollower | None = None
        self._stop = threading.Event()

    @property
    def clients(self) -> frozenset[str | None]:
        """The clients subscribed now."""
        return self._clients

    @property
    def running(self) -> bool:
        """Whether the follower thread is alive."""
        thread = self._thread
        return thread is not None and thread.is_alive()

    def subscribe(self, client: str | None = None) -> None:
        """Subscribe ``client``: start following unless already, then emit ``log-subscribed``
        to it.

        The follower is positioned at the end of the active file *before* ``log-subscribed`` is
        emitted, so every line written after the client saw that event reaches it.
        """
        with self._lock:
            self._clients = self._clients | {client}
            if not self.running:
                self._start()
            to = None if client is None else (client,)
            self._emitter.emit("log-subscribed", {"log_dir": str(self._log_dir)}, to=to)

    def unsubscribe(
        self, client: str | None = None, *, unless: Callable[[], bool] | None = None
    ) -> None:
        """End ``client``'s stream; the last client out stops the follower and waits for it.

        ``unless`` is asked under the lock that `subscribe` takes, so a subscription made while
        it says no is never undone by this call (an event stream that ended, and the client's
        new stream that subscribed again meanwhile).
        """
        with self._lock:
            if unless is not None and unless():
                return
            self._clients = self._clients - {client}
            if not self._clients:
                self._stop_follower()

    def close(self) -> None:
        """Unsubscribe every client and stop the follower (shutdown)."""
        with self._lock:
            self._clients = frozenset()
            self._stop_follower()

    def _start(self) -> None:
        follower = LogFollower(self._log_dir, self._app_name, poll_interval=FOLLOW_POLL_INTERVAL)
        self._follower = follower
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._pump, args=(follower, self._stop), name="msc-log-follower", daemon=True
        )
        self._thread.start()

    def _stop_follower(self) -> None:
        thread, self._thread = self._thread, None
        self._stop.set()
        if self._follower is not None:
            self._follower.wake()  # it may be asleep until its next safety poll
        if thread is not None:
            thread.join(STOP_TIMEOUT)

    def _audience(self) -> frozenset[str | None] | None:
        clients = self._clients  # replaced, never mutated: no lock needed to read it
        return None if None in clients else clients

    def _pump(self, follower: LogFollower, stop: threading.Event) -> None:
        # No logging per batch or entry here: these records would come straight back as events.
        try:
            for batch in follower.follow(stop):
                to = self._audience()
                if batch.cleared:
                    self._emitter.emit("logs-cleared", {}, to=to)
                for entry in batch.entries:
                    self._emitter.emit("log-entry", entry, to=to)
        except Exception:  # one record, then the stream ends: the page can subscribe again
            get_logger(__name__).exception("log follower stopped", category="system")
        finally:
            follower.close()


class QueryTurns:
    """Which query is each client's newest: the page's next query replaces the one before.

    The search box asks again as the user types; a slow scan the page no longer waits for is
    called off at its next chunk instead of piling up in front of the next one.
    """

    def __init__(self) -> None:
        self._newest: dict[str, int] = {}
        self._lock = threading.Lock()

    def begin(self, caller: Caller) -> Callable[[], bool]:
        """Start ``caller``'s query; returns whether a newer one of the same client began since
        (never, for a caller that names no client)."""
        client = caller.client
        if client is None:
            return lambda: False
        with self._lock:
            turn = self._newest[client] = self._newest.get(client, 0) + 1
        return lambda: self._newest.get(client) != turn


@dataclass
class AppContext:
    """The viewer's configuration and live state, passed to every command.

    Attributes:
        log_dir: The directory whose logs the viewer shows.
        app_name: Only this source of the directory (a base name and its rotations); None:
            every log file in it.
        emitter: Where events for the page go (a `Broadcaster` for the dev server).
        state_dir: Where the viewer keeps its own state (never inside ``log_dir``).
    """

    log_dir: Path
    app_name: str | None = None
    emitter: Emitter = field(default_factory=Broadcaster)
    subscription: LogSubscription = field(init=False, repr=False)
    line_counts: LineCounts = field(default_factory=LineCounts, repr=False)
    """What `get_log_info` counted so far (it is polled: only appended bytes are read again)."""
    queries: QueryTurns = field(default_factory=QueryTurns, repr=False)
    """Each client's newest query: an older one still scanning is called off."""
    histograms: HistogramCache = field(default_factory=HistogramCache, repr=False)
    """The time indexes `get_histogram` read so far, per file generation, and the one thread
    that indexes the files its first calls only sampled."""
    state_dir: Path | None = None
    """The viewer's own state directory (saved views); None: `ViewerDirs.for_user`'s."""

    def __post_init__(self) -> None:
        self.subscription = LogSubscription(self.log_dir, self.app_name, self.emitter)

    def close(self) -> None:
        """Stop background work (the follower and histogram indexer threads); call at shutdown."""
        self.subscription.close()
        self.histograms.close()
