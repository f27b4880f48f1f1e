"""Log sources on disk: discovery, open snapshots, file generations and entry ids.

A log directory holds *sources*: a base file (``app.log``, ``events.jsonl`` …) and its rotations —
numbered (``app.log.1``, ``app.log.2.gz``), dated (``app.log.2026-12-05``, ``app.log-20261205``,
loguru's ``app.2026-12-05_10-00-00_123456.log``) and winston's numbered names (``app1.log``).
Every file whose name ends in one of `LOG_EXTENSIONS` (before any rotation suffix) is read;
hidden files, lock files and anything else are not. gzip'd files are read transparently.

Kept free of pydantic (and of everything heavy) so that the `msc-logs query` door starts fast;
the public models live in `shared.reader.files`.
"""

from __future__ import annotations

import os
import re
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from errno import EIO, errorcode
from pathlib import Path
from stat import S_ISREG
from types import TracebackType

from shared.reader.records import format_timestamp

DEFAULT_APP_NAME = "midi-software-center"
LOG_EXTENSIONS = ("log", "jsonl", "ndjson", "json", "txt")

#: Bytes of the first line that go into a file's generation (the first line may be huge).
GENERATION_PREFIX = 4096
_PROBE = 64 * 1024
_O_BINARY = getattr(os, "O_BINARY", 0)
# A FIFO named like a log file would block a plain O_RDONLY open until some writer came along;
# for regular files the flag changes nothing.
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_OPEN_FLAGS = os.O_RDONLY | _O_BINARY | _O_NONBLOCK
_EXT = "|".join(LOG_EXTENSIONS)
_DOTTED = tuple(f".{ext}" for ext in LOG_EXTENSIONS)
_DATE = r"\d{4}-?\d{2}-?\d{2}(?:[-_T]?\d{2}(?:[-:]?\d{2}){0,2}(?:[._]\d+)?)?"
_BASE = re.compile(rf"(?P<stem>.+)\.(?:{_EXT})")
_NUMBERED = re.compile(rf"(?P<base>.+\.(?:{_EXT}))\.(?P<n>[1-9][0-9]*)")
_DATED = re.compile(rf"(?P<base>.+\.(?:{_EXT}))[.-](?P<date>{_DATE})")
_DATED_STEM = re.compile(rf"(?P<stem>.+)\.(?P<date>{_DATE})\.(?P<ext>{_EXT})")
_WINSTON = re.compile(rf"(?P<stem>.*[^0-9.])(?P<n>[1-9][0-9]*)\.(?P<ext>{_EXT})")
#: Decompressed gzip files kept in memory (bytes, most recently used last).
GZIP_CACHE_BYTES = 512 * 1024 * 1024
_gzip_cache: OrderedDict[tuple[int, int, int, int], bytes] = OrderedDict()

#: Decisions taken from a file's first bytes (`OpenFile.sniff`), at most this many remembered.
SNIFF_CACHE = 4096
_sniffed: dict[tuple[str, int, str | None, int], bool] = {}

Pread = Callable[[int, int], bytes]
"""``pread(size, offset)``: bytes of a file (fewer at its end)."""


def active_name(app_name: str) -> str:
    """Our writer's active file name for ``app_name``."""
    return f"{app_name}.log"


def set_names(log_dir: Path, app_name: str) -> list[tuple[int, str]]:
    """``(index, name)`` of our writer's numbered set, newest first; index 0 is the active file.

    Args:
        log_dir: The directory to list; a missing directory holds no files.
        app_name: Selects ``<app_name>.log`` and ``<app_name>.log.<N>``.

    Returns:
        The files present, active first, then ``.1``, ``.2`` …
    """
    return rotation_names(log_dir, active_name(app_name))


def rotation_names(log_dir: Path, active: str) -> list[tuple[int, str]]:
    """``(index, name)`` of ``active`` and its numbered rotations ``active.<N>``, newest first."""
    pattern = re.compile(re.escape(active) + r"(?:\.([1-9][0-9]*))?")
    found = []
    for name in _listdir(log_dir):
        match = pattern.fullmatch(name)
        if match:
            found.append((int(match.group(1) or 0), name))
    found.sort()
    return found


def _listdir(directory: Path) -> list[str]:
    try:
        return os.listdir(directory)
    except (FileNotFoundError, NotADirectoryError):
        return []


@dataclass(slots=True)
class Source:
    """One source: a base file name and its rotations, in a directory.

    Attributes:
        name: What the source is called (``--app-name``, the page's source chips): the base name
            without its extension, or the whole base name where two bases share a stem.
        base: The base (active) file name, e.g. ``app.log``.
        names: The file names, oldest first.
        directory: Where the files are.
        active: The name of the file writers append to (the base, when it exists), or None.
    """

    name: str
    base: str
    names: list[str]
    directory: Path
    active: str | None


def find_sources(path: Path, app_name: str | None = None) -> list[Source]:
    """The sources of a log directory (or the one source of a single file), by name.

    Args:
        path: A log directory (missing: no sources) or one log file.
        app_name: Only the source of this name (or base file name); None: every source.

    Returns:
        The sources, sorted by name.
    """
    if path.is_file():
        stem = _BASE.fullmatch(path.name)
        name = stem.group("stem") if stem else path.name
        sources = [Source(name, path.name, [path.name], path.parent, path.name)]
    else:
        sources = _group(path, _listdir(path))
    if app_name is not None:
        sources = [s for s in sources if app_name in (s.name, s.base)]
    return sources


def would_read(directory: Path, name: str) -> bool:
    """Whether a file called ``name`` in ``directory`` is, or would be, read as part of its log.

    The same rule as `find_sources`, applied to the directory's names plus ``name``: an export
    must not join the log it was taken from (``app.log.3``, ``export.jsonl``).
    """
    names = [*_listdir(directory), name]
    return any(name in source.names for source in _group(directory, names))


def _group(directory: Path, names: list[str]) -> list[Source]:
    listed = set(names)
    groups: dict[str, list[tuple[tuple[int, str], str]]] = {}
    for name in names:
        if name.startswith("."):
            continue
        place = _numbered(name) or _place(name, listed)
        if place is not None:
            base, kind, key = place
            sort_key = (kind, key if kind != 0 else key or _mtime_key(directory / name))
            groups.setdefault(base, []).append((sort_key, name))
    stems: dict[str, int] = {}
    for base in groups:
        stem = _stem(base)
        stems[stem] = stems.get(stem, 0) + 1
    sources = []
    for base, grouped in groups.items():
        members = grouped
        if _has_winston(members, base):  # app.log, app1.log …: order unknown from names alone
            members = [((0, _mtime_key(directory / n)), n) for _, n in members]
        members.sort()
        stem = _stem(base)
        name = stem if stems[stem] == 1 else base
        active = base if base in listed else None
        sources.append(Source(name, base, [n for _, n in members], directory, active))
    sources.sort(key=lambda s: s.name)
    return sources


def _numbered(name: str) -> tuple[str, int, str] | None:
    """`_place` of the commonest rotated name, ``app.log.3``, without regular expressions."""
    base, _, number = name.rpartition(".")
    if number.isdigit() and number[0] != "0" and base.endswith(_DOTTED):
        return base, 1, f"{10**12 - int(number[:12]):013d}"
    return None


def _place(name: str, listed: set[str]) -> tuple[str, int, str] | None:
    """``(base, kind, key)`` of a file name, or None when it is no log file.

    Kinds order files oldest first: 0 by time (dated names, or modification time when ``key``
    is empty), 1 numbered rotations (key: the number, descending), 2 the active file.
    """
    gz = name.endswith(".gz")
    bare = name[:-3] if gz else name
    if (match := _DATED_STEM.fullmatch(bare)) is not None:
        return f"{match['stem']}.{match['ext']}", 0, _digits(match["date"])
    if (match := _NUMBERED.fullmatch(bare)) is not None:
        return match["base"], 1, f"{10**12 - int(match['n'][:12]):013d}"
    if (match := _DATED.fullmatch(bare)) is not None:
        return match["base"], 0, _digits(match["date"])
    if (match := _WINSTON.fullmatch(bare)) is not None:
        base = f"{match['stem']}.{match['ext']}"
        if base in listed:
            return base, 0, ""
    if _BASE.fullmatch(bare) is not None:
        return (bare, 0, "") if gz else (bare, 2, "")
    return None


def _has_winston(members: list[tuple[tuple[int, str], str]], base: str) -> bool:
    return any(
        name.rpartition(".")[0][-1:].isdigit()  # app1.log: a digit before the extension
        and (m := _WINSTON.fullmatch(name)) is not None
        and f"{m['stem']}.{m['ext']}" == base
        for _, name in members
    )


def _stem(base: str) -> str:
    match = _BASE.fullmatch(base)
    return match.group("stem") if match else base


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit()).ljust(20, "0")


def _mtime_key(path: Path) -> str:
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return "0" * 20
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(mtime)) + f"{int(mtime % 1 * 1e6):06d}"


def compute_generation(pread: Pread, inode: int) -> str | None:
    """The generation of an open file: its inode and its first line, hashed.

    A renamed file keeps it; a truncated and rewritten file gets a new one.

    Returns:
        12 hex digits (16 bits of the inode, a CRC-32 of the first line), or None while the file
        has no complete first line yet.
    """
    head = pread(GENERATION_PREFIX, 0)
    newline = head.find(b"\n")
    if newline >= 0:
        head = head[: newline + 1]
    elif len(head) < GENERATION_PREFIX:
        return None
    # zlib rather than hashlib: this is no security boundary, and hashlib's import (OpenSSL)
    # costs the command line 5 ms of start-up.
    return f"{inode & 0xFFFF:04x}{zlib.crc32(head):08x}"


def fd_reader(fd: int) -> Pread:
    """``pread`` over an open file descriptor."""

    def pread(size: int, offset: int) -> bytes:
        return os.pread(fd, size, offset)

    return pread


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


def line_end(pread: Pread, size: int) -> int:
    """Offset just past the last newline before ``size`` (0 when there is none).

    Bytes after it are a line still being written; readers leave them for later.
    """
    pos = size
    while pos > 0:
        start = max(0, pos - _PROBE)
        block = pread(pos - start, start)
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
    directory: Path
    fd: int
    inode: int
    size: int
    generation: str | None
    pread: Pread
    source: str = ""
    compressed: bool = False
    text: bool | None = None
    """Read as plain text (lines grouped into entries); None until sniffed."""
    ours: bool | None = None
    """A file of our writer's (`shared.reader.engine.ours_only`); None until sniffed."""
    _end: int | None = field(default=None, repr=False)

    @property
    def path(self) -> Path:
        """Where the file was opened (it may have been renamed since)."""
        return self.directory / self.name

    @property
    def end(self) -> int:
        """Offset past the last complete line at snapshot time."""
        if self._end is None:
            self._end = line_end(self.pread, self.size)
        return self._end

    def sniff(self, kind: str, window: int, decide: Callable[[bytes], bool]) -> bool:
        """``decide(first window bytes)``, remembered across snapshots while the head is the same.

        A file's head does not change once it holds ``window`` bytes (logs are appended to; a
        truncated file has a new generation), so queries after the first read nothing for it.
        """
        key = (kind, self.inode, self.generation, min(self.size, window))
        known = _sniffed.get(key)
        if known is None:
            if len(_sniffed) >= SNIFF_CACHE:
                _sniffed.clear()
            known = _sniffed[key] = decide(self.pread(window, 0))
        return known

    def mtime_text(self) -> str:
        """The file's modification time: the time of lines before any line that has one."""
        return mtime_text(os.fstat(self.fd).st_mtime)


def mtime_text(mtime: float) -> str:
    """A modification time as canonical timestamp text."""
    return format_timestamp(datetime.fromtimestamp(mtime, UTC))


@dataclass(slots=True)
class OpenSource:
    """The open files of one source, oldest first, and the source's rank in the timeline."""

    name: str
    rank: int
    files: list[OpenFile]


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A file of a source that is there but could not be opened (permissions, say).

    A file that vanished between the listing and the open is no such file: rotation renames
    files all the time, and the walk meets them under their new names.

    Attributes:
        name: The file name.
        directory: Where it is.
        source: The source it belongs to.
        errno: The operating system's error number (``errno.EACCES`` …).
    """

    name: str
    directory: Path
    source: str
    errno: int

    @property
    def path(self) -> Path:
        """Where the file is."""
        return self.directory / self.name

    @property
    def code(self) -> str:
        """The error's symbolic name, e.g. ``EACCES``."""
        return errorcode.get(self.errno, f"errno {self.errno}")

    @property
    def reason(self) -> str:
        """The error's message in lower case, e.g. ``permission denied``."""
        text = os.strerror(self.errno)
        return text[:1].lower() + text[1:]

    def error(self) -> OSError:
        """The refusal as `os.open` raised it (a `PermissionError` for ``EACCES``)."""
        return OSError(self.errno, os.strerror(self.errno), str(self.path))


class LogSet:
    """An open snapshot of a log directory's sources; use as a context manager.

    ``files`` lists every file, source by source, each source's oldest file first;
    ``unreadable`` the files that could not be opened, source by source, newest first.
    """

    def __init__(
        self, sources: list[OpenSource], unreadable: list[Unreadable] | None = None
    ) -> None:
        self.sources = sources
        self.files = [item for source in sources for item in source.files]
        self.unreadable = unreadable or []

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
        self.sources = []

    def locate(self, generation: str) -> tuple[OpenSource, int] | None:
        """The source holding the file of ``generation`` and the file's index in it, or None."""
        for source in self.sources:
            for index, item in enumerate(source.files):
                if item.generation == generation:
                    return source, index
        return None


def open_set(path: Path, app_name: str | None = None) -> LogSet:
    """Open every file of every source (or of the one named ``app_name``).

    Each source's files are opened newest first: a rotation that happens meanwhile only moves
    files towards higher numbers, so the walk may meet a file twice (dropped by inode) but never
    skips one. A file that vanished since the listing is left out; one that is there but cannot
    be opened or read (permissions, an I/O error) goes into ``unreadable``, so that whoever shows
    the set can say so.

    Args:
        path: The log directory, or one log file.
        app_name: Only this source; None: every source.

    Returns:
        The snapshot.

    Raises:
        OSError: Nothing of the set could be opened and at least one file was refused: the
            first refusal, naming the file (a `PermissionError` for ``EACCES``), just as an
            unreadable directory raises from its listing.
    """
    logset = _snapshot(path, app_name)
    if logset.unreadable and not logset.files:
        raise logset.unreadable[0].error()
    return logset


def unreadable_files(path: Path, app_name: str | None = None) -> list[Unreadable]:
    """The files of the set that `open_set` cannot open (its ``unreadable``).

    Unlike `open_set`, no error when nothing can be opened: they are then all listed.

    Raises:
        OSError: The directory cannot be listed.
    """
    with _snapshot(path, app_name) as logset:
        return logset.unreadable


def _snapshot(path: Path, app_name: str | None) -> LogSet:
    sources = find_sources(path, app_name)
    seen: set[tuple[int, int]] = set()
    refused: list[Unreadable] = []
    opened = [
        OpenSource(source.name, rank, _open_source(source, seen, refused))
        for rank, source in enumerate(sources)
    ]
    return LogSet(opened, refused)


def _open_source(
    source: Source, seen: set[tuple[int, int]], refused: list[Unreadable]
) -> list[OpenFile]:
    """The files of ``source`` that could be opened, oldest first; refusals go to ``refused``."""
    files = []
    for name in reversed(source.names):
        try:
            item = _open(source.directory, name, seen)
        except FileNotFoundError:  # vanished since the listing: renamed by a rotation, or cleared
            continue
        except OSError as exc:
            number = EIO if exc.errno is None else exc.errno
            refused.append(Unreadable(name, source.directory, source.name, number))
            continue
        if item is not None:
            item.source = source.name
            files.append(item)
    files.reverse()
    return files


def _open(directory: Path, name: str, seen: set[tuple[int, int]]) -> OpenFile | None:
    """``name`` opened, or None when it is no regular file or one already met.

    Raises:
        OSError: The file could not be opened or its first bytes not read.
    """
    # A str path: a Path per file costs this per-query hot path more than the open itself.
    fd = os.open(os.path.join(directory, name), _OPEN_FLAGS)
    try:
        item = _wrap(fd, directory, name, seen)
    except BaseException:
        os.close(fd)
        raise
    if item is None:
        os.close(fd)
    return item


def _wrap(fd: int, directory: Path, name: str, seen: set[tuple[int, int]]) -> OpenFile | None:
    stat = os.fstat(fd)
    key = (stat.st_dev, stat.st_ino)
    if not S_ISREG(stat.st_mode) or key in seen:
        return None
    seen.add(key)
    pread, size, compressed = fd_reader(fd), stat.st_size, name.endswith(".gz")
    if compressed:
        data = _gunzip(fd, (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns))
        if data is None:
            return None
        pread, size = _bytes_reader(data), len(data)
    generation = compute_generation(pread, stat.st_ino)
    return OpenFile(name, directory, fd, stat.st_ino, size, generation, pread, "", compressed)


def _gunzip(fd: int, key: tuple[int, int, int, int]) -> bytes | None:
    data = _gzip_cache.get(key)
    if data is not None:
        _gzip_cache.move_to_end(key)
        return data
    import gzip  # noqa: PLC0415 -- imported here: few logs have rotations compressed

    try:
        with os.fdopen(os.dup(fd), "rb") as raw, gzip.GzipFile(fileobj=raw) as stream:
            data = stream.read()
    except (OSError, EOFError, zlib.error):  # not gzip after all, or cut short: skip the file
        return None
    _gzip_cache[key] = data
    while sum(len(v) for v in _gzip_cache.values()) > GZIP_CACHE_BYTES and len(_gzip_cache) > 1:
        _gzip_cache.popitem(last=False)
    return data


def _bytes_reader(data: bytes) -> Pread:
    def pread(size: int, offset: int) -> bytes:
        return data[offset : offset + size]

    return pread
