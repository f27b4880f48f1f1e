"""The "Investigate" commands: a request's spans, the context of an entry, a whole-log
histogram, and the saved view of a log directory.

Registered in `backend.commands.REGISTRY` with the others; the same rules hold (the type hints
are the argument schema, failures are `CommandError`). Long scans are cancellable like
``get_recent_logs``: a client's next call of the same command calls the older one off.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from backend._app import AppContext, Caller, CommandError
from backend._dirs import ViewerDirs
from backend._viewstate import load_view, save_view
from shared._events import Level, LogCategory
from shared.reader.around import MAX_AROUND, entries_around
from shared.reader.engine import CursorNotFound, InvalidCursor
from shared.reader.histogram import MAX_BUCKETS, histogram
from shared.reader.trace import collect_trace

__all__ = [
    "entries_by_id",
    "get_histogram",
    "get_log_context",
    "get_trace",
    "get_view_state",
    "set_view_state",
]

Around = Annotated[int, Field(ge=0, le=MAX_AROUND)]
Buckets = Annotated[int, Field(ge=1, le=MAX_BUCKETS)]
SpanOrRequest = Annotated[str, Field(min_length=1, max_length=1024)]


def _instant(value: Any) -> datetime:
    # backend.commands imports this module: its parser is looked up when first needed.
    from backend.commands import _instant as parse  # noqa: PLC0415

    return parse(value)


#: `since` / `until`: an RFC 3339 date-time, converted to UTC (as in ``get_recent_logs``).
Instant = Annotated[datetime, BeforeValidator(_instant)]


def _turn(app: AppContext, caller: Caller, command: str) -> Any:
    """The cancellation check of ``caller``'s call of ``command``: its next call of the same
    command replaces it (a histogram never calls off the list's query)."""
    client = None if caller.client is None else f"{command}:{caller.client}"
    return app.queries.begin(Caller(client))


def get_trace(
    app: AppContext,
    *,
    request_id: SpanOrRequest | None = None,
    span_id: SpanOrRequest | None = None,
    caller: Caller,
) -> dict[str, Any]:
    """Every span of a request across the whole log set, ordered by start.

    Give exactly one of ``request_id`` (``fields.request_id`` or an OpenTelemetry
    ``fields.trace_id``) and ``span_id`` (the whole tree of that span's request; without a
    request, the span and the spans nested in it). An id no entry carries gives no spans.

    Returns:
        ``{"spans": [{id, parent_id, name, start, end, duration_ms, entry_count, level}],
        "entries": N}`` (see `shared.reader.trace`).

    Raises:
        CommandError: ``invalid_args`` unless exactly one id is given; ``cancelled`` when the
            client's next ``get_trace`` replaced this one.
    """
    if (request_id is None) == (span_id is None):
        raise CommandError("invalid_args", "request_id, span_id: give exactly one of them")
    return collect_trace(
        app.log_dir,
        request_id=request_id,
        span_id=span_id,
        app_name=app.app_name,
        cancelled=_turn(app, caller, "get_trace"),
    )


def get_log_context(
    app: AppContext, *, id: str, before: Around = 50, after: Around = 50
) -> dict[str, Any]:
    """The unfiltered entries around entry ``id`` in timeline order, across files and sources.

    Returns:
        ``{"entries": [...], "index": i}``: up to ``before`` older entries, the entry itself
        at ``entries[i]``, then up to ``after`` newer ones.

    Raises:
        CommandError: ``invalid_args`` when ``id`` is no entry id or points at no entry,
            ``not_found`` when its file is no longer in the set (as for a cursor).
    """
    try:
        entries, index = entries_around(app.log_dir, id, before, after, app_name=app.app_name)
    except InvalidCursor as exc:
        raise CommandError("invalid_args", _about_id(exc)) from None
    except CursorNotFound as exc:
        raise CommandError("not_found", _about_id(exc)) from None
    return {"entries": entries, "index": index}


def entries_by_id(app: AppContext, ids: list[str], app_name: str | None) -> list[dict[str, Any]]:
    """The entries ``ids`` name (each once), in timeline order: the marked entries' export.

    Raises:
        CommandError: ``invalid_args`` for an id that is no entry id or points at no entry,
            ``not_found`` for one whose file is no longer in the set; both name the id.
    """
    found: dict[str, dict[str, Any]] = {}
    for entry_id in dict.fromkeys(ids):
        try:
            entries, index = entries_around(app.log_dir, entry_id, 0, 0, app_name=app_name)
        except InvalidCursor as exc:
            raise CommandError("invalid_args", "ids: " + _about_id(exc)) from None
        except CursorNotFound as exc:
            raise CommandError("not_found", "ids: " + _about_id(exc)) from None
        found[entry_id] = entries[index]
    order = {entry_id: rank for rank, entry_id in enumerate(found)}
    return sorted(found.values(), key=lambda e: (e.get("timestamp") or "", order[e["id"]]))


def _about_id(exc: Exception) -> str:
    return "id: " + str(exc).removeprefix("before: ")


def get_histogram(
    app: AppContext,
    *,
    buckets: Buckets = 100,
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
    caller: Caller,
) -> dict[str, Any]:
    """Entries per level in ``buckets`` time buckets over the whole set, with the filters of
    ``get_recent_logs``.

    The range is ``since`` … ``until``, by default the set's first and last time (unfiltered).
    Counted once per file and remembered per file generation, so later calls are cheap. A call
    that finds big files not indexed yet answers at once from a sample of them (``approximate``
    true; only without ``search``, ``regex``, ``request_id``, ``span_id`` and ``where``) and
    has them indexed in the background: a later call is exact.

    Returns:
        ``{"start", "end", "bucket_ms", "counts": {level: [per bucket]}, "approximate"}``
        (see `shared.reader.histogram.histogram`).

    Raises:
        CommandError: ``invalid_args`` for a bad filter (as ``get_recent_logs``),
            ``cancelled`` when the client's next ``get_histogram`` replaced this one.
    """
    from backend.commands import _query, _source  # noqa: PLC0415 -- see _instant

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
    return histogram(
        app.log_dir,
        query,
        buckets,
        app_name=_source(app, source),
        cache=app.histograms,
        cancelled=_turn(app, caller, "get_histogram"),
    )


def _state_dir(app: AppContext) -> Path:
    return app.state_dir if app.state_dir is not None else ViewerDirs.for_user().state_dir


def get_view_state(app: AppContext) -> dict[str, Any]:
    """The view saved for this log directory (``{}`` when none, or when it is unreadable)."""
    return load_view(_state_dir(app), app.log_dir)


def set_view_state(app: AppContext, *, state: dict[str, Any]) -> None:
    """Save ``state`` (one JSON object, at most 256 KiB) as this log directory's view.

    Kept in the viewer's own state directory, never in the directory shown; `get_view_state`
    returns it as given, after a restart too.

    Raises:
        CommandError: ``invalid_args`` when it is too large.
    """
    save_view(_state_dir(app), app.log_dir, state)
