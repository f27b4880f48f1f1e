"""The export dialog's formats for other tools and for support, in Chromium.

Runs the real dev server in a subprocess on a log directory holding a secret, and checks the
files the page's exports leave on disk: the support bundle's members, the extensions, and the
"Remove secrets" checkbox (locked on for the bundle, the user's choice for the rest).
"""

from __future__ import annotations

import json
import re
import sys
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, open_viewer, record, shot, write_records

SECRET = 'login password="hunter2" Authorization: Bearer abc.def.ghi by ada@example.com'
MESSAGES = [SECRET, "disk slow", "write failed"]
SECRETS = (b"hunter2", b"abc.def.ghi", b"ada@example.com")


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> Page:
    """The viewer showing three entries, the first one holding secrets."""
    write_records(
        dev_server.log_dir,
        [
            record(SECRET, fields={"password": "hunter2"}),
            record("disk slow", level="warn"),
            record("write failed", level="error", fields={"exception": "Traceback …"}),
        ],
    )
    open_viewer(page, dev_server)
    page.wait_for_function(
        "(wanted) => wanted.every((m) => window.__msc.logStore.state.entries"
        ".some((e) => e.message === m))",
        arg=MESSAGES,
    )
    return page


def open_export(page: Page) -> Locator:
    page.locator("msc-toolbar").get_by_role("button", name="Export…", exact=True).click()
    dialog = page.locator("msc-export-dialog dialog")
    expect(dialog).to_be_visible()
    return dialog


def choose(dialog: Locator, label: str) -> None:
    dialog.get_by_label(label).check()


def export_to(dialog: Locator, path: Path) -> None:
    dialog.get_by_label("Save to").fill(str(path))
    dialog.get_by_role("button", name="Export", exact=True).click()
    expect(dialog.locator(".msc-export__status.is-success")).to_be_visible()


class TestExportFormatsInThePage:
    def test_a_support_bundle_is_written_with_its_members_and_no_secret(
        self, viewer: Page, tmp_path: Path
    ) -> None:
        """Choosing the bundle locks "Remove secrets" on; the zip has the four members."""
        dialog = open_export(viewer)
        choose(dialog, "Support bundle (.zip)")
        redact = dialog.get_by_label("Remove secrets (redact)")
        expect(redact).to_be_checked()
        expect(redact).to_be_disabled()
        expect(dialog.get_by_label("Save to")).to_have_value(re.compile(r"-\d{4}\.zip$"))
        shot(viewer, "export-dialog-bundle")
        target = tmp_path / "support.zip"
        export_to(dialog, target)
        expect(dialog.locator(".msc-export__status")).to_contain_text("secrets removed")
        with zipfile.ZipFile(target) as archive:
            assert archive.namelist() == [
                "logs.jsonl",
                "metrics.json",
                "log-info.json",
                "manifest.json",
            ]
            data = {name: archive.read(name) for name in archive.namelist()}
        messages = [json.loads(line)["message"] for line in data["logs.jsonl"].splitlines()]
        assert messages[1:] == MESSAGES[1:]
        assert not [s for member in data.values() for s in SECRETS if s in member]
        assert json.loads(data["manifest.json"])["counts"]["entries"] == 3

    def test_the_extension_follows_the_format(self, viewer: Page) -> None:
        """OTLP JSON is .otlp.json, CLEF .clef, the bundle .zip, and back to .jsonl."""
        dialog = open_export(viewer)
        path = dialog.get_by_label("Save to")
        for label, extension in (
            ("OpenTelemetry (OTLP JSON)", r"\.otlp\.json"),
            ("Seq / Serilog (CLEF)", r"\.clef"),
            ("Support bundle (.zip)", r"\.zip"),
            ("JSON Lines", r"\.jsonl"),
        ):
            choose(dialog, label)
            expect(path).to_have_value(
                re.compile(rf"^~/midi-software-center-logs-.*\d{extension}$")
            )

    def test_redaction_is_the_users_choice_for_other_formats(
        self, viewer: Page, tmp_path: Path
    ) -> None:
        """Off by default for CLEF; checked, the file holds no secret; the bundle keeps it."""
        dialog = open_export(viewer)
        choose(dialog, "Seq / Serilog (CLEF)")
        redact = dialog.get_by_label("Remove secrets (redact)")
        expect(redact).to_be_enabled()
        expect(redact).not_to_be_checked()
        plain = tmp_path / "plain.clef"
        export_to(dialog, plain)
        assert b"hunter2" in plain.read_bytes()
        redact.check()
        choose(dialog, "Support bundle (.zip)")
        choose(dialog, "Seq / Serilog (CLEF)")
        expect(redact).to_be_checked()  # the user's choice survives the bundle's lock
        masked = tmp_path / "masked.clef"
        export_to(dialog, masked)
        data = masked.read_bytes()
        assert not [s for s in SECRETS if s in data]
        events = [json.loads(line) for line in data.splitlines()]
        assert [e["@m"] for e in events][1:] == MESSAGES[1:]
        assert events[2]["@l"] == "Error"
