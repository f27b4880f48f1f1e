"""100,000 entries: loaded page by page, filtered and searched correctly (no timing assertions:
bench/ui.py measures)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from playwright.sync_api import Page, expect

sys.path.insert(0, str(Path(__file__).parent))
from e2e_support import DevServer, open_viewer, shot, write_many

COUNT = 100_000


def test_hundred_thousand_entries_load_filter_and_search(page: Page, dev_server: DevServer) -> None:
    """Paging back loads all 100k; level, search and category filters give the exact subsets."""
    write_many(dev_server.log_dir, COUNT)
    open_viewer(page, dev_server)
    page.evaluate(
        """async () => { const s = window.__msc.logStore;
          while (!s.state.atBeginning) {
            await s.fetchOlder();
            if (s.state.olderError) throw s.state.olderError;
          } }"""
    )
    stats = page.evaluate(
        """async () => {
          const { filteredLogs, logStore } = await import('/js/store.js');
          const bulk = () => filteredLogs.value.filter((e) => e.target === 'tests.bulk');
          const loaded = logStore.state.entries.filter((e) => e.target === 'tests.bulk').length;
          const out = { loaded };
          // The whole log is loaded: filter changes are applied here, without a server round trip.
          logStore.setFilter({ level: 'error' });
          out.errors = bulk().length;
          out.errorsAreErrors = bulk().every((e) => e.level === 'error');
          out.chip = filteredLogs.counts.error >= out.errors;
          logStore.setFilter({ level: null, search: 'message 9999' });
          out.search = bulk().map((e) => e.message);
          logStore.setFilter({ search: '', category: 'midi' });
          out.midi = bulk().length;
          out.midiOk = bulk().every((e) => e.category === 'midi' && e.fields.n % 8 === 1);
          out.loading = logStore.state.loading;
          return out; }"""
    )
    assert stats["loaded"] == COUNT
    assert stats["errors"] == COUNT // 5
    assert stats["errorsAreErrors"]
    assert stats["chip"]
    expected = ["message 9999", *(f"message 9999{d}" for d in range(10))]
    assert stats["search"] == expected
    assert stats["midi"] == COUNT // 8
    assert stats["midiOk"]
    assert stats["loading"] is False  # no refetch: the client filter was complete
    # The DOM holds only the visible rows plus overscan, however many entries there are.
    rows = page.locator("msc-log-list .row").count()
    assert rows < 100
    page.evaluate("() => window.__msc.logStore.setFilter({ category: null })")
    page.evaluate("() => { document.querySelector('.viewport').scrollTop = 1_000_000; }")
    expect(page.locator(".row:not([hidden])").first).to_be_visible()
    shot(page, "viewer-100k")


def test_a_first_screen_comes_first_and_the_page_follows(page: Page, dev_server: DevServer) -> None:
    """The first fetch asks for one screen (200 rows); the rest of the page follows as older
    entries, so rows show before 5,000 are read, and nothing is lost or doubled at the seam."""
    write_many(dev_server.log_dir, 1000)
    asked: list[str] = []
    page.on(
        "request",
        lambda r: asked.append(r.post_data or "") if "get_recent_logs" in r.url else None,
    )
    open_viewer(page, dev_server)
    page.wait_for_function(
        "() => window.__msc.logStore.state.entries.length === 1000"
        " && window.__msc.logStore.state.atBeginning"
    )
    ns = page.evaluate("() => window.__msc.logStore.state.entries.map((e) => e.fields.n)")
    assert ns == list(range(1000))
    assert [json.loads(body)["limit"] for body in asked[:2]] == [200, 4800]
    assert "before" in json.loads(asked[1])
