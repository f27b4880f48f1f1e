"""The PyInstaller bundle (build.spec): it builds, and the built executable is the viewer."""

from __future__ import annotations

import platform
import subprocess
import tarfile
from importlib import metadata
from pathlib import Path

import pytest
from harness import REPO, LaunchViewer, write_entries

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Build the bundle once with ``./run.sh bundle`` (as README says) into a temporary
    directory; returns the executable and the lines the build said on stderr."""
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
    return out / "dist" / "msc-logs" / "msc-logs", result.stderr.strip().splitlines()


@pytest.fixture(scope="module")
def bundle(built: tuple[Path, list[str]]) -> Path:
    """The bundle's executable."""
    return built[0]


@pytest.fixture(scope="module")
def archive(bundle: Path) -> Path:
    """The distributable ``./run.sh bundle`` packs beside the folder."""
    version = metadata.version("msc-logging")
    return bundle.parent.parent / f"msc-logs-{version}-linux-{platform.machine()}.tar.gz"


def is_elf(path: Path) -> bool:
    """Whether ``path`` is an ELF file (a shared object or an executable)."""
    with path.open("rb") as file:
        return file.read(4) == b"\x7fELF"


def symbol_tables(internal: Path) -> list[str]:
    """The shared objects and executables under ``internal`` that still carry a symbol table,
    except the NSS modules PyInstaller leaves alone (NSS checks them against their .chk)."""
    elves = [
        path
        for path in internal.rglob("*")
        if path.is_file()
        and not path.is_symlink()
        and is_elf(path)
        and not path.with_suffix(".chk").exists()
    ]
    sections = subprocess.run(
        ["readelf", "--section-headers", "--wide", *map(str, elves)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # readelf prints "File: PATH" before each file's sections when given several files.
    return [block.splitlines()[0] for block in sections.split("File: ")[1:] if " .symtab " in block]


class TestBundle:
    """The one-folder bundle."""

    def test_run_sh_bundle_says_where_it_is_and_how_big(
        self, built: tuple[Path, list[str]], archive: Path
    ) -> None:
        """``./run.sh bundle`` ends naming the executable and the bundle's size, after a line
        naming the archive and its size."""
        executable, lines = built
        assert f"bundle: {executable} (" in lines[-1]
        assert lines[-1].rstrip().endswith(f"in {executable.parent}/)")
        assert f"archive: {archive} (" in lines[-2]
        print(f"\n{lines[-2]}\n{lines[-1]}")  # the sizes, for the record (pytest -s)

    def test_leaves_out_what_the_viewer_does_not_use(self, bundle: Path) -> None:
        """No QML tree, no Quick3D/Multimedia libraries, no development tools inside."""
        internal = bundle.parent / "_internal"
        assert (internal / "frontend" / "index.html").is_file()
        assert not (internal / "PyQt6" / "Qt6" / "qml").exists()
        names = {p.name for p in internal.rglob("*")}
        assert not [n for n in names if n.startswith(("libQt6Quick3D", "libQt6Multimedia"))]
        assert not {"mypy", "hypothesis", "tkinter"} & names

    def test_leaves_out_gtk_devtools_and_what_dropped_plugins_needed(self, bundle: Path) -> None:
        """No GTK platform theme and no GTK, no DevTools front-end, none of the libraries only
        the dropped plugins linked (cups, gnutls), no platform plugin but xcb and wayland."""
        internal = bundle.parent / "_internal"
        qt = internal / "PyQt6" / "Qt6"
        names = {p.name for p in internal.rglob("*")}
        assert not (qt / "plugins" / "platformthemes" / "libqgtk3.so").exists()
        assert not [n for n in names if n.startswith(("libgtk-3", "libgdk-3", "libcairo"))]
        assert not [n for n in names if n.startswith(("libcups", "libgnutls"))]
        assert not (qt / "resources" / "qtwebengine_devtools_resources.pak").exists()
        assert (qt / "resources" / "qtwebengine_resources.pak").is_file()
        platforms = {p.name for p in (qt / "plugins" / "platforms").iterdir()}
        assert platforms == {"libqxcb.so", "libqwayland.so"}

    def test_binaries_are_stripped(self, bundle: Path) -> None:
        """No library, extension module or executable in the bundle keeps its symbol table."""
        assert symbol_tables(bundle.parent / "_internal") == []

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

    def test_archive_unpacks_to_a_runnable_bundle(self, archive: Path, tmp_path: Path) -> None:
        """The .tar.gz holds the folder: unpacked, its executable runs (``--version``)."""
        with tarfile.open(archive) as packed:
            packed.extractall(tmp_path, filter="data")
        executable = tmp_path / "msc-logs" / "msc-logs"
        version = subprocess.run(
            [str(executable), "--version"], capture_output=True, text=True, check=True, timeout=120
        )
        assert version.stdout.strip() == f"msc-logs {metadata.version('msc-logging')}"
