"""`msc-logs dev` live reload: a stylesheet edit is swapped in place, other edits reload."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DEADLINE_S, FRONTEND, _readline, wait_loaded

BORDER = "\nbody { border-top: 7px solid rgb(1, 2, 3) !important; }\n"


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    """A copy of ``frontend/`` the test may edit."""
    copy = tmp_path / "frontend"
    shutil.copytree(FRONTEND, copy)
    return copy


@pytest.fixture
def dev_url(frontend: Path, tmp_path: Path) -> Iterator[str]:
    """The URL of a real dev server serving (and watching) the `frontend` copy."""
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    command = [sys.executable, "-m", "backend", "dev", "--log-dir", str(log_dir)]
    options = ["--port", "0", "--no-browser", "--frontend-dir", str(frontend)]
    proc = subprocess.Popen(
        [*command, *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=FRONTEND.parent,
    )
    try:
        yield _readline(proc, DEADLINE_S)
    finally:
        proc.terminate()
        proc.wait(DEADLINE_S)


class TestStylesheetEdit:
    def test_css_edit_applies_without_reloading_the_page(
        self, page: Page, frontend: Path, dev_url: str
    ) -> None:
        """Editing css/app.css restyles the page in place: the search text stays, no reload."""
        page.goto(dev_url)
        wait_loaded(page)
        search = page.get_by_role("searchbox", name="Search logs")
        search.fill("needle")
        page.evaluate("() => { window.__before = true; }")
        stylesheet = frontend / "css" / "app.css"
        stylesheet.write_text(stylesheet.read_text() + BORDER)
        page.wait_for_function("() => getComputedStyle(document.body).borderTopWidth === '7px'")
        assert page.evaluate("() => window.__before") is True
        expect(search).to_have_value("needle")

    def test_script_edit_still_reloads_the_page(
        self, page: Page, frontend: Path, dev_url: str
    ) -> None:
        """Editing a script reloads the whole page, as before."""
        page.goto(dev_url)
        wait_loaded(page)
        page.evaluate("() => { window.__before = true; }")
        script = frontend / "js" / "format.js"
        script.write_text(script.read_text() + "\n// touched\n")
        page.wait_for_function(
            "() => window.__before === undefined && window.__msc?.logStore.state.loaded"
        )
