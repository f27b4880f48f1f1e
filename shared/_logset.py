"""The rotated set on disk: discovery, open snapshots, file generations and entry ids.

Kept free of pydantic (and of everything heavy) so that the `msc-logs query` door starts fast;
the public models live in `shared._files`.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from types import TracebackType

DEFAULT_APP_NAME = "midi-software-center"

#: Bytes of the first line that go into a file's generation (the first line may be huge).
GENERATION_PREFIX = 4096
_PROBE = 64 * 1024
_O_BINARY = getattr(os, "O_BINARY", 0)


def active_name(app_name: str) -> str:
    """The active file's name for ``app_name``."""
    return f"{app_name}.log"


def lock_name(app_name: str) -> str:
    """The writer's rotation lock file name for ``app_name``."""
    return f"{app_name}.log.lock"


def set_names(log_dir: Path, app_name: str) -> list[tuple[int, str]]:
    """``(index, name)`` of the set's files, newest first; index 0 is the active file.

    Args:
        log_dir: The directory to list; a missing directory holds no files.
        app_name: Selects ``<app_name>.log`` and ``<app_name>.log.<N>``.

    Returns:
        The files present, active first, then ``.1``, ``.2`` …
    """
    pattern = re.compile(re.escape(active_name(app_name)) + r"(?:\.([1-9][0-9]*))?")
    try:
        names = os.listdir(log_dir)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = []
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            found.append((int(match.group(1) or 0), name))
    found.sort()
    return found


def compute_generation(fd: int, inode: int) -> str | None:
    """The generation of an open file: its inode and its first line, hashed.

    A renamed file keeps it; a truncated and rewritten file gets a new one.

    Returns:
        12 hex digits (16 bits of the inode, a CRC-32 of the first line), or None while the file
        has no complete first line yet.
    """
    head = os.pread(fd, GENERATION_PREFIX, 0)
    newline = head.find(b"\n")
    if newline >= 0:
        head = head[: newline + 1]
    elif len(head) < GENERATION_PREFIX:
        return None
    # zlib rather than hashlib: this is no security boundary, and hashlib's import (OpenSSL)
    # costs the command line 5 ms of start-up.
    return f"{inode & 0xFFFF:04x}{zlib.crc32(head):08x}"


def format_id(generation: str, offset: int) -> str:
    """The entry id ``"<generation>-<offset hex>"``."""
    return f"{generation}-{offset:x}"


def parse_id(entry_id: str) -> tuple[str, int]:
    """Split an entry id into generation and offset.

    Raises:
        ValueError: ``entry_id`` is not ``<12 hex>-<hex>``.
    """
    generation, sep, offset = entry_id.partition("-")
    if (
        not sep
        or len(generation) != 12
        or not _is_hex(generation)
        or not offset
        or len(offset) > 16
        or not _is_hex(offset)
    ):
        raise ValueError(f"not an entry id: {entry_id!r}")
    return generation, int(offset, 16)


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdef" for c in text)


def line_end(fd: int, size: int) -> int:
    """Offset just past the last newline before ``size`` (0 when there is none).

    Bytes after it are a line still being written; readers leave them for later.
    """
    pos = size
    while pos > 0:
        start = max(0, pos - _PROBE)
        block = os.pread(fd, pos - start, start)
        newline = block.rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        if len(block) < pos - start:  # the file shrank under us: nothing reliable to read
            return 0
        pos = start
    return 0


@dataclass(slots=True)
class OpenFile:
    """One file of a snapshot, held open so renames during a scan cannot confuse it."""

    name: str
    path: Path
    fd: int
    inode: int
    size: int
    generation: str | None
    _end: int | None = field(default=None, repr=False)

    @property
    def end(self) -> int:
        """Offset past the last complete line at snapshot time."""
        if self._end is None:
            self._end = line_end(self.fd, self.size)
        return self._end


class LogSet:
    """An open snapshot of the rotated set, oldest file first; use as a context manager."""

    def __init__(self, files: list[OpenFile]) -> None:
        self.files = files

    def __enter__(self) -> LogSet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every file descriptor of the snapshot."""
        for item in self.files:
            os.close(item.fd)
        self.files = []

    def find_generation(self, generation: str) -> int | None:
        """Index of the file whose generation is ``generation``, or None."""
        for index, item in enumerate(self.files):
            if item.generation == generation:
                return index
        return None


def open_set(log_dir: Path, app_name: str = DEFAULT_APP_NAME) -> LogSet:
    """Open every file of the rotated set.

    Files are opened newest first: a rotation that happens meanwhile only moves files towards
    higher numbers, so the walk may meet a file twice (dropped by inode) but never skips one.

    Args:
        log_dir: The log directory.
        app_name: The set's application name.

    Returns:
        The snapshot, oldest file first.
    """
    files: list[OpenFile] = []
    seen: set[int] = set()
    for _index, name in set_names(log_dir, app_name):
        path = log_dir / name
        try:
            fd = os.open(path, os.O_RDONLY | _O_BINARY)
        except OSError:  # vanished since the listing, or unreadable: not part of the snapshot
            continue
        stat = os.fstat(fd)
        if not S_ISREG(stat.st_mode) or stat.st_ino in seen:
            os.close(fd)
            continue
        seen.add(stat.st_ino)
        generation = compute_generation(fd, stat.st_ino)
        files.append(OpenFile(name, path, fd, stat.st_ino, stat.st_size, generation))
    files.reverse()
    return LogSet(files)
