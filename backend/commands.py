"""The viewer's commands: plain typed functions, listed once in `REGISTRY` (``generate_handler!``).

Each takes the `AppContext` first and keyword arguments after; `backend._dispatch` validates the
page's arguments against these signatures, so the type hints *are* the argument schema. Results
are plain JSON-ready values. Failures the page should understand raise `CommandError`; see
docs/PROTOCOL.md for names, arguments and results.
"""

from __future__ import annotations

import getpass
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, TypeAdapter, ValidationError

from backend._app import AppContext, Caller, CommandError
from backend._export import (
    BundleInputs,
    ExportFormat,
    ExportOptions,
    export_target,
    redactor_for,
    write_export,
)
from backend.commands_investigate import (
    entries_by_id,
    get_histogram,
    get_log_context,
    get_trace,
    get_view_state,
    set_view_state,
)
from shared._events import Level, LogCategory
from shared._metrics import SNAPSHOT_MESSAGE, PerformanceMetrics, get_metrics
from shared.reader.files import clear_log_files, log_files, summarize
from shared.reader.match import compile_regex
from shared.reader.query import LogQuery, iter_logs, query_logs
from shared.reader.sources import unreadable_files
from shared.reader.watch import watch_mode
from shared.reader.where import WhereError, parse_where
from shared.writer.setup import get_logger

if TYPE_CHECKING:
    from shared.redact import Redactor

__all__ = [
    "MAX_LIMIT",
    "REGISTRY",
    "clear_logs",
    "export_logs",
    "export_query",
    "get_log_info",
    "get_performance_metrics",
    "get_recent_logs",
    "latest_snapshots",
    "subscribe_to_logs",
    "unsubscribe_from_logs",
]

#: Most entries one `get_recent_logs` call returns: one page must stay cheap to send and render
#: (page further back with ``before``).
MAX_LIMIT = 10_000
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
#: ``export_logs``' ``ids``: the entries to export (the page's marks), at most `MAX_LIMIT`.
EntryIds = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=4096)]],
    Field(min_length=1, max_length=MAX_LIMIT),
]
#: An RFC 3339 ``date-time``: full date, time with seconds, and an offset (docs/PROTOCOL.md).
#: Checked on the text, because pydantic alone also takes a bare date, a time without seconds,
#: no offset at all, or Unix seconds in a string.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})")
_RFC3339_HINT = "must be an RFC 3339 date-time with an offset, such as 2026-01-31T12:00:00Z"
_DATETIME: TypeAdapter[datetime] = TypeAdapter(datetime)
#: Newest snapshot records `get_performance_metrics` looks at; a process whose last snapshot is
#: older than these is long gone.
METRICS_SCAN_LIMIT = 1000
#: Bytes `get_log_info` parses (newest first) to count malformed lines; the default rotated set
#: (6 files of 10 MiB) fits, larger sets get a count over their newest part only.
MALFORMED_SCAN_BYTES = 64 * 1024 * 1024
_log = get_logger(__name__)


def _instant(value: Any) -> datetime:
    """Parse an RFC 3339 date-time into UTC (the arguments `since` and `until`).

    Raises:
        ValueError: Not RFC 3339, not a real date or time, or outside years 1…9999 in UTC (the
            dispatcher names the argument).
    """
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError(_RFC3339_HINT)
    try:
        moment = _DATETIME.validate_python(value)
    except ValidationError:  # Feb 30, 25:00, +25:00 …
        raise ValueError(_RFC3339_HINT) from None
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is in year 0 in UTC
        raise ValueError("out of range: must fall within the years 1 to 9999 in UTC") from None


#: `since` / `until`: an RFC 3339 date-time, converted to UTC.
Instant = Annotated[datetime, BeforeValidator(_instant)]


def get_recent_logs(
    app: AppContext,
    *,
    limit: Limit = 100,
    level: Level | None = None,
    min_level: Level | None = None,
    category: LogCategory | None = None,
    search: str | None = None,
    regex: bool = False,
    since: Instant | None = None,
    until: Instant | None = None,
    before: str | None = None,
    request_id: str | None = None,
    span_id: str | None = None,
    source: str | None = None,
    raw_only: bool = False,
    where: str | None = None,
    caller: Caller,
) -> list[dict[str, Any]]:
    """Return the newest ``limit`` matching entries, oldest first (at most `MAX_LIMIT`).

    ``source`` narrows to one source of the directory (a name from `get_log_info`'s
    ``sources``); ``raw_only`` keeps the lines shown raw (no record could be read from them);
    ``where`` is a typed filter expression (``duration_ms>500 and category=database``, see
    docs/PROTOCOL.md), evaluated over the whole log.
    A newer ``get_recent_logs`` of the same client calls this one off (``cancelled``).

    Raises:
        CommandError: ``invalid_args`` for a bad regex, ``where`` (naming the column) or
            cursor, ``not_found`` for a cursor whose file is gone (the reader's `InvalidCursor`
            / `CursorNotFound`, mapped by the dispatcher), ``cancelled`` when the client's next
            query replaced this one.
    """
    query = _query(
        level=level,
        min_level=min_level,
        category=category,
        search=search,
        regex=regex,
        since=since,
        until=until,
        before=before,
        request_id=request_id,
        span_id=span_id,
        raw_only=raw_only,
        where=where,
    )
    cancelled = app.queries.begin(caller)
    return query_logs(
        app.log_dir, query, limit=limit, app_name=_source(app, source), cancelled=cancelled
    ).entries


def _source(app: AppContext, source: str | None) -> str | None:
    """The source a call reads: the one it names, else the one the viewer was opened on."""
    return app.app_name if source is None else source


def get_performance_metrics(app: AppContext) -> dict[str, Any]:
    """Return this process's metrics plus the latest snapshot of every other logging process."""
    own = get_metrics().model_dump(mode="json")
    processes = latest_snapshots(app, exclude_pid=os.getpid())
    return {**own, "pid": os.getpid(), "processes": processes}


def latest_snapshots(app: AppContext, *, exclude_pid: int | None = None) -> list[dict[str, Any]]:
    """The latest metrics snapshot of each process that wrote one, by pid.

    Args:
        app: The log shown.
        exclude_pid: A process to leave out (the viewer's own, whose live metrics it has).

    Returns:
        ``[{pid, timestamp, counters, timings, gauges}]`` in pid order, from the newest
        `METRICS_SCAN_LIMIT` snapshot records.
    """
    query = LogQuery(category=LogCategory.PERFORMANCE, search=SNAPSHOT_MESSAGE)
    found = query_logs(app.log_dir, query, limit=METRICS_SCAN_LIMIT, app_name=app.app_name)
    latest: dict[int, dict[str, Any]] = {}
    for entry in reversed(found.entries):  # newest first: the first one seen per pid wins
        pid = entry.get("pid")
        if not isinstance(pid, int) or pid == exclude_pid or pid in latest:
            continue
        snapshot = _snapshot(entry)
        if snapshot is not None:
            latest[pid] = {"pid": pid, "timestamp": entry["timestamp"], **snapshot}
    return [latest[pid] for pid in sorted(latest)]


def _snapshot(entry: dict[str, Any]) -> dict[str, Any] | None:
    if entry.get("message") != SNAPSHOT_MESSAGE:
        return None
    try:
        metrics = PerformanceMetrics.model_validate(entry.get("fields", {}).get("metrics"))
    except ValidationError:  # written by an older or foreign process: show the others
        return None
    return metrics.model_dump(mode="json")


def clear_logs(app: AppContext) -> dict[str, Any]:
    """Empty the active file and delete the rotated ones, then write one security audit record.

    ``skipped`` names what was left alone: symbolic links and anything else that is no regular
    file (never truncated, deleted or followed).

    The one command that changes the directory shown (the user asked for it); the audit record
    goes to the viewer's own log, like every record of the viewer.

    Raises:
        CommandError: ``permission_denied`` when this user may not change the directory (it is
            checked first, so a read-only directory is left exactly as it was).
    """
    if app.log_dir.is_dir() and not os.access(app.log_dir, os.W_OK | os.X_OK):
        raise CommandError("permission_denied", _read_only(app.log_dir))
    try:
        result = clear_log_files(app.log_dir, app.app_name)
    except PermissionError as exc:
        raise CommandError("permission_denied", _read_only(app.log_dir, exc)) from None
    _log.info(
        "logs cleared",
        category=LogCategory.SECURITY.value,
        user=_user(),
        pid=os.getpid(),
        log_dir=str(app.log_dir),
        app_name=app.app_name,
        files_removed=result.files_removed,
        bytes_cleared=result.bytes_cleared,
        skipped=result.skipped,
    )
    return {
        "files_removed": result.files_removed,
        "bytes_cleared": result.bytes_cleared,
        "skipped": result.skipped,
    }


def _read_only(log_dir: Path, exc: OSError | None = None) -> str:
    where = f" ({exc.strerror}: {exc.filename})" if exc is not None and exc.filename else ""
    return f"the log in {log_dir} cannot be cleared: this user may not change it{where}"


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (some containers)
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def export_logs(
    app: AppContext,
    *,
    output_path: Path,
    format: ExportFormat = "jsonl",
    level: Level | None = None,
    min_level: Level | None = None,
    category: LogCategory | None = None,
    search: str | None = None,
    regex: bool = False,
    since: Instant | None = None,
    until: Instant | None = None,
    request_id: str | None = None,
    span_id: str | None = None,
    source: str | None = None,
    raw_only: bool = False,
    where: str | None = None,
    ids: EntryIds | None = None,
    overwrite: bool = False,
    redact: bool | None = None,
) -> dict[str, Any]:
    """Write every matching entry (oldest first) to ``output_path`` in ``format``, atomically.

    ``ids`` exports exactly those entries instead (the page's marked entries, in timeline
    order), and then takes no filter.

    Formats: ``jsonl``, ``csv``, ``txt``, ``otlp-json`` (OpenTelemetry), ``clef`` (Seq/Serilog)
    and ``bundle`` (a zip for support cases: the entries, metrics, log info and a manifest).
    The entries stream into a temporary file beside the target, which replaces the target only
    once complete: a failure leaves no partial export and no temporary file. The file is private
    to the user (mode 0600), as logs may hold secrets. ``redact`` masks secrets in every entry
    written (`shared.redact`, default rules); None: on for ``bundle``, off otherwise.

    Returns:
        ``{path, count, bytes}``: the absolute path, entries written, file size; with redaction
        also ``redacted``: values changed per rule.

    Raises:
        CommandError: ``already_exists`` (target exists, ``overwrite`` false), ``not_found``
            (missing directory), ``invalid_args`` (target is a directory, or a name the log
            shown reads or its writers lock: ``app.log.3``, ``export.jsonl``, ``*.lock``; a
            ``where`` that does not parse; ``ids`` with a filter or an id that names no entry).
    """
    query = _query(
        level=level,
        min_level=min_level,
        category=category,
        search=search,
        regex=regex,
        since=since,
        until=until,
        request_id=request_id,
        span_id=span_id,
        raw_only=raw_only,
        where=where,
    )
    if ids is not None and query.model_dump(exclude_defaults=True):
        raise CommandError(
            "invalid_args", "ids: the marked entries are exported as they are: pass no filter"
        )
    return export_query(
        app,
        query,
        output_path=output_path,
        format=format,
        source=source,
        overwrite=overwrite,
        redactor=redactor_for(format, redact),
        ids=ids,
    )


def export_query(
    app: AppContext,
    query: LogQuery,
    *,
    output_path: Path,
    format: ExportFormat,
    source: str | None,
    overwrite: bool,
    redactor: Redactor | None,
    ids: list[str] | None = None,
) -> dict[str, Any]:
    """`export_logs` for a caller with its own query and redactor (``msc-logs export``).

    Raises:
        CommandError: As `export_logs`.
    """
    target = export_target(output_path, overwrite=overwrite, log_dir=app.log_dir)
    name = _source(app, source)
    bundle = None
    if format == "bundle":
        filters = query.model_dump(mode="json", exclude_defaults=True)
        filters.update({"source": source} if source is not None else {})
        filters.update({"marked_entries": len(set(ids))} if ids is not None else {})
        bundle = BundleInputs(filters, get_log_info(app), latest_snapshots(app))
    options = ExportOptions(app_name=name, redactor=redactor, bundle=bundle)
    entries = (
        iter_logs(app.log_dir, query, app_name=name)
        if ids is None
        else entries_by_id(app, ids, name)
    )
    count, size = write_export(target, format, entries, overwrite=overwrite, options=options)
    result: dict[str, Any] = {"path": str(target), "count": count, "bytes": size}
    if redactor is not None:
        result["redacted"] = redactor.counts
    return result


def subscribe_to_logs(app: AppContext, *, caller: Caller) -> None:
    """Stream new entries to the calling client: ``log-subscribed``, then ``log-entry`` per
    new line, and ``logs-cleared`` when the active file is truncated.

    Idempotent per client (calling again only re-emits ``log-subscribed``); one follower per app
    context however many clients subscribe.
    """
    app.subscription.subscribe(caller.client)


def unsubscribe_from_logs(app: AppContext, *, caller: Caller) -> None:
    """Stop streaming to the calling client only; the follower stops with the last client."""
    app.subscription.unsubscribe(caller.client)


def get_log_info(app: AppContext) -> dict[str, Any]:
    """Describe the log: its sources and files, sizes, and the lines that are no record.

    ``raw`` counts lines shown raw and ``skipped`` lines not read at all (over 16 MiB), with the
    first 200 places in ``unparsed``; ``malformed`` is their sum. They cover about the newest
    `MALFORMED_SCAN_BYTES` of the set (``scanned_all`` says whether that was everything), so
    they are lower bounds for larger sets; a line still being written is not counted.
    ``estimated_entries`` is about how many lines the whole set holds. ``live`` says how new
    entries are noticed: ``{"mode": "inotify" | "polling", "reason"}``. ``unreadable`` lists
    the files that are there but cannot be opened: ``[{name, source, code, reason}]`` (``code``
    e.g. ``EACCES``, ``reason`` e.g. ``permission denied``); the rest is read. When nothing can
    be read, the command fails (``permission_denied``) as for an unreadable directory.
    """
    files = log_files(app.log_dir, app.app_name)
    summary = summarize(app.log_dir, app.app_name, MALFORMED_SCAN_BYTES, app.line_counts)
    directory = app.log_dir if app.log_dir.is_dir() else app.log_dir.parent
    mode, reason = watch_mode(directory)
    return {
        "log_dir": str(app.log_dir),
        "app_name": app.app_name,
        "files": [f.model_dump(mode="json", exclude={"path"}) for f in files],
        "total_size": sum(f.size for f in files),
        "malformed": summary["raw"] + summary["skipped"],
        **summary,
        "live": {"mode": mode, "reason": reason},
        "unreadable": [
            {"name": item.name, "source": item.source, "code": item.code, "reason": item.reason}
            for item in unreadable_files(app.log_dir, app.app_name)
        ],
    }


def _query(
    *,
    level: Level | None,
    min_level: Level | None,
    category: LogCategory | None,
    search: str | None,
    regex: bool,
    since: datetime | None,
    until: datetime | None,
    before: str | None = None,
    request_id: str | None,
    span_id: str | None,
    raw_only: bool = False,
    where: str | None = None,
) -> LogQuery:
    if regex and search is not None:
        _check_pattern(search)
    _check_where(where)
    try:
        return LogQuery(
            level=level,
            min_level=min_level,
            category=None if category is None else category.value,
            search=search,
            regex=regex,
            since=since,
            until=until,
            before=before,
            request_id=request_id,
            span_id=span_id,
            raw_only=raw_only,
            where=where,
        )
    except ValidationError as exc:
        raise CommandError.invalid_args(exc) from None


def _check_where(where: str | None) -> None:
    try:
        parse_where(where or "")
    except WhereError as exc:  # "where: column N: what was expected"
        raise CommandError("invalid_args", str(exc)) from None


def _check_pattern(search: str) -> None:
    try:
        compile_regex(search)
    except ValueError as exc:  # names search and what RE2 does not support
        raise CommandError("invalid_args", str(exc)) from None


#: Every command the page may call, by wire name (Tauri's ``generate_handler!``).
REGISTRY: dict[str, Callable[..., Any]] = {
    "get_recent_logs": get_recent_logs,
    "get_performance_metrics": get_performance_metrics,
    "clear_logs": clear_logs,
    "export_logs": export_logs,
    "subscribe_to_logs": subscribe_to_logs,
    "unsubscribe_from_logs": unsubscribe_from_logs,
    "get_log_info": get_log_info,
    "get_trace": get_trace,
    "get_log_context": get_log_context,
    "get_histogram": get_histogram,
    "get_view_state": get_view_state,
    "set_view_state": set_view_state,
}
