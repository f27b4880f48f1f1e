"""The stdlib bridge: `logging` records land in our files, ours never pass through stdlib."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

from shared._events import LogEvent
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging, reset_logging
from shared.writer.stdlib import StdlibBridge

Events = Callable[..., list[LogEvent]]


@pytest.fixture
def started(log_dir: Path) -> Iterator[Path]:
    """Logging initialized into log_dir with a quiet console and file level debug."""
    init_logging(LogConfig(log_dir=log_dir, console_level="error"), env_filter="")
    yield log_dir
    reset_logging()


class TestStdlibBridge:
    def test_third_party_warning_lands_as_warn(self, started: Path, events: Events) -> None:
        """logging.getLogger("thirdparty").warning is a warn record with that target."""
        logging.getLogger("thirdparty").warning("disk %s", "slow")
        event = events(started)[-1]
        assert (event.level, event.target, event.message) == ("warn", "thirdparty", "disk slow")

    def test_root_logger_records_land_too(self, started: Path, events: Events) -> None:
        """The root logger's records are bridged with target ``root``."""
        logging.error("from root")
        assert (events(started)[-1].target, events(started)[-1].level) == ("root", "error")

    def test_extra_becomes_fields_and_category(self, started: Path, events: Events) -> None:
        """``extra`` attributes are fields; an extra category sets the category."""
        extra = {"category": "network", "host": "a", "port": 80}
        logging.getLogger("net").info("connected", extra=extra)
        event = events(started)[-1]
        assert (event.category, event.fields) == ("network", {"host": "a", "port": 80})

    def test_exc_info_becomes_exception(self, started: Path, events: Events) -> None:
        """logger.exception writes the traceback into fields.exception."""
        try:
            raise OSError("gone")
        except OSError:
            logging.getLogger("lib").exception("failed")
        event = events(started)[-1]
        assert event.level == "error"
        assert event.fields["exception"].endswith("OSError: gone")

    def test_levels_are_mapped_and_filtered(self, started: Path, events: Events) -> None:
        """critical → error; below file_level (debug) is dropped, trace numbers included."""
        lib = logging.getLogger("lib")
        lib.log(5, "too fine")
        lib.debug("detail")
        lib.critical("fatal")
        got = [(e.level, e.message) for e in events(started)[1:]]
        assert got == [("debug", "detail"), ("error", "fatal")]

    def test_trace_level_numbers_map_to_trace(self, log_dir: Path, events: Events) -> None:
        """Stdlib levels below DEBUG map to trace when trace is enabled."""
        init_logging(LogConfig(log_dir=log_dir, console_level="error", file_level="trace"))
        logging.getLogger("lib").log(5, "fine grained")
        assert events(log_dir)[-1].level == "trace"

    def test_source_is_the_stdlib_call_site(self, started: Path, events: Events) -> None:
        """source is the file and line of the logging call."""
        logging.getLogger("lib").warning("here")
        line = sys._getframe().f_lineno - 1
        assert events(started)[-1].source == f"test_stdlib.py:{line}"

    def test_contextvars_are_merged(self, started: Path, events: Events) -> None:
        """Context bound with bind_contextvars shows up in bridged records too."""
        with structlog.contextvars.bound_contextvars(request_id="r-9"):
            logging.getLogger("lib").warning("with context")
        assert events(started)[-1].fields == {"request_id": "r-9"}

    def test_bad_format_arguments_still_write(self, started: Path, events: Events) -> None:
        """A message whose %-arguments do not fit is written as message and arguments."""
        # Handed to the bridge directly: pytest's own capture handler would raise on it.
        bridge = next(h for h in logging.getLogger().handlers if isinstance(h, StdlibBridge))
        fields = {"name": "lib", "levelno": logging.WARNING, "msg": "%d items", "args": ("many",)}
        bridge.handle(logging.makeLogRecord(fields))
        assert events(started)[-1].message == "'%d items' ('many',)"

    def test_our_records_do_not_reach_stdlib_handlers(self, started: Path) -> None:
        """get_logger records bypass logging's handlers entirely."""
        seen: list[logging.LogRecord] = []
        handler = logging.Handler()
        handler.emit = seen.append  # type: ignore[method-assign,assignment]
        logging.getLogger().addHandler(handler)
        try:
            get_logger("ours").warning("direct")
        finally:
            logging.getLogger().removeHandler(handler)
        assert seen == []

    def test_reset_restores_root_logger(self, log_dir: Path) -> None:
        """reset_logging removes the bridge and restores the root level."""
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        init_logging(LogConfig(log_dir=log_dir, console_level="error"))
        assert root.level == logging.DEBUG
        reset_logging()
        assert (root.handlers, root.level) == (handlers, level)
