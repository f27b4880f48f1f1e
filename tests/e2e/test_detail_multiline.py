"""The detail pane shows text of several lines as lines: a message (a Python traceback read from a
plain-text file, a multi-line message of ours), a string field (``exception``), a string nested in
an object field (pino's ``err.stack``) — preformatted, line by line, never as one paragraph nor
with a literal ``\\n``. It also says where the entry comes from, the level as written, and
"raw line" for a line that is no record.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import APP, DevServer, append_text, open_viewer, record, shot, write_records

TRACEBACK = [
    "worker crashed",
    "Traceback (most recent call last):",
    '  File "worker.py", line 3, in <module>',
    "    run()",
    "ValueError: bad value",
]
STACK = ["Error: boom", "    at handler (/srv/app.js:10:5)", "    at process (/srv/lib.js:3:1)"]
OUR_MESSAGE = ["import failed", "  while reading kick.mid", "  at byte 4096"]
EXCEPTION = [
    "Traceback (most recent call last):",
    '  File "importer.py", line 88, in import_file',
    "    parse(data)",
    "ValueError: not a MIDI file",
]
JUNK = "### a line that is no record ###"


def write_sources(log_dir: Path) -> None:
    """Ours (a multi-line message and fields, a junk line), pino with ``err``, a plain-text
    traceback."""
    start = datetime.now(UTC) - timedelta(minutes=5)
    fields = {
        "exception": "\n".join(EXCEPTION),
        "err": {"type": "ImportError", "stack": "\n".join(STACK), "code": 7},
        "meta": {"tags": ["kick", "snare"], "n": 1},
        "long": "\n".join(f"frame {i}" for i in range(300)),
    }
    write_records(log_dir, [record("\n".join(OUR_MESSAGE), level="error", fields=fields, at=start)])
    append_text(log_dir, f"{APP}.log", JUNK + "\n")
    pino = {
        "level": 60,  # pino's fatal: in the error band, its name kept as level_name
        "time": int((start + timedelta(seconds=1)).timestamp() * 1000),
        "pid": 7,
        "hostname": "web-1",
        "msg": "request failed",
        "err": {"type": "Error", "message": "boom", "stack": "\n".join(STACK)},
    }
    append_text(log_dir, "pino.log", json.dumps(pino) + "\n")
    clock = (start + timedelta(seconds=2)).strftime("%Y-%m-%d %H:%M:%S,%f")[:-3]
    first, *rest = TRACEBACK
    append_text(
        log_dir, "app.log", "\n".join([f"{clock} - app.worker - ERROR - {first}", *rest]) + "\n"
    )


# How a block of text is rendered: its text as laid out (innerText keeps the line breaks a
# reader sees), its raw text, the CSS that makes it preformatted, and how many line boxes its
# text takes on screen (client rects of the text, by distinct top).
READ_BLOCK = """(el) => {
  const style = getComputedStyle(el);
  const range = document.createRange();
  range.selectNodeContents(el);
  const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
  return { tag: el.tagName, text: el.innerText, raw: el.textContent, whiteSpace: style.whiteSpace,
           font: style.fontFamily, lineBoxes: tops.size, overflowY: style.overflowY,
           scrolls: el.scrollHeight > el.clientHeight + 1 };
}"""


def block(locator: Locator) -> dict[str, Any]:
    result: dict[str, Any] = locator.evaluate(READ_BLOCK)
    return result


def field_value(page: Page, *keys: str) -> Locator:
    """The value (``dd``) of a field in the detail pane, by its key path (``err``, ``stack``)."""
    here = page.locator("msc-detail-pane .detail__body")
    for key in keys:
        here = here.locator(".kv", has=page.locator(f"> dt:text-is('{key}')")).locator("> dd")
    return here


def select(page: Page, text: str) -> None:
    page.locator("msc-log-list .row .msg", has_text=text).first.click()
    expect(page.locator("msc-detail-pane")).to_be_visible()


def assert_lines(found: dict[str, Any], lines: list[str]) -> None:
    """Preformatted, monospace, one line box per line, no literal backslash-n."""
    assert found["tag"] == "PRE"
    assert found["whiteSpace"] == "pre-wrap"
    assert "mono" in found["font"].lower()
    assert found["text"].rstrip("\n").split("\n") == lines
    assert "\\n" not in found["raw"]
    assert found["lineBoxes"] == len(lines)


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> Page:
    write_sources(dev_server.log_dir)
    open_viewer(page, dev_server)
    page.wait_for_function("() => document.querySelector('msc-log-list').entries.length === 4")
    return page


class TestMessage:
    def test_a_traceback_from_a_plain_text_file_is_shown_line_by_line(self, viewer: Page) -> None:
        """The record line and its traceback lines, grouped by the reader, one line each."""
        select(viewer, "worker crashed")
        assert_lines(block(viewer.locator("msc-detail-pane .detail__message")), TRACEBACK)
        shot(viewer, "detail-traceback")

    def test_a_multi_line_message_of_ours_keeps_its_lines(self, viewer: Page) -> None:
        select(viewer, "import failed")
        assert_lines(block(viewer.locator("msc-detail-pane .detail__message")), OUR_MESSAGE)


class TestFields:
    def test_a_nested_err_stack_shows_real_line_breaks(self, viewer: Page) -> None:
        """pino's ``err`` is a nested list (not JSON, whose ``\\n`` would hide the lines); its
        ``stack`` is a block of lines below its key, across the pane."""
        select(viewer, "request failed")
        err = field_value(viewer, "err")
        expect(err.locator("> .nested")).to_have_count(1)
        expect(err.locator("pre.json")).to_have_count(0)
        stack = field_value(viewer, "err", "stack").locator("> pre")
        assert_lines(block(stack), STACK)
        expect(field_value(viewer, "err", "message")).to_have_text("boom")
        key = viewer.locator("msc-detail-pane .nested dt:text-is('stack')")
        assert stack.bounding_box()["y"] > key.bounding_box()["y"]  # type: ignore[index]
        shot(viewer, "detail-pino-err-stack")

    def test_a_multi_line_string_field_is_a_block_of_lines(self, viewer: Page) -> None:
        select(viewer, "import failed")
        assert_lines(block(field_value(viewer, "exception").locator("> pre")), EXCEPTION)

    def test_an_object_holding_a_multi_line_string_keeps_its_other_values(
        self, viewer: Page
    ) -> None:
        """Our ``err``: the stack as lines, the type as text, the number as a number."""
        select(viewer, "import failed")
        assert_lines(block(field_value(viewer, "err", "stack").locator("> pre")), STACK)
        expect(field_value(viewer, "err", "type")).to_have_text("ImportError")
        expect(field_value(viewer, "err", "code").locator(".v-number")).to_have_text("7")

    def test_an_object_of_one_line_values_stays_json(self, viewer: Page) -> None:
        select(viewer, "import failed")
        meta = field_value(viewer, "meta").locator("> pre.json")
        expect(meta).to_have_count(1)
        assert json.loads(meta.inner_text()) == {"tags": ["kick", "snare"], "n": 1}

    def test_a_long_block_scrolls_inside_the_pane(self, viewer: Page) -> None:
        """300 lines: the block scrolls by itself; the pane does not widen."""
        select(viewer, "import failed")
        found = block(field_value(viewer, "long").locator("> pre"))
        assert found["text"].split("\n")[:2] == ["frame 0", "frame 1"]
        assert found["overflowY"] == "auto"
        assert found["scrolls"]
        body = viewer.locator("msc-detail-pane .detail__body")
        assert body.evaluate("(b) => b.scrollWidth <= b.clientWidth")


class TestHeader:
    def test_the_pane_names_the_source_and_the_level_as_written(self, viewer: Page) -> None:
        """pino's level 60: the badge reads fatal in the error colour; the record says both."""
        select(viewer, "request failed")
        pane = viewer.locator("msc-detail-pane")
        expect(pane.locator(".detail__origin")).to_have_text("pino")
        badge = pane.locator(".level-badge")
        expect(badge).to_have_text("FATAL")  # upper-case, as every badge
        expect(badge).to_have_attribute("data-level", "error")
        expect(field_value(viewer, "origin")).to_have_text("pino")
        expect(field_value(viewer, "level")).to_have_text("error written as fatal")
        expect(pane.locator(".detail__raw")).to_have_count(0)

    def test_a_raw_line_is_marked_and_shown_as_it_is(self, viewer: Page) -> None:
        select(viewer, JUNK)
        pane = viewer.locator("msc-detail-pane")
        expect(pane.locator(".detail__raw")).to_have_text("raw line")
        expect(pane.locator(".detail__message")).to_have_text(JUNK)
        expect(pane.locator(".detail__origin")).to_have_text(APP)
        shot(viewer, "detail-raw-line")

    def test_copy_json_copies_the_entry_with_its_lines(self, viewer: Page) -> None:
        """Copy JSON still gives the record, multi-line values as JSON strings."""
        viewer.context.grant_permissions(["clipboard-read", "clipboard-write"])
        select(viewer, "request failed")
        viewer.locator("msc-detail-pane [data-action='copy']").click()
        expect(viewer.locator("msc-detail-pane .detail__status")).to_have_text(
            "Copied the entry as JSON."
        )
        copied = json.loads(viewer.evaluate("navigator.clipboard.readText()"))
        assert copied["fields"]["err"]["stack"] == "\n".join(STACK)
        assert copied["origin"] == "pino"
