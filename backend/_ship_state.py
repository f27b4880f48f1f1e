"""`msc-logs ship`'s checkpoints: where each source was last acknowledged, kept in the state dir.

One JSON file per (log directory, endpoint) under ``<state_dir>/ship/``, named by a hash of the
two, holds a `Position` per source: the generation of the file (its inode's low bits and a CRC
of its first line, as the reader knows files), the offset of the line of the last record the
collector acknowledged, how many records of that line were sent (a line of a foreign logger may
hold several), and counters. Reading resumes at that line and drops what was sent of it: one
line is read again, no record is sent twice.

The file is replaced atomically (temporary file, fsync, ``os.replace``, fsync of the
directory) after each acknowledged batch, so a process killed at any moment leaves the last
acknowledged position. A lock file beside it keeps two ships of one pair from running at once.
Nothing here touches the log directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from shared.reader.sources import find_sources

__all__ = ["CheckpointError", "CheckpointStore", "Position", "bytes_behind"]

_VERSION = 1


class CheckpointError(Exception):
    """The checkpoint file cannot be read or written, or another ship holds it."""


@dataclass(slots=True)
class Position:
    """Where a source was last acknowledged.

    Attributes:
        generation: The file's generation (``shared.reader.sources.compute_generation``).
        offset: Byte offset of the line (or text entry) of the last record sent.
        skip: Records of that line already sent (reading resumes at ``offset`` past them).
        file: The file's name when the record was read (for messages: it may have rotated).
        time: The time of the newest record sent.
        records: Records of this source sent so far, over every run.
    """

    generation: str
    offset: int
    skip: int = 0
    file: str = ""
    time: str | None = None
    records: int = 0


class CheckpointStore:
    """The checkpoint file of one (log directory, endpoint) pair; see the module doc."""

    def __init__(self, state_dir: Path, log_dir: Path, endpoint: str) -> None:
        """Name the files (nothing is created until `lock` or `save`).

        Args:
            state_dir: The viewer's state directory (`backend._dirs.ViewerDirs.state_dir`).
            log_dir: The log directory (or file) shipped, resolved.
            endpoint: The full ``/v1/logs`` URL.
        """
        digest = hashlib.sha256(f"{log_dir}\n{endpoint}".encode()).hexdigest()[:24]
        self.path = state_dir / "ship" / f"{digest}.json"
        self._lock_path = self.path.with_suffix(".lock")
        self._log_dir, self._endpoint = str(log_dir), endpoint
        self._lock: IO[bytes] | None = None

    def lock(self) -> None:
        """Hold the pair's lock for this process's lifetime.

        Raises:
            CheckpointError: Another ``ship`` of the same pair runs, or the directory cannot
                be created.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle = self._lock_path.open("ab")
        except OSError as exc:
            raise CheckpointError(f"cannot create {self._lock_path}: {exc.strerror}") from None
        try:
            import fcntl  # noqa: PLC0415 -- POSIX only; elsewhere runs are not serialized

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:
            pass
        except OSError:
            handle.close()
            raise CheckpointError(
                f"another ship is already sending {self._log_dir} to {self._endpoint}"
                f" (lock {self._lock_path})"
            ) from None
        self._lock = handle

    def unlock(self) -> None:
        """Release the lock (closing the file does)."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def load(self) -> dict[str, Position]:
        """The positions saved by the last run (none when there was no run yet).

        Raises:
            CheckpointError: The file exists but is not a checkpoint of this version.
        """
        try:
            data = orjson.loads(self.path.read_bytes())
            return {str(name): Position(**fields) for name, fields in data["sources"].items()}
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise CheckpointError(
                f"unreadable checkpoint {self.path} ({type(exc).__name__}: {exc});"
                " remove it to ship the log again from --start-at"
            ) from None

    def save(self, positions: dict[str, Position]) -> None:
        """Replace the file with ``positions``, durably (see the module doc).

        Raises:
            CheckpointError: The file cannot be written (disk full, permissions).
        """
        document: dict[str, Any] = {
            "version": _VERSION,
            "log_dir": self._log_dir,
            "endpoint": self._endpoint,
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "sources": {name: asdict(position) for name, position in sorted(positions.items())},
        }
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with temporary.open("wb") as out:
                out.write(orjson.dumps(document, option=orjson.OPT_INDENT_2))
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
            _fsync_directory(self.path.parent)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise CheckpointError(f"cannot write {self.path}: {exc.strerror}") from None


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (where directories can be opened: POSIX)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory: the rename is still atomic
    finally:
        os.close(fd)


def bytes_behind(log_dir: Path, app_name: str | None, positions: dict[str, Position]) -> int:
    """About how many bytes of the log are not shipped yet (from ``stat`` alone, no reading).

    A source's file is recognised by the low 16 bits of its inode, which its generation holds;
    a source without a position counts whole, compressed rotations count at their size on disk.
    """
    behind = 0
    for source in find_sources(log_dir, app_name):
        sizes: list[tuple[int, int, str]] = []
        for name in source.names:
            with contextlib.suppress(OSError):
                stat = os.stat(source.directory / name)
                sizes.append((stat.st_ino & 0xFFFF, stat.st_size, name))
        position = positions.get(source.name)
        inode_bits = int(position.generation[:4], 16) if position is not None else -1
        mark = next((i for i, (bits, _, _) in enumerate(sizes) if bits == inode_bits), None)
        if mark is None:
            behind += sum(size for _, size, _ in sizes)
            continue
        assert position is not None
        _, size, name = sizes[mark]
        done = _line_end(source.directory / name, position.offset)
        behind += max(0, size - done) + sum(size for _, size, _ in sizes[mark + 1 :])
    return behind


def _line_end(path: Path, offset: int) -> int:
    """Offset past the line at ``offset`` (the last one sent), or ``offset`` if unreadable."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            line = file.readline(1024 * 1024)
    except OSError:
        return offset
    return offset + len(line) if line.endswith(b"\n") else offset
