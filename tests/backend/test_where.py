"""The ``where`` argument of the commands and ``msc-logs query --where``, against a plain oracle
over the files."""

from __future__ import annotations

import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend._app import AppContext, CommandError
from backend._dispatch import dispatch

APP = "midi-software-center"
EXPRESSION = "duration_ms>500 and category=database"
CATEGORIES = ["database", "midi", "file", "network", "system"]
NUMBER = re.compile(r"-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def write_set(log_dir: Path, count: int = 3000) -> None:
    """A rotated set of our lines (durations as ints, floats, numeric and other strings, or
    none) with pino lines mixed in."""
    rng = random.Random(14)
    files: list[list[bytes]] = [[], []]
    for index in range(count):
        fields: dict[str, Any] = {"seq": index}
        duration = rng.choice([10, 500, 501, 499.5, 500.25, 2.5e3, "700", "5e2", "slow", None, "-"])
        if duration != "-":
            fields["duration_ms"] = duration
        if rng.random() < 0.5:
            fields["user"] = rng.choice(["alice", "bob", "Alice"])
        record = {
            "timestamp": f"2026-01-01T00:{index // 60 % 60:02d}:{index % 60:02d}.{index:06d}Z",
            "level": rng.choice(["trace", "debug", "info", "warn", "error"]),
            "category": rng.choice(CATEGORIES),
            "message": f"query {index} database",
            "target": "db.pool",
            "fields": fields,
            "span": None,
            "pid": 7,
            "source": None,
        }
        line = orjson.dumps(record)
        if index % 50 == 0:  # another logger's line in the same file
            line = orjson.dumps(
                {"level": 40, "time": 1767225600000 + index, "msg": "database", "duration_ms": 900}
            )
        files[index * 2 // count].append(line + b"\n")
    (log_dir / f"{APP}.log.1").write_bytes(b"".join(files[0]))
    (log_dir / f"{APP}.log").write_bytes(b"".join(files[1]))


def oracle(log_dir: Path) -> list[int]:
    """The ``seq`` of every record with a numeric duration over 500 in category database."""
    found = []
    for name in (f"{APP}.log.1", f"{APP}.log"):
        for line in (log_dir / name).read_bytes().splitlines():
            record = orjson.loads(line)
            fields = record.get("fields", {})
            duration = fields.get("duration_ms")
            numeric = isinstance(duration, int | float) and not isinstance(duration, bool)
            if isinstance(duration, str) and NUMBER.fullmatch(duration):
                numeric, duration = True, float(duration)
            if numeric and duration > 500 and record.get("category") == "database":
                found.append(fields["seq"])
    return found


class TestCommands:
    def test_get_recent_logs_where_equals_the_oracle(self, app: AppContext, log_dir: Path) -> None:
        """``where`` filters the whole set server-side, exactly as the oracle over the files."""
        write_set(log_dir)
        entries = dispatch(app, "get_recent_logs", {"limit": 10_000, "where": EXPRESSION})
        assert [e["fields"]["seq"] for e in entries] == oracle(log_dir)
        assert len(entries) > 100

    def test_where_combines_with_the_other_filters(self, app: AppContext, log_dir: Path) -> None:
        """``where`` and ``min_level`` both apply."""
        write_set(log_dir)
        args = {"limit": 10_000, "where": "user!=alice and duration_ms<=500", "min_level": "warn"}
        entries = dispatch(app, "get_recent_logs", args)
        assert entries
        for entry in entries:
            assert entry["fields"].get("user") != "alice"
            assert float(entry["fields"]["duration_ms"]) <= 500
            assert entry["level"] in ("warn", "error")

    def test_export_logs_writes_the_matching_entries(
        self, app: AppContext, log_dir: Path, tmp_path: Path
    ) -> None:
        """``export_logs`` with ``where`` writes exactly the oracle's entries."""
        write_set(log_dir)
        target = tmp_path / "out" / "slow.jsonl"
        target.parent.mkdir()
        result = dispatch(app, "export_logs", {"output_path": str(target), "where": EXPRESSION})
        seqs = [orjson.loads(line)["fields"]["seq"] for line in target.read_bytes().splitlines()]
        assert seqs == oracle(log_dir)
        assert result["count"] == len(seqs)

    @pytest.mark.parametrize("command", ["get_recent_logs", "export_logs"])
    def test_a_bad_expression_is_invalid_args_naming_the_column(
        self, app: AppContext, log_dir: Path, tmp_path: Path, command: str
    ) -> None:
        """A ``where`` that does not parse is ``invalid_args`` with the column and the reason."""
        args = {"where": "duration_ms>= and x=1"}
        if command == "export_logs":
            args["output_path"] = str(tmp_path / "never.jsonl")
        with pytest.raises(CommandError) as caught:
            dispatch(app, command, args)
        assert caught.value.code == "invalid_args"
        assert caught.value.message == "where: column 15: expected a value after '>='"
        assert not (tmp_path / "never.jsonl").exists()


def msc_logs(*args: str) -> subprocess.CompletedProcess[str]:
    """``msc-logs`` run as its own process."""
    return subprocess.run(
        [sys.executable, "-m", "backend", *args], capture_output=True, text=True, check=False
    )


class TestCommandLine:
    def test_query_where_equals_the_oracle(self, tmp_path: Path) -> None:
        """``msc-logs query --where`` prints exactly the entries the oracle finds."""
        write_set(tmp_path)
        done = msc_logs(
            "query", "--log-dir", str(tmp_path), "--where", EXPRESSION, "--limit", "10000", "--json"
        )
        assert done.returncode == 0, done.stderr
        seqs = [orjson.loads(line)["fields"]["seq"] for line in done.stdout.splitlines()]
        assert seqs == oracle(tmp_path)

    def test_a_bad_expression_exits_2_naming_the_column(self, tmp_path: Path) -> None:
        """A bad ``--where`` exits with 2 and says where it went wrong."""
        done = msc_logs("query", "--log-dir", str(tmp_path), "--where", "(level>=warn")
        assert done.returncode == 2
        assert "--where: column 13: expected ')' to close the '(' at column 1" in done.stderr
