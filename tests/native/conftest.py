"""Fixtures for the native window's tests: a private Xvfb and launched viewers.

Everything is real: Xvfb, the app process (``python -m backend``) with Qt WebEngine, its page read
over the DevTools protocol, the window closed with the same message a window manager sends.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The helpers beside this file (harness, cdp, x11) are plain modules, also used by bench/.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import LaunchViewer, Viewer, XServer


@pytest.fixture(scope="session")
def xserver() -> Iterator[XServer]:
    """One Xvfb for the whole session (each viewer is its own process on it)."""
    server = XServer()
    yield server
    server.stop()


@pytest.fixture
def launch(xserver: XServer, tmp_path: Path) -> Iterator[LaunchViewer]:
    """Start viewers on log directories; any still running at the end are killed."""
    started: list[Viewer] = []

    def start(log_dir: Path, **kwargs: object) -> Viewer:
        viewer = Viewer.launch(xserver, log_dir, tmp_path, **kwargs)  # type: ignore[arg-type]
        started.append(viewer)
        return viewer

    yield start
    for viewer in started:
        viewer.kill()
