"""Category helpers: the seed's ``log_operation!``/``log_database!``/``log_midi!``/``log_file!``.

Each writes one record with its category and identifying fields set, through the structlog
logger of the calling module (so the record's target says where it came from) unless a
``logger`` is passed.
"""

from __future__ import annotations

import os
from typing import Any

from shared._events import LogCategory
from shared.writer.config import normalize_level
from shared.writer.context import _caller_module
from shared.writer.setup import get_logger

# The bound logger spells "warn" the stdlib way; every other level is its own method name.
_METHODS = {"warn": "warning"}


def _emit(
    level: str | int,
    category: LogCategory,
    message: str,
    logger: Any,
    fields: dict[str, Any],
) -> None:
    name = normalize_level(level)
    method = _METHODS.get(name, name)
    if logger is None:
        # Frames: _emit ← log_* ← the caller whose module becomes the target.
        logger = get_logger(_caller_module(2))
    getattr(logger, method)(message, category=category.value, **fields)


def log_operation(
    level: str | int,
    operation: str,
    /,
    *,
    category: LogCategory | str = LogCategory.UNKNOWN,
    message: str | None = None,
    logger: Any = None,
    **fields: Any,
) -> None:
    """Log that ``operation`` happened.

    Args:
        level: ``trace`` ``debug`` ``info`` ``warn`` ``error`` in any case, the stdlib names
            (``warning``, ``critical``) or a stdlib level number.
        operation: Operation name; field ``operation`` and, by default, the message.
        category: The record's category (the seed's macro set none: ``unknown``).
        message: Message instead of ``operation``.
        logger: A structlog logger; default: the calling module's.
        **fields: More fields.

    Raises:
        ValueError: Unknown ``level`` or ``category``.
    """
    fields["operation"] = operation
    _emit(level, LogCategory(category), message or operation, logger, fields)


def log_database(
    level: str | int,
    query: str,
    duration_ms: float,
    /,
    *,
    message: str = "query executed",
    logger: Any = None,
    **fields: Any,
) -> None:
    """Log a database query (category ``database``, fields ``query`` and ``duration_ms``).

    Args:
        level: As for `log_operation`.
        query: The query text.
        duration_ms: How long it took, in milliseconds.
        message: Record message.
        logger: A structlog logger; default: the calling module's.
        **fields: More fields.

    Raises:
        ValueError: Unknown ``level``.
    """
    fields.update(query=query, duration_ms=duration_ms)
    _emit(level, LogCategory.DATABASE, message, logger, fields)


def log_midi(
    level: str | int,
    event_type: str,
    /,
    *,
    message: str | None = None,
    logger: Any = None,
    **fields: Any,
) -> None:
    """Log a MIDI event (category ``midi``, field ``event_type``).

    Args:
        level: As for `log_operation`.
        event_type: E.g. ``note_on``; field ``event_type`` and, by default, the message.
        message: Message instead of ``event_type``.
        logger: A structlog logger; default: the calling module's.
        **fields: More fields (channel, note, velocity, ...).

    Raises:
        ValueError: Unknown ``level``.
    """
    fields["event_type"] = event_type
    _emit(level, LogCategory.MIDI, message or event_type, logger, fields)


def log_file(
    level: str | int,
    operation: str,
    path: str | os.PathLike[str],
    /,
    *,
    message: str | None = None,
    logger: Any = None,
    **fields: Any,
) -> None:
    """Log a file operation (category ``file``, fields ``operation`` and ``path`` as text).

    Args:
        level: As for `log_operation`.
        operation: E.g. ``read``; field ``operation`` and, by default, the message.
        path: The file; written as a string.
        message: Message instead of ``operation``.
        logger: A structlog logger; default: the calling module's.
        **fields: More fields.

    Raises:
        ValueError: Unknown ``level``.
    """
    fields.update(operation=operation, path=os.fspath(path))
    _emit(level, LogCategory.FILE, message or operation, logger, fields)
