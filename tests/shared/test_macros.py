"""The category helpers: log_operation, log_database, log_midi, log_file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared._events import LogCategory, LogEvent
from shared.writer.config import LogConfig
from shared.writer.macros import log_database, log_file, log_midi, log_operation
from shared.writer.setup import init_logging, reset_logging


@pytest.fixture
def active_log(tmp_path: Path) -> Iterator[Path]:
    """Logging initialised into tmp_path, every level to the file; yields the active file."""
    config = LogConfig(log_dir=tmp_path, console_level="error", file_level="trace")
    init_logging(config, env_filter="")
    yield config.log_file
    reset_logging()


def read_records(path: Path) -> list[LogEvent]:
    """Records this module wrote (init_logging's own left out)."""
    records = [LogEvent.model_validate_json(line) for line in path.read_text().splitlines()]
    return [r for r in records if r.target == __name__]


class RecordingLogger:
    """A logger stand-in that records which method was called with what."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def __getattr__(self, method: str) -> Any:
        def record(message: str, **fields: Any) -> None:
            self.calls.append((method, message, fields))

        return record


class TestLogOperation:
    def test_without_category_is_unknown(self, active_log: Path) -> None:
        """The seed's macro set no category, so the record's is ``unknown``."""
        log_operation("info", "sync", files=3)
        (record,) = read_records(active_log)
        assert (record.level, record.category, record.message) == ("info", "unknown", "sync")
        assert record.fields == {"operation": "sync", "files": 3}

    def test_target_is_the_calling_module(self, active_log: Path) -> None:
        """Without ``logger=`` the record's target is the caller's module, not the library's."""
        log_operation("trace", "tick")
        (record,) = read_records(active_log)
        assert (record.target, record.level) == (__name__, "trace")

    @pytest.mark.parametrize("category", ["user", LogCategory.USER])
    def test_category_may_be_given(self, active_log: Path, category: str) -> None:
        """``category=`` accepts a LogCategory or its name."""
        log_operation("info", "login", category=category)
        assert read_records(active_log)[0].category == LogCategory.USER

    def test_unknown_category_is_rejected(self) -> None:
        """A category outside LogCategory is an error, not a silently odd record."""
        with pytest.raises(ValueError, match="audio"):
            log_operation("info", "x", category="audio")

    @pytest.mark.parametrize(
        ("level", "method"),
        [("warn", "warning"), ("WARNING", "warning"), ("critical", "error"), (20, "info")],
    )
    def test_level_names_map_to_logger_methods(self, level: str | int, method: str) -> None:
        """Our, stdlib and numeric level names all reach the matching logger method."""
        logger = RecordingLogger()
        log_operation(level, "x", logger=logger)
        assert logger.calls[0][0] == method

    def test_unknown_level_is_rejected(self) -> None:
        """A misspelt level raises instead of logging at a guessed level."""
        with pytest.raises(ValueError, match="verbose"):
            log_operation("verbose", "x")

    def test_message_can_be_overridden(self, active_log: Path) -> None:
        """``message=`` replaces the default message, the operation stays a field."""
        log_operation("info", "sync", message="sync finished")
        (record,) = read_records(active_log)
        assert (record.message, record.fields["operation"]) == ("sync finished", "sync")

    def test_explicit_logger_is_used(self) -> None:
        """A ``logger=`` receives the call instead of the calling module's logger."""
        logger = RecordingLogger()
        log_operation("debug", "x", logger=logger, a=1)
        assert logger.calls == [("debug", "x", {"category": "unknown", "operation": "x", "a": 1})]


class TestLogDatabase:
    def test_sets_category_query_and_duration(self, active_log: Path) -> None:
        """A database record carries query and duration_ms under category database."""
        log_database("debug", "SELECT 1", 3.2, rows=1)
        (record,) = read_records(active_log)
        assert (record.level, record.category, record.message) == (
            "debug",
            "database",
            "query executed",
        )
        assert record.fields == {"query": "SELECT 1", "duration_ms": 3.2, "rows": 1}


class TestLogMidi:
    def test_sets_category_and_event_type(self, active_log: Path) -> None:
        """A MIDI record carries event_type and the caller's fields under category midi."""
        log_midi("info", "note_on", channel=1, note=60, velocity=100)
        (record,) = read_records(active_log)
        assert (record.level, record.category, record.message) == ("info", "midi", "note_on")
        assert record.fields == {"event_type": "note_on", "channel": 1, "note": 60, "velocity": 100}


class TestLogFile:
    def test_sets_category_operation_and_path_as_text(self, active_log: Path) -> None:
        """A file record carries operation and the path as a string under category file."""
        log_file("warn", "read", Path("/music/song.mid"), size=1024)
        (record,) = read_records(active_log)
        assert (record.level, record.category, record.message) == ("warn", "file", "read")
        assert record.fields == {"operation": "read", "path": "/music/song.mid", "size": 1024}
