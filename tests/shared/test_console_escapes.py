"""The console prints log text as text: no escape sequence from a record reaches the terminal,
and one huge message cannot flood it.

A child process logs every injection vector (tests/shared/injection_vectors.py and the
terminal's own: OSC 52, clear screen, C1 CSI, CR …) as stdlib logger names, our logger names,
messages, categories, field keys and values, span names and exception texts; its stderr, read
as bytes, holds no control character but the newline ending each line (and the tabs and
newlines of tracebacks).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from injection_vectors import VECTORS

from shared.writer.console import format_line

REPO = Path(__file__).resolve().parents[2]
TERMINAL = (
    "before\x1b[2J\x1b[Hafter",
    "copy\x1b]52;c;ZWNobyBwd25lZA==\x07me",
    "copy\x1b]52;c;ZWNobyBwd25lZA==\x1b\\me",
    "\x1b]0;you have been pwned\x07title",
    "\x1b]8;;http://evil.invalid/\x1b\\innocent\x1b]8;;\x1b\\",
    "\x1bP$q m\x1b\\dcs",
    "reset\x1bcdone",
    "ask\x1b[6nanswer",
    "ring\x07ring",
    "harmless text\rEVIL",
    "rm -rf /\x08\x08\x08\x08\x08\x08\x08\x08ls -l   ",
    "c1\x9b2Jcsi",
    "c1\x9d52;c;aGk=\x9cosc",
    "next\x85line",
    "v\x0bt\x0cf\x00\x7f",
    "a\tb",
    "ok\n01:02:03.456 ERROR security    forged               forged line",
    "evil\u202egnp.exe\u202c \u2066isolate\u2069",
    "line\u2028separator\u2029paragraph",
)
TEXTS = (*(v.text for v in VECTORS), *TERMINAL)
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
LINE_START = re.compile(r"\d{2}:\d{2}:\d{2}\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR) ")

#: Logs every text of argv[2] (JSON) through the stdlib and through our logger, then, after a
#: "--- exceptions ---" marker, once more as exceptions (tracebacks span lines by design).
CHILD = r"""
import json, logging, sys
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.context import span
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="trace", file_level="trace"))
texts = json.loads(sys.argv[2])
for n, text in enumerate(texts):
    logging.getLogger(text).warning("stdlib %d %s", n, text)
    with span(text):
        get_logger(text).info(text, category=text, vector=n, **{text: text, "value": [text]})
sys.stderr.write("--- exceptions ---\n")
for text in texts:
    try:
        raise ValueError(text)
    except ValueError:
        logging.getLogger(text).exception(text)
"""

#: Logs one 10 MB message (argv[2]: its length) to the console and the file.
HUGE = r"""
import sys
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1])))
get_logger("huge").warning("x" * int(sys.argv[2]), value="y" * int(sys.argv[2]))
"""


def run_child(code: str, *argv: str) -> bytes:
    """Run ``code`` in a child interpreter; its stderr as bytes (no newline translation)."""
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def unsafe(text: str, *, allow: str = "") -> list[str]:
    """The unsafe characters in ``text`` (those in ``allow`` aside), by name."""
    found = {c for c in UNSAFE.findall(text) if c not in allow}
    return sorted(unicodedata.name(c, f"U+{ord(c):04X}") for c in found)


class TestConsoleEscapesLogText:
    def test_records_print_no_control_character_and_one_line_each(self, log_dir: Path) -> None:
        """Stdlib logger names, targets, messages, keys, values, spans: all escaped, one line."""
        err = run_child(CHILD, str(log_dir), json.dumps(TEXTS)).decode("utf-8")
        records, exceptions = err.split("--- exceptions ---\n")
        assert unsafe(records, allow="\n") == []
        lines = records.split("\n")
        assert lines.pop() == ""
        written = (log_dir / "midi-software-center.log").read_bytes().splitlines()
        # One line per record before the exceptions: no line was forged.
        assert len(lines) == len(written) - len(TEXTS)
        assert all(LINE_START.match(line) for line in lines)
        osc52 = "copy\\x1b]52;c;ZWNobyBwd25lZA==\\x07me"  # a stdlib logger's name, as text
        assert f" {osc52} stdlib {TEXTS.index(TERMINAL[1])} {osc52} source=" in records
        assert unsafe(exceptions, allow="\n\t") == []

    def test_colors_are_the_only_escapes(self) -> None:
        """With colors on, removing the console's own SGR codes leaves no control character."""
        for text in TEXTS:
            record: dict[str, Any] = {
                "timestamp": "2026-11-28T01:57:36.123456Z",
                "level": "warn",
                "category": text,
                "message": text,
                "target": text,
                "fields": {text: text, "nested": {text: [text]}},
                "span": {"name": text, "id": "1", "parent_id": None},
                "pid": 1,
                "source": text,
            }
            line = format_line(record, colors=True, full_time=False)
            assert unsafe(SGR.sub("", line)) == [], text

    def test_a_huge_message_is_cut_on_the_console_and_whole_in_the_file(
        self, log_dir: Path, lines: Callable[[Path], list[bytes]]
    ) -> None:
        """10 MB: the console shows 64 KiB and how much more there was; the file has it all."""
        size = 10_000_000
        err = run_child(HUGE, str(log_dir), str(size)).decode("utf-8")
        assert len(err) < 3 * 64 * 1024
        assert " " + "x" * 65536 + "… [9.5 MiB more] " in err
        assert " value=" + "y" * 65536 + "… [9.5 MiB more]" in err
        written = [orjson.loads(line) for line in lines(log_dir)]
        assert written[-1]["message"] == "x" * size
