"""Small things a daily user hits: id links, `e` with nothing selected, the pause pill, one
stream state shown alike by the toolbar and the status bar."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    DevServer,
    open_viewer,
    record,
    shot,
    stop_dev_server,
    write_many,
    write_records,
)


def selected(page: Page) -> str | None:
    result: str | None = page.evaluate(
        "() => document.querySelector('msc-log-list').selected?.message ?? null"
    )
    return result


class TestIdLinks:
    def test_request_link_shows_the_whole_request(self, page: Page, dev_server: DevServer) -> None:
        """Clicking a request id in the details clears the search: all entries of it show."""
        start = datetime.now(UTC) - timedelta(minutes=1)
        write_records(
            dev_server.log_dir,
            [
                record("other request", fields={"request_id": "req-b"}, at=start),
                record("request begins", fields={"request_id": "req-a"}, at=start),
                record("needle found", fields={"request_id": "req-a"}, at=start),
                record("request ends", fields={"request_id": "req-a"}, at=start),
            ],
        )
        open_viewer(page, dev_server)
        page.get_by_role("searchbox", name="Search logs").fill("needle")
        expect(page.locator(".row:not([hidden])")).to_have_count(1)
        page.locator(".row:not([hidden]) .c-message", has_text="needle found").click()
        page.locator("msc-detail-pane .id-link[data-filter='requestId']").click()
        expect(page.locator(".row:not([hidden])")).to_have_count(3)
        expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("")
        expect(page.locator("msc-toolbar [data-clear='requestId']")).to_contain_text("req-a")
        shot(page, "daily-request-link")


class TestErrorKeys:
    def test_e_without_selection_selects_the_newest_error(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """With nothing selected, `e` goes to the newest error (the one nearest the live tail)."""
        start = datetime.now(UTC) - timedelta(minutes=5)
        write_records(
            dev_server.log_dir,
            [
                record(
                    f"step {i}",
                    level="error" if i in (3, 7) else "info",
                    at=start + timedelta(seconds=i),
                )
                for i in range(10)
            ],
        )
        open_viewer(page, dev_server)
        page.keyboard.press("e")
        assert selected(page) == "step 7"
        page.keyboard.press("Shift+E")
        assert selected(page) == "step 3"
        shot(page, "daily-e-newest-error")


def overlap(page: Page, first: str, second: str) -> bool:
    """Whether the bounding boxes of the elements at two selectors intersect."""
    a = page.locator(first).bounding_box()
    b = page.locator(second).bounding_box()
    assert a
    assert b
    return not (
        a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
        or a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
    )


def settled(page: Page) -> None:
    """Wait for the whole first page and the histogram above the list, which moves the list's
    bottom: a scroll to the new bottom in that same frame is the user's, and resumes following.
    """
    page.wait_for_function("() => document.querySelector('msc-log-list').entries.length == 300")
    expect(page.locator("msc-histogram")).to_be_visible()
    page.wait_for_timeout(100)


class TestPausePill:
    LAST_ROW = "msc-log-list .row[data-index='299']:not([hidden])"

    def test_pill_does_not_cover_the_last_row(self, page: Page, dev_server: DevServer) -> None:
        """Paused at the bottom (Space), the last row shows above the pill, and stays paused."""
        write_many(dev_server.log_dir, 300)
        open_viewer(page, dev_server)
        settled(page)
        page.keyboard.press(" ")
        expect(page.locator(".pill")).to_be_visible()
        page.evaluate(
            "() => { const v = document.querySelector('.viewport'); v.scrollTop = v.scrollHeight; }"
        )
        page.wait_for_timeout(100)
        expect(page.locator(".pill")).to_be_visible()
        assert not overlap(page, self.LAST_ROW, ".pill")
        shot(page, "daily-pill-last-row")

    def test_selecting_near_the_bottom_keeps_the_last_row_clear(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Selecting the row before the last pauses; the pill then does not hide the last row."""
        write_many(dev_server.log_dir, 300)
        open_viewer(page, dev_server)
        settled(page)
        page.locator(".row:not([hidden]) .c-message", has_text="message 298").click()
        expect(page.locator(".pill")).to_be_visible()
        assert not overlap(page, self.LAST_ROW, ".pill")


def indicators(page: Page) -> dict[str, str]:
    """Tone, text and dot colour of the toolbar's Live button and the status bar's stream, and
    the colour green (``--level-info``, the live colour) as computed."""
    result: dict[str, str] = page.evaluate(
        """() => {
          const live = document.querySelector('msc-toolbar .live');
          const stream = document.querySelector('msc-status-bar .stream');
          const dot = (el) => getComputedStyle(el.querySelector('i')).backgroundColor;
          const probe = document.createElement('i');
          probe.style.background = 'var(--level-info)';
          document.body.append(probe);
          const green = getComputedStyle(probe).backgroundColor;
          probe.remove();
          return { liveTone: live.dataset.tone, liveText: live.textContent.trim(),
                   liveDot: dot(live), streamTone: stream.dataset.tone,
                   streamText: stream.textContent.trim(), streamDot: dot(stream), green };
        }"""
    )
    return result


class TestStreamIndicators:
    LIVE = "msc-toolbar .live"
    STREAM = "msc-status-bar .stream"

    def test_pausing_shows_paused_in_toolbar_and_status_bar(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Space pauses the tail: the toolbar and the status bar both say paused, neither green."""
        write_many(dev_server.log_dir, 50)
        open_viewer(page, dev_server)
        expect(page.locator(self.STREAM)).to_contain_text("Streaming")
        page.keyboard.press(" ")
        expect(page.locator(self.LIVE)).to_contain_text("Paused")
        expect(page.locator(self.STREAM)).to_contain_text("Paused")
        now = indicators(page)
        assert now["liveDot"] == now["streamDot"] != now["green"]
        assert now["liveTone"] == now["streamTone"] == "paused"
        shot(page, "daily-indicators-paused")

    @pytest.mark.parametrize("command", ["subscribe_to_logs", "get_recent_logs"])
    def test_permission_denied_is_not_green(
        self, page: Page, dev_server: DevServer, command: str
    ) -> None:
        """Subscribing or the first fetch refused (permission denied): both indicators say the
        stream is down, in the same non-green colour."""
        page.route(
            f"**/invoke/{command}",
            lambda route: route.fulfill(
                status=403,
                content_type="application/json",
                body='{"code": "permission_denied", "message": "permission denied: logs"}',
            ),
        )
        write_many(dev_server.log_dir, 5)
        page.goto(dev_server.page_url("/"))
        expect(page.locator(self.STREAM)).to_contain_text("Not streaming")
        expect(page.locator(self.LIVE)).to_have_text("Offline")
        now = indicators(page)
        assert now["liveDot"] == now["streamDot"] != now["green"]
        assert now["liveTone"] == now["streamTone"] == "down"
        shot(page, "daily-indicators-denied")

    def test_stopped_server_is_not_green(self, page: Page, dev_server: DevServer) -> None:
        """The dev server goes away: neither the toolbar nor the status bar stays green."""
        write_many(dev_server.log_dir, 5)
        open_viewer(page, dev_server)
        expect(page.locator(self.LIVE)).to_have_text("Live")
        stop_dev_server(dev_server)
        expect(page.locator(self.STREAM)).not_to_contain_text("Streaming")
        expect(page.locator(self.LIVE)).not_to_have_text("Live")
        now = indicators(page)
        assert now["green"] not in (now["liveDot"], now["streamDot"])
        assert now["liveTone"] == now["streamTone"]
        shot(page, "daily-indicators-server-stopped")
