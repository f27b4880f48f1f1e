"""`msc-logs export`: the export from a terminal, in every format, with redaction and errors."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest

from backend.__main__ import main

REPO = Path(__file__).resolve().parents[2]
APP = "midi-software-center"
#: Upper bound on a child process's run; reaching it fails the test.
DEADLINE_S = 60.0
SECRET_MESSAGE = 'login password="hunter2" Authorization: Bearer abc.def.ghi by ada@example.com'


def record(second: int, level: str, message: str, **fields: Any) -> dict[str, Any]:
    return {
        "timestamp": f"2026-05-01T08:00:{second:02d}.000000Z",
        "level": level,
        "category": "user",
        "message": message,
        "target": "tests.cli",
        "fields": fields,
        "span": None,
        "pid": 77,
    }


@pytest.fixture
def shown(tmp_path: Path) -> Path:
    """A log directory with four entries (one holding secrets) and nothing else."""
    path = tmp_path / "logs"
    path.mkdir()
    records = [
        record(0, "info", SECRET_MESSAGE, serial="MSC-1234-5678"),
        record(1, "warn", "slow disk"),
        record(2, "error", "write failed", exception="Traceback …\nOSError: full"),
        record(3, "debug", "details"),
    ]
    (path / f"{APP}.log").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in records))
    return path


def msc_logs(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m backend ARGV`` as a user would run ``msc-logs``."""
    return subprocess.run(
        [sys.executable, "-m", "backend", *argv],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=DEADLINE_S,
        check=False,
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run ``msc-logs ARGV`` in this process; returns the exit code, stdout and stderr."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class TestExportCommand:
    def test_writes_a_bundle_and_prints_path_count_and_size(
        self, shown: Path, tmp_path: Path
    ) -> None:
        """End to end in a subprocess: a redacted bundle, and one line saying where and how much."""
        target = tmp_path / "support.zip"
        done = msc_logs(
            "export", "--log-dir", str(shown), "--format", "bundle", "--output", str(target)
        )
        assert done.returncode == 0, done.stderr
        size = target.stat().st_size
        assert done.stdout.startswith(f"{target}: 4 entries, {size} bytes, ")
        assert done.stdout.endswith(" values redacted\n")
        with zipfile.ZipFile(target) as archive:
            assert archive.namelist() == [
                "logs.jsonl",
                "metrics.json",
                "log-info.json",
                "manifest.json",
            ]
            assert b"hunter2" not in archive.read("logs.jsonl")
        assert target.stat().st_mode & 0o777 == 0o600

    def test_filters_and_format_apply(self, shown: Path, tmp_path: Path) -> None:
        """--min-level warn with --format clef writes the warning and the error as CLEF."""
        target = tmp_path / "out.clef"
        done = msc_logs(
            *("--log-dir", str(shown), "export", "--min-level", "warn"),
            *("--format", "clef", "-o", str(target)),
        )
        assert done.returncode == 0, done.stderr
        events = [orjson.loads(line) for line in target.read_bytes().splitlines()]
        assert [(e["@m"], e["@l"]) for e in events] == [
            ("slow disk", "Warning"),
            ("write failed", "Error"),
        ]

    def test_where_filters_on_fields(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--where applies as in query: only the entry with the serial field is written."""
        target = tmp_path / "one.jsonl"
        argv = ("export", "--log-dir", str(shown), "-o", str(target))
        code, out, err = run(capsys, *argv, "--where", "serial=MSC-1234-5678")
        assert code == 0, err
        assert out == f"{target}: 1 entry, {target.stat().st_size} bytes\n"
        assert orjson.loads(target.read_bytes())["fields"] == {"serial": "MSC-1234-5678"}

    def test_redact_masks_a_jsonl_export(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--redact masks the password, the bearer token and the e-mail address."""
        target = tmp_path / "out.jsonl"
        code, out, err = run(
            capsys, "export", "--log-dir", str(shown), "-o", str(target), "--redact"
        )
        assert code == 0, err
        data = target.read_bytes()
        assert not [s for s in (b"hunter2", b"abc.def.ghi", b"ada@example.com") if s in data]
        assert "values redacted" in out

    def test_no_redact_keeps_a_bundle_as_written(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--no-redact turns the bundle's default redaction off."""
        target = tmp_path / "raw.zip"
        argv = ("export", "--log-dir", str(shown), "--format", "bundle", "-o", str(target))
        code, out, err = run(capsys, *argv, "--no-redact")
        assert code == 0, err
        with zipfile.ZipFile(target) as archive:
            assert b"hunter2" in archive.read("logs.jsonl")
        assert "redacted" not in out

    def test_redact_rules_file_adds_patterns(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--redact-rules FILE (TOML) masks its own patterns and turns redaction on."""
        rules = tmp_path / "rules.toml"
        rules.write_text('[patterns]\nserial = "MSC-[0-9]{4}-[0-9]{4}"\n')
        target = tmp_path / "out.jsonl"
        argv = ("export", "--log-dir", str(shown), "-o", str(target), "--redact-rules", str(rules))
        code, _, err = run(capsys, *argv)
        assert code == 0, err
        first = orjson.loads(target.read_bytes().splitlines()[0])
        assert first["fields"]["serial"] == "[REDACTED]"


class TestExportErrors:
    def test_an_existing_file_is_kept_and_named(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Exit 2, "msc-logs export: error: --output: … exists", the file untouched."""
        target = tmp_path / "keep.jsonl"
        target.write_text("precious\n")
        argv = ("export", "--log-dir", str(shown), "-o", str(target))
        code, out, err = run(capsys, *argv)
        assert code == 2
        assert err == (
            f"msc-logs export: error: --output: {target} exists; pass --overwrite to replace\n"
        )
        assert out == ""
        assert target.read_text() == "precious\n"
        code, _, err = run(
            capsys, "export", "--log-dir", str(shown), "-o", str(target), "--overwrite"
        )
        assert code == 0, err
        assert len(target.read_bytes().splitlines()) == 4

    def test_a_bad_rules_file_is_an_error_naming_it(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A rules file that is no valid TOML is reported, and nothing is written."""
        rules = tmp_path / "rules.toml"
        rules.write_text("keys = [\n")
        target = tmp_path / "out.jsonl"
        argv = ("export", "--log-dir", str(shown), "-o", str(target), "--redact-rules", str(rules))
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert err.startswith(f"msc-logs export: error: redaction rules file {rules}: not valid")
        assert not target.exists()

    def test_a_missing_log_directory_is_an_error(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--log-dir naming nothing fails with exit 2 before anything is written."""
        target = tmp_path / "out.jsonl"
        code, _, err = run(capsys, "export", "--log-dir", str(tmp_path / "no"), "-o", str(target))
        assert code == 2
        assert err.startswith("msc-logs export: error: --log-dir ")
        assert not target.exists()

    def test_a_bad_regex_is_an_error_naming_search(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An invalid --search regular expression is named as the option."""
        argv = ("export", "--log-dir", str(shown), "-o", str(tmp_path / "x.jsonl"))
        code, _, err = run(capsys, *argv, "--search", "(a", "--regex")
        assert code == 2
        assert err.startswith("msc-logs export: error: --search: invalid regular expression")

    def test_a_bad_where_is_an_error_naming_the_option(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A --where that does not parse is named as the option."""
        argv = ("export", "--log-dir", str(shown), "-o", str(tmp_path / "x.jsonl"))
        code, _, err = run(capsys, *argv, "--where", ">>")
        assert code == 2
        assert err.startswith("msc-logs export: error: --where: ")

    def test_an_unknown_format_is_refused_by_the_parser(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--format xml is no choice: argparse's usage error, exit 2."""
        argv = ("export", "--log-dir", str(shown), "-o", str(tmp_path / "x"), "--format", "xml")
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert "msc-logs export: error: argument --format: invalid choice: 'xml'" in err

    def test_the_printing_options_of_query_are_not_offered(
        self, shown: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """--json belongs to query and tail; export writes a file and refuses it."""
        argv = ("export", "--log-dir", str(shown), "-o", str(tmp_path / "x"), "--json")
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert "unrecognized arguments: --json" in err
