"""The viewer page under load, in Chromium against the real dev server, beside the seed's store.

    .venv/bin/python bench/ui.py [--sizes 10000,100000] [--rates 2000,10000,50000,100000]
                                 [--seconds 3] [--live-rates 2000,10000]

Prints markdown tables:

1. **Load**: a log of N entries; time from navigation to the first rows on screen (``--load-rounds``
   navigations, each in a fresh browser context), and to all N
   loaded by paging back (`fetchOlder`, 10,000 per request).
2. **Filter**: with N entries loaded, the time from `setFilter` to the list rendered
   (``performance.now()`` around the store update and the next animation frame). The search
   haystacks (lowercase texts per entry) are built in idle time once entries arrive; the bench
   waits 2 s after loading, as a user would before typing. Peer: the seed's
   logStore.ts (frontend/compat.html, a no-op subscriber on `filteredLogs` standing in for the
   Svelte component) with the same entries, as far as it can hold them (``fetchLogs`` takes at
   most 10,000).
3. **Streaming**: `log-entry` batches pushed through ``window.__mscDeliver`` (as the desktop
   backend does) at a fixed rate for S seconds, every 10 ms. "kept" counts the pushed entries
   in the store afterwards, "frame p95" is the 95th percentile gap between animation frames
   while pushing (16.7 ms is a smooth 60 Hz). The page keeps up when it loses nothing and frames
   stay under 50 ms. The seed's store keeps its last 1,000 entries by design.
4. **Server-side filters on the 1 GB set** (bench/_logsets.py's own set, ``--big-gb``): the page's
   ``get_recent_logs`` round trip for a first screen (200) and a page (5,000) with a plain
   ``search`` and with a ``where`` expression (``duration_ms>500 and category=database``: no entry
   has it, so the whole set is scanned; ``duration_ms>45``: about one in ten database entries).
5. **Investigate commands on the big set** (in-process, bench/_investigate.py): ``get_histogram``
   cold (a new viewer indexes every file) and warm (asked again, other filters and buckets),
   ``get_trace`` by request and by span, ``get_log_context``.
6. **Live through the dev server**: a writer appends lines to the log file at a fixed rate; the
   follower, the SSE stream and the page carry them; "lag" is from the last write until the
   page holds every line.

Rounds run one after another in one browser; the machine is shared, so numbers move a little.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "e2e"))

from e2e_support import (  # noqa: E402 - the e2e tests' helpers: dev server, log writing
    APP,
    CHROMIUM,
    CHROMIUM_ARGS,
    DevServer,
    start_dev_server,
    stop_dev_server,
    write_many,
)

FIRST_ROW = """
(() => {
  const look = () => {
    const row = document.querySelector('msc-log-list .row:not([hidden])');
    if (row) window.__firstRows = performance.now();
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})();
"""

LIVE_COUNT = "window.__msc.logStore.state.entries.filter((e) => e.target === 'bench.live').length"

# [JS: the store update and every subscriber (the list re-rendered), frame: until the next
# animation frame after it, i.e. layout and paint included]. The viewer notifies once per frame,
# `flush()` makes that happen now; the seed's svelte store notifies synchronously.
MEASURE_FILTER = """
async ([store, filter]) => {
  const s = store === 'viewer' ? window.__msc.logStore : window.__compat.logStore;
  await new Promise((r) => requestAnimationFrame(r));
  const t0 = performance.now();
  s.setFilter(filter);
  if (store === 'viewer') s.flush();
  const js = performance.now() - t0;
  await new Promise((r) => requestAnimationFrame(r));
  return [js, performance.now() - t0];
}
"""

PUSH = """
async ([store, rate, seconds, prefix]) => {
  await new Promise((r) => setTimeout(r, 1000)); // let the page settle after loading
  const frames = [];
  let last = performance.now();
  let running = true;
  const loop = (t) => {
    frames.push(t - last);
    last = t;
    if (running) requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
  const total = rate * seconds;
  const now = new Date().toISOString();
  let sent = 0;
  const t0 = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor((rate * (performance.now() - t0)) / 1000));
      const batch = [];
      for (; sent < due; sent++) {
        batch.push({ event: 'log-entry', payload: { id: `${prefix}-${sent}`, timestamp: now,
          level: sent % 50 ? 'info' : 'error', category: 'midi', message: `pushed entry ${sent}`,
          target: 'bench.push', fields: { n: sent, request_id: 'req-bench' }, span: null,
          pid: 1 } });
      }
      if (batch.length) window.__mscDeliver(batch);
      if (sent >= total) { clearInterval(timer); resolve(); }
    }, 10);
  });
  const elapsed = performance.now() - t0;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  running = false;
  const entries = store === 'viewer' ? window.__msc.logStore.state.entries
    : window.__compat.get(window.__compat.logStore).entries;
  const mine = (e) => typeof e.id === 'string' && e.id.startsWith(prefix + '-');
  const kept = entries.filter(mine).length;
  return { sent, kept, elapsed, frames };
}
"""


# ---- fixtures ---------------------------------------------------------------------------------


def new_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(120_000)
    return page


def open_viewer(page: Page, server: DevServer, **params: str | int) -> None:
    page.goto(server.page_url("/", **params))
    page.wait_for_function(
        "() => window.__msc?.logStore.state.loaded && !window.__msc.logStore.state.loading"
    )


def open_seed(page: Page, server: DevServer) -> None:
    page.goto(server.page_url("/compat.html", nolist=""))
    page.wait_for_function("() => window.__compat?.ready")
    # The Svelte component would subscribe to filteredLogs; a no-op subscriber stands in.
    page.evaluate("() => { window.__compat.filteredLogs.subscribe(() => {}); }")


# ---- measurements -----------------------------------------------------------------------------


def bench_load_and_filter(
    browser: Browser, sizes: list[int], load_rounds: int
) -> tuple[list[list[str]], list[list[str]]]:
    load_rows: list[list[str]] = []
    filter_rows: list[list[str]] = []
    steps: list[tuple[str, dict[str, Any]]] = [
        ("level = error", {"level": "error"}),
        ("all levels", {"level": None}),
        ("search (first)", {"search": "message 4242"}),
        ("search (again)", {"search": "message 77"}),
        ("category = midi + search", {"category": "midi", "search": "message 1"}),
        ("clear filters", {"category": None, "search": ""}),
    ]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            log_dir = Path(tmp)
            write_many(log_dir, size)
            server = start_dev_server(log_dir)
            try:
                firsts = []
                for _ in range(load_rounds):  # a fresh context each: nothing cached
                    page = new_page(browser)
                    page.add_init_script(FIRST_ROW)
                    open_viewer(page, server)
                    page.wait_for_function("() => window.__firstRows")
                    firsts.append(page.evaluate("() => window.__firstRows"))
                    if len(firsts) < load_rounds:
                        page.context.close()
                first_rows = statistics.median(firsts)
                spread = f" ({min(firsts):.0f}-{max(firsts):.0f})" if len(firsts) > 1 else ""
                all_ms = page.evaluate(
                    """async () => { const s = window.__msc.logStore; const t0 = performance.now();
                      while (!s.state.atBeginning) await s.fetchOlder();
                      await new Promise((r) => requestAnimationFrame(r));
                      return performance.now() - t0; }"""
                )
                loaded = page.evaluate("() => window.__msc.logStore.state.entries.length")
                page.wait_for_timeout(2000)  # idle time: the haystacks are built meanwhile
                load_rows.append(
                    [f"{size:,}", f"{first_rows:.0f}{spread}", f"{all_ms:.0f}", f"{loaded:,}"]
                )
                viewer = [page.evaluate(MEASURE_FILTER, ["viewer", f]) for _, f in steps]
                page.context.close()
                seed: list[list[float] | None] = [None] * len(steps)
                if size <= 10_000:
                    page = new_page(browser)
                    open_seed(page, server)
                    page.evaluate(f"() => window.__compat.logStore.fetchLogs({size})")
                    seed = [page.evaluate(MEASURE_FILTER, ["seed", f]) for _, f in steps]
                    page.context.close()
                for (name, _), ours, theirs in zip(steps, viewer, seed, strict=True):
                    filter_rows.append(
                        [
                            f"{size:,}",
                            name,
                            f"{ours[0]:.1f}",
                            f"{ours[1]:.1f}",
                            "—" if theirs is None else f"{theirs[0]:.1f}",
                            "—" if theirs is None else f"{theirs[1]:.1f}",
                        ]
                    )
            finally:
                stop_dev_server(server)
    return load_rows, filter_rows


def bench_streaming(browser: Browser, rates: list[int], seconds: float) -> list[list[str]]:
    rows: list[list[str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = start_dev_server(Path(tmp))
        try:
            for store in ("viewer", "seed"):
                for rate in rates:
                    page = new_page(browser)
                    if store == "viewer":
                        open_viewer(page, server, cap=1000000)
                    else:
                        open_seed(page, server)
                    got = page.evaluate(PUSH, [store, rate, seconds, f"r{rate}"])
                    page.context.close()
                    frames = sorted(got["frames"][5:]) or [0.0]
                    p95 = frames[int(0.95 * (len(frames) - 1))]
                    achieved = got["sent"] / (got["elapsed"] / 1000)
                    lost = got["sent"] - got["kept"]
                    keeps_up = "yes" if lost == 0 and p95 <= 50 else "no"
                    rows.append(
                        [
                            "viewer store" if store == "viewer" else "seed logStore.ts",
                            f"{rate:,}",
                            f"{achieved:,.0f}",
                            f"{got['sent']:,}",
                            f"{got['kept']:,}",
                            f"{statistics.median(frames):.1f}",
                            f"{p95:.1f}",
                            keeps_up,
                        ]
                    )
        finally:
            stop_dev_server(server)
    return rows


def bench_live(browser: Browser, rates: list[int], seconds: float) -> list[list[str]]:
    rows: list[list[str]] = []
    for rate in rates:
        with tempfile.TemporaryDirectory() as tmp:
            log_dir = Path(tmp)
            write_many(log_dir, 10)
            server = start_dev_server(log_dir)
            try:
                page = new_page(browser)
                open_viewer(page, server, cap=1000000)
                page.wait_for_function("() => window.__msc.logStore.state.isStreaming")
                total = int(rate * seconds)
                done = threading.Event()
                finished: list[float] = []
                threading.Thread(
                    target=_write_at_rate, args=(log_dir, rate, total, done, finished)
                ).start()
                done.wait()
                page.wait_for_function(
                    f"() => {LIVE_COUNT} >= {total}",
                    timeout=120_000,
                )
                lag = time.monotonic() - finished[0]
                got = page.evaluate(f"() => {LIVE_COUNT}")
                rows.append([f"{rate:,}", f"{total:,}", f"{got:,}", f"{lag * 1000:.0f}"])
                page.context.close()
            finally:
                stop_dev_server(server)
    return rows


def _write_at_rate(
    log_dir: Path, rate: int, total: int, done: threading.Event, finished: list[float]
) -> None:
    start = time.monotonic()
    written = 0
    with (log_dir / f"{APP}.log").open("a", encoding="utf-8") as out:
        while written < total:
            due = min(total, int(rate * (time.monotonic() - start)))
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            lines = [
                json.dumps(
                    {
                        "timestamp": stamp,
                        "level": "info",
                        "category": "user",
                        "message": f"live {i}",
                        "target": "bench.live",
                        "fields": {},
                        "span": None,
                        "pid": 1,
                    },
                    separators=(",", ":"),
                )
                + "\n"
                for i in range(written, due)
            ]
            out.writelines(lines)
            out.flush()
            written = due
            time.sleep(0.005)
    finished.append(time.monotonic())
    done.set()


# ---- output -----------------------------------------------------------------------------------


SERVER_FILTERS: list[tuple[str, dict[str, str]]] = [
    ("search zqxjkv-nohit", {"search": "zqxjkv-nohit"}),
    *(
        (f"where {expression}", {"where": expression})
        for expression in (
            "duration_ms>500 and category=database",
            "duration_ms>45 category=database",
        )
    ),
]


def bench_server_filters(browser: Browser, size_gb: float) -> list[list[str]]:
    """``get_recent_logs`` from the page on the big set: plain search beside ``where``."""
    sys.path.insert(0, str(REPO / "bench"))
    from _logsets import dataset  # only this part needs the big set

    server = start_dev_server(dataset("own", size_gb))
    rows: list[list[str]] = []
    try:
        page = new_page(browser)
        open_viewer(page, server)
        page.wait_for_timeout(2000)  # the first page's loading settles (the view state)
        for name, args in SERVER_FILTERS:
            times = [
                page.evaluate(
                    """async ([limit, args]) => {
                      const { invoke } = await import('/js/bridge/core.js');
                      const t0 = performance.now();
                      const found = await invoke('get_recent_logs', { limit, ...args });
                      return [performance.now() - t0, found.length]; }""",
                    [limit, args],
                )
                for limit in (200, 5000)
            ]
            rows.append([name, *(f"{ms:,.0f} ({count:,})" for ms, count in times)])
        page.context.close()
    finally:
        stop_dev_server(server)
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--rates", default="2000,10000,50000,100000")
    parser.add_argument("--live-rates", default="2000,10000")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--big-gb", type=float, default=1.0, help="0: no server-filter rows")
    parser.add_argument("--load-rounds", type=int, default=5, help="navigations per size")
    args = parser.parse_args()
    ints = lambda text: [int(x) for x in text.split(",") if x]  # noqa: E731
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        load, filters = bench_load_and_filter(browser, ints(args.sizes), args.load_rounds)
        streaming = bench_streaming(browser, ints(args.rates), args.seconds)
        live = bench_live(browser, ints(args.live_rates), args.seconds)
        server_filters = bench_server_filters(browser, args.big_gb) if args.big_gb else []
        browser.close()
    from _investigate import bench_investigate  # in-process: the commands without the page

    investigate = bench_investigate(args.big_gb) if args.big_gb else []
    print("### Load\n")
    header = ["entries", "first rows (ms): median (min-max)", "all loaded (ms)", "loaded"]
    print(table(header, load))
    print(
        "\n### Filter change → rendered"
        " (ms; JS = store + subscribers, frame = next frame painted)\n"
    )
    print(
        table(["entries", "change", "viewer JS", "viewer frame", "seed JS", "seed frame"], filters)
    )
    print(f"\n### Streaming through `__mscDeliver` ({args.seconds:g} s per rate)\n")
    print(
        table(
            [
                "store",
                "target /s",
                "pushed /s",
                "pushed",
                "kept",
                "frame p50 (ms)",
                "frame p95 (ms)",
                "keeps up",
            ],
            streaming,
        )
    )
    if server_filters:
        print(f"\n### Server-side filters on the {args.big_gb:g} GB set (ms (entries))\n")
        print(table(["filter", "first screen (200)", "page (5,000)"], server_filters))
    if investigate:
        print(f"\n### Investigate commands on the {args.big_gb:g} GB set (in-process, ms)\n")
        print(table(["command", "case", "ms", "result"], investigate))
    print("\n### Live through the dev server (file → follower → SSE → page)\n")
    print(table(["written /s", "written", "in the page", "lag after last write (ms)"], live))
    return 0


if __name__ == "__main__":
    sys.exit(main())
