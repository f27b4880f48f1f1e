"""The bound logger: structlog's `BoundLoggerBase` with a ``trace`` level and per-target filtering.

structlog's `make_filtering_bound_logger` fixes one threshold for every logger and knows no level
below debug. Here each logger asks the current configuration once for the least level any
destination accepts for its target (``MSC_LOG`` can differ per target), caches it, and a call
below it returns before doing any work. `init_logging`/`reset_logging` bump `GATE.generation`,
so loggers created before (at import time, as usual) pick up the new thresholds on their next call.
"""

from __future__ import annotations

import collections.abc
from collections.abc import Callable
from typing import Any, Self

from structlog._base import BoundLoggerBase
from structlog.exceptions import DropEvent

from shared._events import LEVEL_RANK
from shared.writer.config import normalize_level
from shared.writer.diag import complain_once

__all__ = ["GATE", "BoundLogger", "Target"]

TRACE, DEBUG, INFO, WARN, ERROR = range(5)


class _Gate:
    """Where loggers learn their thresholds; set by `init_logging` and `reset_logging`."""

    def __init__(self) -> None:
        self.generation = 0
        # Before init_logging: warn and above reach stderr, like the stdlib's last resort handler.
        self.floor_for: Callable[[str], int] = lambda target: WARN

    def update(self, floor_for: Callable[[str], int]) -> None:
        """Install a new threshold lookup; every logger refreshes on its next call."""
        self.floor_for = floor_for
        self.generation += 1


GATE = _Gate()


class Target:
    """The object structlog wraps: carries the logger name (records' default target)."""

    __slots__ = ("name",)

    def __init__(self, name: str = "") -> None:
        """Create a target named ``name`` (made text: the renderer takes it as it is)."""
        self.name = name if type(name) is str else "" if name is None else str(name)

    def __repr__(self) -> str:
        return f"Target({self.name!r})"

    def __getattr__(self, method: str) -> Callable[..., None]:
        # The renderer writes and returns empty arguments; a structlog wrapper other than ours
        # then calls e.g. ``info()`` here, which must do nothing. Private and special names
        # stay missing so copy/pickle protocols are not fooled.
        if method.startswith("_"):
            raise AttributeError(method)
        return _nop


def _nop(*args: Any, **kwargs: Any) -> None:
    return None


class BoundLogger(BoundLoggerBase):
    """A structlog bound logger with ``trace`` … ``critical``; calls below threshold do nothing.

    Each level method inlines `_threshold` (one call less on every record, the hot path).
    """

    def __init__(self, logger: Any, processors: Any, context: Any) -> None:
        """Wrap ``logger`` (a `Target`), as structlog constructs bound loggers."""
        super().__init__(logger, processors, context)
        self._generation = -1
        self._floor = 0

    def new(self, **new_values: Any) -> Self:
        """Return a logger whose context is only ``new_values``.

        Unlike structlog's `BoundLoggerBase.new`, the context is not cleared in place: loggers are
        shared (`get_logger` caches them), so mutating one would change every user's.
        """
        return self.__class__(self._logger, self._processors, dict(new_values))

    def _refresh(self) -> int:
        target = self._context.get("target") or getattr(self._logger, "name", None) or ""
        self._floor = GATE.floor_for(str(target))
        self._generation = GATE.generation
        return self._floor

    def _threshold(self) -> int:
        return self._floor if self._generation == GATE.generation else self._refresh()

    def trace(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at trace level (below debug)."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= TRACE:
            self._emit("trace", event, args, kw)

    def debug(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at debug level."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= DEBUG:
            self._emit("debug", event, args, kw)

    def info(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at info level."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= INFO:
            self._emit("info", event, args, kw)

    msg = info

    def warning(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at warn level."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= WARN:
            self._emit("warning", event, args, kw)

    warn = warning

    def error(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at error level."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= ERROR:
            self._emit("error", event, args, kw)

    def critical(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at error level (our most severe; ``critical`` is its stdlib name)."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= ERROR:
            self._emit("critical", event, args, kw)

    fatal = critical

    def exception(self, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at error level with the exception being handled in ``fields.exception``."""
        if (self._floor if self._generation == GATE.generation else self._refresh()) <= ERROR:
            kw.setdefault("exc_info", True)
            self._emit("exception", event, args, kw)

    def log(self, level: int | str, event: Any = None, *args: Any, **kw: Any) -> None:
        """Log at ``level``: a level name or a stdlib level number (``logging.INFO``)."""
        try:
            name = normalize_level(level)
        except ValueError:
            complain_once(f"level:{level!r}", f"unknown level {level!r}; logged as error")
            name = "error"
        if self._threshold() <= LEVEL_RANK[name]:
            self._emit(name, event, args, kw)

    def is_enabled_for(self, level: int | str) -> bool:
        """Return whether a record at ``level`` would be written anywhere."""
        return self._threshold() <= LEVEL_RANK[normalize_level(level)]

    def _emit(self, method: str, event: Any, args: tuple[Any, ...], kw: dict[str, Any]) -> None:
        try:
            if args:
                event = _interpolate(event, args)
            # ``kw`` is a fresh dict of this call, so without bound values it can be the event
            # dict itself; bound values go first so the call's keywords override them.
            context = self._context
            event_dict: Any = {**context, **kw} if context else kw
            event_dict["event"] = event
            logger = self._logger
            for processor in self._processors:
                event_dict = processor(logger, method, event_dict)
        except DropEvent:
            return
        except Exception as exc:  # logging must never raise into the host
            kind = type(exc).__qualname__
            complain_once(f"emit:{kind}", f"a log record was lost: {kind}: {exc}")


def _interpolate(event: Any, args: tuple[Any, ...]) -> str:
    # Same rule as structlog's filtering logger: one mapping argument means %(name)s style.
    try:
        if len(args) == 1 and isinstance(args[0], collections.abc.Mapping) and args[0]:
            return str(event) % args[0]
        return str(event) % args
    except (TypeError, ValueError, KeyError):
        return f"{event} {args!r}"
