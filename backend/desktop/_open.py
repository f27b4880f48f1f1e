"""File ▸ Open Directory…, Open File… and Open Recent: another log in another window.

A window shows one log for its whole life (its commands, follower and saved view belong to that
directory), so opening another log starts another viewer process on it, in its own session, as
``msc-logs --log-dir PATH``. Opening a log that a window already shows brings that window to the
front instead (`backend.desktop._instance`): one window per directory holds.

The logs opened (and the one each window starts on) are remembered, newest first, in
``recent.json`` in the viewer's config directory (`ViewerDirs.recent_file`), never in a log
directory.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import threading
from pathlib import Path

import orjson

from backend._app import CommandError
from backend.desktop.install import exec_command
from shared.writer.setup import get_logger

__all__ = ["MAX_RECENT", "LogOpener", "RecentLogs", "spawn_viewer"]

#: How many logs Open Recent lists.
MAX_RECENT = 10
_log = get_logger(__name__)


class RecentLogs:
    """The logs opened lately, newest first, in a small JSON file (a list of paths).

    A missing, unreadable or hand-broken file is an empty list; paths that no longer exist are
    left out when listed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def _read(self) -> list[str]:
        try:
            data = orjson.loads(self.path.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return []
        return [p for p in data if isinstance(p, str)] if isinstance(data, list) else []

    def list(self) -> list[Path]:
        """The remembered logs that still exist, newest first."""
        return [Path(p) for p in self._read() if os.path.exists(p)]

    def add(self, path: Path) -> None:
        """Put ``path`` first (once); failures to write only lose the list, never the window."""
        with self._lock:
            paths = [str(path), *(p for p in self._read() if p != str(path))][:MAX_RECENT]
            with contextlib.suppress(OSError):
                self.path.parent.mkdir(parents=True, exist_ok=True)
                temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
                temporary.write_bytes(orjson.dumps(paths))
                os.replace(temporary, self.path)


def spawn_viewer(log: Path) -> int:
    """Start ``msc-logs --log-dir log`` in its own session (it outlives this window); its pid."""
    child = subprocess.Popen(
        [*exec_command(), "--log-dir", str(log)], stdin=subprocess.DEVNULL, start_new_session=True
    )
    # Reap it when it ends (its window is independent of this one).
    threading.Thread(target=child.wait, name="msc-viewer-reaper", daemon=True).start()
    return child.pid


class LogOpener:
    """Opens a log directory or file in a viewer window of its own.

    Args:
        recent: Where the logs opened are remembered.
    """

    def __init__(self, recent: RecentLogs) -> None:
        self.recent = recent

    def open(self, path: str) -> dict[str, object]:
        """Open ``path`` (``~`` expanded, made absolute); returns ``{path, pid}``.

        Raises:
            CommandError: ``invalid_args`` for an empty path or one that is neither a directory
                nor a regular file (a device, a FIFO), ``not_found`` when nothing is there.
        """
        if not path.strip():
            raise CommandError("invalid_args", "path: must name a log directory or file")
        target = Path(os.path.abspath(os.path.expanduser(path)))
        if not target.exists():
            raise CommandError("not_found", f"path: {target} does not exist")
        if not (target.is_dir() or target.is_file()):
            raise CommandError("invalid_args", f"path: {target} is no directory or regular file")
        self.recent.add(target)
        pid = spawn_viewer(target)
        _log.info("log opened in a new window", category="user", path=str(target), pid=pid)
        return {"path": str(target), "pid": pid}
