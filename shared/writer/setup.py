"""`init_logging`, `reset_logging`, `current_config` and `get_logger`.

One processor chain serves every logger: ``[merge_contextvars, <renderer>]``. The list object is
shared by all loggers (ours and structlog's ``get_logger``), and `init_logging`/`reset_logging`
replace its last element in place, so loggers created at import time, before configuration,
write through the configuration current at call time. Before `init_logging` the renderer writes
warn and error records to stderr only, as the stdlib's last-resort handler does.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass
from typing import Any

import structlog
from structlog.contextvars import merge_contextvars
from structlog.typing import Processor

from shared.redact import redactor_for
from shared.writer.config import LogConfig, LoggingError
from shared.writer.console import ConsoleSink, wants_color
from shared.writer.filter import Directives, TargetLevels, parse_directives
from shared.writer.logger import GATE, WARN, BoundLogger, Target
from shared.writer.render import Renderer
from shared.writer.sink import FileSink
from shared.writer.stdlib import StdlibBridge, stdlib_level

__all__ = ["ENV_VAR", "current_config", "get_logger", "init_logging", "reset_logging"]

#: Environment variable with level directives (``info,backend.commands=debug``).
ENV_VAR = "MSC_LOG"
_SELF_TARGET = "shared.logging"
_LOGGER_CACHE_LIMIT = 4096

_fallback = Renderer(
    TargetLevels("warn", "off"),
    file=None,
    console=ConsoleSink(colors=False),
    include_location=False,
)
_processors: list[Processor] = [merge_contextvars, _fallback]
_loggers: dict[str, BoundLogger] = {}
_lock = threading.Lock()


@dataclass
class _Installed:
    """What `init_logging` changed, so `reset_logging` can undo it."""

    config: LogConfig
    sink: FileSink | None
    bridge: StdlibBridge
    root_level: int
    structlog_config: dict[str, Any] | None


_installed: _Installed | None = None


def init_logging(config: LogConfig | None = None, *, env_filter: str | None = None) -> None:
    """Start logging to ``<log_dir>/<app_name>.log`` and the console; later calls do nothing.

    Args:
        config: Where and how to log; `LogConfig()` defaults when omitted. With
            ``log_dir=None`` nothing is written to disk: records go to the console only.
        env_filter: Level directives overriding ``console_level`` and ``file_level``
            (``info,backend.commands=debug``); when None, ``$MSC_LOG`` is used if set.

    Raises:
        LoggingError: The log directory or file cannot be created or written (the message
            names the path), or a directive is malformed (the message names it).
    """
    global _installed  # noqa: PLW0603 - logging configuration is process-global by nature
    with _lock:
        if _installed is not None:
            return
        config = config if config is not None else LogConfig()
        levels = TargetLevels(config.console_level, config.file_level, _directives(env_filter))
        sink = _open_sink(config)
        colors = wants_color(sys.stderr, os.environ.get("NO_COLOR"))
        renderer = Renderer(
            levels,
            file=sink,
            console=ConsoleSink(colors=colors),
            include_location=config.include_location,
            json_format=config.json_format,
            redactor=redactor_for(config.redact),
        )
        if sink is not None:
            sink.on_resume = renderer.records_dropped
        _installed = _install(config, sink, renderer)
    get_logger(_SELF_TARGET).info(
        "logging initialized",
        category="system",
        app_name=config.app_name,
        log_dir=None if config.log_dir is None else str(config.log_dir),
    )


def _directives(env_filter: str | None) -> Directives | None:
    # The one place MSC_LOG is read: an explicit argument wins, even an empty one.
    text = env_filter if env_filter is not None else os.environ.get(ENV_VAR)
    return parse_directives(text) if text else None


def _open_sink(config: LogConfig) -> FileSink | None:
    log_dir = config.log_dir
    if log_dir is None:  # the console only: no directory is created, nothing is opened
        return None
    try:
        os.makedirs(log_dir, exist_ok=True)
    except OSError as exc:
        raise LoggingError(f"cannot create log directory {log_dir}: {_reason(exc)}") from exc
    if not os.access(log_dir, os.W_OK | os.X_OK):
        # Appending could still work in an existing file, but rotation needs to rename.
        raise LoggingError(f"log directory {log_dir} is not writable")
    try:
        return FileSink(log_dir, config.app_name, config.max_file_bytes, config.max_files)
    except OSError as exc:
        raise LoggingError(f"cannot open log file {config.log_file}: {_reason(exc)}") from exc


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _install(config: LogConfig, sink: FileSink | None, renderer: Renderer) -> _Installed:
    saved = structlog.get_config() if structlog.is_configured() else None
    structlog.configure(
        processors=_processors,
        wrapper_class=BoundLogger,
        logger_factory=_target_factory,
        context_class=dict,
        cache_logger_on_first_use=True,
    )
    root = logging.getLogger()
    bridge = StdlibBridge(renderer)
    installed = _Installed(config, sink, bridge, root.level, saved)
    root.addHandler(bridge)
    root.setLevel(stdlib_level(renderer.levels.lowest()))
    _processors[-1] = renderer
    GATE.update(renderer.levels.floor)
    return installed


def _target_factory(*args: Any) -> Target:
    # structlog.get_logger("name") passes "name" here; it becomes the records' target.
    return Target(str(args[0]) if args else "")


def reset_logging() -> None:
    """Undo `init_logging`: close the file, restore structlog's and the root logger's settings.

    Meant for tests; afterwards `init_logging` configures anew. Does nothing when not
    initialized.
    """
    global _installed
    with _lock:
        installed, _installed = _installed, None
        if installed is None:
            return
        _processors[-1] = _fallback
        GATE.update(lambda target: WARN)
        root = logging.getLogger()
        root.removeHandler(installed.bridge)
        root.setLevel(installed.root_level)
        if installed.structlog_config is None:
            structlog.reset_defaults()
        else:
            structlog.configure(**installed.structlog_config)
        if installed.sink is not None:
            installed.sink.close()


def current_config() -> LogConfig | None:
    """Return the configuration `init_logging` installed, or None before it (or after reset)."""
    installed = _installed
    return installed.config if installed is not None else None


def get_logger(name: str | None = None) -> BoundLogger:
    """Return the structlog bound logger whose records have ``target`` ``name``.

    Args:
        name: The target (a module path such as ``backend.commands``); defaults to the calling
            module's ``__name__``.

    Returns:
        A logger with ``trace``, ``debug``, ``info``, ``warning``/``warn``, ``error``,
        ``critical``, ``exception`` and structlog's ``bind``; usable before `init_logging`.
    """
    if name is None:
        name = str(sys._getframe(1).f_globals.get("__name__", ""))
    logger = _loggers.get(name)
    if logger is None:
        if len(_loggers) >= _LOGGER_CACHE_LIMIT:
            _loggers.clear()
        # The name rides on the wrapped Target, not in the context: an empty context lets each
        # call use its keyword dict as the event dict instead of merging into a copy.
        logger = BoundLogger(Target(name), _processors, {})
        _loggers[name] = logger
    return logger
