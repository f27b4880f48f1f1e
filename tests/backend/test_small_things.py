"""Small user-facing behaviours of the `msc-logs` command line, through real processes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[2]


def msc_logs(*argv: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m backend`` with ``argv`` from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "backend", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


class TestTopLevelHelp:
    def test_help_describes_the_tool_without_developer_notes(self) -> None:
        """`msc-logs --help` says what the tool does and names its commands, no design notes."""
        result = msc_logs("--help")
        assert result.returncode == 0
        for developer_words in ("argv", "Environment", "everything below receives", "doors"):
            assert developer_words not in result.stdout
        # argparse wraps the text, also after a hyphen ("install-\ndesktop").
        description = result.stdout.split("positional arguments:")[0].replace("-\n", "-")
        for command in ("query", "tail", "dev", "demo", "install-desktop"):
            assert f"`{command}`" in description


def _metrics_snapshot_log(log_dir: Path) -> None:
    log_dir.mkdir()
    record = {
        "timestamp": "2026-11-28T01:00:00.000000Z",
        "level": "info",
        "category": "performance",
        "message": "metrics snapshot",
        "target": "shared.metrics",
        "fields": {
            "metrics": {
                "counters": {"notes": 3},
                "timings": {"render": {"count": 2, "mean_ms": 12.345678901, "p95_ms": 0.00012346}},
                "gauges": {"load": 1234567.891234},
            },
            "ratio": 0.333333333333,
        },
        "span": None,
        "pid": 1,
        "source": None,
    }
    (log_dir / "app.log").write_bytes(orjson.dumps(record) + b"\n")


class TestFloatsInText:
    def test_query_rounds_metrics_floats_for_display(self, tmp_path: Path) -> None:
        """`query` prints a metrics snapshot's floats with 4 significant digits, ints unchanged."""
        _metrics_snapshot_log(tmp_path / "logs")
        result = msc_logs("query", "--log-dir", str(tmp_path / "logs"), "--color", "never")
        assert result.returncode == 0, result.stderr
        metrics, ratio = result.stdout.split("[shared.metrics] metrics=")[1].split(" ratio=")
        assert metrics == (
            '{"counters":{"notes":3},'
            '"timings":{"render":{"count":2,"mean_ms":12.35,"p95_ms":0.0001235}},'
            '"gauges":{"load":1235000.0}}'
        )
        assert ratio == "0.3333\n"

    def test_json_output_keeps_every_digit(self, tmp_path: Path) -> None:
        """`query --json` prints the floats exactly as logged."""
        _metrics_snapshot_log(tmp_path / "logs")
        result = msc_logs("query", "--log-dir", str(tmp_path / "logs"), "--json")
        assert result.returncode == 0, result.stderr
        fields = orjson.loads(result.stdout)["fields"]
        assert fields["metrics"]["timings"]["render"]["mean_ms"] == 12.345678901
        assert fields["ratio"] == 0.333333333333


class TestDesktopEntry:
    def test_installed_entry_passes_desktop_file_validate(self, tmp_path: Path) -> None:
        """`install-desktop` writes an entry `desktop-file-validate` accepts (Debian 12's too).

        run.sh installs desktop-file-utils for the tests, so a missing tool fails here.
        """
        validate = shutil.which("desktop-file-validate")
        assert validate, "desktop-file-validate is missing: `./run.sh test` installs it"
        env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "HOME": str(tmp_path)}
        installed = subprocess.run(
            [sys.executable, "-m", "backend", "install-desktop"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert installed.returncode == 0, installed.stderr
        entry = tmp_path / "data" / "applications" / "msc-logs.desktop"
        result = subprocess.run(
            [validate, str(entry)], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout + result.stderr == ""
