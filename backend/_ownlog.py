"""The viewer's own log: its records go to its own directory, never to the directory it shows.

The window and the dev server log their start-up, every command ("command handled", with its
request id), the clear audit record and their errors into
``<ViewerDirs.log_dir>/msc-logs-viewer.log``. Viewing that very directory (File ▸ Open the
viewer's own log, ``msc-logs --own-log``), or a directory above it, logs to the console only: a
viewer writing into the log it shows would feed itself.
"""

from __future__ import annotations

from pathlib import Path

from backend._dirs import VIEWER_APP_NAME, ViewerDirs
from shared._events import Level
from shared.writer.config import LogConfig, LoggingError
from shared.writer.setup import init_logging

__all__ = ["start_viewer_logging", "viewer_log_config"]


def viewer_log_config(dirs: ViewerDirs, shown: Path, console_level: Level = "info") -> LogConfig:
    """Where the viewer showing ``shown`` logs: its own directory, or the console only.

    Args:
        dirs: The viewer's directories.
        shown: The log directory the viewer shows.
        console_level: Least severe level on the console.
    """
    log_dir = None if dirs.logs_into(shown) else dirs.log_dir
    return LogConfig(log_dir=log_dir, app_name=VIEWER_APP_NAME, console_level=console_level)


def start_viewer_logging(
    dirs: ViewerDirs, shown: Path, console_level: Level = "info"
) -> str | None:
    """Start the viewer's logging (`viewer_log_config`).

    A viewer whose own directory cannot be written still opens: it logs to the console only.

    Returns:
        None, or a note for stderr saying why the viewer logs to the console only.

    Raises:
        LoggingError: A malformed ``MSC_LOG`` directive.
    """
    config = viewer_log_config(dirs, shown, console_level)
    try:
        init_logging(config)
    except LoggingError as exc:
        if config.log_dir is None:
            raise
        # Raises again when the cause was no directory but a bad MSC_LOG directive.
        init_logging(config.model_copy(update={"log_dir": None}))
        return f"{exc}; the viewer logs to the console only"
    return None
