"""Playwright end-to-end fixtures: the real dev server, Chromium, a second writing process.

The helpers live in e2e_support.py (pytest's importlib mode does not put this directory on
sys.path, so it is added here and in each test module).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DEADLINE_S,
    DevServer,
    Writer,
    start_dev_server,
    stop_dev_server,
)


@pytest.fixture(scope="session", autouse=True)
def _private_user_dirs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The dev servers of the session keep their own log, state and config in a temporary home
    (XDG variables), never in the real user's."""
    root = tmp_path_factory.mktemp("user")
    (root / "runtime").mkdir(mode=0o700)
    with pytest.MonkeyPatch.context() as patch:
        for key, name in (
            ("XDG_STATE_HOME", "state"),
            ("XDG_RUNTIME_DIR", "runtime"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
        ):
            patch.setenv(key, str(root / name))
        yield root


@pytest.fixture
def viewer_log(_private_user_dirs: Path) -> Path:
    """The dev servers' own log file (``msc-logs-viewer.log`` in the viewer's log directory)."""
    return _private_user_dirs / "state" / "midi-software-center" / "log" / "msc-logs-viewer.log"


@pytest.fixture
def log_dir(tmp_path: Path) -> Path:
    """An empty log directory."""
    path = tmp_path / "logs"
    path.mkdir()
    return path


@pytest.fixture
def writer(log_dir: Path) -> Iterator[Writer]:
    """A second process writing into `log_dir` through `shared` (the real writer)."""
    w = Writer(log_dir)
    yield w
    w.close()


@pytest.fixture
def dev_server(log_dir: Path) -> Iterator[DevServer]:
    """The real dev server showing `log_dir`."""
    server = start_dev_server(log_dir)
    yield server
    stop_dev_server(server)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def color_scheme() -> str:
    """The emulated `prefers-color-scheme`; override with parametrize for dark-theme tests."""
    return "light"


@pytest.fixture
def page(browser: Browser, color_scheme: str) -> Iterator[Page]:
    """A fresh page in its own context; fails the test on uncaught errors in the page."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 800}, color_scheme=color_scheme
    )  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_default_timeout(DEADLINE_S * 1000)
    yield page
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"
