"""Export and clear through the page: the export dialog, the confirm dialog, the files on disk.

Runs the real dev server in a subprocess on a log directory filled by a real writer process,
and drives Debian's Chromium with Playwright.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from shared.reader.files import clear_log_files

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import APP, ARTIFACTS, DevServer, open_viewer, record, write_records

LOG_NAME = f"{APP}.log"
# Known entries: 5 info (user), 3 error (database), 2 warn (midi), single-line messages.
KNOWN = [(f"written info {i}", "info", "user") for i in range(5)]
KNOWN += [(f"written error {i}", "error", "database") for i in range(3)]
KNOWN += [(f"written warn {i}", "warn", "midi") for i in range(2)]
WRITTEN = [message for message, _, _ in KNOWN]


def seed(log_dir: Path) -> None:
    """Write the `KNOWN` entries, in order, into the active log file."""
    records = [
        record(
            message,
            level=level,
            category=category,
            target="tests.e2e.export",
            fields={"query": "SELECT 1"} if level == "error" else {},
        )
        for message, level, category in KNOWN
    ]
    write_records(log_dir, records)


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> Page:
    """The viewer showing a log directory with the `KNOWN` entries (and nothing else)."""
    seed(dev_server.log_dir)
    open_viewer(page, dev_server)
    wait_for_entries(page, WRITTEN)
    return page


def store_entries(page: Page) -> list[dict[str, Any]]:
    """The entries the page's store holds."""
    result: list[dict[str, Any]] = page.evaluate("window.__msc.logStore.state.entries")
    return result


def wait_for_entries(page: Page, messages: list[str]) -> None:
    """Wait until the store holds every one of ``messages``."""
    page.wait_for_function(
        """(wanted) => {
            const have = new Set(window.__msc.logStore.state.entries.map((e) => e.message));
            return wanted.every((m) => have.has(m));
        }""",
        arg=messages,
    )


def messages_in(entries: list[dict[str, Any]]) -> set[str]:
    return {str(entry.get("message")) for entry in entries}


# ---- the shell's controls --------------------------------------------------------------------


def toolbar_button(page: Page, name: str) -> Locator:
    """A button of the shell's toolbar by its label ("Export…", "Clear…")."""
    return page.locator("msc-toolbar").get_by_role("button", name=name, exact=True)


def open_export(page: Page) -> Locator:
    toolbar_button(page, "Export…").click()
    dialog = page.locator("msc-export-dialog dialog")
    expect(dialog).to_be_visible()
    return dialog


def set_level_filter(page: Page, level: str) -> None:
    """Click ``level``'s chip in the shell's level filter (only that level)."""
    page.locator(f'msc-level-filter [data-level="{level}"]').click()
    page.wait_for_function(
        "(level) => window.__msc.logStore.state.filter.level === level",
        arg=level,
    )


def export(
    dialog: Locator, path: Path, format: str | None = None, scope: str | None = None
) -> None:
    if format:
        dialog.locator(f'input[name="format"][value="{format}"]').check()
    if scope:
        dialog.locator(f'input[name="scope"][value="{scope}"]').check()
    dialog.get_by_label("Save to").fill(str(path))
    dialog.get_by_role("button", name="Export", exact=True).click()


def success_count(dialog: Locator) -> int:
    status = dialog.locator(".msc-export__status.is-success")
    expect(status).to_be_visible()
    text = status.inner_text()
    return int(text.split("Exported ", 1)[1].split(" ", 1)[0].replace(",", ""))


class TestExportFormats:
    def test_jsonl_holds_every_entry_as_a_record(self, viewer: Page, tmp_path: Path) -> None:
        """The JSON Lines file has the reported number of records, all written ones among them."""
        target = tmp_path / "out.jsonl"
        dialog = open_export(viewer)
        export(dialog, target, "jsonl", "all")
        count = success_count(dialog)
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(records) == count >= len(WRITTEN)
        assert set(WRITTEN) <= messages_in(records)
        assert list(records[0])[:4] == ["timestamp", "level", "category", "message"]
        expect(dialog.locator(".msc-export__result-path")).to_have_text(str(target))

    def test_csv_has_a_header_and_a_row_per_entry(self, viewer: Page, tmp_path: Path) -> None:
        """The CSV file has the header row and one row per reported entry."""
        target = tmp_path / "out.csv"
        dialog = open_export(viewer)
        export(dialog, target, "csv", "all")
        count = success_count(dialog)
        with target.open(newline="") as file:
            rows = list(csv.reader(file))
        assert rows[0][:5] == ["timestamp", "level", "category", "target", "message"]
        assert len(rows) - 1 == count
        assert set(WRITTEN) <= {row[4] for row in rows[1:]}

    def test_txt_has_a_readable_line_per_entry(self, viewer: Page, tmp_path: Path) -> None:
        """The text file has one line per entry with the level in capitals."""
        target = tmp_path / "out.txt"
        dialog = open_export(viewer)
        export(dialog, target, "txt", "all")
        count = success_count(dialog)
        lines = target.read_text().splitlines()
        assert len(lines) == count
        errors = [line for line in lines if "written error" in line]
        assert len(errors) == 3
        assert all(" ERROR " in line for line in errors)

    def test_the_default_path_follows_the_format(self, viewer: Page) -> None:
        """The suggested file name carries the date and the chosen format's extension."""
        dialog = open_export(viewer)
        path = dialog.get_by_label("Save to")
        expect(path).to_have_value(
            re.compile(r"^~/midi-software-center-logs-\d{4}-\d\d-\d\d-\d{4}\.jsonl$")
        )
        dialog.locator('input[name="format"][value="csv"]').check()
        expect(path).to_have_value(re.compile(r"-\d{4}\.csv$"))


class TestFilteredExport:
    def test_only_matching_entries_are_exported(self, viewer: Page, tmp_path: Path) -> None:
        """With the level filter on "error", the dialog names it and exports only the 3 errors."""
        set_level_filter(viewer, "error")
        dialog = open_export(viewer)
        expect(dialog.locator(".msc-chip")).to_contain_text(["error"])
        expect(dialog.locator('input[name="scope"][value="filtered"]')).to_be_checked()
        target = tmp_path / "errors.jsonl"
        export(dialog, target, "jsonl")
        assert success_count(dialog) == 3
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert [r["message"] for r in records] == [f"written error {i}" for i in range(3)]
        assert {r["level"] for r in records} == {"error"}

    def test_whole_set_ignores_the_filter(self, viewer: Page, tmp_path: Path) -> None:
        """Choosing "every entry" exports the warnings too, though the filter shows errors."""
        set_level_filter(viewer, "error")
        dialog = open_export(viewer)
        target = tmp_path / "all.jsonl"
        export(dialog, target, "jsonl", "all")
        count = success_count(dialog)
        records = [json.loads(line) for line in target.read_text().splitlines()]
        assert len(records) == count
        assert {"written warn 0", "written info 0"} <= messages_in(records)


class TestOverwrite:
    def test_an_existing_file_is_replaced_only_after_consent(
        self, viewer: Page, tmp_path: Path
    ) -> None:
        """First answer: "already exists" and the file untouched; with the box checked: replaced."""
        target = tmp_path / "existing.jsonl"
        target.write_text("old content\n")
        dialog = open_export(viewer)
        export(dialog, target, "jsonl", "all")
        exists = dialog.locator(".msc-export__exists")
        expect(exists).to_be_visible()
        expect(exists).to_contain_text("already exists")
        assert target.read_text() == "old content\n"
        viewer.screenshot(path=str(ARTIFACTS / "export-exists.png"))
        exists.get_by_label("Overwrite the existing file").check()
        dialog.get_by_role("button", name="Export", exact=True).click()
        count = success_count(dialog)
        assert len(target.read_text().splitlines()) == count
        assert "old content" not in target.read_text()
        expect(exists).to_be_hidden()

    def test_editing_the_path_withdraws_the_overwrite_consent(
        self, viewer: Page, tmp_path: Path
    ) -> None:
        """A new path hides the overwrite box and unchecks it."""
        target = tmp_path / "existing.csv"
        target.write_text("old\n")
        dialog = open_export(viewer)
        export(dialog, target, "csv", "all")
        exists = dialog.locator(".msc-export__exists")
        exists.get_by_label("Overwrite the existing file").check()
        dialog.get_by_label("Save to").fill(str(tmp_path / "other.csv"))
        expect(exists).to_be_hidden()
        expect(exists.get_by_label("Overwrite the existing file")).not_to_be_checked()


class TestExportDialog:
    def test_an_error_shows_its_message_and_code(self, viewer: Page, tmp_path: Path) -> None:
        """A missing directory is reported with the command's message and code."""
        dialog = open_export(viewer)
        export(dialog, tmp_path / "missing" / "out.jsonl", "jsonl", "all")
        status = dialog.locator(".msc-export__status.is-error")
        expect(status).to_contain_text("does not exist")
        expect(status).to_contain_text("not_found")

    def test_escape_closes_and_focus_returns_to_the_opener(self, viewer: Page) -> None:
        """Esc closes the dialog and the Export button has the focus again."""
        opener = toolbar_button(viewer, "Export…")
        dialog = open_export(viewer)
        viewer.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert opener.evaluate("(el) => el === document.activeElement")

    def test_tab_stays_inside_the_dialog(self, viewer: Page) -> None:
        """Twenty Tabs forward and back never leave the dialog."""
        open_export(viewer)
        inside = "document.activeElement.closest('msc-export-dialog dialog') !== null"
        for key in ["Tab"] * 20 + ["Shift+Tab"] * 20:
            viewer.keyboard.press(key)
            assert viewer.evaluate(inside), key

    def test_browse_appears_with_a_native_save_dialog(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """With the host's saveDialog capability, Browse… asks choose_export_path for a path."""
        asked: list[Any] = []

        def answer(route: Route) -> None:
            asked.append(route.request.post_data_json)
            body = '{"path": "/chosen/by/user.jsonl"}'  # the desktop command's answer
            route.fulfill(status=200, content_type="application/json", body=body)

        page.add_init_script("window.__mscCapabilities = { saveDialog: true };")
        page.route("**/invoke/choose_export_path", answer)
        open_viewer(page, dev_server)
        dialog = open_export(page)
        dialog.get_by_role("button", name="Browse…").click()
        expect(dialog.get_by_label("Save to")).to_have_value("/chosen/by/user.jsonl")
        assert asked
        assert str(asked[0]["suggested_name"]).endswith(".jsonl")

    def test_browse_is_absent_without_the_capability(self, viewer: Page) -> None:
        """In a plain browser there is no native dialog, so no Browse… button."""
        dialog = open_export(viewer)
        expect(dialog.get_by_role("button", name="Browse…")).to_be_hidden()

    def test_screenshots(self, viewer: Page, tmp_path: Path) -> None:
        """The dialog after a successful export, light and dark, for a person to look at."""
        set_level_filter(viewer, "error")
        dialog = open_export(viewer)
        export(dialog, tmp_path / "shot.jsonl", "jsonl")
        success_count(dialog)
        for scheme in ("light", "dark"):
            viewer.emulate_media(color_scheme=scheme)
            viewer.wait_for_timeout(100)
            viewer.screenshot(path=str(ARTIFACTS / f"export-success-{scheme}.png"))


class TestClear:
    def confirm(self, viewer: Page) -> Locator:
        toolbar_button(viewer, "Clear…").click()
        dialog = viewer.locator("msc-confirm-dialog dialog")
        expect(dialog).to_be_visible()
        return dialog

    def test_cancel_keeps_the_entries_and_the_file(
        self, viewer: Page, dev_server: DevServer
    ) -> None:
        """Cancel answers no: the list and the log file keep the written entries."""
        dialog = self.confirm(viewer)
        viewer.screenshot(path=str(ARTIFACTS / "clear-confirm.png"))
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        assert set(WRITTEN) <= messages_in(store_entries(viewer))
        assert "written error 0" in (dev_server.log_dir / LOG_NAME).read_text()

    def test_escape_cancels_and_focus_returns_to_clear(
        self, viewer: Page, dev_server: DevServer
    ) -> None:
        """Esc is a no as well, and the Clear button has the focus again."""
        dialog = self.confirm(viewer)
        viewer.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        assert toolbar_button(viewer, "Clear…").evaluate("(el) => el === document.activeElement")
        assert "written error 0" in (dev_server.log_dir / LOG_NAME).read_text()

    def test_the_danger_dialog_starts_on_cancel(self, viewer: Page) -> None:
        """Focus starts on Cancel, so a stray Enter keeps the logs."""
        dialog = self.confirm(viewer)
        expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
        viewer.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        assert set(WRITTEN) <= messages_in(store_entries(viewer))

    def test_confirm_empties_the_list_and_the_file(
        self, viewer: Page, dev_server: DevServer
    ) -> None:
        """Confirming clears: no written entry is left in the list or in the log file."""
        dialog = self.confirm(viewer)
        confirm = dialog.locator("button.msc-button--danger")
        confirm.focus()
        viewer.keyboard.press("Enter")
        expect(dialog).to_be_hidden()
        viewer.wait_for_function(
            "(gone) => !window.__msc.logStore.state.entries.some((e) => gone.includes(e.message))",
            arg=WRITTEN,
        )
        assert "written" not in (dev_server.log_dir / LOG_NAME).read_text()


class TestClearBanner:
    """The page says the log was cleared — by itself, or by someone else — until dismissed."""

    def banner(self, page: Page) -> Locator:
        return page.locator("msc-clear-banner .banner")

    def clear(self, page: Page) -> None:
        toolbar_button(page, "Clear…").click()
        dialog = page.locator("msc-confirm-dialog dialog")
        dialog.locator("button.msc-button--danger").click()
        expect(dialog).to_be_hidden()

    def test_own_clear_says_how_much_was_removed(self, viewer: Page, dev_server: DevServer) -> None:
        """ "Log cleared — 1 file removed, X freed", still so after the stream's echo of it."""
        rotated = dev_server.log_dir / f"{LOG_NAME}.1"
        write_records(dev_server.log_dir, [])  # the active file exists already
        rotated.write_text((dev_server.log_dir / LOG_NAME).read_text())
        freed = 2 * (dev_server.log_dir / LOG_NAME).stat().st_size
        expect(self.banner(viewer)).to_have_count(0)
        self.clear(viewer)
        text = f"Log cleared — 1 file removed, {freed / 1024:.1f} KB freed"
        expect(self.banner(viewer)).to_have_text(re.compile("^" + re.escape(text)))
        viewer.wait_for_timeout(1000)  # the follower reports the truncation a poll later
        expect(self.banner(viewer).locator(".banner__text")).to_have_text(text)
        expect(self.banner(viewer)).to_have_attribute("role", "status")
        viewer.screenshot(path=str(ARTIFACTS / "clear-banner.png"))

    def test_a_link_left_alone_is_named(
        self, viewer: Page, dev_server: DevServer, tmp_path: Path
    ) -> None:
        """A symbolic link in the set is neither followed nor deleted, and the banner says so."""
        outside = tmp_path / "important.txt"
        outside.write_text("keep me\n")
        (dev_server.log_dir / f"{LOG_NAME}.1").symlink_to(outside)
        self.clear(viewer)
        expect(self.banner(viewer).locator(".banner__text")).to_contain_text(
            f"(left alone, not regular files: {LOG_NAME}.1)"
        )
        assert outside.read_text() == "keep me\n"

    def test_dismiss_hides_it(self, viewer: Page) -> None:
        """The ✕ button removes the banner; the layout takes the space back."""
        self.clear(viewer)
        expect(self.banner(viewer)).to_be_visible()
        self.banner(viewer).get_by_role("button", name="Dismiss").click()
        expect(self.banner(viewer)).to_have_count(0)
        assert viewer.locator("msc-clear-banner").evaluate("(el) => el.offsetHeight") == 0

    def test_a_clear_by_another_process_is_announced(
        self, viewer: Page, dev_server: DevServer
    ) -> None:
        """Another process empties the log: the list empties and "The log was cleared" shows."""
        clear_log_files(dev_server.log_dir, APP)
        expect(self.banner(viewer).locator(".banner__text")).to_have_text("The log was cleared")
        viewer.wait_for_function("() => window.__msc.logStore.state.entries.length === 0")

    def test_a_refused_clear_shows_why_as_text(self, viewer: Page, dev_server: DevServer) -> None:
        """permission_denied: the message (markup included) is shown as text, as an alert."""
        message = "the log in /x cannot be cleared: <img src=x onerror=window.__xss=1>"
        body = json.dumps({"code": "permission_denied", "message": message})
        viewer.route(
            "**/invoke/clear_logs",
            lambda route: route.fulfill(status=403, body=body, content_type="application/json"),
        )
        self.clear(viewer)
        banner = self.banner(viewer)
        expect(banner.locator(".banner__text")).to_have_text(f"The log was not cleared: {message}")
        expect(banner).to_have_attribute("role", "alert")
        assert viewer.evaluate("typeof window.__xss") == "undefined"
        assert banner.locator("img").count() == 0
        assert set(WRITTEN) <= messages_in(store_entries(viewer))
        assert "written error 0" in (dev_server.log_dir / LOG_NAME).read_text()
