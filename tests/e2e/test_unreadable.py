"""A log file the viewer may not read: the page says so in the status bar and shows the rest.

The first test is end to end: the real dev server, started without the capabilities that let
root pass file modes (tests/shared/refusal.py), meets a real ``EACCES`` on a rotated file. The
others shape `get_log_info`'s answer in the browser (Playwright routes) to pin the text.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "shared"))
from e2e_support import (
    APP,
    DEADLINE_S,
    REPO,
    DevServer,
    open_viewer,
    record,
    shot,
    stop_dev_server,
    write_records,
)
from refusal import WITHOUT_DAC

NOTICE = "msc-status-bar .status__unreadable"
LIVE = "msc-toolbar .live"
ROTATED = f"{APP}.log.1"


def start_refused_dev_server(log_dir: Path) -> DevServer:
    """The dev server on ``log_dir`` as a process that file modes bind (as any user)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    options = ["--log-dir", str(log_dir), "--port", "0", "--no-browser"]
    proc = subprocess.Popen(
        [*WITHOUT_DAC, sys.executable, "-m", "backend", "dev", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=REPO,
    )
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], DEADLINE_S)
    url = proc.stdout.readline().strip() if ready else ""
    if not url.startswith("http://127.0.0.1:"):
        proc.kill()
        raise AssertionError(f"no dev server URL, got {url!r}")
    return DevServer(url, log_dir, proc)


@pytest.fixture
def refused_rotation(log_dir: Path) -> Iterator[DevServer]:
    """A dev server on a set whose rotated file (mode 000) it may not read."""
    write_records(log_dir, [record("readable entry")])
    rotated = log_dir / ROTATED
    rotated.write_text(json.dumps(record("never shown")) + "\n")
    rotated.chmod(0)
    server = start_refused_dev_server(log_dir)
    try:
        yield server
    finally:
        stop_dev_server(server)
        rotated.chmod(0o644)


def with_unreadable(page: Page, unreadable: list[dict[str, Any]]) -> None:
    """Answer `get_log_info` as the server does, with ``unreadable`` replaced."""

    def handle(route: Route) -> None:
        answer = route.fetch()
        route.fulfill(response=answer, json={**answer.json(), "unreadable": unreadable})

    page.route("**/invoke/get_log_info", handle)


def refused(name: str) -> dict[str, str]:
    return {"name": name, "source": APP, "code": "EACCES", "reason": "permission denied"}


class TestUnreadableNotice:
    def test_a_refused_file_is_named_in_the_status_bar(
        self, page: Page, refused_rotation: DevServer
    ) -> None:
        """The readable entries are listed, the stream stays live, and the status bar says
        which file cannot be read and why."""
        open_viewer(page, refused_rotation)
        notice = page.locator(NOTICE)
        expect(notice).to_be_visible()
        expect(notice).to_have_text(f"1 file cannot be read: {ROTATED} (permission denied)")
        assert ROTATED in (notice.get_attribute("title") or "")
        expect(page.locator("msc-log-list")).to_contain_text("readable entry")
        expect(page.locator("msc-log-list")).not_to_contain_text("never shown")
        expect(page.locator(LIVE)).to_have_text("Live")
        shot(page, "unreadable-notice")

    def test_no_notice_when_every_file_is_read(self, page: Page, dev_server: DevServer) -> None:
        """A readable log shows no notice."""
        write_records(dev_server.log_dir, [record("fine")])
        open_viewer(page, dev_server)
        page.wait_for_function("() => window.__msc.logInfo.state.info !== null")
        expect(page.locator(NOTICE)).to_be_hidden()

    def test_many_files_are_counted_and_the_first_named(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Three are named, the others counted; the tooltip names every one."""
        names = [f"{APP}.log.{n}" for n in range(1, 6)]
        with_unreadable(page, [refused(name) for name in names])
        write_records(dev_server.log_dir, [record("fine")])
        open_viewer(page, dev_server)
        notice = page.locator(NOTICE)
        expect(notice).to_have_text(
            f"5 files cannot be read: {names[0]} (permission denied), "
            f"{names[1]} (permission denied), {names[2]} (permission denied) and 2 more"
        )
        title = notice.get_attribute("title") or ""
        assert all(name in title for name in names)

    def test_file_names_stay_text(self, page: Page, dev_server: DevServer) -> None:
        """A name holding markup is shown as written, never parsed into elements."""
        name = '<img src=x onerror="window.__pwned=1">.log'
        with_unreadable(page, [refused(name)])
        write_records(dev_server.log_dir, [record("fine")])
        open_viewer(page, dev_server)
        notice = page.locator(NOTICE)
        expect(notice).to_have_text(f"1 file cannot be read: {name} (permission denied)")
        assert notice.locator("img").count() == 0
        assert page.evaluate("() => window.__pwned") is None

    def test_the_notice_goes_once_the_file_can_be_read(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Refresh asks again: with nothing unreadable any more, the notice is hidden."""
        unreadable = [refused(ROTATED)]
        with_unreadable(page, unreadable)  # the route reads the list at each answer
        write_records(dev_server.log_dir, [record("fine")])
        open_viewer(page, dev_server)
        expect(page.locator(NOTICE)).to_be_visible()
        unreadable.clear()
        page.locator('msc-toolbar [data-action="refresh"]').click()
        expect(page.locator(NOTICE)).to_be_hidden()
