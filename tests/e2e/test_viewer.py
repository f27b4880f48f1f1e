"""The viewer page against the real dev server: fetch, filters, search, streaming, paging, detail.

Each test writes its own entries (target ``tests.e2e`` or ``tests.bulk``) into a fresh log
directory, which holds nothing else: the dev server logs into its own directory, never into the
one it shows. Screenshots land in test-artifacts/e2e/.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from injection_vectors import FIELD_PAIRS
from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    DevServer,
    Writer,
    open_viewer,
    record,
    shot,
    shown,
    visible_messages,
    write_many,
    write_records,
)

LEVELS = ("trace", "debug", "info", "warn", "error")


def seed(log_dir: Path, count: int = 40) -> None:
    """``count`` entries: levels cycle, categories alternate midi/database, ``seed <i>``."""
    start = datetime.now(UTC) - timedelta(minutes=10)
    write_records(
        log_dir,
        [
            record(
                f"seed {i}",
                level=LEVELS[i % 5],
                category="midi" if i % 2 else "database",
                target=f"tests.e2e.mod{i % 3}",
                at=start + timedelta(seconds=i),
            )
            for i in range(count)
        ],
    )


def ours(page: Page) -> list[dict[str, object]]:
    return [e for e in shown(page) if str(e["target"]).startswith("tests.e2e")]


def row_fields(page: Page, message: str) -> list[list[str]]:
    """The [key, value] pairs shown after ``message`` in its row."""
    box = page.locator(".row:not([hidden])", has_text=message).locator(".fields")
    pairs: list[list[str]] = box.evaluate(FIELD_PAIRS)
    return pairs


class TestFetch:
    def test_shows_the_newest_entries_in_aligned_columns(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The page fetches on load and shows time, level, category, target and message."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        assert [e["message"] for e in ours(page)] == [f"seed {i}" for i in range(40)]
        expect(page.locator(".row .c-message", has_text="seed 39")).to_be_visible()
        row = page.locator(".row", has=page.locator(".c-message", has_text="seed 39"))
        expect(row.locator(".c-level")).to_have_text("ERROR")
        expect(row.locator(".c-category")).to_have_text("midi")
        expect(row.locator(".c-target")).to_have_text("tests.e2e.mod0")
        expect(row).to_have_attribute("data-level", "error")
        # columns line up: every visible row's message cell starts at the same x as the header's
        head_x = page.locator(".list-head .c-message").bounding_box()["x"]  # type: ignore[index]
        xs = page.eval_on_selector_all(
            ".row:not([hidden]) .c-message", "cells => cells.map(c => c.getBoundingClientRect().x)"
        )
        assert xs
        assert all(abs(x - head_x) < 0.5 for x in xs)
        expect(page.locator("msc-status-bar")).to_contain_text("Streaming")
        shot(page, "viewer-light")

    def test_rows_show_fields_after_the_message(self, page: Page, dev_server: DevServer) -> None:
        """Each row shows its fields as key=value after the message, long values cut, one line."""
        many = {f"key{i:02}": "v" * 30 for i in range(40)}
        extra = {"tags": ["a", 1], "lines": "a\nb"}
        write_records(
            dev_server.log_dir,
            [
                record("note_on", fields={"note": 60, "device": "Launchkey 49"} | extra),
                record("long value", fields={"blob": "x" * 500}),
                record("many fields", fields=many),
                record("no fields"),
            ],
        )
        open_viewer(page, dev_server)
        expect(page.locator(".row", has_text="note_on")).to_contain_text("note=60")
        assert row_fields(page, "note_on") == [
            ["note", "60"],
            ["device", "Launchkey 49"],
            ["tags", '["a",1]'],
            ["lines", "a ⏎ b"],
        ]
        assert row_fields(page, "long value") == [["blob", "x" * 120 + "…"]]
        # the row has room for a few hundred characters; the detail pane has all of them
        assert row_fields(page, "many fields") == [[k, many[k]] for k in sorted(many)[:11]]
        expect(page.locator(".row", has_text="no fields").locator(".fields")).to_have_count(0)
        heights = page.eval_on_selector_all(
            ".row:not([hidden])", "rows => rows.map(r => r.getBoundingClientRect().height)"
        )
        assert set(heights) == {22}
        shot(page, "viewer-fields")

    def test_empty_log_shows_the_empty_state(self, page: Page, dev_server: DevServer) -> None:
        """With nothing to show, the list says so instead of staying blank (for real: the
        viewer's own records no longer fill the directory it shows)."""
        open_viewer(page, dev_server)
        expect(page.locator(".state__title")).to_have_text("No log entries yet")
        page.wait_for_timeout(500)  # the page has polled and streamed meanwhile: still empty
        expect(page.locator(".state__title")).to_have_text("No log entries yet")
        assert list(dev_server.log_dir.iterdir()) == []
        shot(page, "viewer-empty")

    def test_unreachable_backend_shows_an_error_with_retry(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """When the commands cannot be reached the list shows why, and Retry loads the log."""
        seed(dev_server.log_dir, 5)
        page.route("**/invoke/**", lambda route: route.abort())
        page.goto(dev_server.page_url("/"))
        expect(page.locator(".state--error .state__title")).to_have_text(
            "Can\u2019t reach the log backend"
        )
        shot(page, "viewer-unreachable")
        page.unroute("**/invoke/**")
        page.get_by_role("button", name="Retry").click()
        expect(page.locator(".row .c-message", has_text="seed 4")).to_be_visible()


class TestFilters:
    def test_level_chip_shows_only_that_level_with_counts(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Clicking ERROR keeps only errors; the chip counts the loaded errors."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator('msc-level-filter [data-level="error"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        entries = shown(page)
        assert entries
        assert all(e["level"] == "error" for e in entries)
        assert [e["message"] for e in ours(page)] == [f"seed {i}" for i in range(4, 40, 5)]
        errors = sum(1 for e in entries if e["level"] == "error")
        expect(page.locator('msc-level-filter [data-level="error"] .chip__n')).to_have_text(
            str(errors)
        )
        levels = page.eval_on_selector_all(
            ".row:not([hidden]) .c-level", "c => c.map(x => x.textContent)"
        )
        assert set(levels) == {"ERROR"}

    def test_shift_click_keeps_that_level_and_above(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Shift+click on WARN sets the minimum level: warnings and errors stay."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.locator('msc-level-filter [data-level="warn"]').click(modifiers=["Shift"])
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert {e["level"] for e in ours(page)} == {"warn", "error"}

    def test_category_select_filters(self, page: Page, dev_server: DevServer) -> None:
        """Choosing a category keeps only its entries."""
        seed(dev_server.log_dir)
        open_viewer(page, dev_server)
        page.select_option('select[name="category"]', "database")
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert {e["category"] for e in shown(page)} == {"database"}
        assert [e["message"] for e in ours(page)] == [f"seed {i}" for i in range(0, 40, 2)]

    def test_search_filters_and_highlights_hits(self, page: Page, dev_server: DevServer) -> None:
        """Search matches message, target and field values case-insensitively; hits are marked."""
        seed(dev_server.log_dir)
        write_records(
            dev_server.log_dir,
            [
                record("unrelated text", fields={"size": 12, "file": "Drums/KICK.mid"}),
                record("Kick drum loaded"),
            ],
        )
        open_viewer(page, dev_server)
        page.keyboard.press("/")
        page.keyboard.type("kick")
        page.wait_for_function(
            "() => window.__msc.logStore.state.filter.search === 'kick'"
            " && !window.__msc.logStore.state.loading"
        )
        page.wait_for_timeout(400)  # the debounced server fetch
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert [e["message"] for e in ours(page)] == ["unrelated text", "Kick drum loaded"]
        expect(page.locator(".row:not([hidden]) .c-message .msg > mark")).to_have_text("Kick")
        # a row matched through a field shows that field first, hit marked
        assert row_fields(page, "unrelated text") == [["file", "Drums/KICK.mid"], ["size", "12"]]
        expect(page.locator(".row:not([hidden]) .fields mark")).to_have_text("KICK")
        shot(page, "viewer-search")

    def test_quick_time_range_hides_older_entries(self, page: Page, dev_server: DevServer) -> None:
        """ "5m" keeps entries of the last five minutes; "All" brings the others back."""
        now = datetime.now(UTC)
        write_records(
            dev_server.log_dir,
            [
                record("two hours ago", at=now - timedelta(hours=2)),
                record("just now", at=now - timedelta(seconds=5)),
            ],
        )
        open_viewer(page, dev_server)
        page.locator('msc-time-range [data-quick="5m"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert [e["message"] for e in ours(page)] == ["just now"]
        page.locator('msc-time-range [data-quick="all"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert [e["message"] for e in ours(page)] == ["two hours ago", "just now"]

    def test_custom_range_since_until(self, page: Page, dev_server: DevServer) -> None:
        """The custom range applies since and until (local times) as inclusive bounds."""
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
        write_records(
            dev_server.log_dir,
            [record(f"hour {h}", at=base + timedelta(hours=h)) for h in range(3)],
        )
        open_viewer(page, dev_server)
        since = (base + timedelta(minutes=30)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        until = (base + timedelta(minutes=90)).astimezone().strftime("%Y-%m-%dT%H:%M:%S")
        page.get_by_role("button", name="Custom…").click()
        page.fill('input[name="since"]', since)
        page.fill('input[name="until"]', until)
        page.get_by_role("button", name="Apply").click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert [e["message"] for e in ours(page)] == ["hour 1"]


class TestLive:
    def test_streams_entries_written_by_another_process(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """An entry logged by a second process through `shared` appears without a refresh."""
        seed(dev_server.log_dir, 5)
        open_viewer(page, dev_server)
        page.wait_for_function("() => window.__msc.logStore.state.isStreaming")
        writer.log("hello from the writer", level="warn")
        row = page.locator(".row", has=page.locator(".c-message", has_text="hello from the writer"))
        expect(row).to_be_visible()
        expect(row.locator(".c-target")).to_have_text("tests.e2e.writer")
        expect(row.locator(".c-level")).to_have_text("WARN")

    def test_scrolling_up_pauses_and_counts_new_entries(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """Paused, new entries are kept and counted in a pill that jumps back to the newest."""
        write_many(dev_server.log_dir, 300)
        open_viewer(page, dev_server)
        page.locator(".viewport").hover()
        page.mouse.wheel(0, -600)
        expect(page.locator(".pill")).to_be_visible()
        for i in range(3):
            writer.log(f"while paused {i}")
        expect(page.locator(".pill")).to_have_text("↓ 3 new entries — jump to latest")
        assert not any(m.startswith("while paused") for m in visible_messages(page))
        shot(page, "viewer-paused")
        page.locator(".pill").click()
        expect(page.locator(".row .c-message", has_text="while paused 2")).to_be_visible()
        expect(page.locator(".pill")).to_be_hidden()
        messages = [str(e["message"]) for e in shown(page)]
        assert [m for m in messages if m.startswith("while paused")] == [
            f"while paused {i}" for i in range(3)
        ]

    def test_scrolling_to_the_top_loads_older_entries(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """At the top the next page back is fetched, until the beginning-of-log marker."""
        write_many(dev_server.log_dir, 250)
        open_viewer(page, dev_server, page=100)
        assert [e["message"] for e in shown(page)] == [f"message {i}" for i in range(150, 250)]
        for _ in range(5):
            page.evaluate("() => { document.querySelector('.viewport').scrollTop = 0; }")
            page.wait_for_timeout(150)
            page.wait_for_function("() => !window.__msc.logStore.state.loadingOlder")
            page.evaluate("() => { document.querySelector('.viewport').scrollTop = 40; }")
        page.evaluate("() => { document.querySelector('.viewport').scrollTop = 0; }")
        expect(page.locator(".top-marker")).to_contain_text("Beginning of log")
        bulk = [e["message"] for e in shown(page) if e["target"] == "tests.bulk"]
        assert bulk == [f"message {i}" for i in range(250)]
        shot(page, "viewer-beginning")

    def test_cap_drops_the_oldest_with_a_notice(self, page: Page, dev_server: DevServer) -> None:
        """Past the cap the oldest entries leave the view and the status bar says how many."""
        open_viewer(page, dev_server, cap=50)
        page.evaluate(
            """() => window.__msc.logStore.addEntries(Array.from({ length: 80 }, (_, i) => ({
                 id: `cap-${i}`, timestamp: new Date().toISOString(), level: 'info',
                 category: 'user',
                 message: `capped ${i}`, target: 'tests.e2e', fields: {}, span: null })))"""
        )
        page.wait_for_function("() => window.__msc.logStore.state.capReached")
        state = page.evaluate(
            "() => ({ n: window.__msc.logStore.state.entries.length,"
            " dropped: window.__msc.logStore.state.dropped })"
        )
        assert state["n"] == 50
        assert [e["message"] for e in ours(page)][-1] == "capped 79"
        expect(page.locator("msc-status-bar")).to_contain_text(
            f"cap reached — {state['dropped']} oldest entries dropped from view"
        )


class TestDetail:
    def test_shows_every_field_and_filters_by_request_id(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The detail pane lists fields, span and ids; a request id click filters the list."""
        span = {"name": "import_file", "id": "span-1", "parent_id": "span-0"}
        write_records(
            dev_server.log_dir,
            [
                record("before", fields={"request_id": "req-other"}),
                record(
                    "import started",
                    category="file",
                    fields={
                        "request_id": "req-42",
                        "file": "a.mid",
                        "meta": {"bpm": 120, "tags": ["x"]},
                    },
                    span=span,
                ),
                record("import finished", fields={"request_id": "req-42"}),
                record("after", fields={"request_id": "req-other"}),
            ],
        )
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="import started").click()
        pane = page.locator("msc-detail-pane")
        expect(pane).to_be_visible()
        expect(pane.locator(".detail__message")).to_have_text("import started")
        expect(pane.locator(".kv", has_text="file").last).to_contain_text("a.mid")
        expect(pane.locator("pre.json")).to_contain_text('"bpm": 120')
        expect(pane.locator(".kv", has_text="name")).to_contain_text("import_file")
        expect(pane.locator(".kv", has_text="pid")).to_contain_text("4242")
        expect(pane.locator(".kv", has_text="source")).to_contain_text("e2e.py:1")
        shot(page, "viewer-detail")
        pane.locator('[data-filter="requestId"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert [e["message"] for e in shown(page)] == ["import started", "import finished"]
        expect(page.locator('msc-toolbar [data-clear="requestId"]')).to_contain_text("req-42")
        page.locator('msc-toolbar [data-clear="requestId"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        assert "before" in [e["message"] for e in shown(page)]

    def test_request_id_filter_reaches_entries_older_than_the_loaded_page(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The request id is a server-side filter, not a search: its first step shows up though
        more than a page of newer entries mention the id in their messages."""
        start = datetime.now(UTC) - timedelta(hours=1)
        write_records(
            dev_server.log_dir,
            [record("first step", fields={"request_id": "req-9"}, at=start)]
            + [
                record(f"retry {i} of req-9", at=start + timedelta(milliseconds=i + 1))
                for i in range(6000)  # more than the first page (5,000)
            ]
            + [record("last step", fields={"request_id": "req-9"})],
        )
        open_viewer(page, dev_server)
        assert "first step" not in [e["message"] for e in shown(page)]
        page.locator(".row .c-message", has_text="last step").click()
        page.locator('msc-detail-pane [data-filter="requestId"]').click()
        page.wait_for_function("() => !window.__msc.logStore.state.loading")
        expect(page.locator("msc-log-list .row:not([hidden])")).to_have_count(2)
        assert [e["message"] for e in shown(page)] == ["first step", "last step"]

    def test_span_id_click_filters_by_span(self, page: Page, dev_server: DevServer) -> None:
        """Clicking the span id keeps the entries of that span (and of its child spans)."""
        write_records(
            dev_server.log_dir,
            [
                record("in span", span={"name": "s", "id": "sp-1", "parent_id": None}),
                record("in child", span={"name": "c", "id": "sp-2", "parent_id": "sp-1"}),
                record("elsewhere", span={"name": "o", "id": "sp-9", "parent_id": None}),
            ],
        )
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="in span").click()
        page.locator('msc-detail-pane [data-filter="spanId"]').first.click()
        assert [e["message"] for e in shown(page)] == ["in span", "in child"]

    def test_copy_as_json_puts_the_record_on_the_clipboard(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """Copy JSON writes the whole record, id included."""
        page.context.grant_permissions(["clipboard-read", "clipboard-write"])
        write_records(dev_server.log_dir, [record("copy me", fields={"k": "v"})])
        open_viewer(page, dev_server)
        page.locator(".row .c-message", has_text="copy me").click()
        page.get_by_role("button", name="Copy JSON").click()
        expect(page.locator(".detail__status")).to_have_text("Copied the entry as JSON.")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert '"message": "copy me"' in copied
        assert '"k": "v"' in copied
        assert '"id":' in copied


class TestUntrustedText:
    def test_markup_in_a_message_stays_text(self, page: Page, dev_server: DevServer) -> None:
        """A message holding HTML is shown literally, in the list and the detail pane."""
        payload = "<img src=x onerror=window.__xss=1>"
        write_records(
            dev_server.log_dir,
            [record(payload, target="<b>target</b>", fields={"<i>k</i>": payload})],
        )
        open_viewer(page, dev_server)
        cell = page.locator(".row .c-message .msg", has_text="<img")
        expect(cell).to_have_text(payload)
        cell.click()
        expect(page.locator(".detail__message")).to_have_text(payload)
        page.keyboard.press("/")
        search = page.locator("msc-search-box input")
        expect(search).to_be_focused()
        # One input event: typed key by key, the box lost its focus after the first key about
        # one run in fifteen on this machine (to be looked into; not what this test is about).
        search.fill("onerror")  # highlighting builds DOM around the hit: still text
        expect(page.locator(".row:not([hidden]) .c-message .msg > mark")).to_have_text("onerror")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.__xss") is None
        assert page.locator("msc-app img").count() == 0
        assert (
            page.locator("msc-app b, msc-app i:not(.dot):not(.live__dot):not(.stream__dot)").count()
            == 0
        )


@pytest.mark.parametrize("color_scheme", ["dark"])
def test_dark_theme_follows_the_system(page: Page, dev_server: DevServer) -> None:
    """With a dark system theme the page is dark."""
    seed(dev_server.log_dir)
    open_viewer(page, dev_server)
    page.locator(".row .c-message", has_text="seed 37").click()
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(22, 24, 29)"
    shot(page, "viewer-dark")


def test_content_security_policy_allows_the_page_and_blocks_inline_script(
    page: Page, dev_server: DevServer
) -> None:
    """The page loads without CSP violations (the import map's hash is current); injected
    inline script does not run."""
    page.add_init_script(
        "window.__violations = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    write_records(dev_server.log_dir, [record("csp")])
    open_viewer(page, dev_server)
    assert page.evaluate("() => window.__violations") == []
    page.evaluate(
        """() => { const s = document.createElement('script');
          s.textContent = 'window.__inline = 1';
          document.body.append(s); }"""
    )
    assert page.evaluate("() => window.__inline") is None
    assert page.evaluate("() => window.__violations.length") == 1


def test_every_module_is_preloaded(page: Page, dev_server: DevServer) -> None:
    """index.html names every module the page loads (and no other), so that all are fetched at
    once instead of one import level after another."""
    open_viewer(page, dev_server)
    loaded = page.evaluate(
        """() => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
          .filter((path) => path.endsWith('.js'))"""
    )
    preloaded = page.evaluate(
        """() => [...document.querySelectorAll('link[rel=modulepreload]')]
          .map((link) => new URL(link.href).pathname)"""
    )
    assert len(preloaded) == len(set(preloaded))
    assert sorted(set(loaded) - {"/js/main.js"}) == sorted(preloaded)


def test_counts_are_grouped_as_intl_groups_them(page: Page, dev_server: DevServer) -> None:
    """formatCount groups digits itself (no ICU start on the way to the first rows), exactly as
    Intl.NumberFormat('en-US') does."""
    open_viewer(page, dev_server)
    mismatches = page.evaluate(
        """async () => {
          const { formatCount } = await import('/js/format.js');
          const intl = new Intl.NumberFormat('en-US');
          const values = [0, -0, 1, -1, 12, 999, 1000, -1000, 12345, 999999, 1000000, -1234567,
            Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, 1234.5678, NaN,
            Infinity];
          return values.filter((v) => formatCount(v) !== intl.format(v))
            .map((v) => `${v}: ${formatCount(v)}`);
        }"""
    )
    assert mismatches == []
