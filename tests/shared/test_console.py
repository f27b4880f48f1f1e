"""The console: readable aligned lines, colored on a terminal, plain otherwise."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.writer.console import ConsoleSink, format_line, wants_color


def record(**overrides: Any) -> dict[str, Any]:
    """A record as the writer builds it."""
    base: dict[str, Any] = {
        "timestamp": "2026-11-28T01:57:36.123456Z",
        "level": "info",
        "category": "database",
        "message": "query executed",
        "target": "midi.db",
        "fields": {"query": "SELECT 1", "rows": 3},
        "span": None,
        "pid": 42,
        "source": "db.py:8",
    }
    return {**base, **overrides}


class TestFormatLine:
    def test_plain_line_has_time_level_category_target_message_fields(self) -> None:
        """The columns come in order, padded, followed by key=value fields."""
        line = format_line(record(), colors=False, full_time=False)
        assert line == (
            "01:57:36.123 INFO  database    midi.db              query executed "
            'query="SELECT 1" rows=3 source=db.py:8'
        )

    def test_full_time_shows_timestamp_and_pid(self) -> None:
        """The text file format keeps the whole timestamp and the pid."""
        line = format_line(record(), colors=False, full_time=True)
        assert line.startswith("2026-11-28T01:57:36.123456Z INFO ")
        assert "pid=42" in line

    def test_colors_add_ansi_escapes(self) -> None:
        """With colors the level is colored (green for info)."""
        assert "\x1b[32mINFO" in format_line(record(), colors=True, full_time=False)

    def test_plain_has_no_escapes(self) -> None:
        """Without colors there is no escape character at all."""
        assert "\x1b" not in format_line(record(), colors=False, full_time=False)

    def test_escapes_control_characters_from_log_text(self) -> None:
        """A message cannot inject terminal escapes or extra lines."""
        line = format_line(record(message="a\x1b[2Jb\nc"), colors=False, full_time=False)
        assert "\x1b" not in line
        assert "\n" not in line
        assert "a\\x1b[2Jb\\nc" in line

    def test_exception_follows_on_its_own_lines(self) -> None:
        """A traceback in fields.exception is printed below the line, not as a field."""
        fields = {"exception": "Traceback (most recent call last):\nValueError: x"}
        line = format_line(record(fields=fields), colors=False, full_time=False)
        first, *rest = line.split("\n")
        assert "exception=" not in first
        assert rest == ["Traceback (most recent call last):", "ValueError: x"]

    def test_shows_span_name(self) -> None:
        """The innermost span's name is shown."""
        span = {"name": "import_file", "id": "1", "parent_id": None}
        assert "span=import_file" in format_line(record(span=span), colors=False, full_time=False)


class TestWantsColor:
    def test_no_color_disables(self) -> None:
        """Any non-empty NO_COLOR turns colors off."""
        assert wants_color(sys.__stdin__, "1") is False

    def test_pipe_is_not_colored(self) -> None:
        """A stream that is not a terminal gets no colors."""
        assert wants_color(io.StringIO(), None) is False

    def test_terminal_is_colored(self) -> None:
        """A terminal without NO_COLOR gets colors."""
        master, slave = os.openpty()
        with os.fdopen(slave, "w") as stream:
            assert wants_color(stream, "") is True
        os.close(master)


class TestConsoleSink:
    def test_writes_to_current_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Lines go to sys.stderr as it is at write time."""
        ConsoleSink(colors=False).write(record())
        assert "query executed" in capsys.readouterr().err

    def test_broken_stderr_does_not_raise(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A closed stderr is ignored rather than raising into the host."""
        closed = io.StringIO()
        closed.close()
        monkeypatch.setattr(sys, "stderr", closed)
        ConsoleSink(colors=False).write(record())
        assert closed.closed


_CHILD = """
import sys
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=sys.argv[1]))
get_logger("child").warning("hello from child", n=1)
"""


def run_on_pty(code: str, log_dir: Path, env: dict[str, str]) -> str:
    """Run ``code`` with stdin/stdout/stderr on a pseudo-terminal; return what it printed."""
    pid, master = pty.fork()
    if pid == 0:  # child: becomes the interpreter; never returns
        os.execve(sys.executable, [sys.executable, "-c", code, str(log_dir)], env)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, b"".join(chunks)
    return b"".join(chunks).decode()


class TestConsoleInAChild:
    def test_colored_on_a_terminal(self, log_dir: Path, child_env: dict[str, str]) -> None:
        """A process whose stderr is a terminal writes ANSI colors."""
        out = run_on_pty(_CHILD, log_dir, child_env)
        assert "hello from child" in out
        assert "\x1b[33mWARN" in out

    def test_plain_on_a_terminal_with_no_color(
        self, log_dir: Path, child_env: dict[str, str]
    ) -> None:
        """NO_COLOR turns colors off even on a terminal."""
        out = run_on_pty(_CHILD, log_dir, {**child_env, "NO_COLOR": "1"})
        assert "hello from child" in out
        assert "\x1b" not in out

    def test_plain_when_piped(self, log_dir: Path, python: Callable[..., Any]) -> None:
        """When stderr is a pipe the lines are plain."""
        result: subprocess.CompletedProcess[str] = python(_CHILD, str(log_dir))
        assert "hello from child" in result.stderr
        assert "\x1b" not in result.stderr
