"""Fixtures for the logging library's tests: a fresh log directory and a clean global state."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared._events import LogEvent
from shared.writer.setup import reset_logging

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clean_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every test starts uninitialized, without MSC_LOG/NO_COLOR, and ends reset."""
    monkeypatch.delenv("MSC_LOG", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    reset_logging()
    yield
    reset_logging()


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """A log directory that does not exist yet."""
    return tmp_path / "logs"


def log_files(directory: Path, app_name: str = "midi-software-center") -> list[Path]:
    """Return the active file and the rotated ones, oldest first."""
    rotated = sorted(
        (p for p in directory.glob(f"{app_name}.log.*") if p.suffix[1:].isdigit()),
        key=lambda p: int(p.suffix[1:]),
        reverse=True,
    )
    active = directory / f"{app_name}.log"
    return [*rotated, active] if active.exists() else rotated


def read_lines(directory: Path, app_name: str = "midi-software-center") -> list[bytes]:
    """Return every line of the log files, oldest file first."""
    lines: list[bytes] = []
    for path in log_files(directory, app_name):
        lines.extend(path.read_bytes().splitlines())
    return lines


def read_events(directory: Path, app_name: str = "midi-software-center") -> list[LogEvent]:
    """Return every record of the log files, each validated as a `LogEvent`."""
    return [LogEvent.model_validate_json(line) for line in read_lines(directory, app_name)]


def run_python(
    code: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (repo on the path); return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), **(env or {})},
        check=False,
        timeout=300,
    )


# Helpers as fixtures, so test modules need not import this conftest by module name.
@pytest.fixture
def events() -> Callable[..., list[LogEvent]]:
    """`read_events`: ``events(log_dir)`` → every record, validated."""
    return read_events


@pytest.fixture
def lines() -> Callable[..., list[bytes]]:
    """`read_lines`: ``lines(log_dir)`` → every raw line, oldest file first."""
    return read_lines


@pytest.fixture
def files() -> Callable[..., list[Path]]:
    """`log_files`: ``files(log_dir)`` → the log files, oldest first."""
    return log_files


@pytest.fixture
def child_env() -> dict[str, str]:
    """Environment for child interpreters: this one's, with the repository importable."""
    return {**os.environ, "PYTHONPATH": str(REPO)}


@pytest.fixture
def python() -> Callable[..., subprocess.CompletedProcess[str]]:
    """`run_python`: ``python(code, *argv, env=...)`` in a child interpreter."""
    return run_python
