"""The PyInstaller bundle (build.spec): it builds, and the built executable is the viewer."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path

import pytest
from harness import REPO, LaunchViewer, write_entries

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Build the bundle once with ``./run.sh bundle`` (as README says) into a temporary
    directory; returns the executable and the last line the build said."""
    out = tmp_path_factory.mktemp("bundle")
    paths = ["--distpath", str(out / "dist"), "--workpath", str(out / "work")]
    result = subprocess.run(
        ["./run.sh", "bundle", *paths],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out / "dist" / "msc-logs" / "msc-logs", result.stderr.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def bundle(built: tuple[Path, str]) -> Path:
    """The bundle's executable."""
    return built[0]


class TestBundle:
    """The one-folder bundle."""

    def test_run_sh_bundle_says_where_it_is_and_how_big(self, built: tuple[Path, str]) -> None:
        """``./run.sh bundle`` ends naming the executable and the bundle's size."""
        executable, last = built
        assert f"bundle: {executable} (" in last
        assert last.rstrip().endswith(f"in {executable.parent}/)")

    def test_leaves_out_what_the_viewer_does_not_use(self, bundle: Path) -> None:
        """No QML tree, no Quick3D/Multimedia libraries, no development tools inside."""
        internal = bundle.parent / "_internal"
        assert (internal / "frontend" / "index.html").is_file()
        assert not (internal / "PyQt6" / "Qt6" / "qml").exists()
        names = {p.name for p in internal.rglob("*")}
        assert not [n for n in names if n.startswith(("libQt6Quick3D", "libQt6Multimedia"))]
        assert not {"mypy", "hypothesis", "tkinter"} & names

    def test_opens_the_viewer_showing_the_directory(
        self, bundle: Path, launch: LaunchViewer, tmp_path: Path
    ) -> None:
        """The executable alone opens the window; entries on disk and new ones show; close is 0."""
        log_dir = tmp_path / "logs"
        write_entries(log_dir, ["written before the bundle opened"])
        viewer = launch(log_dir, command=[str(bundle)])
        viewer.wait_for(
            "[...document.querySelectorAll('msc-log-list .row')]"
            ".some(r => r.textContent.includes('written before the bundle opened'))"
        )
        write_entries(log_dir, ["written while the bundle runs"])
        viewer.wait_for(
            "[...document.querySelectorAll('msc-log-list .row:not([hidden])')]"
            ".some(r => r.textContent.includes('written while the bundle runs'))"
        )
        assert viewer.close() == 0

    def test_runs_the_subcommands(self, bundle: Path, tmp_path: Path) -> None:
        """`msc-logs demo` from the bundle writes activity (the window's File menu uses it)."""
        result = subprocess.run(
            [str(bundle), "demo", "--log-dir", str(tmp_path), "--rate", "100", "--duration", "0.5"],
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0
        assert (tmp_path / "midi-software-center.log").stat().st_size > 0
        version = subprocess.run(
            [str(bundle), "--version"], capture_output=True, text=True, check=True, timeout=120
        )
        assert version.stdout.strip() == f"msc-logs {metadata.version('msc-logging')}"
