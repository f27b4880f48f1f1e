"""`export_logs`' file side: checking the target, the formats, redaction, the atomic write.

Entries stream from the reader into a temporary file beside the target, which then takes the
target's name in one step (a hard link when the target must not be replaced, so a file created
meanwhile is never clobbered; `os.replace` otherwise). A failure at any point removes the
temporary file: an export is either complete or absent.

Exported text is untrusted log text. A target the log itself would read (``app.log.3``,
``export.jsonl`` in the directory shown) or a writers' lock is refused.

Formats: ``jsonl`` here; ``csv`` and ``txt`` in `backend._export_text`; ``otlp-json`` and
``clef`` in `backend._export_formats`; ``bundle`` (a zip for support cases) in
`backend._export_bundle`.
Redaction (`shared.redact`) applies to every entry before any writer sees it: off by default,
on for a bundle (`redactor_for`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import orjson

from backend._app import CommandError, ErrorCode
from backend._export_bundle import write_bundle
from backend._export_formats import (
    RECORD_KEYS,
    BundleInputs,
    ExportOptions,
    export_record,
    write_clef,
    write_otlp_json,
)
from backend._export_text import CSV_COLUMNS, write_csv, write_txt
from shared.reader.sources import would_read

if TYPE_CHECKING:
    from shared.redact import Redactor

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "RECORD_KEYS",
    "WRITERS",
    "BundleInputs",
    "ExportFormat",
    "ExportOptions",
    "export_target",
    "redactor_for",
    "write_export",
]

ExportFormat = Literal["jsonl", "csv", "txt", "otlp-json", "clef", "bundle"]
#: Every export format, in the order the page and the command line list them.
FORMATS: tuple[ExportFormat, ...] = ("jsonl", "csv", "txt", "otlp-json", "clef", "bundle")
#: Formats redacted unless the caller says otherwise (a bundle leaves the machine).
REDACTED_BY_DEFAULT = frozenset({"bundle"})
_Writer = Callable[[IO[bytes], Iterable[dict[str, Any]], ExportOptions], int]
#: How an OS refusal to write the target reaches the page; anything else (disk full, file too
#: large, I/O error) is ``internal`` with the OS's reason.
_OS_CODES: dict[int, ErrorCode] = {
    errno.EACCES: "permission_denied",
    errno.EPERM: "permission_denied",
    errno.EROFS: "permission_denied",
    errno.ENOENT: "not_found",
    errno.ENOTDIR: "invalid_args",
    errno.EISDIR: "invalid_args",
    errno.ENAMETOOLONG: "invalid_args",
    errno.ELOOP: "invalid_args",
}
#: Characters of the target's name kept in the temporary file's name, so that a target whose name
#: is near the file system's limit still leaves room for the prefix and suffix.
_TEMP_NAME_CHARS = 100


def export_target(output_path: Path, *, overwrite: bool, log_dir: Path) -> Path:
    """Return the absolute target path after checking it can be written.

    Args:
        output_path: The requested path (``~`` is expanded, relative paths are taken from the
            working directory).
        overwrite: Whether an existing file may be replaced.
        log_dir: The log shown (a directory or one file): its export must not join it.

    Raises:
        CommandError: ``invalid_args`` (a directory, a device or other non-regular file, a name
            the log shown reads or its writers lock, a parent that is a file, a name too long,
            ``~user`` of no user), ``not_found``
            (the directory is missing), ``already_exists`` (a file is there and ``overwrite`` is
            false), or the OS's refusal to look (see `refused`).
    """
    try:
        target = Path(os.path.abspath(output_path.expanduser()))
    except RuntimeError:  # "~name" of no user, or no home directory at all
        head = output_path.parts[0] if output_path.parts else str(output_path)
        raise CommandError(
            "invalid_args", f"output_path: cannot expand {head!r}: no such home directory"
        ) from None
    try:
        _check_target(target, overwrite=overwrite, log_dir=log_dir)
    except OSError as exc:  # e.g. a name too long, a directory we may not search
        raise refused(target, exc) from None
    return target


def _check_target(target: Path, *, overwrite: bool, log_dir: Path) -> None:
    if target.is_dir():
        raise CommandError("invalid_args", f"output_path: {target} is a directory, not a file")
    if target.exists() and not target.is_file():  # replacing /dev/null or a FIFO is no export
        raise CommandError("invalid_args", f"output_path: {target} is not a regular file")
    if target.parent.exists() and not target.parent.is_dir():
        raise CommandError("invalid_args", f"output_path: {target.parent} is not a directory")
    if not target.parent.is_dir():
        raise CommandError("not_found", f"output_path: directory {target.parent} does not exist")
    if _joins_the_log(target, log_dir):
        raise CommandError(
            "invalid_args",
            f"output_path: {target} is in the log directory shown, under a name the viewer reads"
            " as a log file (or writers lock); choose another name or directory",
        )
    if not overwrite and (target.exists() or target.is_symlink()):
        raise _exists(target)


def _joins_the_log(target: Path, log_dir: Path) -> bool:
    """Whether ``target`` is the file shown, or a name its directory's log reads or locks.

    Directories are compared by their real paths (a symlink or ``..`` is no way around it).
    Without this an export to ``app.log.3`` would join the set (every entry then read twice)
    and one over ``app.log.lock`` would replace the writers' lock.
    """
    if log_dir.is_file():  # one file shown (as the reader decides): it, and its directory
        if os.path.realpath(target) == os.path.realpath(log_dir):
            return True
        log_dir = log_dir.parent
    if os.path.realpath(target.parent) != os.path.realpath(log_dir):
        return False
    return target.name.endswith(".lock") or would_read(log_dir, target.name)


def refused(target: Path, exc: OSError) -> CommandError:
    """The error for an OS failure to check or write ``target``, naming it and the reason.

    The OS's own file name is left out: it may be the temporary file, which the page never saw.
    """
    code = _OS_CODES.get(exc.errno or 0, "internal")
    reason = exc.strerror or type(exc).__name__
    return CommandError(code, f"output_path: cannot write {target}: {reason}")


def redactor_for(
    format: ExportFormat, redact: bool | None, rules_path: Path | None = None
) -> Redactor | None:
    """The redactor of an export, or None when it is not redacted.

    Args:
        format: The export format (its default decides when ``redact`` is None).
        redact: True or False as asked; None: on for a bundle, off otherwise.
        rules_path: A JSON or TOML rules file (`shared.redact.load_rules`); None: the defaults.

    Raises:
        ValueError: The rules file cannot be read or is invalid (naming it and the problem).
    """
    if not (format in REDACTED_BY_DEFAULT if redact is None else redact):
        return None
    from shared.redact import Redactor, load_rules  # noqa: PLC0415 -- only when redacting

    return Redactor(load_rules(rules_path))


def write_export(
    target: Path,
    format: ExportFormat,
    entries: Iterable[dict[str, Any]],
    *,
    overwrite: bool,
    options: ExportOptions | None = None,
) -> tuple[int, int]:
    """Write ``entries`` to ``target`` in ``format``, atomically.

    The file is created private to the user (mode 0600), as logs may hold secrets. With
    ``options.redactor`` every entry is redacted before the writer sees it.

    Returns:
        ``(entries written, bytes written)``.

    Raises:
        CommandError: ``already_exists`` when the target appeared meanwhile and ``overwrite``
            is false; the OS's refusal or failure to write (see `refused`). Nothing is left
            behind, whatever failed.
    """
    writer = WRITERS[format]
    options = options if options is not None else ExportOptions()
    if options.redactor is not None:
        entries = map(options.redactor.record, entries)
    prefix = f".{target.name[:_TEMP_NAME_CHARS]}."
    try:
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=prefix, suffix=".part")
    except OSError as exc:
        raise refused(target, exc) from None
    try:
        with os.fdopen(fd, "wb") as out:
            count = writer(out, entries, options)
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        _publish(temp, target, overwrite)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        if isinstance(exc, OSError):  # disk full, file too large, refused …
            raise refused(target, exc) from None
        raise
    return count, size


def _exists(target: Path) -> CommandError:
    return CommandError(
        "already_exists", f"output_path: {target} exists; pass overwrite to replace"
    )


def _publish(temp: str, target: Path, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        # A hard link fails if the target appeared since the check: never clobber it.
        os.link(temp, target)
    except FileExistsError:
        raise _exists(target) from None
    except OSError:  # a file system without hard links: fall back to a plain rename
        os.replace(temp, target)
        return
    os.unlink(temp)


#: Looked up by the jsonl writer at each entry (one name to replace to make it fail midway).
_record = export_record


def _write_jsonl(
    out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions | None = None
) -> int:
    count = 0
    for entry in entries:
        out.write(orjson.dumps(_record(entry)) + b"\n")
        count += 1
    return count


#: The writer of each export format; each returns the number of entries written.
WRITERS: dict[str, _Writer] = {
    "jsonl": _write_jsonl,
    "csv": write_csv,
    "txt": write_txt,
    "otlp-json": write_otlp_json,
    "clef": write_clef,
    "bundle": write_bundle,
}
