"""`msc-logs ship`: send the log to an OpenTelemetry collector over OTLP/HTTP, and keep up.

``msc-logs ship --log-dir D --otlp-endpoint http://collector:4318`` reads every source of D
(every format the reader knows; lines that are no record go as raw records with ``msc.raw``),
oldest file first, from where the last run stopped, then follows the log through rotations, and
POSTs batches (1,000 records or 1 s) as protobuf ``ExportLogsServiceRequest``, gzip'd, to
``<endpoint>/v1/logs``. The mapping onto the OpenTelemetry log data model is `shared.otlp`'s.

- Delivery: at least once. A source's checkpoint (`backend._ship_state`: the file's identity,
  the offset of the last acknowledged record's line, how many records of that line went) is
  written atomically after the collector acknowledged a batch, never before; a restart, even
  after ``kill -9``, resumes there, so only the batch in flight may be sent twice. A checkpoint
  whose file rotated away while ship was stopped is found under its new name; one whose file
  is gone (rotated out of the set, cleared) restarts at the oldest file, and stderr says so.
- Where: ``<state_dir>/ship/<hash of D and the endpoint>.json`` in the viewer's state directory
  (``$XDG_STATE_HOME/midi-software-center``), with a lock beside it so that one ship runs per
  pair. Nothing is created or changed in D, and nothing listens on the network.
- Failures: connection errors, 429, 502, 503 and 504 are retried with exponential back-off
  (``Retry-After`` honoured) until the collector takes the batch; any other answer (400, 401,
  404 …) ends ship with exit code 1 and the collector's message. SIGTERM or Ctrl-C lets the
  request in flight finish, abandons the batch being gathered (it is sent again next time) and
  exits 0.
- Progress on stderr every ``--progress-every`` seconds and at the end: records and batches
  sent, retries, lag (the age of the newest record sent) and the bytes not shipped yet.
- ``--headers "k=v,k2=v2"`` (``OTEL_EXPORTER_OTLP_HEADERS``' form, which is read when the option
  is not given: a secret in the environment stays out of ``ps``). ``--start-at end`` starts a
  source without a checkpoint at its end instead of shipping its history. ``--once`` ships what
  is there and exits (cron, tests).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from backend._location import LocationError, add_location_arguments, shown_log
from shared.writer.escape import escape

if TYPE_CHECKING:
    from backend._dirs import ViewerDirs

__all__ = ["register", "run_ship"]

_DESCRIPTION = (
    "Send the log to an OpenTelemetry collector (OTLP/HTTP, protobuf, gzip): its history from "
    "where the last run stopped, then new records as they are written, through rotations. "
    "Checkpoints are kept in the viewer's state directory, never in the log directory."
)
HEADERS_VARIABLE = "OTEL_EXPORTER_OTLP_HEADERS"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``ship`` subcommand to ``msc-logs``.

    Args:
        subparsers: The main parser's subparsers.
    """
    parser = subparsers.add_parser(
        "ship", help="send the log to an OpenTelemetry collector", description=_DESCRIPTION
    )
    add_location_arguments(parser, top=False, own_log=False)
    parser.add_argument(
        "--otlp-endpoint",
        required=True,
        metavar="URL",
        help="the collector's OTLP/HTTP endpoint, e.g. http://localhost:4318 (/v1/logs is added)",
    )
    parser.add_argument(
        "--headers",
        metavar="K=V,...",
        help=f"request headers, e.g. authorization (default: ${HEADERS_VARIABLE})",
    )
    parser.add_argument(
        "--start-at",
        choices=("beginning", "end"),
        default="beginning",
        help="where a source without a checkpoint starts: its oldest record (default) or its end",
    )
    parser.add_argument("--once", action="store_true", help="ship what is there, then exit")
    parser.add_argument(
        "--batch-size", type=_bounded(int, 1, 100_000), default=1000, metavar="N",
        help="records per request (1000)",
    )  # fmt: skip
    parser.add_argument(
        "--batch-wait", type=_bounded(float, 0.001, 60), default=1.0, metavar="SECONDS",
        help="send a batch that is not full after this long (1)",
    )  # fmt: skip
    parser.add_argument(
        "--timeout", type=_bounded(float, 0.1, 600), default=10.0, metavar="SECONDS",
        help="wait this long for the collector's answer before retrying (10)",
    )  # fmt: skip
    parser.add_argument(
        "--progress-every", type=_bounded(float, 0, 86400), default=5.0, metavar="SECONDS",
        help="report progress on stderr this often; 0: only at the end (5)",
    )  # fmt: skip
    parser.set_defaults(func=run_ship, cli_parser=parser)


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Callable[[str], float]:
    def convert(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {kind.__name__}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be {low:g} to {high:g}, not {text!r}")
        return value

    return convert


def run_ship(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """``msc-logs ship``: ship until stopped (or, with ``--once``, until done).

    Returns:
        0 when done or stopped by a signal, 1 on a fatal error (said on stderr), 2 on bad
        arguments.
    """
    from backend._ship_loop import ShipOptions, Shipper  # noqa: PLC0415 -- after parsing
    from backend._ship_send import Sender, ShipError, endpoint_url, parse_headers  # noqa: PLC0415
    from backend._ship_state import CheckpointError, CheckpointStore  # noqa: PLC0415

    parser: argparse.ArgumentParser = args.cli_parser
    try:
        url = endpoint_url(args.otlp_endpoint)
    except ValueError as exc:
        parser.error(f"--otlp-endpoint: {exc}")
    headers_text = args.headers if args.headers is not None else os.environ.get(HEADERS_VARIABLE)
    try:
        headers = parse_headers(headers_text or "")
    except ValueError as exc:
        origin = "--headers" if args.headers is not None else f"${HEADERS_VARIABLE}"
        parser.error(f"{origin}: {exc}")
    try:
        shown = shown_log(args, dirs)
    except LocationError as exc:
        return _fail(str(exc))
    if dirs is None:
        from backend._dirs import ViewerDirs  # noqa: PLC0415

        dirs = ViewerDirs.for_user()
    options = ShipOptions(
        log_dir=shown.log_dir,
        app_name=shown.app_name,
        start_at_end=args.start_at == "end",
        once=args.once,
        batch_size=args.batch_size,
        batch_wait=args.batch_wait,
        progress_every=args.progress_every,
    )
    stop = threading.Event()
    store = CheckpointStore(dirs.state_dir, shown.log_dir, url)
    sender = Sender(url, headers, timeout=args.timeout, stop=stop, note=_note)
    try:
        store.lock()
        shipper = Shipper(options, sender, store, stop, _note)
        with _stop_on_signals(stop):
            try:
                shipper.run()
            finally:
                shipper.report(final=True)
    except (ShipError, CheckpointError) as exc:
        return _fail(str(exc))
    finally:
        sender.close()
        store.unlock()
    return 0


def _note(message: str) -> None:
    print(f"msc-logs ship: {escape(message)}", file=sys.stderr, flush=True)


def _fail(message: str) -> int:
    _note(message)
    return 1


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set ``stop`` (a second one ends at once); restored afterwards."""

    def handle(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    kinds = [signal.SIGINT, signal.SIGTERM]
    previous = {kind: signal.signal(kind, handle) for kind in kinds}
    try:
        yield
    except KeyboardInterrupt:
        pass  # the checkpoint is the last acknowledged batch's: nothing is lost
    finally:
        for kind, handler in previous.items():
            signal.signal(kind, handler)
