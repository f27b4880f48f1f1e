"""`msc-logs query` and `msc-logs tail` from the command line."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import IO, Any

import orjson
import pytest

from backend.cli_query import build_parser, main, register

APP = "midi-software-center"
LEVELS = ["trace", "debug", "info", "warn", "error"]
CATEGORIES = ["database", "midi", "file", "network", "system", "performance", "security", "user"]
START = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


def record(seq: int, **overrides: Any) -> dict[str, Any]:
    moment = START + timedelta(seconds=seq)
    rec: dict[str, Any] = {
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": LEVELS[seq % 5],
        "category": CATEGORIES[seq % 8],
        "message": f"message {seq}",
        "target": "midi.engine",
        "fields": {"seq": seq},
        "span": None,
        "pid": 1,
        "source": None,
    }
    rec.update(overrides)
    return rec


def append(log_dir: Path, seqs: range, **overrides: Any) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    with (log_dir / f"{APP}.log").open("ab") as out:
        out.writelines(orjson.dumps(record(s, **overrides)) + b"\n" for s in seqs)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestRegister:
    def test_adds_query_and_tail_to_a_parser(self) -> None:
        """register() plugs both subcommands into another program's parser."""
        parser = argparse.ArgumentParser(prog="msc-logs")
        register(parser.add_subparsers(dest="command"))
        assert parser.parse_args(["query", "--limit", "5"]).limit == 5
        assert parser.parse_args(["tail", "-n", "3"]).n == 3


class TestQueryCommand:
    def test_prints_the_last_entries_aligned_oldest_first(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Plain text when piped: one line per entry, columns aligned, no color codes."""
        append(tmp_path, range(20))
        code, out, _ = run(capsys, "query", "--dir", str(tmp_path), "--limit", "8")
        lines = out.splitlines()
        assert code == 0
        assert [line.split("  message ")[1].split()[0] for line in lines] == [
            str(s) for s in range(12, 20)
        ]
        assert len({line.index("message") for line in lines}) == 1
        assert "\x1b[" not in out

    def test_json_prints_entries_with_ids(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json prints one entry object (record and id) per line."""
        append(tmp_path, range(10))
        code, out, _ = run(capsys, "query", "--dir", str(tmp_path), "--json", "--level", "error")
        entries = [orjson.loads(line) for line in out.splitlines()]
        assert code == 0
        assert [e["fields"]["seq"] for e in entries] == [4, 9]
        assert all(isinstance(e["id"], str) for e in entries)

    def test_filters_combine(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Level, category, search and time bounds narrow the output together."""
        append(tmp_path, range(200))
        since = (START + timedelta(seconds=100)).isoformat()
        _, out, _ = run(
            capsys,
            "query",
            "--dir",
            str(tmp_path),
            "--json",
            "--min-level",
            "warn",
            "--category",
            "midi",
            "--search",
            "MESSAGE 1",
            "--since",
            since,
        )
        seqs = [orjson.loads(line)["fields"]["seq"] for line in out.splitlines()]
        expected = [
            s
            for s in range(100, 200)
            if s % 5 >= 3 and s % 8 == 1 and f"message {s}".startswith("message 1")
        ]
        assert seqs == expected

    def test_color_always_paints_levels(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--color always colors the output (as on a terminal)."""
        append(tmp_path, range(5))
        _, out, _ = run(capsys, "query", "--dir", str(tmp_path), "--color", "always")
        assert "\x1b[1;31mERROR" in out

    def test_control_characters_in_messages_are_escaped(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Untrusted text cannot send escape sequences to the terminal or break lines."""
        append(tmp_path, range(1), message="evil \x1b[2J\nnext")
        _, out, _ = run(capsys, "query", "--dir", str(tmp_path))
        assert "\x1b" not in out
        assert "evil \\x1b[2J\\nnext" in out

    def test_malformed_lines_are_reported_on_stderr(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Skipped junk is counted on stderr; the exit code stays 0."""
        append(tmp_path, range(2))
        with (tmp_path / f"{APP}.log").open("ab") as out:
            out.write(b"junk\n")
        code, _, err = run(capsys, "query", "--dir", str(tmp_path))
        assert code == 0
        assert "skipped 1 malformed line" in err

    def test_before_pages_back(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--before continues with the entries older than the given id."""
        append(tmp_path, range(10))
        _, out, _ = run(capsys, "query", "--dir", str(tmp_path), "--json", "--limit", "3")
        first = orjson.loads(out.splitlines()[0])["id"]
        _, out, _ = run(capsys, "query", "--dir", str(tmp_path), "--json", "--before", first)
        assert [orjson.loads(line)["fields"]["seq"] for line in out.splitlines()] == list(range(7))

    def test_request_and_span_ids_select_exactly(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--request-id and --span-id take exact ids (a span's children come along)."""
        span = {"name": "n", "id": "s1", "parent_id": None}
        child = {"name": "n", "id": "s2", "parent_id": "s1"}
        with (tmp_path / f"{APP}.log").open("wb") as out:
            for seq, fields, in_span in (
                (0, {"request_id": "r1"}, span),
                (1, {"request_id": "r10"}, child),
                (2, {"note": "r1"}, None),
            ):
                out.write(orjson.dumps(record(seq, fields={"seq": seq, **fields}, span=in_span)))
                out.write(b"\n")
        for option, value, expected in (("--request-id", "r1", [0]), ("--span-id", "s1", [0, 1])):
            _, out_text, _ = run(capsys, "query", "--dir", str(tmp_path), "--json", option, value)
            assert [orjson.loads(x)["fields"]["seq"] for x in out_text.splitlines()] == expected

    @pytest.mark.parametrize(
        ("argv", "message"),
        [
            (["--search", "(", "--regex"], "--search: invalid regular expression"),
            (["--since", "yesterday"], "--since"),
            (["--limit", "0"], "--limit"),
            (["--level", "loud"], "--level"),
            (["--before", "nonsense"], "--before"),
        ],
    )
    def test_bad_arguments_exit_2_with_a_clear_message(
        self,
        tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
        argv: list[str],
        message: str,
    ) -> None:
        """Bad input is a usage error naming the argument, exit code 2."""
        append(tmp_path, range(2))
        with pytest.raises(SystemExit) as exited:
            main(["query", "--dir", str(tmp_path), *argv])
        assert exited.value.code == 2
        assert message in capsys.readouterr().err

    def test_relative_since_counts_back_from_now(self) -> None:
        """--since 15m means fifteen minutes ago."""
        args = build_parser().parse_args(["query", "--since", "15m"])
        assert abs(datetime.now(UTC) - timedelta(minutes=15) - args.since) < timedelta(minutes=1)

    def test_runs_as_a_separate_process(self, tmp_path: Path) -> None:
        """The module runs end to end as ``python -m backend.cli_query``."""
        append(tmp_path, range(3))
        done = subprocess.run(
            [sys.executable, "-m", "backend.cli_query", "query", "--dir", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0
        assert len(done.stdout.splitlines()) == 3


def read_lines(stream: IO[str], count: int) -> list[str]:
    return [stream.readline() for _ in range(count)]


class TestTailCommand:
    def test_prints_history_then_follows_until_interrupted(self, tmp_path: Path) -> None:
        """tail prints the last N, then lines as they are written; Ctrl-C exits 0."""
        append(tmp_path, range(10))
        tail = subprocess.Popen(
            [sys.executable, "-m", "backend.cli_query", "tail", "--dir", str(tmp_path), "-n", "2",
             "--json", "--level", "error"],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert tail.stdout is not None
            history = read_lines(tail.stdout, 2)
            append(tmp_path, range(10, 20))
            followed = read_lines(tail.stdout, 2)
            tail.send_signal(signal.SIGINT)
            assert tail.wait(timeout=60) == 0
        finally:
            if tail.poll() is None:
                os.kill(tail.pid, signal.SIGKILL)
        seqs = [orjson.loads(line)["fields"]["seq"] for line in history + followed]
        assert seqs == [4, 9, 14, 19]


class TestVersion:
    def test_version_names_the_installed_distribution(self) -> None:
        """`msc-logs --version` answers without opening a window (bug reports quote it)."""
        result = subprocess.run(
            [sys.executable, "-m", "backend", "--version"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        assert result.stdout.strip() == f"msc-logs {metadata.version('msc-logging')}"
