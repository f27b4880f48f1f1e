"""`msc-logs demo`: realistic MIDI Software Center activity written through `shared`.

For trying the viewer on a fresh install (the window's File menu starts it for 30 s) and for
benchmarks: database queries with durations, MIDI notes and device changes, file imports inside
spans with request ids, transport actions, occasional warnings and errors (about 1 % of records),
and metrics (counters, timings, gauges) with a snapshot every few seconds.

The rate is records per second, kept exact on average: every tick writes the records due since
the start, then sleeps until the next one is due. Runs until ``--duration`` or Ctrl-C (exit 0).
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from backend._dirs import ViewerDirs
from backend._location import add_location_arguments
from shared._metrics import (
    Timer,
    increment_counter,
    record_timing,
    set_gauge,
    start_metrics_snapshots,
    write_metrics_snapshot,
)
from shared.writer.config import DEFAULT_APP_NAME, LogConfig, LoggingError, default_log_dir
from shared.writer.context import LogContext
from shared.writer.macros import log_database, log_file, log_midi, log_operation
from shared.writer.setup import get_logger, init_logging

__all__ = ["DemoActivity", "add_arguments", "pace", "register", "run_demo"]

#: Seconds between two metrics snapshots written by the demo.
SNAPSHOT_INTERVAL = 5.0
#: Longest single sleep, so Ctrl-C and the duration are noticed promptly at low rates.
MAX_SLEEP = 0.1
MIN_SLEEP = 0.001

DEVICES = ("Arturia KeyStep 37", "Akai MPK Mini", "Roland FP-30X", "loopMIDI Port 1")
QUERIES = (
    "SELECT id, name, bpm FROM tracks WHERE project_id = ?",
    "SELECT * FROM midi_files WHERE tag IN (?, ?) ORDER BY imported_at DESC LIMIT 50",
    "INSERT INTO midi_events (file_id, tick, status, data1, data2) VALUES (?, ?, ?, ?, ?)",
    "UPDATE projects SET last_opened = ? WHERE id = ?",
    "SELECT count(*) FROM samples WHERE instrument = ?",
)
FILES = ("drums/funk_groove_96bpm.mid", "keys/ballad_in_eb.mid", "bass/walking_line.mid",
         "leads/arp_sequence_128.mid", "orchestral/strings_pad.mid")  # fmt: skip


class DemoActivity:
    """Writes one realistic action per `step`; each returns how many records it wrote."""

    def __init__(self, rng: random.Random) -> None:

        self._rng = rng
        # One logger per subsystem, as the real app's modules have: the viewer's Target column.
        self._log = {
            area: get_logger(f"msc.{area}")
            for area in ("midi", "database", "importer", "transport", "sync", "audio")
        }
        self._held: list[tuple[int, int]] = []
        self._device = DEVICES[0]
        self._actions: list[tuple[Callable[[], int], int]] = [
            (self.midi_note, 50), (self.database_query, 25), (self.file_import, 6),
            (self.transport, 8), (self.sync, 5), (self.device_change, 2), (self.problem, 1),
        ]  # fmt: skip

    def step(self) -> int:
        """Write one action's records, chosen by weight."""
        actions, weights = zip(*self._actions, strict=True)
        action: Callable[[], int] = self._rng.choices(actions, weights)[0]
        return action()

    def midi_note(self) -> int:
        """A note on, or the release of a held note."""

        if self._held and (len(self._held) > 6 or self._rng.random() < 0.5):
            channel, note = self._held.pop(self._rng.randrange(len(self._held)))
            log_midi(
                "debug", "note_off", channel=channel, note=note, device=self._device,
                logger=self._log["midi"],
            )  # fmt: skip
        else:
            channel, note = self._rng.randint(1, 4), self._rng.randint(36, 96)
            self._held.append((channel, note))
            velocity = self._rng.randint(30, 127)
            log_midi(
                "debug", "note_on", channel=channel, note=note, velocity=velocity,
                device=self._device, logger=self._log["midi"],
            )  # fmt: skip
        increment_counter("midi.events")
        set_gauge("midi.active_voices", len(self._held))
        return 1

    def database_query(self) -> int:
        """A query with a log-normal duration; slow ones are warnings."""

        duration_ms = round(self._rng.lognormvariate(1.2, 0.8), 3)
        query = self._rng.choice(QUERIES)
        log = self._log["database"]
        if duration_ms > 60:
            log_database(
                "warn", query, duration_ms, message="slow query", threshold_ms=60, logger=log
            )
        else:
            rows = self._rng.randint(0, 400)
            log_database("debug", query, duration_ms, rows=rows, logger=log)
        record_timing("db.query", duration_ms / 1000)
        return 1

    def file_import(self) -> int:
        """An import inside a span with its own request id: read, parse, span closed."""

        path = f"~/Music/MIDI/{self._rng.choice(FILES)}"
        context = LogContext(request_id=LogContext.generate_request_id()).with_file(path)
        log = self._log["importer"]
        with Timer("import.write"), context.into_span("import_file"):
            size = self._rng.randint(2_000, 400_000)
            log_file("info", "read", path, bytes=size, logger=log)
            tracks, events = self._rng.randint(1, 16), self._rng.randint(200, 40_000)
            log_operation(
                "info", "parse", category="file", message="MIDI file parsed",
                tracks=tracks, events=events, format=self._rng.choice((0, 1)), logger=log,
            )  # fmt: skip
        record_timing("import.parse", events / 2_000_000)
        increment_counter("files.imported")
        return 3  # read, parsed, span closed

    def transport(self) -> int:
        """Play, stop or record from the transport bar (category user)."""

        action = self._rng.choice(("play", "stop", "record", "loop"))
        bpm = self._rng.choice((90, 96, 110, 120, 128))
        log_operation(
            "info", f"transport {action}", category="user", action=action, bpm=bpm,
            logger=self._log["transport"],
        )  # fmt: skip
        return 1

    def sync(self) -> int:
        """A library sync round trip (category network)."""

        latency = round(self._rng.uniform(20, 180), 1)
        self._log["sync"].info(
            "library synced", category="network", latency_ms=latency, items=self._rng.randint(0, 9)
        )
        return 1

    def device_change(self) -> int:
        """A MIDI device connects (and replaces the current one)."""

        self._device = self._rng.choice(DEVICES)
        ports = self._rng.randint(1, 2)
        log_midi(
            "info", "device_connected", device=self._device, ports=ports, logger=self._log["midi"]
        )
        increment_counter("midi.device_changes")
        return 1

    def problem(self) -> int:
        """A warning or an error, as real sessions have them."""

        if self._rng.random() < 0.5:
            log_midi(
                "warn", "buffer_underrun", message="audio buffer underrun", frames=256,
                logger=self._log["audio"],
            )  # fmt: skip
        else:
            self._log["importer"].error(
                "failed to open MIDI file", category="file", path="~/Music/MIDI/corrupt.mid",
                error="invalid header chunk 'RIFF'",
            )  # fmt: skip
        increment_counter("errors")
        return 1


def pace(
    rate: float,
    duration: float | None,
    step: Callable[[], int],
    stop: threading.Event,
    clock: Callable[[], float] = time.monotonic,
) -> int:
    """Call ``step`` so that ``rate`` records per second are written on average.

    Each tick writes every record due since the start (a batch), then sleeps until the next
    one is due, so a slow tick is caught up rather than lost.

    Returns:
        How many records were written.
    """
    start, written = clock(), 0
    while not stop.is_set():
        elapsed = clock() - start
        if duration is not None and elapsed >= duration:
            break
        due = int(elapsed * rate) + 1
        while written < due:
            written += step()
        wait = written / rate - (clock() - start)
        # At least MIN_SLEEP: float rounding can make "due" lag "written / rate" by a hair,
        # which would otherwise spin without sleeping.
        stop.wait(min(max(wait, MIN_SLEEP), MAX_SLEEP))
    return written


def register(subparsers: Any) -> None:
    """Add ``demo`` to the ``msc-logs`` subcommands."""
    parser = subparsers.add_parser(
        "demo", help="write realistic demo activity into a log directory", description=__doc__
    )
    add_arguments(parser, top=False)
    parser.set_defaults(func=run_demo)


def add_arguments(parser: argparse.ArgumentParser, *, top: bool = True) -> None:
    """The options of ``msc-logs demo`` (``top``: the parser holds the location defaults).

    ``--log-dir`` is where to write; unlike the viewing commands, a missing one is created.
    """
    add_location_arguments(parser, top=top, own_log=False)
    parser.add_argument("--rate", type=float, default=20.0, help="records per second (20)")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)"
    )
    parser.add_argument("--seed", type=int, default=None, help="random seed (repeatable runs)")


def run_demo(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """Write demo activity until the duration ends or Ctrl-C / SIGTERM.

    Args:
        args: The parsed options.
        dirs: Unused: the demo is a writer, not a viewer (``--own-log`` does not apply).

    Returns:
        0 when done, 1 when logging cannot be set up, 2 for a bad rate or duration.
    """
    if getattr(args, "own_log", False):
        print("msc-logs demo: --own-log applies to viewing commands only", file=sys.stderr)
        return 2
    if not args.rate > 0 or (args.duration is not None and args.duration < 0):
        print("msc-logs demo: --rate must be > 0 and --duration >= 0", file=sys.stderr)
        return 2
    log_dir = args.log_dir if args.log_dir is not None else default_log_dir()
    try:
        app_name = args.app_name or DEFAULT_APP_NAME
        init_logging(LogConfig(log_dir=log_dir, app_name=app_name, console_level="warn"))
    except LoggingError as exc:
        print(f"msc-logs demo: {exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    _stop_on_signals(stop)
    snapshots = start_metrics_snapshots(SNAPSHOT_INTERVAL)
    try:
        pace(args.rate, args.duration, DemoActivity(random.Random(args.seed)).step, stop)
    finally:
        snapshots.stop()
        write_metrics_snapshot()
    return 0


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)
