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

from shared._config import LogConfig, LoggingError, default_log_dir
from shared._context import (
    LogContext,
    Span,
    TimingGuard,
    context_submit,
    context_wrap,
    current_span,
    span,
)
from shared._events import LEVELS, Level, LogCategory, LogEvent, LogEventBuilder, SpanInfo
from shared._files import DEFAULT_APP_NAME, ClearResult, LogFileInfo, clear_log_files, log_files
from shared._follow import FollowBatch, LogFollower
from shared._macros import log_database, log_file, log_midi, log_operation
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
from shared._query import (
    CursorNotFound,
    InvalidCursor,
    LogQuery,
    MalformedLine,
    QueryResult,
    iter_logs,
    query_logs,
)
from shared._setup import current_config, get_logger, init_logging, reset_logging

__all__ = [
    "DEFAULT_APP_NAME",
    "LEVELS",
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
