"""MIDI Software Center logging: one record schema, a fast multi-process writer, and a reader.

Write::

    from shared import LogConfig, get_logger, init_logging
    init_logging(LogConfig(app_name="daw"))
    get_logger(__name__).info("track armed", category="midi", track=3)

Read::

    from shared import LogQuery, query_logs
    query_logs(log_dir, LogQuery(min_level="warn"), limit=100).entries

Everything public is re-exported here; modules starting with ``_`` are private.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared._events import LEVELS, Level, LogCategory, LogEvent, LogEventBuilder, SpanInfo
    from shared._metrics import (
        PerformanceMetrics,
        Timer,
        TimingStats,
        get_metrics,
        increment_counter,
        increment_counter_by,
        record_timing,
        reset_metrics,
        set_gauge,
        start_metrics_snapshots,
        time_operation,
        write_metrics_snapshot,
    )
    from shared.reader.files import (
        DEFAULT_APP_NAME,
        ClearResult,
        LogFileInfo,
        clear_log_files,
        log_files,
    )
    from shared.reader.follow import FollowBatch, LogFollower
    from shared.reader.query import (
        CursorNotFound,
        InvalidCursor,
        LogQuery,
        MalformedLine,
        QueryResult,
        iter_logs,
        query_logs,
    )
    from shared.redact import REDACTED, RedactionRules, Redactor, load_rules
    from shared.writer.config import LogConfig, LoggingError, default_log_dir
    from shared.writer.context import (
        LogContext,
        Span,
        TimingGuard,
        context_submit,
        context_wrap,
        current_span,
        span,
    )
    from shared.writer.macros import log_database, log_file, log_midi, log_operation
    from shared.writer.setup import current_config, get_logger, init_logging, reset_logging

# Public name -> private module. Imported on first use (PEP 562) so that `msc-logs query`, which
# needs only the pydantic-free reader engine, starts without loading the writer and its models.
_LAZY: dict[str, str] = {
    "ClearResult": "shared.reader.files",
    "CursorNotFound": "shared.reader.query",
    "DEFAULT_APP_NAME": "shared.reader.files",
    "FollowBatch": "shared.reader.follow",
    "InvalidCursor": "shared.reader.query",
    "LEVELS": "shared._events",
    "Level": "shared._events",
    "LogCategory": "shared._events",
    "LogConfig": "shared.writer.config",
    "LogContext": "shared.writer.context",
    "LogEvent": "shared._events",
    "LogEventBuilder": "shared._events",
    "LogFileInfo": "shared.reader.files",
    "LogFollower": "shared.reader.follow",
    "LogQuery": "shared.reader.query",
    "LoggingError": "shared.writer.config",
    "MalformedLine": "shared.reader.query",
    "PerformanceMetrics": "shared._metrics",
    "QueryResult": "shared.reader.query",
    "REDACTED": "shared.redact",
    "RedactionRules": "shared.redact",
    "Redactor": "shared.redact",
    "Span": "shared.writer.context",
    "SpanInfo": "shared._events",
    "Timer": "shared._metrics",
    "TimingGuard": "shared.writer.context",
    "TimingStats": "shared._metrics",
    "clear_log_files": "shared.reader.files",
    "context_submit": "shared.writer.context",
    "context_wrap": "shared.writer.context",
    "current_config": "shared.writer.setup",
    "current_span": "shared.writer.context",
    "default_log_dir": "shared.writer.config",
    "get_logger": "shared.writer.setup",
    "get_metrics": "shared._metrics",
    "increment_counter": "shared._metrics",
    "increment_counter_by": "shared._metrics",
    "init_logging": "shared.writer.setup",
    "iter_logs": "shared.reader.query",
    "load_rules": "shared.redact",
    "log_database": "shared.writer.macros",
    "log_file": "shared.writer.macros",
    "log_files": "shared.reader.files",
    "log_midi": "shared.writer.macros",
    "log_operation": "shared.writer.macros",
    "query_logs": "shared.reader.query",
    "record_timing": "shared._metrics",
    "reset_logging": "shared.writer.setup",
    "reset_metrics": "shared._metrics",
    "set_gauge": "shared._metrics",
    "span": "shared.writer.context",
    "start_metrics_snapshots": "shared._metrics",
    "time_operation": "shared._metrics",
    "write_metrics_snapshot": "shared._metrics",
}

__all__ = [
    "DEFAULT_APP_NAME",
    "LEVELS",
    "REDACTED",
    "ClearResult",
    "CursorNotFound",
    "FollowBatch",
    "InvalidCursor",
    "Level",
    "LogCategory",
    "LogConfig",
    "LogContext",
    "LogEvent",
    "LogEventBuilder",
    "LogFileInfo",
    "LogFollower",
    "LogQuery",
    "LoggingError",
    "MalformedLine",
    "PerformanceMetrics",
    "QueryResult",
    "RedactionRules",
    "Redactor",
    "Span",
    "SpanInfo",
    "Timer",
    "TimingGuard",
    "TimingStats",
    "clear_log_files",
    "context_submit",
    "context_wrap",
    "current_config",
    "current_span",
    "default_log_dir",
    "get_logger",
    "get_metrics",
    "increment_counter",
    "increment_counter_by",
    "init_logging",
    "iter_logs",
    "load_rules",
    "log_database",
    "log_file",
    "log_files",
    "log_midi",
    "log_operation",
    "query_logs",
    "record_timing",
    "reset_logging",
    "reset_metrics",
    "set_gauge",
    "span",
    "start_metrics_snapshots",
    "time_operation",
    "write_metrics_snapshot",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'shared' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
