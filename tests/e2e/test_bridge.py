"""The JS bridge (`invoke`, `listen`) over both transports.

pywebview: the page is served without any backend (Playwright routes) and a stand-in
``window.pywebview`` answers with the desktop envelope ``{ok: value}`` / ``{error: {code,
message}}``; events are pushed with ``window.__mscDeliver(batch)`` as the backend does through
``evaluate_js``. HTTP: the real dev server.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import (
    DEADLINE_S,
    FRONTEND,
    STATIC_ORIGIN,
    DevServer,
    _readline,
    open_viewer,
    record,
    serve_frontend,
    shot,
    shown,
    wait_loaded,
    write_records,
)

# The stand-in desktop bridge: records every call, answers with the desktop envelope.
STAND_IN = (Path(__file__).parent / "pywebview_standin.js").read_text()


def open_standin(page: Page, *, late: bool = False) -> None:
    serve_frontend(page)
    if late:
        page.add_init_script("window.__lateBridge = true;")
    page.add_init_script(STAND_IN)
    page.goto(f"{STATIC_ORIGIN}/")
    wait_loaded(page)


def invoke(page: Page, cmd: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call `invoke` in the page: ``{ok: value}`` or ``{rejected: reason}``."""
    result: dict[str, Any] = page.evaluate(
        """async ([cmd, args]) => { const { invoke } = await import('@tauri-apps/api/core');
          try { return { ok: await invoke(cmd, args ?? undefined) }; }
          catch (e) { return { rejected: e }; } }""",
        [cmd, args],
    )
    return result


class TestPywebviewTransport:
    def test_invoke_resolves_with_the_ok_value(self, page: Page) -> None:
        """The viewer's first fetch goes through `window.pywebview.api` and shows its entries."""
        open_standin(page)
        assert [e["message"] for e in shown(page)] == ["stand-in 1", "stand-in 2", "stand-in 3"]
        calls = page.evaluate("() => window.__calls")
        assert ["subscribe_to_logs", {}] in calls
        assert ["get_recent_logs", {"limit": 200}] in calls  # a first screen first
        expect(page.locator("msc-status-bar")).to_contain_text("desktop")
        shot(page, "bridge-standin")

    def test_an_error_envelope_rejects_with_code_and_message(self, page: Page) -> None:
        """``{error: {code, message}}`` rejects the promise with exactly that object."""
        open_standin(page)
        assert invoke(page, "get_performance_metrics") == {
            "rejected": {"code": "internal", "message": "metrics exploded"}
        }

    def test_unknown_command_and_broken_replies_reject(self, page: Page) -> None:
        """A missing command is ``not_found``; a raising or malformed one is ``internal``."""
        open_standin(page)
        assert invoke(page, "no_such_command")["rejected"]["code"] == "not_found"
        assert invoke(page, "clear_logs")["rejected"]["code"] == "internal"
        assert "python raised" in invoke(page, "clear_logs")["rejected"]["message"]
        assert invoke(page, "get_log_info")["rejected"]["code"] == "internal"

    def test_camel_case_argument_keys_arrive_in_snake_case(self, page: Page) -> None:
        """As with Tauri, ``outputPath`` reaches the command as ``output_path``."""
        open_standin(page)
        result = invoke(page, "export_logs", {"outputPath": "/tmp/x.jsonl", "minLevel": "warn"})
        assert result == {"ok": {"path": "/tmp/x.jsonl", "count": 3, "bytes": 99}}
        calls = page.evaluate("() => window.__calls.filter((c) => c[0] === 'export_logs')")
        assert calls == [["export_logs", {"output_path": "/tmp/x.jsonl", "min_level": "warn"}]]

    def test_batches_reach_listeners_and_the_list(self, page: Page) -> None:
        """`__mscDeliver` takes a batch (returns true); handlers get {event, id, payload}."""
        open_standin(page)
        got = page.evaluate(
            """async () => {
              const { listen } = await import('@tauri-apps/api/event');
              const seen = [];
              const unlisten = await listen('log-entry', (e) => seen.push(e));
              const batch = [4, 5].map((i) => ({ event: 'log-entry', payload: { id: `g-${i}`,
                timestamp: new Date().toISOString(), level: 'info', category: 'midi',
                message: `pushed ${i}`,
                target: 'tests.standin', fields: {}, span: null } }));
              const taken = window.__mscDeliver([...batch, { event: 'unrelated', payload: 1 }]);
              unlisten();
              const late = { ...batch[0].payload, id: 'g-6', message: 'pushed 6' };
              window.__mscDeliver([{ event: 'log-entry', payload: late }]);
              return { taken, seen: seen.map((e) => [e.event, typeof e.id, e.payload.message]),
                       notArray: window.__mscDeliver('nope') };
            }"""
        )
        assert got == {
            "taken": True,
            "seen": [["log-entry", "number", "pushed 4"], ["log-entry", "number", "pushed 5"]],
            "notArray": False,
        }
        expect(page.locator(".row .c-message", has_text="pushed 6")).to_be_visible()
        assert [e["message"] for e in shown(page)][-3:] == ["pushed 4", "pushed 5", "pushed 6"]

    def test_waits_for_pywebviewready_when_the_bridge_comes_late(self, page: Page) -> None:
        """Without `window.pywebview` at start (and no token) the page waits for the event."""
        open_standin(page, late=True)
        assert shown(page)[0]["message"] == "stand-in 1"

    def test_duplicate_ids_from_fetch_and_stream_are_shown_once(self, page: Page) -> None:
        """An entry both fetched and streamed (subscribe raced the fetch) appears once."""
        open_standin(page)
        page.evaluate(
            """() => window.__mscDeliver([{ event: 'log-entry', payload: { id: 'g-3',
                 timestamp: '2026-11-28T12:00:03.000000Z', level: 'error', category: 'midi',
                 message: 'stand-in 3', target: 'tests.standin', fields: {}, span: null } }])"""
        )
        page.evaluate("() => window.__msc.logStore.flush()")
        assert [e["message"] for e in shown(page)] == ["stand-in 1", "stand-in 2", "stand-in 3"]

    def test_cleared_and_dropped_events_reach_the_page(self, page: Page) -> None:
        """`logs-cleared` empties the list; `events-dropped` is said in the status bar."""
        open_standin(page)
        page.evaluate(
            "() => window.__mscDeliver([{ event: 'events-dropped', payload: { count: 42 } }])"
        )
        expect(page.locator("msc-status-bar")).to_contain_text("42 live events dropped")
        page.evaluate("() => window.__mscDeliver([{ event: 'logs-cleared', payload: {} }])")
        expect(page.locator(".state__title")).to_have_text("No log entries yet")
        assert shown(page) == []


class TestHttpTransport:
    def test_camel_case_args_and_error_objects_over_http(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The dev server gets snake_case keys; its errors reject with {code, message}."""
        write_records(
            dev_server.log_dir, [record("an error", level="error"), record("fine", level="info")]
        )
        open_viewer(page, dev_server)
        result = invoke(page, "get_recent_logs", {"minLevel": "error", "limit": 10})
        assert [e["message"] for e in result["ok"]] == ["an error"]
        bad = invoke(page, "get_recent_logs", {"limit": 0})["rejected"]
        assert bad["code"] == "invalid_args"
        assert "limit" in bad["message"]
        assert invoke(page, "nope")["rejected"]["code"] == "not_found"

    def test_token_leaves_the_address_bar_and_survives_a_reload(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The token moves to sessionStorage: the URL is clean and a reload still works."""
        open_viewer(page, dev_server)
        assert "token" not in page.url
        page.reload()
        wait_loaded(page)
        assert page.evaluate("() => window.__msc.logStore.state.error") is None

    def test_reconnect_resyncs_entries_missed_meanwhile(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """After a reconnect the store fetches what was written while events were not flowing."""
        write_records(dev_server.log_dir, [record("before the gap")])
        open_viewer(page, dev_server)
        assert invoke(page, "unsubscribe_from_logs") == {"ok": None}
        write_records(dev_server.log_dir, [record(f"in the gap {i}") for i in range(3)])
        # What the transport emits on the second `hello` of an EventSource.
        page.evaluate(
            "() => window.__mscDeliver([{ event: 'bridge-reconnected', payload: { count: 1 } }])"
        )
        expect(page.locator(".row .c-message", has_text="in the gap 2")).to_be_visible()
        messages = [e["message"] for e in shown(page)]
        assert [m for m in messages if m.startswith(("before", "in the gap"))] == [
            "before the gap",
            "in the gap 0",
            "in the gap 1",
            "in the gap 2",
        ]

    def test_a_network_drop_leaves_the_viewer_live_and_whole(
        self, page: Page, dev_server: DevServer
    ) -> None:
        """The page's connections are killed and the bridge's first subscribe after the
        reconnect is lost too (twice): the bridge tries again, the store fills the gap once it went
        through, and the viewer says Live (not Offline) with the entries that follow."""
        # Two subscribes are lost: before, the bridge and the store each tried once.
        write_records(dev_server.log_dir, [record("before the drop")])
        open_viewer(page, dev_server)
        live = page.locator("msc-toolbar .live")
        expect(live).to_have_text("Live")
        page.route("**/invoke/subscribe_to_logs", lambda route: route.abort(), times=2)
        dev_server.drop_connections()
        write_records(dev_server.log_dir, [record("in the gap")])
        # Back after the reconnect (1 s) and the backoff of two lost tries (1 s, 2 s).
        gap = page.locator(".row .c-message", has_text="in the gap")
        expect(gap).to_be_visible(timeout=DEADLINE_S * 1000)
        expect(live).to_have_text("Live", timeout=DEADLINE_S * 1000)
        write_records(dev_server.log_dir, [record("after the drop")])
        expect(page.locator(".row .c-message", has_text="after the drop")).to_be_visible()
        messages = [e["message"] for e in shown(page)]
        assert messages[-3:] == ["before the drop", "in the gap", "after the drop"]

    def test_dev_reload_event_reloads_the_page(self, page: Page, tmp_path: Path) -> None:
        """A changed frontend file makes the dev server send `dev-reload`; the page reloads."""
        frontend = tmp_path / "frontend"
        shutil.copytree(FRONTEND, frontend)
        log_dir = tmp_path / "logs"
        log_dir.mkdir()  # an explicit --log-dir must exist
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "backend.devserver",
                "--log-dir",
                str(log_dir),
                "--port",
                "0",
                "--no-browser",
                "--frontend-dir",
                str(frontend),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=FRONTEND.parent,
        )
        try:
            url = _readline(proc, 30)
            page.goto(url)
            wait_loaded(page)
            page.evaluate("() => { window.__before = true; }")
            # A script: a stylesheet is swapped in place (tests/e2e/test_dev_stylesheet.py).
            script = frontend / "js" / "format.js"
            script.write_text(script.read_text() + "\n// touched\n")
            page.wait_for_function(
                "() => window.__before === undefined && window.__msc?.logStore.state.loaded"
            )
        finally:
            proc.terminate()
            proc.wait(10)
