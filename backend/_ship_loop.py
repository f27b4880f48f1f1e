"""`msc-logs ship`'s loop: history from the checkpoints, then following, in acknowledged batches.

1. History: a snapshot of the log (`open_set`) is read source by source from each checkpoint
   (`backend._ship_read`), oldest file first. ``--once`` ends here.
2. Hand-over: a `LogFollower` starts at the end of each active file and says where
   (`LogFollower.start_points`); a second, short history pass reads from the checkpoints up to
   exactly those points, which covers what was written during the first pass.
3. Following: the follower's new entries, through rotations, woken by inotify.

A batch is sent when it holds ``batch_size`` records or its first record waited
``batch_wait`` seconds; a source's checkpoint moves only when the collector acknowledged the
batch holding its record, so a crash sends again at most the batch in flight.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from backend._ship_encode import encode
from backend._ship_read import source_history
from backend._ship_send import Sender
from backend._ship_state import CheckpointStore, Position, bytes_behind
from shared.otlp import export_request, log_record
from shared.reader.scan import ScanStats
from shared.reader.sources import find_sources, open_set, parse_id

__all__ = ["ShipOptions", "Shipper"]

#: How long the follow loop sleeps at most between polls (inotify wakes it sooner).
FOLLOW_WAIT_S = 0.1


@dataclass(frozen=True, slots=True)
class ShipOptions:
    """What to ship and how (validated by the command line)."""

    log_dir: Path
    app_name: str | None
    start_at_end: bool
    once: bool
    batch_size: int
    batch_wait: float
    progress_every: float


class Shipper:
    """Ships one log to one sender, keeping the checkpoints; see the module doc."""

    def __init__(
        self,
        options: ShipOptions,
        sender: Sender,
        store: CheckpointStore,
        stop: threading.Event,
        note: Callable[[str], None],
    ) -> None:
        """Load the checkpoints (`CheckpointStore.load` may raise `CheckpointError`)."""
        self._options, self._sender, self._store = options, sender, store
        self._stop, self._note = stop, note
        self.positions = store.load()
        self.sent = self.batches = 0
        self.stats = ScanStats()
        self._pending: list[dict[str, Any]] = []
        self._first_at = 0.0
        self._reported = time.monotonic()

    def run(self) -> None:
        """Ship until done (``--once``) or stopped; raises `ShipError` on a fatal answer."""
        if self._history(None) and not self._options.once:
            self._follow()

    # -- history ----------------------------------------------------------------------------

    def _history(self, points: dict[str, tuple[int, int]] | None) -> bool:
        """One history pass (to the ends, or to the follower's ``points``); False if stopped."""
        options = self._options
        bases = {s.name: s.base for s in find_sources(options.log_dir, options.app_name)}
        with open_set(options.log_dir, options.app_name) as logset:
            for source in logset.sources:
                position = self.positions.get(source.name)
                if position is None and options.start_at_end and points is None:
                    self._mark_end(source.name, source.files)
                    continue
                files, until = source.files, None
                if points is not None:
                    until = points.get(source.name)
                    if until is None:  # no active file at hand-over: the follower reads it
                        source.files = [f for f in files if f.name != bases.get(source.name)]
                entries = source_history(source, position, self.stats, self._note, until)
                if not self._add_all(entries):
                    return False
        return self._flush()

    def _mark_end(self, name: str, files: list[Any]) -> None:
        """``--start-at end``: the source's checkpoint is its newest file's end, unsent."""
        newest = next((f for f in reversed(files) if f.generation is not None), None)
        if newest is not None:
            self.positions[name] = Position(newest.generation, newest.end, 0, newest.name)
            self._store.save(self.positions)

    # -- following --------------------------------------------------------------------------

    def _follow(self) -> None:
        from shared.reader.follow import LogFollower  # noqa: PLC0415 -- not for --once
        from shared.reader.watch import DirectoryWatch  # noqa: PLC0415

        options = self._options
        with LogFollower(options.log_dir, options.app_name) as follower:
            if not self._history(follower.start_points()):
                return
            folder = options.log_dir if options.log_dir.is_dir() else options.log_dir.parent
            watch = DirectoryWatch(folder)
            try:
                while not self._stop.is_set():
                    batch = follower.poll()
                    if batch.cleared:
                        self._note("the log was cleared: shipping what is written from now on")
                    if not self._add_all(batch.entries) or (self._due() and not self._flush()):
                        return
                    if not batch.entries:
                        self._wait(watch)
                    self.report()
            finally:
                watch.close()

    def _wait(self, watch: Any) -> None:
        wait = FOLLOW_WAIT_S
        if self._pending:
            wait = min(wait, max(0.0, self._first_at + self._options.batch_wait - time.monotonic()))
        if watch.mode == "inotify":
            watch.wait(wait)
        else:
            self._stop.wait(wait)

    # -- batches ----------------------------------------------------------------------------

    def _add_all(self, entries: Iterable[dict[str, Any]]) -> bool:
        """Queue entries, sending each full batch; False when stopped before an ack."""
        for entry in entries:
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.append(entry)
            if len(self._pending) >= self._options.batch_size and not self._flush():
                return False
            if self._stop.is_set():
                return False
        self.report()
        return True

    def _due(self) -> bool:
        return bool(self._pending) and (
            time.monotonic() - self._first_at >= self._options.batch_wait
        )

    def _flush(self) -> bool:
        """Send the pending batch; move the checkpoints once it is acknowledged."""
        entries, self._pending = self._pending, []
        if not entries:
            return not self._stop.is_set()
        by_source: dict[str, list[dict[str, Any]]] = {}
        observed = time.time_ns()  # one reading per batch: they were all read just now
        for entry in entries:
            by_source.setdefault(entry["origin"], []).append(log_record(entry, observed))
        request = {
            "resourceLogs": [
                export_request(records, name)["resourceLogs"][0]
                for name, records in by_source.items()
            ]
        }
        if not self._sender.send(encode(request)):
            return False  # stopped: the batch is abandoned, its checkpoint unmoved
        self._advance(entries)
        self._store.save(self.positions)
        self.sent += len(entries)
        self.batches += 1
        return True

    def _advance(self, entries: list[dict[str, Any]]) -> None:
        """Each source's position: its last record in ``entries``."""
        counts = Counter(entry["origin"] for entry in entries)
        for entry in reversed(entries):
            origin = entry["origin"]
            if origin not in counts:
                continue  # a later record of this source was seen already
            generation, offset = parse_id(entry["id"].partition(".")[0])
            index = int(entry["id"].partition(".")[2] or 0)
            known = self.positions.get(origin)
            records = known.records if known is not None else 0
            name = entry.get("file") or (
                known.file if known is not None and known.generation == generation else ""
            )
            self.positions[origin] = Position(
                generation, offset, index + 1, name, entry["timestamp"], records + counts[origin]
            )
            del counts[origin]
            if not counts:
                return

    # -- progress ---------------------------------------------------------------------------

    def report(self, *, final: bool = False) -> None:
        """Say on stderr what was sent, every ``progress_every`` seconds (and at the end)."""
        now = time.monotonic()
        every = self._options.progress_every
        if not final and (every <= 0 or now - self._reported < every):
            return
        self._reported = now
        behind = bytes_behind(self._options.log_dir, self._options.app_name, self.positions)
        retries, rejected = self._sender.retries, self._sender.rejected
        parts = [
            f"sent {_count(self.sent, 'record')} in {_count(self.batches, 'batch')}",
            _count(retries, "retry"),
            f"lag {_lag(self.positions.values())}",
            f"{_size(behind)} behind",
        ]
        if rejected:
            parts.append(f"{rejected:,} rejected by the collector")
        if self.stats.skipped:
            parts.append(f"{self.stats.skipped:,} over-long lines skipped")
        self._note("; ".join(parts))


def _count(number: int, noun: str) -> str:
    plural = {"batch": "batches", "retry": "retries"}.get(noun, noun + "s")
    return f"{number:,} {noun if number == 1 else plural}"


def _lag(positions: Iterable[Position]) -> str:
    """How old the newest record sent is (``-`` before any was sent)."""
    times = [p.time for p in positions if p.time]
    if not times:
        return "-"
    try:
        newest = datetime.fromisoformat(max(times))
    except ValueError:
        return "-"
    seconds = max(0.0, time.time() - newest.timestamp())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= 2 * size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.1f} s"


def _size(count: int) -> str:
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"
