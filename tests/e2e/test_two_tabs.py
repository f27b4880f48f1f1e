"""Two tabs on one dev server: each tab's subscription is its own (Tauri's listen/unlisten).

Code written for Tauri calls ``unsubscribe_from_logs`` when it stops streaming; that must end the
stream of that tab only, never the other tabs'.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DEADLINE_S, DevServer, Writer, open_viewer, shot, shown


def call(page: Page, command: str) -> object:
    """``invoke(command)`` in the page through the bridge; its result."""
    return page.evaluate(
        """async (cmd) => (await import('@tauri-apps/api/core')).invoke(cmd)""", command
    )


def open_streaming(page: Page, server: DevServer) -> None:
    """Open the viewer and wait until its event stream is open and it has subscribed."""
    open_viewer(page, server)
    page.wait_for_function(
        "() => window.__msc.logStore.state.isStreaming"
        " && window.__msc.logStore.state.connection.state === 'open'"
    )


def messages(page: Page) -> list[str]:
    return [e["message"] for e in shown(page)]


@pytest.fixture
def second_tab(page: Page) -> Iterator[Page]:
    """Another tab of the same browser window (same context as `page`)."""
    tab = page.context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.set_default_timeout(DEADLINE_S * 1000)
    yield tab
    tab.close()
    assert not errors, f"uncaught errors in the second tab: {errors}"


class TestTwoTabs:
    def test_one_tab_unsubscribing_leaves_the_other_streaming(
        self, page: Page, second_tab: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """Tab A unsubscribes: B keeps receiving new entries, A gets none until it subscribes
        again (A's stream is ordered, so had "while A is away" reached A, it would be shown
        before "A is back")."""
        a, b = page, second_tab
        open_streaming(a, dev_server)
        open_streaming(b, dev_server)
        writer.log("both tabs stream")
        for tab in (a, b):
            expect(tab.locator(".row .c-message", has_text="both tabs stream")).to_be_visible()

        assert call(a, "unsubscribe_from_logs") is None
        writer.log("while A is away")
        expect(b.locator(".row .c-message", has_text="while A is away")).to_be_visible()

        assert call(a, "subscribe_to_logs") is None
        writer.log("A is back")
        for tab in (a, b):
            expect(tab.locator(".row .c-message", has_text="A is back")).to_be_visible()
        assert "while A is away" not in messages(a)
        assert messages(b)[-2:] == ["while A is away", "A is back"]
        shot(b, "two-tabs-b")

    def test_closing_a_tab_leaves_the_other_streaming(
        self, page: Page, second_tab: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """A tab that is closed (its stream ends, its subscription with it) does not stop B."""
        open_streaming(page, dev_server)
        open_streaming(second_tab, dev_server)
        second_tab.close()
        writer.log("after B closed")
        expect(page.locator(".row .c-message", has_text="after B closed")).to_be_visible()
