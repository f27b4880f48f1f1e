"""Tauri compatibility: the seed's logStore.ts (types stripped, otherwise unchanged) runs against
the dev server through the import map of frontend/compat.html."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, Writer, record, shot, write_records

SEED_STORE = Path(__file__).resolve().parents[2] / "frontend" / "js" / "compat" / "logStore.js"


def open_compat(page: Page, server: DevServer) -> None:
    page.goto(server.page_url("/compat.html"))
    page.wait_for_function("() => window.__compat?.ready")


def entries(page: Page) -> list[str]:
    result: list[str] = page.evaluate(
        "() => window.__compat.get(window.__compat.filteredLogs).map((e) => e.message)"
    )
    return result


class TestSeedLogStore:
    def test_is_the_seed_code_importing_tauri_and_svelte(self) -> None:
        """The compat store imports the Tauri and svelte module names, not project paths."""
        text = SEED_STORE.read_text()
        assert "from 'svelte/store'" in text
        assert "from '@tauri-apps/api/core'" in text
        assert "from '@tauri-apps/api/event'" in text
        assert "entries: [...state.entries.slice(-999), entry]" in text

    def test_fetch_logs_returns_the_newest_hundred(self, page: Page, dev_server: DevServer) -> None:
        """`fetchLogs()` (limit 100) fills the store with the newest entries, oldest first."""
        write_records(dev_server.log_dir, [record(f"compat {i}") for i in range(150)])
        open_compat(page, dev_server)
        assert entries(page) == [f"compat {i}" for i in range(50, 150)]
        expect(page.locator("#status")).to_have_text("Streaming: true.")
        shot(page, "compat")

    def test_fetch_logs_ends_with_the_apps_last_record(
        self, page: Page, dev_server: DevServer, writer: Writer, viewer_log: Path
    ) -> None:
        """`fetchLogs(50)` ends with what the app logged last, not with the viewer's own
        "command handled" (the viewer logs into its own directory, however often it is asked)."""
        for i in range(60):
            writer.log(f"app record {i}")
        open_compat(page, dev_server)
        for _ in range(3):
            page.evaluate("() => window.__compat.logStore.fetchLogs(50)")
        got = page.evaluate(
            "() => window.__compat.get(window.__compat.logStore).entries.map((e) => e.message)"
        )
        assert got == [f"app record {i}" for i in range(10, 60)]
        handled = [
            line for line in viewer_log.read_text().splitlines() if "command handled" in line
        ]
        assert len(handled) >= 4  # the calls were made, and logged where they belong

    def test_start_streaming_delivers_entries_from_another_process(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """`startStreaming()` subscribes and `listen('log-entry')` adds what a writer logs."""
        write_records(dev_server.log_dir, [record("first")])
        open_compat(page, dev_server)
        writer.log("streamed to the seed store", level="error")
        page.wait_for_function(
            "() => window.__compat.get(window.__compat.logStore).entries"
            ".some((e) => e.message === 'streamed to the seed store')"
        )
        page.evaluate("() => window.__compat.logStore.setFilter({ level: 'error' })")
        assert entries(page) == ["streamed to the seed store"]

    def test_fetch_with_level_and_export_with_camel_case_path(
        self, page: Page, dev_server: DevServer, tmp_path: Path
    ) -> None:
        """`fetchLogs(10, 'warn')` filters on the server; `exportLogs(outputPath)` writes a file."""
        write_records(
            dev_server.log_dir, [record("w", level="warn"), record("i"), record("w2", level="warn")]
        )
        open_compat(page, dev_server)
        page.evaluate("() => window.__compat.logStore.fetchLogs(10, 'warn')")
        state = page.evaluate(
            "() => window.__compat.get(window.__compat.logStore).entries.map((e) => e.message)"
        )
        assert state == ["w", "w2"]
        target = tmp_path / "out.jsonl"
        page.evaluate("(p) => window.__compat.logStore.exportLogs(p)", str(target))
        lines = [json.loads(line) for line in target.read_text().splitlines()]
        assert {"w", "i", "w2"} <= {line["message"] for line in lines}

    def test_subscribing_before_the_event_stream_opened_misses_nothing(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """Events go to a tab's open streams: the bridge holds `subscribe_to_logs` until its
        stream said hello, so `log-subscribed` and what follows reach the seed's store even when
        the stream opens late (here: held back until the page is waiting to subscribe)."""
        write_records(dev_server.log_dir, [record("first")])
        held: list[Route] = []
        # (a lambda: Playwright cannot wrap a bound builtin like held.append)
        page.route("**/events?*", lambda route: held.append(route))  # noqa: PLW0108
        page.goto(dev_server.page_url("/compat.html"))
        fetched = "() => window.__compat?.get(window.__compat.logStore).entries.length"
        page.wait_for_function(fetched)  # then the store subscribes: it must wait for the stream
        page.wait_for_timeout(300)
        assert len(held) == 1
        held[0].continue_()
        page.wait_for_function("() => window.__compat.ready")
        writer.log("after subscribing")
        page.wait_for_function(
            "() => window.__compat.get(window.__compat.logStore).entries"
            ".some((e) => e.message === 'after subscribing')"
        )
        assert page.evaluate("() => window.__compat.subscribed") == 1

    def test_streaming_survives_a_reconnect_of_the_event_stream(
        self, page: Page, dev_server: DevServer, writer: Writer
    ) -> None:
        """The server unsubscribes a tab whose event stream ends; the seed's store never
        subscribes again, so the bridge does it on reconnect, and tries again when that request
        is lost too: streaming goes on."""
        write_records(dev_server.log_dir, [record("first")])
        console: list[str] = []
        page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
        open_compat(page, dev_server)
        writer.log("before the reconnect")
        page.wait_for_function(
            "() => window.__compat.get(window.__compat.logStore).entries"
            ".some((e) => e.message === 'before the reconnect')"
        )
        # The next subscribe (the bridge's, after the reconnect) is lost on the way.
        page.route("**/invoke/subscribe_to_logs", lambda route: route.abort(), times=1)
        dev_server.drop_connections()
        try:  # the stream is back, and the bridge subscribed the tab again at its second try
            page.wait_for_function(
                "() => window.__compat.reconnects > 0 && window.__compat.subscribed >= 2",
                timeout=15_000,
            )
        except PlaywrightTimeout:
            pytest.fail(f"not subscribed again; the page's console: {console}")
        assert any("re-subscribe failed; trying again" in line for line in console), console
        writer.log("after the reconnect")
        page.wait_for_function(
            "() => window.__compat.get(window.__compat.logStore).entries"
            ".some((e) => e.message === 'after the reconnect')",
            timeout=15_000,
        )
