"""Keyboard first: `/` search, `e`/`E` errors, `j`/`k` selection, Space live tail, `?` help, Esc."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, Writer, open_viewer, record, shot, write_records


def seed(log_dir: Path) -> None:
    """Ten entries; ``step 3`` and ``step 7`` are errors."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    write_records(
        log_dir,
        [
            record(
                f"step {i}",
                level="error" if i in (3, 7) else "info",
                at=start + timedelta(seconds=i),
            )
            for i in range(10)
        ],
    )


def selected(page: Page) -> str | None:
    result: str | None = page.evaluate(
        "() => document.querySelector('msc-log-list').selected?.message ?? null"
    )
    return result


class TestShortcuts:
    def test_slash_focuses_the_search_box(self, page: Page, dev_server: DevServer) -> None:
        """`/` puts the cursor in the search box without typing a slash."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.keyboard.press("/")
        search = page.get_by_role("searchbox", name="Search logs")
        expect(search).to_be_focused()
        expect(search).to_have_value("")

    def test_e_and_shift_e_walk_through_errors(self, page: Page, dev_server: DevServer) -> None:
        """`e` selects the next error, `E` the previous one, from the selection."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="step 0").click()
        page.keyboard.press("e")
        assert selected(page) == "step 3"
        page.keyboard.press("e")
        assert selected(page) == "step 7"
        page.keyboard.press("Shift+E")
        assert selected(page) == "step 3"
        expect(page.locator("msc-detail-pane .detail__message")).to_have_text("step 3")

    def test_j_and_k_move_the_selection(self, page: Page, dev_server: DevServer) -> None:
        """`j` selects the next entry, `k` the previous; the row is highlighted."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="step 4").click()
        page.keyboard.press("j")
        assert selected(page) == "step 5"
        page.keyboard.press("k")
        page.keyboard.press("k")
        assert selected(page) == "step 3"
        expect(page.locator(".row.selected .c-message .msg")).to_have_text("step 3")

    def test_space_pauses_and_resumes_the_live_tail(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """Space pauses (new entries are counted, not shown) and resumes (jumps to them)."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.wait_for_function("() => window.__msc.logStore.state.isStreaming")
        page.keyboard.press(" ")
        expect(page.locator("msc-toolbar .live")).to_contain_text("Paused")
        writer.log("arrived while paused")
        expect(page.locator(".pill")).to_contain_text("new entr")
        page.keyboard.press(" ")
        expect(page.locator(".pill")).to_be_hidden()
        expect(page.locator("msc-toolbar .live")).to_have_text("Live")
        expect(page.locator(".row .c-message", has_text="arrived while paused")).to_be_in_viewport()

    def test_question_mark_opens_help_and_escape_closes_it(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """`?` shows the shortcuts overlay; Esc closes it, then clears the selection."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="step 2").click()
        page.keyboard.press("?")
        dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
        expect(dialog).to_be_visible()
        expect(dialog).to_contain_text("Next error")
        shot(page, "viewer-shortcuts")
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert selected(page) == "step 2"
        page.keyboard.press("Escape")
        assert selected(page) is None
        expect(page.locator("msc-detail-pane")).to_be_hidden()

    def test_shortcuts_are_plain_text_while_typing(self, page: Page, dev_server: DevServer) -> None:
        """In the search box `e`, `j` and `?` are letters, not shortcuts."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.keyboard.press("/")
        page.keyboard.type("ej?")
        expect(page.get_by_role("searchbox", name="Search logs")).to_have_value("ej?")
        assert selected(page) is None
        expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()
