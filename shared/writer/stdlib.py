"""Bridge from the standard library's `logging` into our files and console.

A handler on the root logger turns each `logging.LogRecord` into our record: the level mapped
(``warning`` → ``warn``, ``critical`` → ``error``, below ``debug`` → ``trace``), the logger name as
``target``, ``getMessage()`` as ``message``, ``extra`` attributes as ``fields`` (``category`` and
``span`` keep their meaning), ``exc_info`` as ``fields.exception`` and ``filename:lineno`` as
``source``. Only stdlib records take this path; ours never pass through stdlib handlers.
"""

from __future__ import annotations

import logging
from typing import Any

from structlog.contextvars import merge_contextvars

from shared.writer.diag import complain_once
from shared.writer.encode import safe_repr, timestamp_at
from shared.writer.render import Renderer, build_record

__all__ = ["StdlibBridge", "stdlib_level"]

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}
# Our rank → the stdlib level the root logger must let through (OFF → above CRITICAL).
_STDLIB_LEVEL = (
    1,
    logging.DEBUG,
    logging.INFO,
    logging.WARNING,
    logging.ERROR,
    logging.CRITICAL + 1,
)


def stdlib_level(rank: int) -> int:
    """Return the stdlib level number that lets records of ``rank`` and above through.

    Args:
        rank: Our level rank (0 trace … 4 error, 5 off).

    Returns:
        A `logging` level number.
    """
    return _STDLIB_LEVEL[rank]


def _rank(levelno: int) -> int:
    if levelno >= logging.ERROR:
        return 4
    if levelno >= logging.WARNING:
        return 3
    if levelno >= logging.INFO:
        return 2
    return 1 if levelno >= logging.DEBUG else 0


class StdlibBridge(logging.Handler):
    """A `logging.Handler` that writes records through our renderer."""

    def __init__(self, renderer: Renderer) -> None:
        """Create the handler.

        Args:
            renderer: The current configuration's renderer.
        """
        super().__init__(logging.NOTSET)
        self._renderer = renderer

    def handle(self, record: logging.LogRecord) -> bool:
        """Emit ``record`` unless a filter rejects it (no handler lock: the sink locks)."""
        if not self.filter(record):
            return False
        self.emit(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` to the destinations its level and target pass; never raises."""
        try:
            self._emit(record)
        except Exception as exc:  # the host's logging call must not fail because of us
            kind = type(exc).__qualname__
            complain_once(f"stdlib:{kind}", f"a stdlib log record was lost: {kind}: {exc}")

    def _emit(self, record: logging.LogRecord) -> None:
        renderer = self._renderer
        rank = _rank(record.levelno)
        target = record.name
        console_min, file_min = renderer.levels.thresholds(target)
        if rank < console_min and rank < file_min:
            return
        fields = {key: value for key, value in record.__dict__.items() if key not in _STANDARD}
        merge_contextvars(None, "", fields)
        fields["event"] = _message(record)
        if record.exc_info:
            fields["exc_info"] = record.exc_info
        elif record.exc_text:
            fields["exception"] = record.exc_text
        if record.stack_info:
            fields["stack"] = record.stack_info
        source = f"{record.filename}:{record.lineno}" if renderer.include_location else None
        built = build_record(rank, target, fields, timestamp_at(record.created), source)
        renderer.write(built, rank >= console_min, rank >= file_min)


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad %-arguments: keep what we have rather than lose the record
        args: Any = record.args
        return f"{safe_repr(record.msg)} {safe_repr(args)}"
