"""Context ids and spans, bound with contextvars so every record inside a block carries them.

Everything here binds through `structlog.contextvars`; the writer's ``merge_contextvars`` puts the
values into each record: the key ``span`` becomes the record's top-level span, every other key a
field. Values follow ``await`` and are copied into asyncio tasks; threads start empty, so hand the
context over with `context_wrap` or `context_submit`.
"""

from __future__ import annotations

import contextvars
import functools
import os
import secrets
import sys
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared._events import LogCategory, SpanInfo
from shared.writer.setup import current_config, get_logger

P = ParamSpec("P")
R = TypeVar("R")

#: contextvars key of the innermost open span: a dict ``{name, id, parent_id}``.
SPAN_KEY = "span"
#: Keys the writer lifts out of the event dict (shared.writer.render): never plain fields.
STRUCTURAL_KEYS = frozenset(
    {"event", "category", SPAN_KEY, "target", "level", "timestamp"}
    | {"exc_info", "exception", "stack_info"}  # exception info the renderer formats
)
#: Fields a `LogContext` binds from its own attributes; metadata may not shadow them.
CONTEXT_KEYS = frozenset({"request_id", "session_id", "file", "operation"})

_Tokens = Mapping[str, contextvars.Token[Any]]
# Bindings of the `LogContext` blocks open in *this* context, innermost last. Kept in a ContextVar
# (not on the instance) so one LogContext value can be entered by several tasks or threads at once.
_OPEN_CONTEXTS: contextvars.ContextVar[tuple[_Tokens, ...]] = contextvars.ContextVar(
    "msc_open_log_contexts", default=()
)


def _caller_module(depth: int) -> str:
    """Module name ``depth`` frames above the caller of this function (the default target)."""
    try:
        return str(sys._getframe(depth + 1).f_globals.get("__name__", "shared"))
    except ValueError:  # the stack is shallower than asked
        return "shared"


def _check_keys(keys: Any, reserved: frozenset[str], what: str) -> None:
    clash = sorted(set(keys) & reserved)
    if clash:
        raise ValueError(f"{what} may not use the reserved key(s) {', '.join(clash)}")


class LogContext(BaseModel):
    """Ids that every record logged inside ``with ctx:`` / ``async with ctx:`` carries as fields.

    Fields written: ``request_id``, ``session_id``, ``file`` (from `current_file`), ``operation``
    (each only when set) and every metadata key. Nested contexts merge: an inner context overrides
    the keys it sets, and leaving it restores the outer values. Builders return new values.
    """

    model_config = ConfigDict(frozen=True)

    request_id: str | None = None
    session_id: str | None = None
    current_file: str | None = None
    operation: str | None = None
    metadata: dict[str, str] = Field(default_factory=dict)

    @field_validator("metadata")
    @classmethod
    def _metadata_keys_are_free(cls, metadata: dict[str, str]) -> dict[str, str]:
        _check_keys(metadata, STRUCTURAL_KEYS | CONTEXT_KEYS, "metadata")
        return metadata

    @classmethod
    def with_request_id(cls, request_id: str) -> Self:
        """Start a new context holding only ``request_id`` (a constructor, as in the seed).

        To add a request id to an existing context use ``ctx.model_copy(update=...)``.
        """
        return cls(request_id=request_id)

    def with_session_id(self, session_id: str) -> Self:
        """Return a copy with ``session_id`` set."""
        return self.model_copy(update={"session_id": session_id})

    def with_metadata(self, key: str, value: str) -> Self:
        """Return a copy with one more metadata entry.

        Raises:
            ValueError: ``key`` is a structural or context key (e.g. ``span``, ``request_id``).
        """
        _check_keys({key}, STRUCTURAL_KEYS | CONTEXT_KEYS, "metadata")
        return self.model_copy(update={"metadata": {**self.metadata, key: str(value)}})

    def with_file(self, file: str | os.PathLike[str]) -> Self:
        """Return a copy with `current_file` set (paths are stringified)."""
        return self.model_copy(update={"current_file": os.fspath(file)})

    def with_operation(self, operation: str) -> Self:
        """Return a copy with ``operation`` set."""
        return self.model_copy(update={"operation": operation})

    @staticmethod
    def generate_request_id() -> str:
        """Return a new id ``req-<microseconds hex>-<64 random bits hex>``.

        Unique across threads and processes: the random part comes from `secrets`, not from a
        per-thread generator seeded with the clock (the seed's ids collided across threads).
        """
        return f"req-{time.time_ns() // 1000:x}-{secrets.token_hex(8)}"

    def fields(self) -> dict[str, str]:
        """Return the key/values this context binds (the record's field names)."""
        named = {
            "request_id": self.request_id,
            "session_id": self.session_id,
            "file": self.current_file,
            "operation": self.operation,
        }
        return {**self.metadata, **{k: v for k, v in named.items() if v is not None}}

    def into_span(self, name: str) -> Span:
        """Return a span named ``name`` that also binds this context's fields while open."""
        return Span(name, context=self, target=_caller_module(1))

    def __enter__(self) -> Self:
        tokens = structlog.contextvars.bind_contextvars(**self.fields())
        _OPEN_CONTEXTS.set((*_OPEN_CONTEXTS.get(), tokens))
        return self

    def __exit__(self, *exc_info: object) -> None:
        open_contexts = _OPEN_CONTEXTS.get()
        if not open_contexts:
            raise RuntimeError("LogContext exited without being entered in this context")
        *outer, tokens = open_contexts
        _OPEN_CONTEXTS.set(tuple(outer))
        structlog.contextvars.reset_contextvars(**tokens)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__()


def current_span() -> SpanInfo | None:
    """Return the innermost open span of the current context, if any."""
    value = structlog.contextvars.get_contextvars().get(SPAN_KEY)
    return SpanInfo.model_validate(value) if isinstance(value, dict) else None


def _span_timing_enabled() -> bool:
    config = current_config()
    # Not initialised yet: behave like the default config, which times spans.
    return config is None or config.enable_span_timing


class Span:
    """A named, timed section; spans nest through ``parent_id``.

    While open the span is the ``span`` of every record and its fields (and its context's, for
    `LogContext.into_span`) are fields of every record. With ``enable_span_timing`` it writes a
    debug record ``span closed`` (category performance) with ``duration_ms``, plus ``error`` when
    the block raised. A span is entered once.
    """

    def __init__(
        self,
        name: str,
        fields: Mapping[str, Any] | None = None,
        *,
        context: LogContext | None = None,
        target: str | None = None,
    ) -> None:
        self._fields = dict(fields or {})
        _check_keys(self._fields, STRUCTURAL_KEYS, "span fields")
        self.name = name
        self.id = secrets.token_hex(8)
        self.parent_id: str | None = None
        self._context = context
        self._target = target or "shared"
        self._tokens: _Tokens | None = None
        self._entered = False
        self._start = 0.0

    @property
    def info(self) -> SpanInfo:
        """``{name, id, parent_id}`` as records carry it."""
        return SpanInfo(name=self.name, id=self.id, parent_id=self.parent_id)

    def __enter__(self) -> Self:
        if self._entered:
            raise RuntimeError(f"span {self.name!r} was already entered; create a new one")
        self._entered = True
        parent = current_span()
        self.parent_id = parent.id if parent else None
        bound: dict[str, Any] = self._context.fields() if self._context else {}
        bound.update(self._fields)
        bound[SPAN_KEY] = self.info.model_dump()
        self._tokens = structlog.contextvars.bind_contextvars(**bound)
        self._start = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        duration_ms = round((time.perf_counter() - self._start) * 1000.0, 3)  # to the µs
        try:
            if _span_timing_enabled():
                self._log_close(duration_ms, exc)
        finally:
            if self._tokens is not None:
                structlog.contextvars.reset_contextvars(**self._tokens)
                self._tokens = None

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, traceback)

    def _log_close(self, duration_ms: float, exc: BaseException | None) -> None:
        extra = {} if exc is None else {"error": f"{type(exc).__name__}: {exc}"}
        get_logger(self._target).debug(
            "span closed",
            category=LogCategory.PERFORMANCE.value,
            span=self.info.model_dump(),
            duration_ms=duration_ms,
            **extra,
        )


def span(name: str, /, **fields: Any) -> Span:
    """Open a span (``with span("import", file=p):`` or ``async with``).

    Args:
        name: Span name.
        **fields: Fields of every record logged inside the span.

    Returns:
        A `Span`, to be entered once.

    Raises:
        ValueError: A field uses a structural key (``event``, ``category``, ``span``, ...).
    """
    return Span(name, fields, target=_caller_module(1))


class TimingGuard:
    """Log how long a block took: debug ``operation completed``, or warn past a threshold.

    Records carry ``operation`` and ``duration_ms`` (float), plus ``threshold_ms`` on the warning
    and ``error`` when the block raised; category performance.
    """

    def __init__(
        self, operation: str, threshold_ms: float | None = None, *, target: str | None = None
    ) -> None:
        if threshold_ms is not None and threshold_ms < 0:
            raise ValueError(f"threshold_ms must be >= 0, got {threshold_ms!r}")
        self.operation = operation
        self.threshold_ms = threshold_ms
        self._target = target or _caller_module(1)
        self._starts: list[float] = []

    def with_threshold(self, threshold_ms: float) -> TimingGuard:
        """Return a guard for the same operation that warns above ``threshold_ms``."""
        return TimingGuard(self.operation, threshold_ms, target=self._target)

    def __enter__(self) -> Self:
        self._starts.append(time.perf_counter())
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, traceback: object) -> None:
        duration_ms = (time.perf_counter() - self._starts.pop()) * 1000.0
        fields: dict[str, Any] = {
            "category": LogCategory.PERFORMANCE.value,
            "operation": self.operation,
            "duration_ms": round(duration_ms, 3),  # to the µs
        }
        if exc is not None:
            fields["error"] = f"{type(exc).__name__}: {exc}"
        logger = get_logger(self._target)
        if self.threshold_ms is not None and duration_ms > self.threshold_ms:
            logger.warning(
                "operation exceeded time threshold", threshold_ms=self.threshold_ms, **fields
            )
        else:
            logger.debug("operation completed", **fields)

    async def __aenter__(self) -> Self:
        return self.__enter__()

    async def __aexit__(
        self, exc_type: object, exc: BaseException | None, traceback: object
    ) -> None:
        self.__exit__(exc_type, exc, traceback)


def context_wrap(fn: Callable[P, R]) -> Callable[P, R]:
    """Capture the current logging context now; run ``fn`` inside it wherever it is called.

    Use it to hand a `LogContext`/span to a thread: ``Thread(target=context_wrap(work))``.
    Each call runs in its own copy, so concurrent calls in several threads are fine.
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def in_context(*args: P.args, **kwargs: P.kwargs) -> R:
        return captured.copy().run(fn, *args, **kwargs)

    return in_context


def context_submit(
    executor: Executor, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs
) -> Future[R]:
    """``executor.submit(fn, ...)`` with the caller's logging context carried into the worker.

    Returns:
        The executor's future.
    """
    captured = contextvars.copy_context()

    def in_context() -> R:
        return captured.run(fn, *args, **kwargs)

    return executor.submit(in_context)
