"""Untrusted log text in the browser page: it stays text, and the layout holds.

Every vector (tests/shared/injection_vectors.py) goes into message, target, category, field keys
and values, span names and ids — as raw lines of ours (orjson), as foreign lines, through the
real writer (`shared`) in another process, and as raw batches handed to ``__mscDeliver``
(values the reader would normalize: level, category, timestamp, span shape). They arrive both
as history (``get_recent_logs``) and live (the SSE stream). Then: no beacon ran, no dialog
opened, no Content-Security-Policy violation happened (a violation means markup got in and
only the CSP stopped it), no foreign element exists, every text is shown verbatim, and the
layout is intact. Screenshots land in test-artifacts/e2e/injection-*.png.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from injection_vectors import (
    FIND_INJECTED,
    INSTALL_PROBES,
    LAYOUT,
    LONG,
    LONG_RUN,
    PROBE_STATE,
    QUOTE,
    READ_DETAIL,
    READ_ROWS,
    RTL,
    VECTORS,
    VIAS,
    Vector,
    append_lines,
    detail_problems,
    row_problems,
    stamp,
    write_phase,
)
from playwright.sync_api import Dialog, Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, open_viewer, record, shot, write_records


def delivered(v: Vector) -> dict[str, Any]:
    """An entry as a careless backend could push it: every value the vector, any shape."""
    return {
        "id": f"deliver-{v.n}",
        "timestamp": v.text,
        "level": v.text,
        "category": v.text,
        "message": v.text,
        "target": v.text,
        "fields": {"vector": v.n, "phase": "deliver", "via": "deliver", v.text: v.text},
        "span": {"name": v.text, "id": v.text, "parent_id": v.text},
        "pid": v.text,
        "source": v.text,
    }


# ---- the page -----------------------------------------------------------------------------

# The rows wholly inside the list's viewport, by index.
ON_SCREEN = """() => {
  const vp = document.querySelector('msc-log-list .viewport').getBoundingClientRect();
  return [...document.querySelectorAll('msc-log-list .row:not([hidden])')]
    .filter((r) => r.getBoundingClientRect().top >= vp.top)
    .filter((r) => r.getBoundingClientRect().bottom <= vp.bottom)
    .map((r) => r.dataset.index);
}"""


@pytest.fixture
def probed(page: Page) -> tuple[Page, list[str]]:
    """The page with the probes installed before its scripts run, and the dialogs it opened."""
    dialogs: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.add_init_script(INSTALL_PROBES)
    return page, dialogs


def assert_clean(page: Page, dialogs: list[str]) -> None:
    """No beacon, no dialog, no CSP violation, no injected element."""
    state = page.evaluate(PROBE_STATE)
    assert state == {"pwned": [], "csp": [], "dialogs": []}
    assert dialogs == []
    assert page.evaluate(FIND_INJECTED) == []


def wait_phase(page: Page, phase: str, count: int) -> None:
    """Wait until ``count`` entries of ``phase`` are in the list."""
    page.wait_for_function(
        """([phase, count]) => (document.querySelector('msc-log-list')?.entries ?? [])
             .filter((e) => e.fields?.phase === phase).length >= count""",
        arg=[phase, count],
    )


def check_rows(page: Page, phase: str, vias: tuple[str, ...] = VIAS) -> None:
    """Every entry of ``phase`` shows its text verbatim in a one-line row, columns in order."""
    assert row_problems(page.evaluate(READ_ROWS, phase), vias) == []


def check_detail(page: Page, phase: str, via: str, v: Vector) -> None:
    """The detail pane shows the vector verbatim wherever the entry holds it."""
    page.wait_for_function(
        """([phase, n, via]) => document.querySelector('msc-log-list').entries
             .some((e) => e.fields?.phase === phase && e.fields?.vector === n
                          && e.fields?.via === via)""",
        arg=[phase, v.n, via],
    )
    assert detail_problems(page.evaluate(READ_DETAIL, [phase, v.n, via]), v, via) == []


class TestHistory:
    """Entries already in the files when the page opens (``get_recent_logs``)."""

    def test_vectors_stay_text_in_rows_and_detail_pane(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """Nothing runs or gets injected; every text is shown verbatim; rows stay one line."""
        page, dialogs = probed
        write_phase(dev_server.log_dir, "history")
        open_viewer(page, dev_server)
        wait_phase(page, "history", 3 * len(VECTORS))
        shot(page, "injection-history")
        check_rows(page, "history")
        for via in VIAS:
            for v in VECTORS:
                check_detail(page, "history", via, v)
        assert_clean(page, dialogs)

    def test_hovering_and_clicking_rows_runs_nothing(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """Mouse over and click every row on screen, then its detail pane's controls."""
        page, dialogs = probed
        write_phase(dev_server.log_dir, "history")
        open_viewer(page, dev_server)
        wait_phase(page, "history", 3 * len(VECTORS))
        page.evaluate("document.querySelector('msc-log-list').pause()")
        clicked = 0
        for _ in range(20):  # screen by screen, newest first, until 60 rows were clicked
            if clicked >= 60:
                break
            indexes = page.evaluate(ON_SCREEN)
            for index in indexes:
                row = page.locator(f"msc-log-list .row:not([hidden])[data-index='{index}']")
                if not row.count():  # selecting the previous row scrolled this one away
                    continue
                row.hover(timeout=5000)
                row.locator(".c-message").click(timeout=5000)
                expect(row).to_have_class(re.compile(r"\bselected\b"))
                page.locator("msc-detail-pane .detail__message").hover()
                clicked += 1
            page.evaluate(
                "document.querySelector('msc-log-list').select(-1);"
                "(vp => { vp.scrollTop -= vp.clientHeight; })"
                "(document.querySelector('msc-log-list .viewport'))"
            )
        assert clicked >= 60
        assert_clean(page, dialogs)

    def test_layout_holds_with_long_and_bidi_text(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """No page scroll, uniform rows, the pane wraps, toolbar and status bar stay on top."""
        page, dialogs = probed
        write_phase(dev_server.log_dir, "history")
        open_viewer(page, dev_server)
        wait_phase(page, "history", 3 * len(VECTORS))
        page.evaluate(
            "([items]) => window.__mscDeliver(items)",
            [[{"event": "log-entry", "payload": delivered(v)} for v in VECTORS]],
        )
        wait_phase(page, "deliver", len(VECTORS))
        for name, v, via in (
            ("long", LONG, "raw"),
            ("long-delivered", LONG, "deliver"),
            ("rtl", RTL, "raw"),
            ("rtl-delivered", RTL, "deliver"),
        ):
            phase = "deliver" if via == "deliver" else "history"
            check_detail(page, phase, via, v)
            layout = page.evaluate(LAYOUT)
            shot(page, f"injection-detail-{name}")
            assert layout["scrollWidth"] <= layout["innerWidth"], f"{name}: page scrolls sideways"
            assert layout["scrollHeight"] <= layout["innerHeight"], f"{name}: page scrolls down"
            assert layout["rowHeights"] == [22], f"{name}: rows of different heights"
            assert layout["toolbar"]["top"] == 0
            assert layout["toolbar"]["height"] > 40
            assert layout["status"]["bottom"] == pytest.approx(layout["innerHeight"], abs=0.5)
            assert layout["toolbarOnTop"], f"{name}: toolbar covered"
            assert layout["statusOnTop"], f"{name}: status bar covered"
            assert layout["paneOverflow"] <= 0, f"{name}: detail pane overflows sideways"
            assert layout["headOverflow"] <= 0, f"{name}: detail header overflows"
            assert layout["bodyOverflow"] <= 0, f"{name}: detail body scrolls sideways"
            assert layout["messageOverflow"] <= 0, f"{name}: message not wrapped"
            assert layout["close"]["right"] <= layout["pane"]["right"] + 0.5
            assert layout["closeOnTop"], f"{name}: close button hidden"
            assert layout["copyOnTop"], f"{name}: copy button hidden"
        check_rows(page, "deliver", ("deliver",))
        assert_clean(page, dialogs)

    def test_filter_chip_and_export_dialog_show_a_hostile_id_as_text(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """Clicking a request id made of markup puts it, as text, in the chip and the dialog."""
        page, dialogs = probed
        write_phase(dev_server.log_dir, "history")
        open_viewer(page, dev_server)
        wait_phase(page, "history", 3 * len(VECTORS))
        for v in (QUOTE, RTL, VECTORS[0]):
            check_detail(page, "history", "raw", v)
            page.locator("msc-detail-pane .id-link[data-filter='requestId']").click()
            chip = page.locator("msc-toolbar [data-clear='requestId'] .chip__v")
            expect(chip).to_have_text(v.text)
            page.locator("msc-toolbar [data-action='export']").click()
            filters = page.locator("msc-export-dialog .msc-export__filters")
            expect(filters).to_contain_text(f"request id {v.text}")
            shot(page, f"injection-export-{v.n}")
            assert_clean(page, dialogs)
            page.keyboard.press("Escape")
            expect(page.locator("msc-export-dialog dialog")).not_to_be_visible()
            page.locator("msc-toolbar [data-clear='requestId']").click()
        assert_clean(page, dialogs)


class TestLive:
    """Entries written while the page is open (the SSE stream)."""

    def test_streamed_vectors_stay_text(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """The same checks for entries pushed live, and for raw batches the page is handed."""
        page, dialogs = probed
        open_viewer(page, dev_server)
        write_phase(dev_server.log_dir, "live")
        wait_phase(page, "live", 3 * len(VECTORS))
        shot(page, "injection-live")
        check_rows(page, "live")
        for via in VIAS:
            for v in VECTORS[::3]:
                check_detail(page, "live", via, v)
        assert_clean(page, dialogs)


class TestBidi:
    """Direction controls in log text stay inside the text that holds them."""

    def test_field_hit_stays_after_a_message_with_a_right_to_left_override(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """Fields keep their places after an overriding message, key, or value."""
        page, dialogs = probed
        at = datetime.now(UTC)
        append_lines(
            dev_server.log_dir,
            [
                {
                    "timestamp": stamp(at),
                    "level": "info",
                    "category": "user",
                    "message": f"\u202eoverride never closed {RTL.text}",
                    "target": "tests.e2e.bidi",
                    "fields": {
                        "\u202ekey": "needle-in-field",
                        "note": "\u202eoverride in a value, never closed",
                        "vector": RTL.n,
                        "phase": "bidi",
                    },
                    "span": None,
                    "pid": 4242,
                }
            ],
        )
        open_viewer(page, dev_server)
        page.locator("msc-search-box input").fill("needle-in-field")
        fields = page.locator("msc-log-list .row:not([hidden]) .fields")
        expect(fields.locator("mark")).to_have_text("needle-in-field")
        expect(fields.locator(".k")).to_have_text(["\u202ekey", "note", "vector", "phase"])
        boxes = page.evaluate(
            """() => {
              const fields = document.querySelector('msc-log-list .row:not([hidden]) .fields');
              const [key, note, vector] = fields.querySelectorAll('.k');
              const message = fields.closest('.c-message').querySelector('.msg');
              const box = (thing) => thing.getBoundingClientRect().toJSON();
              return { message: box(message), fields: box(fields), key: box(key),
                       value: box(key.nextElementSibling), note: box(note.nextElementSibling),
                       vector: box(vector) };
            }"""
        )
        shot(page, "injection-bidi-field-hit")
        assert boxes["fields"]["left"] >= boxes["message"]["right"] - 0.5
        # The key (also overridden) must not swap places with its value either, nor an
        # overriding value with the next key.
        assert boxes["value"]["left"] >= boxes["key"]["right"] - 0.5
        assert boxes["vector"]["left"] >= boxes["note"]["right"] - 0.5
        assert_clean(page, dialogs)


def test_vectors_are_many_and_numbered() -> None:
    """At least 25 vectors, numbered in order; the long one is one unbroken run."""
    assert len(VECTORS) >= 25
    assert [v.n for v in VECTORS] == list(range(len(VECTORS)))
    assert LONG.text.startswith("W" * LONG_RUN)


class TestFieldNames:
    """Field keys that are also names of inherited JavaScript object properties."""

    def test_inherited_property_names_are_plain_fields(
        self, probed: tuple[Page, list[str]], dev_server: DevServer
    ) -> None:
        """``constructor``/``__proto__``/``toString`` are shown as keys with their values, and
        only ``request_id`` becomes a filter button."""
        page, dialogs = probed
        names = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"]
        fields: dict[str, Any] = {name: f"value of {name}" for name in names}
        fields["request_id"] = "req-7"
        write_records(dev_server.log_dir, [record("inherited names", fields=fields)])
        open_viewer(page, dev_server)
        page.locator("msc-log-list .row", has_text="inherited names").click()
        pane = page.locator("msc-detail-pane")
        for name in names:
            expect(pane.locator("dt", has_text=re.compile(f"^{re.escape(name)}$"))).to_have_count(1)
            expect(pane).to_contain_text(f"value of {name}")
        buttons = pane.locator(".id-link")
        expect(buttons).to_have_count(1)
        expect(buttons).to_have_attribute("data-filter", "requestId")
        assert_clean(page, dialogs)
