"""100,000 entries: loaded page by page, filtered and searched correctly (no timing assertions:
bench/ui.py measures)."""

from __future__ import annotations

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
