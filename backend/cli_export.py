"""`msc-logs export`: write the log, or the entries matching filters, to a file.

The command line's door to the viewer's export (`backend.commands.export_query`, the body of
``export_logs``): the same formats (``--format``: jsonl, csv, txt, otlp-json, clef, bundle), the
same atomic write (mode 0600, nothing left behind on failure), the same refusal to write onto a
name the log shown reads. The location options and filters are `msc-logs query`'s.

Redaction: ``--redact``/``--no-redact``; by default on for a bundle only. ``--redact-rules FILE``
(JSON or TOML, `shared.redact.load_rules`) replaces the default rules and turns redaction on
unless ``--no-redact`` is given.

Prints one line, ``PATH: N entries, B bytes`` (and the values redacted); a failure prints
``msc-logs export: error: …`` on stderr and exits with 2, as argparse does for bad options.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from backend._app import AppContext, CommandError
from backend._export import FORMATS, redactor_for
from backend._location import LocationError, shown_log
from backend.cli_query import add_filters, filter_values
from backend.commands import export_query
from shared.reader.query import LogQuery
from shared.writer.escape import escape

if TYPE_CHECKING:
    from backend._dirs import ViewerDirs

__all__ = ["register", "run_export"]

_DESCRIPTION = (
    "Write every entry of the log matching the filters given, oldest first, to --output in "
    "--format: jsonl (the log's own layout), csv, txt, otlp-json (OpenTelemetry), clef "
    "(Seq/Serilog) or bundle (a zip for support cases: entries, metrics, log info, manifest). "
    "The file is written atomically and readable only by you. Secrets are masked with "
    "--redact (the default for bundle)."
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``export`` subcommand to ``msc-logs``.

    Args:
        subparsers: The main parser's subparsers.
    """
    parser = subparsers.add_parser(
        "export", help="write the log to a file (jsonl, csv, otlp-json, bundle …)"
    )
    parser.description = _DESCRIPTION
    add_filters(parser, printing=False)
    parser.add_argument("--format", choices=FORMATS, default="jsonl", help="(jsonl)")
    parser.add_argument(
        "--output", "-o", type=Path, required=True, metavar="PATH", help="the file to write"
    )
    parser.add_argument("--overwrite", action="store_true", help="replace an existing file")
    parser.add_argument(
        "--redact",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mask secrets: passwords, tokens, e-mail addresses … (default: on for bundle)",
    )
    parser.add_argument(
        "--redact-rules", type=Path, metavar="FILE", help="redaction rules (.json or .toml)"
    )
    parser.set_defaults(func=run_export, cli_parser=parser)


def run_export(args: argparse.Namespace, dirs: ViewerDirs | None = None) -> int:
    """``msc-logs export``: write the export and print where; returns the exit code.

    Reads only the log shown: nothing is created, changed or locked in its directory.
    """
    try:
        shown = shown_log(args, dirs)
        query = _query(args)
        redact = True if args.redact is None and args.redact_rules is not None else args.redact
        redactor = redactor_for(args.format, redact, args.redact_rules)
    except (LocationError, ValueError) as exc:
        return _fail(str(exc))
    app = AppContext(log_dir=shown.log_dir, app_name=shown.app_name)
    try:
        result = export_query(
            app,
            query,
            output_path=args.output,
            format=args.format,
            source=None,
            overwrite=args.overwrite,
            redactor=redactor,
        )
    except CommandError as exc:
        message = exc.message.replace("output_path:", "--output:", 1)
        return _fail(message.replace("pass overwrite", "pass --overwrite"))
    finally:
        app.close()
    count = result["count"]
    line = f"{escape(result['path'])}: {count} {'entry' if count == 1 else 'entries'}, "
    line += f"{result['bytes']} bytes"
    if "redacted" in result:
        line += f", {sum(result['redacted'].values())} values redacted"
    print(line)
    return 0


def _query(args: argparse.Namespace) -> LogQuery:
    """The filters as a query.

    Raises:
        ValueError: A bad ``--search`` regular expression or ``--where`` (named as the option).
    """
    try:
        return LogQuery(**filter_values(args))
    except ValidationError as exc:
        reason = "; ".join(str(e.get("ctx", {}).get("error", e["msg"])) for e in exc.errors())
        raise ValueError(re.sub(r"^(search|where):", r"--\1:", reason)) from None


def _fail(message: str) -> int:
    print(f"msc-logs export: error: {escape(message)}", file=sys.stderr)
    return 2
