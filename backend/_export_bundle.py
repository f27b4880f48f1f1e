"""The ``bundle`` export: one zip to attach to a support case.

Members, in this order (the manifest comes last because it lists the others' hashes):

- ``logs.jsonl``: the entries exported, as the ``jsonl`` format writes them (a log file itself);
- ``metrics.json``: ``{"processes": [...]}``, the latest metrics snapshot of each process;
- ``log-info.json``: what `get_log_info` says of the log shown (files, sizes, raw lines …);
- ``manifest.json``: the viewer's and the platform's versions, the filters and time range of the
  export, the entries per level, the sha256 and size of every other member, and the redaction
  rules' counts.

A bundle is redacted unless the caller turns it off (`backend._export.redactor_for`): the
redactor masks the entries (before they reach here) and, here, the other members and the
filters in the manifest too (the search text whole), so no secret reaches the zip another
way. It is written through `backend._export.write_export`, atomically: the zip streams into the
temporary file, which is published only once complete.
"""

from __future__ import annotations

import hashlib
import platform
import time
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import IO, Any

import orjson

from backend._export_formats import BundleInputs, ExportOptions, export_record
from shared.redact import REDACTED

__all__ = ["BUNDLE_MEMBERS", "MANIFEST_VERSION", "write_bundle"]

#: The members of a bundle, in the order they are written.
BUNDLE_MEMBERS = ("logs.jsonl", "metrics.json", "log-info.json", "manifest.json")
#: Raised when the manifest's layout changes in a way a reader must know about.
MANIFEST_VERSION = 1
#: Distributions whose versions a support case may need, by the name the manifest gives them.
_DISTRIBUTIONS = {
    "msc-logging": "msc-logging",
    "pywebview": "pywebview",
    "PyQt6": "PyQt6",
    "Qt": "PyQt6-Qt6",  # the Qt libraries PyQt6 ships: their version is Qt's
    "PyQt6-WebEngine": "PyQt6-WebEngine",
    "opentelemetry-proto": "opentelemetry-proto",
}
_LEVELS = ("trace", "debug", "info", "warn", "error")


def write_bundle(out: IO[bytes], entries: Iterable[dict[str, Any]], options: ExportOptions) -> int:
    """Write the support bundle of ``entries`` as a zip to ``out``.

    Returns:
        The number of entries written into ``logs.jsonl``.
    """
    inputs = options.bundle if options.bundle is not None else BundleInputs()
    members: dict[str, dict[str, Any]] = {}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        tally = _write_logs(archive, entries, members)
        log_info = _masked(dict(inputs.log_info), options)
        metrics = {"processes": _masked(inputs.metrics, options)}
        _write_json(archive, "metrics.json", metrics, members)
        _write_json(archive, "log-info.json", log_info, members)
        filters = _masked_filters(inputs.filters, options)
        manifest = _manifest(log_info, filters, options, tally, members)
        _write_json(archive, "manifest.json", manifest, None)
    return tally.count


class _Tally:
    """What the manifest says of the entries: count, levels, first and last time."""

    def __init__(self) -> None:
        self.count = 0
        self.levels: Counter[str] = Counter()
        self.first: str | None = None
        self.last: str | None = None

    def add(self, record: Mapping[str, Any]) -> None:
        self.count += 1
        self.levels[str(record.get("level"))] += 1
        stamp = record.get("timestamp")
        if isinstance(stamp, str):
            self.first = stamp if self.first is None else min(self.first, stamp)
            self.last = stamp if self.last is None else max(self.last, stamp)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # private to whoever unpacks it, as the export itself
    return info


def _write_logs(
    archive: zipfile.ZipFile, entries: Iterable[dict[str, Any]], members: dict[str, Any]
) -> _Tally:
    tally, digest, size = _Tally(), hashlib.sha256(), 0
    # force_zip64: the size is not known in advance and a large set may pass 4 GiB.
    with archive.open(_member("logs.jsonl"), "w", force_zip64=True) as member:
        for entry in entries:
            record = export_record(entry)
            tally.add(record)
            line = orjson.dumps(record) + b"\n"
            member.write(line)
            digest.update(line)
            size += len(line)
    members["logs.jsonl"] = {"sha256": digest.hexdigest(), "bytes": size}
    return tally


def _write_json(
    archive: zipfile.ZipFile, name: str, value: Any, members: dict[str, Any] | None
) -> None:
    data = orjson.dumps(value, option=orjson.OPT_INDENT_2) + b"\n"
    archive.writestr(_member(name), data)
    if members is not None:
        members[name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _masked(value: Any, options: ExportOptions) -> Any:
    """``value`` with the redactor's rules applied to its keys and strings (as entry fields)."""
    if options.redactor is None:
        return value
    masked = options.redactor.record({"message": "", "fields": {"value": value}})
    return masked["fields"]["value"]


def _masked_filters(filters: Mapping[str, Any], options: ExportOptions) -> dict[str, Any]:
    """The filters, masked; with redaction the search text goes whole: it may be the very
    secret the user looked for, which no rule can tell from other text."""
    masked: dict[str, Any] = _masked(dict(filters), options)
    if options.redactor is not None and masked.get("search") is not None:
        masked["search"] = REDACTED
    return masked


def _manifest(
    log_info: Mapping[str, Any],
    filters: Mapping[str, Any],
    options: ExportOptions,
    tally: _Tally,
    members: dict[str, Any],
) -> dict[str, Any]:
    redactor = options.redactor
    return {
        "manifest_version": MANIFEST_VERSION,
        "created": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "app": {
            "name": options.app_name,
            "sources": [source.get("name") for source in log_info.get("sources", [])],
            "log_dir": log_info.get("log_dir"),
        },
        "viewer": {"name": "msc-logs", "version": _version("msc-logging")},
        "system": _system(),
        "versions": {name: _version(dist) for name, dist in _DISTRIBUTIONS.items()},
        "filters": dict(filters),
        "time_range": {"first": tally.first, "last": tally.last},
        "counts": {
            "entries": tally.count,
            "levels": {level: tally.levels.get(level, 0) for level in _LEVELS},
        },
        "redaction": {
            "enabled": redactor is not None,
            "counts": dict(redactor.counts) if redactor is not None else {},
        },
        "members": members,
    }


def _system() -> dict[str, str]:
    return {
        "os": platform.platform(),
        "system": platform.system(),
        "release": platform.release(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
    }


def _version(distribution: str) -> str | None:
    """The installed version of ``distribution``, or None when it is not installed."""
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
