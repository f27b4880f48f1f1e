"""The record: one schema for the writer, the reader and the viewer (see docs/PROTOCOL.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["trace", "debug", "info", "warn", "error"]

#: Levels from least to most severe; the index is the severity rank.
LEVELS: tuple[Level, ...] = ("trace", "debug", "info", "warn", "error")
LEVEL_RANK: dict[str, int] = {name: rank for rank, name in enumerate(LEVELS)}


class LogCategory(StrEnum):
    """What part of the MIDI Software Center a record is about."""

    DATABASE = "database"
    MIDI = "midi"
    FILE = "file"
    NETWORK = "network"
    SYSTEM = "system"
    PERFORMANCE = "performance"
    SECURITY = "security"
    USER = "user"
    UNKNOWN = "unknown"


class SpanInfo(BaseModel):
    """The innermost open span when a record was written."""

    model_config = ConfigDict(frozen=True)

    name: str
    id: str
    parent_id: str | None = None


class LogEvent(BaseModel):
    """One log record, exactly as one line of the log file holds it."""

    timestamp: datetime
    level: Level
    category: LogCategory = LogCategory.UNKNOWN
    message: str
    target: str = ""
    fields: dict[str, Any] = Field(default_factory=dict)
    span: SpanInfo | None = None
    pid: int | None = None
    source: str | None = None

    @classmethod
    def new(cls, level: Level, category: LogCategory, message: str) -> Self:
        """Create an event stamped now (UTC)."""
        return cls(timestamp=datetime.now(UTC), level=level, category=category, message=message)

    def with_fields(self, fields: dict[str, Any]) -> Self:
        """Return a copy whose fields are replaced by ``fields``."""
        return self.model_copy(update={"fields": dict(fields)})

    def with_target(self, target: str) -> Self:
        """Return a copy with ``target`` set."""
        return self.model_copy(update={"target": target})


class LogEventBuilder:
    """Fluent construction of a `LogEvent`, as the seed's builder."""

    def __init__(self, level: Level, category: LogCategory, message: str) -> None:
        self._event = LogEvent.new(level, category, message)

    @classmethod
    def info(cls, category: LogCategory, message: str) -> LogEventBuilder:
        """Start an info event."""
        return cls("info", category, message)

    @classmethod
    def warn(cls, category: LogCategory, message: str) -> LogEventBuilder:
        """Start a warn event."""
        return cls("warn", category, message)

    @classmethod
    def error(cls, category: LogCategory, message: str) -> LogEventBuilder:
        """Start an error event."""
        return cls("error", category, message)

    @classmethod
    def debug(cls, category: LogCategory, message: str) -> LogEventBuilder:
        """Start a debug event."""
        return cls("debug", category, message)

    def field(self, key: str, value: Any) -> LogEventBuilder:
        """Add one structured field."""
        self._event.fields[key] = value
        return self

    def target(self, target: str) -> LogEventBuilder:
        """Set the target (logger name)."""
        self._event.target = target
        return self

    def build(self) -> LogEvent:
        """Return the event."""
        return self._event
