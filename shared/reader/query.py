"""The public query API: `query_logs` (the last N, paged with ``before``) and `iter_logs`.

The engine itself is `shared.reader.engine` (pydantic-free, for the command line); this module adds
the validated models the commands exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, field_validator, model_validator

from shared._events import Level
from shared.reader.engine import CursorNotFound, InvalidCursor, all_entries, newest_entries
from shared.reader.match import Criteria, Matcher
from shared.reader.scan import QueryCancelled, ScanStats

__all__ = [
    "CursorNotFound",
    "InvalidCursor",
    "LogQuery",
    "MalformedLine",
    "QueryCancelled",
    "QueryResult",
    "iter_logs",
    "query_logs",
]


class LogQuery(BaseModel, frozen=True):
    """Filters of a query; all optional, all combine."""

    level: Level | None = None
    """Exactly this level."""
    min_level: Level | None = None
    """This level and above."""
    category: str | None = None
    search: str | None = None
    """Case-insensitive substring of the message, the target and the field values."""
    regex: bool = False
    """Treat ``search`` as an RE2 regular expression, matched ignoring case (linear time)."""
    since: datetime | None = None
    """Inclusive; naive times are taken as UTC."""
    until: datetime | None = None
    """Inclusive; naive times are taken as UTC."""
    before: str | None = None
    """An entry id: only entries strictly older than it."""
    request_id: str | None = None
    """Exactly this ``fields.request_id``."""
    span_id: str | None = None
    """Entries in this span or in its direct children (``span.id`` or ``span.parent_id``)."""
    raw_only: bool = False
    """Only the lines shown raw (no record could be read from them)."""
    where: str | None = None
    """Typed field filters (``duration_ms>500 and category=database``; `shared.reader.where`)."""

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @model_validator(mode="after")
    def _compiles(self) -> LogQuery:
        self.matcher()  # a bad category or regex fails here, naming the argument
        return self

    def criteria(self) -> Criteria:
        """The filters as the engine's plain criteria."""
        return Criteria(
            level=self.level,
            min_level=self.min_level,
            category=self.category,
            search=self.search,
            regex=self.regex,
            since=self.since,
            until=self.until,
            request_id=self.request_id,
            span_id=self.span_id,
            raw_only=self.raw_only,
            where=self.where,
        )

    def matcher(self) -> Matcher:
        """The compiled filters.

        Raises:
            ValueError: ``category`` is unknown, ``search`` is an invalid regex or ``where`` does
                not parse.
        """
        return Matcher(self.criteria())


class MalformedLine(BaseModel):
    """Where a malformed line was met and why it was rejected."""

    file: str
    offset: int
    reason: str


class QueryResult(BaseModel):
    """Entries oldest → newest, each a record dict plus ``id``; and what the scan met."""

    entries: list[dict[str, Any]]
    malformed: int
    malformed_at: list[MalformedLine]
    reached_start: bool
    """True when nothing older is left to page back to."""
    scanned_bytes: int
    raw: int = 0
    """Lines shown as raw entries (no record could be parsed from them)."""
    skipped: int = 0
    """Lines that could not be read at all (longer than 16 MiB)."""


_ANY = LogQuery()


def query_logs(
    log_dir: Path,
    query: LogQuery = _ANY,
    limit: int = 100,
    app_name: str | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> QueryResult:
    """The last ``limit`` entries matching ``query``, oldest → newest.

    Reads the active file, then the rotated ones, backwards in chunks, and stops as soon as
    ``limit`` entries are found; page further back with ``before=<id of the first entry>``.

    Args:
        log_dir: The log directory; a missing one holds no entries.
        query: The filters.
        limit: The most entries to return (0 or more).
        app_name: Only this source (a base name and its rotations); None: every source.
        cancelled: Asked before each chunk is read: True calls the query off (a newer one
            replaced it).

    Returns:
        The entries and what the scan met.

    Raises:
        ValueError: ``limit`` is negative.
        InvalidCursor: ``query.before`` is not an entry id.
        CursorNotFound: ``query.before`` names a file no longer in the set.
        QueryCancelled: ``cancelled`` said so.
    """
    if limit < 0:
        raise ValueError(f"limit: must be 0 or more, not {limit}")
    page = newest_entries(
        log_dir, query.matcher(), limit, app_name, query.before, cancelled=cancelled
    )
    stats = page.stats
    return QueryResult.model_construct(
        entries=page.entries,
        malformed=stats.malformed,
        malformed_at=_malformed_at(stats),
        reached_start=page.reached_start,
        scanned_bytes=stats.scanned_bytes,
        raw=stats.raw,
        skipped=stats.skipped,
    )


def iter_logs(
    log_dir: Path, query: LogQuery = _ANY, app_name: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every entry matching ``query``, oldest → newest, streaming (for exports).

    ``query.before`` is ignored. Malformed lines are skipped.

    Args:
        log_dir: The log directory; a missing one holds no entries.
        query: The filters.
        app_name: Only this source (a base name and its rotations); None: every source.

    Returns:
        An iterator; the files are held open until it is exhausted or closed.
    """
    return all_entries(log_dir, query.matcher(), app_name)


def _malformed_at(stats: ScanStats) -> list[MalformedLine]:
    return [
        MalformedLine(file=name, offset=offset, reason=reason)
        for name, offset, reason in stats.malformed_at
    ]
