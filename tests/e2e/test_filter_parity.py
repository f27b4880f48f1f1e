"""The client-side filter (frontend/js/filter.js) agrees with the backend's on the same entries:
for each filter, the ids `get_recent_logs` returns equal the ids the page keeps."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, open_viewer, record, write_records

BASE = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

ENTRIES = [
    record("Kick loaded", level="info", category="midi", fields={"file": "kick.mid"}, at=BASE),
    record("import started", level="debug", category="file", fields={"n": 42}, at=BASE),
    record("ratio", level="warn", category="performance", fields={"ratio": 3.5}, at=BASE),
    record("flag", level="error", category="system", fields={"ok": True}, at=BASE),
    record(
        "nested",
        level="trace",
        category="database",
        fields={"meta": {"tags": ["Snare", "hat"], "deep": {"id": 7}}},
        at=BASE + timedelta(minutes=1),
    ),
    record("Über straße", level="info", category="user", target="app.ÜI", at=BASE),
    record("imported", level="warn", category="file", at=BASE + timedelta(minutes=2)),
]

# (server arguments, the same filter as the page's filter keys)
CASES: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({"level": "warn"}, {"level": "warn"}),
    ({"min_level": "warn"}, {"minLevel": "warn"}),
    ({"category": "file"}, {"category": "file"}),
    ({"search": "KICK"}, {"search": "KICK"}),
    ({"search": "42"}, {"search": "42"}),
    ({"search": "3.5"}, {"search": "3.5"}),
    ({"search": "true"}, {"search": "true"}),
    ({"search": "snare"}, {"search": "snare"}),
    ({"search": "7"}, {"search": "7"}),
    ({"search": "ui"}, {"search": "ui"}),
    ({"search": "STRASSE"}, {"search": "STRASSE"}),
    ({"search": "ÜBER STRASSE"}, {"search": "ÜBER STRASSE"}),
    ({"search": "\u212aick"}, {"search": "\u212aick"}),
    ({"search": "^imp.*d$", "regex": True}, {"search": "^imp.*d$", "regex": True}),
    (
        {"since": "2026-01-02T03:05:00Z", "until": "2026-01-02T03:06:05Z"},
        {"since": "2026-01-02T03:05:00Z", "until": "2026-01-02T03:06:05Z"},
    ),
    ({"min_level": "debug", "category": "file"}, {"minLevel": "debug", "category": "file"}),
]


@pytest.fixture
def viewer(page: Page, dev_server: DevServer) -> Page:
    write_records(dev_server.log_dir, ENTRIES)
    open_viewer(page, dev_server)
    return page


def test_client_and_server_filters_keep_the_same_entries(viewer: Page) -> None:
    """Every case: the server's answer and the client's filter of the loaded set coincide."""
    for server_args, client_filter in CASES:
        result = viewer.evaluate(
            """async ([args, filter]) => {
              const { invoke } = await import('/js/bridge/core.js');
              const { compile, emptyFilter } = await import('/js/filter.js');
              const { logStore } = await import('/js/store.js');
              const server = await invoke('get_recent_logs', { limit: 1000, ...args });
              const test = compile({ ...emptyFilter(), ...filter }).test;
              const ours = (e) => e.target.startsWith('tests.') || e.target === 'app.ÜI';
              return {
                server: server.filter(ours).map((e) => e.message),
                client: logStore.state.entries.filter(ours).filter(test).map((e) => e.message),
              };
            }""",
            [server_args, client_filter],
        )
        assert result["client"] == result["server"], server_args
