"""init_logging end to end: real files, every line a LogEvent, levels per destination."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from shared._events import LogEvent, SpanInfo
from shared.writer import sink as _sink
from shared.writer.config import LogConfig, LoggingError
from shared.writer.logger import Target
from shared.writer.setup import _processors, current_config, get_logger, init_logging, reset_logging

Events = Callable[..., list[LogEvent]]
PROTOCOL_KEYS = ["timestamp", "level", "category", "message", "target", "fields", "span", "pid"]


def start(log_dir: Path, **options: object) -> LogConfig:
    """init_logging with a quiet console unless told otherwise; return the config."""
    options.setdefault("console_level", "error")
    env_filter = options.pop("env_filter", None)
    config = LogConfig(log_dir=log_dir, **options)  # type: ignore[arg-type]
    init_logging(config, env_filter=env_filter)  # type: ignore[arg-type]
    return config


def messages(events: list[LogEvent]) -> list[str]:
    """The messages, without the "logging initialized" record."""
    return [e.message for e in events if e.message != "logging initialized"]


class TestInitLogging:
    def test_creates_directory_and_file(self, log_dir: Path) -> None:
        """The log directory (with parents) and ``<app_name>.log`` are created."""
        start(log_dir / "deep", app_name="daw")
        assert (log_dir / "deep" / "daw.log").is_file()

    def test_writes_logging_initialized_record(self, log_dir: Path, events: Events) -> None:
        """The first record says logging started, with app_name and log_dir."""
        start(log_dir)
        first = events(log_dir)[0]
        assert (first.message, first.category, first.level) == (
            "logging initialized",
            "system",
            "info",
        )
        assert first.fields == {"app_name": "midi-software-center", "log_dir": str(log_dir)}

    def test_second_call_is_a_quiet_no_op(self, log_dir: Path, tmp_path: Path) -> None:
        """A second init_logging keeps the first configuration and creates nothing."""
        first = start(log_dir)
        start(tmp_path / "other")
        assert current_config() == first
        assert not (tmp_path / "other").exists()

    def test_error_names_the_path_when_a_file_is_in_the_way(self, tmp_path: Path) -> None:
        """A log_dir below a regular file raises LoggingError naming the directory."""
        (tmp_path / "file").write_text("x")
        with pytest.raises(LoggingError, match=r"cannot create log directory .*file/logs"):
            start(tmp_path / "file" / "logs")

    def test_error_names_the_path_when_the_log_file_is_a_directory(self, log_dir: Path) -> None:
        """An active 'file' that is a directory raises LoggingError naming it."""
        (log_dir / "midi-software-center.log").mkdir(parents=True)
        with pytest.raises(LoggingError, match=r"cannot open log file .*midi-software-center\.log"):
            start(log_dir)

    def test_error_names_a_read_only_directory(
        self, python: Callable[..., subprocess.CompletedProcess[str]]
    ) -> None:
        """A directory the process may not write raises LoggingError naming it.

        Root ignores permissions, so the child drops to ``nobody`` before trying.
        """
        base = Path(tempfile.mkdtemp(prefix="msc-ro-"))
        try:
            base.chmod(0o755)
            read_only = base / "ro"
            read_only.mkdir(mode=0o555)
            read_only.chmod(0o555)
            result = python(_READ_ONLY_CHILD, str(read_only))
        finally:
            shutil.rmtree(base)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"cannot create log directory {read_only}/logs: Permission denied",
            f"log directory {read_only} is not writable",
        ]

    def test_failed_init_can_be_retried(self, tmp_path: Path, log_dir: Path) -> None:
        """A failed call does not count as initialized (the seed marked it anyway)."""
        (tmp_path / "file").write_text("x")
        with pytest.raises(LoggingError):
            start(tmp_path / "file" / "logs")
        assert current_config() is None
        start(log_dir)
        assert current_config() is not None

    def test_bad_directive_raises_naming_it(self, log_dir: Path) -> None:
        """A malformed env_filter raises LoggingError quoting the directive."""
        with pytest.raises(LoggingError, match="'midi=loud'"):
            start(log_dir, env_filter="info,midi=loud")

    def test_reset_allows_a_new_configuration(self, log_dir: Path, tmp_path: Path) -> None:
        """After reset_logging, init_logging configures anew."""
        start(log_dir)
        reset_logging()
        assert current_config() is None
        second = start(tmp_path / "second")
        assert current_config() == second
        get_logger("t").info("after reset")
        assert "after reset" in (tmp_path / "second" / "midi-software-center.log").read_text()

    def test_reset_restores_structlog_configuration(self, log_dir: Path) -> None:
        """reset_logging puts structlog's previous configuration back."""
        before = structlog.get_config()
        start(log_dir)
        reset_logging()
        assert structlog.get_config()["wrapper_class"] is before["wrapper_class"]


_READ_ONLY_CHILD = """
import os, sys
from shared.writer.config import LogConfig, LoggingError
from shared.writer.setup import init_logging
os.setgid(65534)
os.setuid(65534)
for log_dir in (os.path.join(sys.argv[1], "logs"), sys.argv[1]):
    try:
        init_logging(LogConfig(log_dir=log_dir, console_level="error"), env_filter="")
    except LoggingError as error:
        print(error)
"""


class TestRecords:
    def test_every_line_is_a_log_event_in_protocol_key_order(
        self, log_dir: Path, lines: Callable[..., list[bytes]]
    ) -> None:
        """Each line parses as LogEvent and keeps the PROTOCOL key order."""
        start(log_dir)
        log = get_logger("midi.io")
        log.info("opened", port=1)
        log.warning("late", category="midi", by_ms=3.5)
        for raw in lines(log_dir):
            LogEvent.model_validate_json(raw)
            assert list(json.loads(raw)) == [*PROTOCOL_KEYS, "source"]

    def test_maps_target_category_fields_and_pid(self, log_dir: Path, events: Events) -> None:
        """target is the logger name; category and keywords land where the contract says."""
        start(log_dir)
        get_logger("backend.db").info("query executed", category="database", query="SELECT 1")
        event = events(log_dir)[-1]
        assert (event.target, event.category, event.message) == (
            "backend.db",
            "database",
            "query executed",
        )
        assert event.fields == {"query": "SELECT 1"}
        assert event.pid == os.getpid()

    def test_source_is_the_calling_line(self, log_dir: Path, events: Events) -> None:
        """With include_location, source is ``file.py:line`` of the logging call."""
        start(log_dir)
        get_logger("t").info("here")
        line = sys._getframe().f_lineno - 1
        assert events(log_dir)[-1].source == f"test_setup.py:{line}"

    def test_no_source_without_include_location(self, log_dir: Path, events: Events) -> None:
        """include_location=False leaves source out."""
        start(log_dir, include_location=False)
        get_logger("t").info("here")
        assert events(log_dir)[-1].source is None

    def test_context_and_span_from_contextvars(self, log_dir: Path, events: Events) -> None:
        """Values bound with bind_contextvars become fields; a bound span becomes the span."""
        start(log_dir)
        span = {"name": "import_file", "id": "b", "parent_id": "a"}
        with structlog.contextvars.bound_contextvars(request_id="req-1", span=span):
            get_logger("t").info("inside")
        event = events(log_dir)[-1]
        assert event.fields == {"request_id": "req-1"}
        assert event.span == SpanInfo(name="import_file", id="b", parent_id="a")

    def test_exception_method_records_traceback(self, log_dir: Path, events: Events) -> None:
        """log.exception inside except writes level error with fields.exception."""
        start(log_dir)
        try:
            raise KeyError("missing")
        except KeyError:
            get_logger("t").exception("lookup failed")
        event = events(log_dir)[-1]
        assert event.level == "error"
        assert "KeyError: 'missing'" in event.fields["exception"]

    def test_unserializable_values_get_stand_ins(self, log_dir: Path, events: Events) -> None:
        """Values JSON cannot hold still produce a valid line with readable stand-ins."""
        start(log_dir)
        cyclic: dict[str, object] = {}
        cyclic["me"] = cyclic
        get_logger("t").info("odd", blob=b"\x00ab", tags={"b", "a"}, obj=object(), cyc=cyclic)
        fields = events(log_dir)[-1].fields
        assert (fields["blob"], fields["tags"], fields["cyc"]) == (
            "\x00ab",
            ["a", "b"],
            {"me": "<cycle>"},
        )
        assert fields["obj"].startswith("<object object at")

    def test_percent_arguments_are_interpolated(self, log_dir: Path, events: Events) -> None:
        """Positional arguments format the message, as structlog's filtering logger does."""
        start(log_dir)
        get_logger("t").info("%d files in %s", 3, "/music")
        assert events(log_dir)[-1].message == "3 files in /music"

    def test_text_format_writes_readable_lines(self, log_dir: Path) -> None:
        """json_format=False writes aligned text lines instead of JSON."""
        start(log_dir, json_format=False)
        get_logger("midi.io").warning("port busy", port=2)
        last = (log_dir / "midi-software-center.log").read_text().splitlines()[-1]
        assert " WARN  unknown     midi.io              port busy port=2 pid=" in last
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(last)

    def test_rotates_through_init_logging(
        self, log_dir: Path, events: Events, files: Callable[..., list[Path]]
    ) -> None:
        """max_file_size_mb and max_files are honoured while logging (not only at start)."""
        start(log_dir, max_file_size_mb=0.002, max_files=2)
        log = get_logger("t")
        for n in range(200):
            log.info("filler", n=n, pad="x" * 50)
        names = [p.name for p in files(log_dir)]
        assert names == [
            "midi-software-center.log.2",
            "midi-software-center.log.1",
            "midi-software-center.log",
        ]
        numbers = [e.fields["n"] for e in events(log_dir)]
        assert numbers == sorted(numbers)
        assert numbers[-1] == 199


class TestLevels:
    def test_trace_to_error_reach_the_file(self, log_dir: Path, events: Events) -> None:
        """With file_level trace every method writes, mapped to our five levels."""
        start(log_dir, file_level="trace")
        log = get_logger("t")
        log.trace("a")
        log.debug("b")
        log.info("c")
        log.warning("d")
        log.warn("e")
        log.error("f")
        log.critical("g")
        levels = [e.level for e in events(log_dir)[1:]]
        assert levels == ["trace", "debug", "info", "warn", "warn", "error", "error"]

    def test_file_level_filters_the_file(self, log_dir: Path, events: Events) -> None:
        """Records below file_level are not written to the file."""
        start(log_dir, file_level="warn")
        log = get_logger("t")
        log.info("dropped")
        log.warning("kept")
        assert messages(events(log_dir)) == ["kept"]

    def test_console_level_filters_the_console_only(
        self, log_dir: Path, events: Events, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """console_level and file_level apply to their own destination."""
        start(log_dir, console_level="warn", file_level="debug")
        log = get_logger("t")
        log.debug("only in file")
        log.warning("in both")
        err = capsys.readouterr().err
        assert "in both" in err
        assert "only in file" not in err
        assert messages(events(log_dir)) == ["only in file", "in both"]

    def test_env_filter_overrides_both_destinations(
        self, log_dir: Path, events: Events, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A directive for a target replaces both configured levels for that target."""
        start(log_dir, console_level="error", file_level="error", env_filter="midi=debug")
        get_logger("midi.io").debug("midi detail")
        get_logger("other").warning("other warning")
        assert messages(events(log_dir)) == ["midi detail"]
        assert "midi detail" in capsys.readouterr().err

    def test_msc_log_environment_variable_is_read(
        self, log_dir: Path, events: Events, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Without env_filter, $MSC_LOG is used."""
        monkeypatch.setenv("MSC_LOG", "warn,keep=trace")
        start(log_dir)
        get_logger("keep.me").trace("kept")
        get_logger("drop").info("dropped")
        assert messages(events(log_dir)) == ["kept"]

    def test_env_filter_argument_wins_over_environment(
        self, log_dir: Path, events: Events, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """An explicit env_filter (even empty) means $MSC_LOG is not read."""
        monkeypatch.setenv("MSC_LOG", "not a directive")
        start(log_dir, env_filter="")
        get_logger("t").info("fine")
        assert messages(events(log_dir)) == ["fine"]

    def test_bad_msc_log_raises(self, log_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A malformed $MSC_LOG raises LoggingError naming the directive."""
        monkeypatch.setenv("MSC_LOG", "chatty")
        with pytest.raises(LoggingError, match="'chatty'"):
            start(log_dir)


class TestGetLogger:
    def test_target_defaults_to_calling_module(self, log_dir: Path, events: Events) -> None:
        """get_logger() without a name uses the caller's __name__."""
        start(log_dir)
        get_logger().info("who")
        assert events(log_dir)[-1].target == __name__

    def test_logger_made_before_init_writes_after_init(self, log_dir: Path, events: Events) -> None:
        """A module-level logger created before init_logging uses the configuration later."""
        early = get_logger("early")
        early.debug("before init: dropped")
        start(log_dir)
        early.debug("after init")
        assert messages(events(log_dir)) == ["after init"]

    def test_before_init_warnings_reach_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Before init_logging, warn and error go to stderr and info is dropped."""
        log = get_logger("pre")
        log.info("quiet")
        log.warning("loud")
        err = capsys.readouterr().err
        assert "loud" in err
        assert "quiet" not in err

    def test_bound_values_become_fields(self, log_dir: Path, events: Events) -> None:
        """bind() adds fields and keeps the target."""
        start(log_dir)
        get_logger("t").bind(session_id="s1").info("bound")
        event = events(log_dir)[-1]
        assert (event.target, event.fields) == ("t", {"session_id": "s1"})

    def test_new_does_not_change_the_shared_logger(self, log_dir: Path, events: Events) -> None:
        """new() returns a fresh logger; the cached one keeps its target."""
        start(log_dir)
        log = get_logger("t")
        log.new(x=1).info("from new")
        log.info("from original")
        assert [e.target for e in events(log_dir)[-2:]] == ["t", "t"]

    def test_structlog_get_logger_writes_too(self, log_dir: Path, events: Events) -> None:
        """structlog.get_logger(name) after init writes records with that target."""
        start(log_dir)
        structlog.get_logger("via.structlog").warning("hi")
        assert events(log_dir)[-1].target == "via.structlog"

    def test_log_method_takes_names_and_numbers(self, log_dir: Path, events: Events) -> None:
        """log(level, ...) accepts our names, stdlib names and stdlib numbers."""
        start(log_dir)
        log = get_logger("t")
        log.log("warning", "by name")
        log.log(40, "by number")
        assert [(e.level, e.message) for e in events(log_dir)[1:]] == [
            ("warn", "by name"),
            ("error", "by number"),
        ]

    def test_other_structlog_wrappers_write_through_us(self, log_dir: Path, events: Events) -> None:
        """A structlog wrapper other than ours, given our processors, still writes records."""
        start(log_dir)
        log = structlog.wrap_logger(
            Target("foreign"), processors=_processors, wrapper_class=structlog.BoundLogger
        )
        log.info("via generic wrapper", n=1)
        event = events(log_dir)[-1]
        assert (event.target, event.fields) == ("foreign", {"n": 1})

    def test_targets_are_always_text(self, log_dir: Path, events: Events) -> None:
        """A wrapped target named by a number, a bound one and a foreign logger's write text."""
        start(log_dir)
        untyped: Any = 7  # what a caller without type checks can pass
        numbered = structlog.wrap_logger(
            Target(untyped), processors=_processors, wrapper_class=structlog.BoundLogger
        )
        numbered.info("numbered")
        numbered.info("bound", target=8)
        nameless = types.SimpleNamespace(info=lambda *args, **kwargs: None)
        foreign = structlog.wrap_logger(
            nameless, processors=_processors, wrapper_class=structlog.BoundLogger
        )
        foreign.info("nameless")
        written = [(event.message, event.target) for event in events(log_dir)[-3:]]
        assert written == [("numbered", "7"), ("bound", "8"), ("nameless", "")]

    def test_is_enabled_for_follows_levels(self, log_dir: Path) -> None:
        """is_enabled_for tells whether a level would be written anywhere."""
        start(log_dir, file_level="info")
        log = get_logger("t")
        assert log.is_enabled_for("info")
        assert not log.is_enabled_for("debug")


class TestReliability:
    def test_logging_survives_deleted_directory(
        self, log_dir: Path, events: Events, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """When the log directory is deleted, logging recreates it and carries on."""
        monkeypatch.setattr(_sink, "_CHECK_INTERVAL_S", 0.0)
        start(log_dir)
        shutil.rmtree(log_dir)
        get_logger("t").info("after delete")
        assert messages(events(log_dir)) == ["after delete"]

    def test_broken_value_never_raises(self, log_dir: Path, events: Events) -> None:
        """A value whose str and repr both raise still yields a valid line."""

        class Hostile:
            def __str__(self) -> str:
                raise RuntimeError("str")

            def __repr__(self) -> str:
                raise RuntimeError("repr")

        start(log_dir)
        get_logger("t").info(Hostile(), value=Hostile())
        last = events(log_dir)[-1]
        assert last.message == last.fields["value"] == "<unrepresentable Hostile>"
