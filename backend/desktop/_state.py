"""What the desktop app keeps between and around runs: window geometry, the one-instance lock.

Geometry is a small JSON file in the viewer's per-user config dir (`ViewerDirs.geometry_file`),
written when a resize or move has settled and again on close. The lock is an ``flock`` on a file in
the viewer's runtime dir named by a hash of the directory shown (`ViewerDirs.lock_file`), so two
viewers on the same directory refuse each other while viewers on different directories coexist,
and nothing is created in the directory shown; the OS drops the lock when the process dies, so a
crash leaves nothing stale behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import orjson

__all__ = [
    "DEFAULT_GEOMETRY",
    "Geometry",
    "GeometryKeeper",
    "InstanceLock",
    "load_geometry",
    "save_geometry",
]

#: Seconds without resize/move events after which the geometry is written.
SETTLE_DELAY = 0.5
#: Smallest size restored (a file edited by hand, or a window collapsed to nothing).
MIN_WIDTH, MIN_HEIGHT = 480, 320


@dataclass(frozen=True)
class Geometry:
    """A window's size and, when known, position (screen pixels)."""

    width: int = 1120
    height: int = 720
    x: int | None = None
    y: int | None = None


DEFAULT_GEOMETRY = Geometry()


def load_geometry(path: Path) -> Geometry:
    """The saved geometry, or the default when the file is missing or unreadable."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return DEFAULT_GEOMETRY
    if not isinstance(data, dict):
        return DEFAULT_GEOMETRY
    values = {k: data.get(k) for k in ("width", "height", "x", "y")}
    if not all(v is None or type(v) is int for v in values.values()):  # bool is no size
        return DEFAULT_GEOMETRY
    width = max(MIN_WIDTH, values["width"] or DEFAULT_GEOMETRY.width)
    height = max(MIN_HEIGHT, values["height"] or DEFAULT_GEOMETRY.height)
    x, y = values["x"], values["y"]
    if x is None or y is None or x < 0 or y < 0:
        # Off the top or left (a monitor since unplugged, a centring quirk): let Qt centre it.
        x = y = None
    return Geometry(width, height, x, y)


def save_geometry(path: Path, geometry: Geometry) -> None:
    """Write ``geometry`` atomically (a torn file would reset the window next time)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(orjson.dumps(asdict(geometry)))
    os.replace(temporary, path)


class GeometryKeeper:
    """Follows a window's resize and move events and saves the geometry once they settle."""

    def __init__(self, path: Path, initial: Geometry, delay: float = SETTLE_DELAY) -> None:
        self._path = path
        self._delay = delay
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self.geometry = initial

    def resized(self, width: int, height: int) -> None:
        """pywebview ``resized`` handler."""
        self._update(replace(self.geometry, width=int(width), height=int(height)))

    def moved(self, x: int, y: int) -> None:
        """pywebview ``moved`` handler."""
        self._update(replace(self.geometry, x=int(x), y=int(y)))

    def _update(self, geometry: Geometry) -> None:
        with self._lock:
            self.geometry = geometry
            if self._timer is not None:
                self._timer.cancel()
            # A drag sends dozens of events a second: write once, when it has ended.
            self._timer = threading.Timer(self._delay, self.save)
            self._timer.daemon = True
            self._timer.start()

    def save(self) -> None:
        """Write the current geometry now (also on close); failures are not fatal."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            geometry = self.geometry
        with contextlib.suppress(OSError):  # a read-only config dir only loses the geometry
            save_geometry(self._path, geometry)


class InstanceLock:
    """An exclusive ``flock`` on the file ``path`` holding the owner's pid.

    Args:
        path: The lock file (`ViewerDirs.lock_file`); its directory is created, private to the
            user, when missing.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> int | None:
        """Take the lock.

        Returns:
            None when taken; otherwise the pid of the viewer holding it (0 if unknown).

        Raises:
            OSError: The lock file cannot be created.
        """
        try:
            import fcntl  # noqa: PLC0415 - POSIX only: the module must still import elsewhere
        except ImportError:  # Windows: no flock; one instance per directory is not enforced
            return None
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip()
            os.close(fd)
            return int(holder) if holder.isdigit() else 0
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return None

    def release(self) -> None:
        """Drop the lock (the file stays: removing it would race a starting viewer)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
