"""`LogConfig`, the value `init_logging` is given, and `LoggingError`.

The nine fields and their defaults are the seed's (`shared/rust/src/logging/mod.rs`), except that
`log_dir` defaults to platformdirs' per-user data directory instead of a relative ``logs`` (which
depended on the working directory) and may be None (no file at all: the console only, for a process
that must not write where it logs by default, such as the viewer showing its own log), and
`max_file_size_mb` accepts fractions so tests can rotate small files. A tenth, ``redact``
(`shared.redact`), is this library's own.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared._events import LEVEL_RANK, Level
from shared._redact_rules import RedactionRules

__all__ = ["DEFAULT_APP_NAME", "LogConfig", "LoggingError", "default_log_dir", "normalize_level"]

DEFAULT_APP_NAME = "midi-software-center"

# Names other loggers use for our five levels (stdlib, structlog, tracing).
_LEVEL_ALIASES: dict[str, Level] = {
    "trace": "trace",
    "debug": "debug",
    "info": "info",
    "warn": "warn",
    "warning": "warn",
    "error": "error",
    "critical": "error",
    "fatal": "error",
    "exception": "error",
}


class LoggingError(Exception):
    """Logging could not be set up: an unusable directory or a bad level directive."""


def normalize_level(value: object) -> Level:
    """Return our level name for ``value``.

    Args:
        value: A level name in any case (``"WARNING"`` → ``"warn"``) or a stdlib level number.

    Returns:
        One of ``trace``, ``debug``, ``info``, ``warn``, ``error``.

    Raises:
        ValueError: ``value`` names no level.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return _level_from_number(value)
    if isinstance(value, str):
        level = _LEVEL_ALIASES.get(value.strip().lower())
        if level is not None:
            return level
    expected = ", ".join(LEVEL_RANK)
    raise ValueError(f"unknown level {value!r}; expected one of {expected} (or warning, critical)")


def _level_from_number(number: int) -> Level:
    # Thresholds of the stdlib numbers: 10 debug, 20 info, 30 warning, 40 error, 50 critical.
    if number >= 40:
        return "error"
    if number >= 30:
        return "warn"
    if number >= 20:
        return "info"
    if number >= 10:
        return "debug"
    return "trace"


def default_log_dir() -> Path:
    """Return the default log directory: ``<user data dir>/midi-software-center/logs``.

    Returns:
        platformdirs' ``user_data_dir("midi-software-center")`` joined with ``logs``.
    """
    return Path(platformdirs.user_data_dir(DEFAULT_APP_NAME, appauthor=False)) / "logs"


class LogConfig(BaseModel):
    """How and where to log; passed once to `init_logging`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    log_dir: Path | None = Field(default_factory=default_log_dir)
    """Directory of the log files (created when missing); None: no files, the console only."""
    app_name: str = DEFAULT_APP_NAME
    """Base name of the log files: ``<app_name>.log``, ``<app_name>.log.1`` …"""
    console_level: Level = "info"
    """Least severe level written to the console (stderr)."""
    file_level: Level = "debug"
    """Least severe level written to the log file."""
    include_location: bool = True
    """Add ``source`` (``file.py:line`` of the logging call) to every record."""
    json_format: bool = True
    """Write JSON lines (`LogEvent`); ``False`` writes readable text lines instead."""
    max_file_size_mb: float = Field(default=10, gt=0, allow_inf_nan=False)
    """Rotate the active file once it reaches this size (MiB)."""
    max_files: int = Field(default=5, ge=1)
    """Rotated files kept (``.1`` newest … ``.<max_files>`` oldest)."""
    enable_span_timing: bool = True
    """Spans write a ``span closed`` record with their duration."""
    redact: bool | RedactionRules = False
    """Redact every record before it is written (file and console): True for the default
    rules, or the rules (`shared.redact.load_rules` reads them from a file). See SECURITY.md."""

    @field_validator("console_level", "file_level", mode="before")
    @classmethod
    def _accept_level_aliases(cls, value: Any) -> Level:
        return normalize_level(value)

    @field_validator("log_dir", mode="before")
    @classmethod
    def _expand_home(cls, value: Any) -> Any:
        if isinstance(value, str | os.PathLike):
            return Path(value).expanduser()
        return value

    @field_validator("app_name")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        # The name becomes a file name inside log_dir; a separator would escape it.
        if not value or value in {".", ".."}:
            raise ValueError("must be a non-empty file name")
        bad = {"/", "\\", "\0", os.sep} | ({os.altsep} if os.altsep else set())
        if any(ch in value for ch in bad):
            raise ValueError(f"must be a plain file name without path separators, got {value!r}")
        return value

    @property
    def max_file_bytes(self) -> int:
        """The rotation threshold in bytes (at least 1)."""
        return max(1, int(self.max_file_size_mb * 1024 * 1024))

    @property
    def log_file(self) -> Path | None:
        """The active log file, ``<log_dir>/<app_name>.log``; None for the console only."""
        return None if self.log_dir is None else self.log_dir / f"{self.app_name}.log"
