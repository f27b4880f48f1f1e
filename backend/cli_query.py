"""`msc-logs query` and `msc-logs tail`: the log from a terminal or a script.

Start-up is most of what a query costs (`bench/cli_start.py` measures it), so this module imports
only the pydantic-free engine; `tail` pulls in the follower when it starts following, and
``--own-log`` the viewer's directories.

Log text is untrusted: everything printed from it (keys, values, messages, targets, file and
source names in errors) goes through `shared.writer.escape`, as on the library's console, and
each text is cut at 64 KiB with a marker saying how much more there was (``--json`` prints it
whole, with the same characters escaped as ``\\uXXXX``).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import re
import sys
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any

import orjson

from backend._helpformat import HelpFormatter
from backend._location import LocationError, Shown, add_location_arguments, shown_log
from shared.reader.engine import CursorNotFound, InvalidCursor, newest_entries
from shared.reader.match import Criteria, Matcher
from shared.reader.records import CATEGORIES, LEVELS
from shared.reader.scan import ScanStats
from shared.reader.sources import unreadable_files
from shared.writer.escape import PRINT_LIMIT, escape, escape_json

if TYPE_CHECKING:
    from backend._dirs import ViewerDirs

__all__ = ["COMMANDS", "add_filters", "main", "register"]

#: The subcommands this module runs.
COMMANDS = ("query", "tail")

_RELATIVE = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LEVEL_COLORS = {"trace": "2", "debug": "34", "info": "32", "warn": "33", "error": "1;31"}
_CATEGORY_WIDTH = max(len(name) for name in CATEGORIES)


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    commands: Collection[str] = COMMANDS,
) -> None:
    """Add the ``query`` and ``tail`` subcommands to ``msc-logs``.

    Args:
        subparsers: The main parser's subparsers.
        commands: Only these of them (`main` registers just the one it runs: every option
            added costs start-up time).
    """
    if "query" in commands:
        _add_query(subparsers)
    if "tail" in commands:
        _add_tail(subparsers)


def _add_query(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    query = subparsers.add_parser(
        "query",
        help="print the last matching log entries",
        description=_QUERY_HELP,
        formatter_class=HelpFormatter,
    )
    add_filters(query)
    query.add_argument("--limit", type=_positive, default=100, help="at most N entries (100)")
    query.add_argument("--before", metavar="ID", help="only entries older than this entry id")
    query.set_defaults(func=run_query, cli_parser=query)


def _add_tail(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tail = subparsers.add_parser(
        "tail",
        help="print the last entries, then follow the log",
        description=_TAIL_HELP,
        formatter_class=HelpFormatter,
    )
    add_filters(tail)
    tail.add_argument("-n", type=_count, default=10, metavar="N", help="start with N entries (10)")
    tail.set_defaults(func=run_tail, cli_parser=tail)


_QUERY_HELP = "Print the last entries of the log matching every filter given, oldest first."
_TAIL_HELP = "Print the last entries matching the filters, then new ones as they are written."


def add_filters(parser: argparse.ArgumentParser, *, printing: bool = True) -> None:
    """Add the location options and the filters of ``query`` and ``tail`` (``export`` too).

    Args:
        parser: A subcommand's parser.
        printing: Also ``--json`` and ``--color`` (commands that print entries).
    """
    add_location_arguments(parser, top=False, aliases=True)
    parser.add_argument("--level", choices=LEVELS, help="exactly this level")
    parser.add_argument("--min-level", choices=LEVELS, help="this level and above")
    parser.add_argument("--category", choices=sorted(CATEGORIES))
    parser.add_argument("--search", help="case-insensitive text in message, target or fields")
    parser.add_argument("--regex", action="store_true", help="--search is a regular expression")
    parser.add_argument("--request-id", metavar="ID", help="exactly this fields.request_id")
    parser.add_argument("--span-id", metavar="ID", help="entries of this span and its children")
    parser.add_argument(
        "--where",
        metavar="EXPR",
        help="typed field filters: 'duration_ms>500 and category=database' (docs/PROTOCOL.md)",
    )
    for name in ("since", "until"):
        parser.add_argument(
            f"--{name}",
            type=_moment,
            metavar="WHEN",
            help="RFC 3339 time or age (30s, 15m, 2h, 7d)",
        )
    if not printing:
        return
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="(auto: on a TTY)"
    )


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text!r}")
    return value


def _moment(text: str) -> datetime:
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        seconds = float(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
        return datetime.now(UTC) - timedelta(seconds=seconds)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an RFC 3339 time or an age like 15m: {text!r}"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


#: The filters `add_filters` adds, by their `Criteria` / `LogQuery` names.
FILTERS = (
    "level", "min_level", "category", "search", "regex", "since", "until", "request_id",
    "span_id", "where",
)  # fmt: skip


def filter_values(args: argparse.Namespace) -> dict[str, Any]:
    """The filters parsed by `add_filters`, as keyword arguments of `Criteria` or `LogQuery`."""
    return {name: getattr(args, name) for name in FILTERS}


def _matcher(args: argparse.Namespace) -> Matcher:
    criteria = Criteria(**filter_values(args))
    try:
        return Matcher(criteria)
    except ValueError as exc:
        message = re.sub(r"^(search|where):", r"--\1:", str(exc))  # the option, as typed
        args.cli_parser.error(message)  # exits with 2
        raise  # unreachable: error() exits


def _shown(args: argparse.Namespace, dirs: ViewerDirs | None) -> Shown | None:
    """The log to read, or None after saying on stderr why there is none."""
    if dirs is None and args.own_log:
        from backend._dirs import ViewerDirs  # noqa: PLC0415 -- most queries name their directory

        dirs = ViewerDirs.for_user()
    try:
        return shown_log(args, dirs)
    except LocationError as exc:
        print(f"msc-logs {args.command}: {escape(str(exc))}", file=sys.stderr)
        return None


def run_query(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """``msc-logs query``: print the last matching entries; returns the exit code.

    Reads only: nothing is created, changed or locked in the log directory.
    """
    matcher = _matcher(args)
    shown = _shown(args, dirs)
    if shown is None:
        return 1
    try:
        page = newest_entries(shown.log_dir, matcher, args.limit, shown.app_name, args.before)
    except InvalidCursor as exc:
        args.cli_parser.error(str(exc).replace("before:", "--before:", 1))
    except CursorNotFound as exc:
        message = escape(str(exc)).replace("before:", "--before:", 1)
        print(f"msc-logs query: {message}", file=sys.stderr)
        return 1
    printer = _Printer(sys.stdout, args)
    with _quiet_broken_pipe():
        printer.write(page.entries)
        _report_malformed(page.stats)
        _report_unreadable("query", shown)
    return 0


def run_tail(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """``msc-logs tail``: print the last N matching entries, then follow until Ctrl-C.

    Reads only, as ``query`` does.
    """
    import threading  # noqa: PLC0415 -- only the follower needs it

    from shared.reader.follow import LogFollower  # noqa: PLC0415 -- pydantic: only when following

    matcher = _matcher(args)
    shown = _shown(args, dirs)
    if shown is None:
        return 1
    log_dir, app_name = shown.log_dir, shown.app_name
    printer = _Printer(sys.stdout, args)
    # The follower fixes its start first; the history is what lies before that point, so
    # nothing is printed twice or skipped between the two. Several sources have no one start
    # point: the history is read to the end, and what the follower finds of it is not repeated.
    printed: set[str] = set()
    with LogFollower(log_dir, app_name) as follower, _quiet_broken_pipe():
        _report_unreadable("tail", shown)
        if args.n:
            start = follower.start_cursor
            page = newest_entries(log_dir, matcher, args.n, app_name, start)
            printer.write(page.entries)
            if start is None:
                printed = {entry["id"] for entry in page.entries}
        try:
            for batch in follower.follow(threading.Event()):
                if batch.cleared:
                    print("msc-logs tail: the log was cleared", file=sys.stderr)
                printer.write(
                    entry
                    for entry in batch.entries
                    if matcher.matches(entry) and entry["id"] not in printed
                )
        except KeyboardInterrupt:
            return 0
    return 0


class _Printer:
    """Entries as aligned text (colored on a terminal) or as JSON lines."""

    def __init__(self, stream: IO[str], args: argparse.Namespace) -> None:
        self._stream = stream
        self._json = args.json
        tty = stream.isatty() and "NO_COLOR" not in os.environ
        self._color = args.color == "always" or (args.color == "auto" and tty)

    def write(self, entries: Iterable[dict[str, Any]]) -> None:
        """Print ``entries`` and flush."""
        if self._json:
            out = self._stream.buffer if hasattr(self._stream, "buffer") else None
            for entry in entries:
                data = orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE)
                if not data.isascii() or b"\x7f" in data:  # orjson writes DEL, C1, bidi raw
                    data = escape_json(data.decode()).encode()
                if out is not None:
                    out.write(data)
                else:
                    self._stream.write(data.decode())
        else:
            self._stream.writelines(self._line(entry) for entry in entries)
        self._stream.flush()

    def _line(self, entry: dict[str, Any]) -> str:
        stamp = escape(entry["timestamp"].replace("T", " ").rstrip("Z"))
        level, category = entry["level"], escape(entry["category"])
        parts = [
            self._paint(stamp, "2"),
            self._paint(f"{escape(level.upper()):<5}", _LEVEL_COLORS.get(level, "0")),
            self._paint(f"{category:<{_CATEGORY_WIDTH}}", "36"),
            escape(entry["message"], limit=PRINT_LIMIT),
        ]
        extra = " ".join(
            f"{escape(key, limit=PRINT_LIMIT)}={_value(value)}"
            for key, value in entry["fields"].items()
        )
        if entry["target"]:
            extra = f"[{escape(entry['target'], limit=PRINT_LIMIT)}] {extra}"
        if extra.strip():
            parts.append(self._paint(extra.strip(), "2"))
        return "  ".join(parts) + "\n"

    def _paint(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self._color else text


def _value(value: object) -> str:
    if isinstance(value, str) and value and not any(c.isspace() or c == '"' for c in value):
        return escape(value, limit=PRINT_LIMIT)
    return escape(orjson.dumps(_rounded(value)).decode(), limit=PRINT_LIMIT)


def _rounded(value: object) -> object:
    """``value`` with every float cut to 4 significant digits, for reading (metrics snapshots
    hold timings like 12.345678901); ``--json`` prints the logged value unchanged."""
    if isinstance(value, float):
        return float(format(value, ".4g")) if math.isfinite(value) else value
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_rounded(item) for item in value]
    return value


def _report_malformed(stats: ScanStats) -> None:
    if stats.malformed:
        name, offset, reason = stats.malformed_at[0]
        print(
            f"msc-logs query: skipped {stats.malformed} malformed line(s);"
            f" first: {escape(name)} at byte {offset}: {escape(reason)}",
            file=sys.stderr,
        )


def _report_unreadable(command: str, shown: Shown) -> None:
    """One line on stderr per file of the log that is there but cannot be read (the rest was)."""
    for item in unreadable_files(shown.log_dir, shown.app_name):
        path = escape(str(item.path))
        print(f"msc-logs {command}: cannot read {path}: {item.reason}", file=sys.stderr)


@contextlib.contextmanager
def _quiet_broken_pipe() -> Iterator[None]:
    """A closed pipe (``| head``) ends the output quietly instead of with a traceback."""
    try:
        yield
    except BrokenPipeError:
        # Python flushes stdout again at exit; point it at /dev/null so that cannot fail.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def build_parser(commands: Collection[str] = COMMANDS) -> argparse.ArgumentParser:
    """A stand-alone ``msc-logs`` parser holding just these subcommands, or only those named in
    ``commands`` (and the location options before them, as the full parser has them)."""
    parser = argparse.ArgumentParser(prog="msc-logs", formatter_class=HelpFormatter)
    add_location_arguments(parser, top=True)
    register(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"), commands)
    return parser


def main(argv: Sequence[str] | None = None, command: str | None = None) -> int:
    """Run ``query`` or ``tail`` with ``argv``; returns the exit code.

    Args:
        argv: The arguments (default: ``sys.argv[1:]``).
        command: The subcommand ``argv`` names, when the caller knows it: only its parser is
            built.

    The viewer's directories are looked up only for ``--own-log``.
    """
    args = build_parser(COMMANDS if command is None else (command,)).parse_args(argv)
    try:
        code: int = args.func(args, None)
    except OSError as exc:  # nothing of the log can be read (a refused directory or file)
        where = f" {exc.filename}" if exc.filename else ""
        reason = (exc.strerror or str(exc)).lower()
        print(f"msc-logs {args.command}: cannot read{escape(where)}: {reason}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
