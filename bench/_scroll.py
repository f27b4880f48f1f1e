"""Scrolling a long list and what it costs in memory: the parts bench/desktop.py measures in the
real window and in Chromium alike.

- `write_scroll_set`: N entries as an app writes them (five fields, levels and categories
  varying, messages of different lengths), in one file;
- `LOAD_ALL`: pages back (`fetchOlder`) until every entry is in the page;
- `SCROLL`: scrolls the list ``step`` pixels per animation frame for ``frames`` frames (a wheel
  turning steadily at 3 rows per frame, or a page per frame as when the scrollbar is dragged),
  from the middle of the list, and returns the gaps between frames and the list's own JavaScript
  time per frame;
- `memory`: a process's RSS, PSS and private (anonymous) memory from ``/proc``.
"""

from __future__ import annotations

import json
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

LEVELS = ("info", "info", "debug", "info", "warn", "trace", "info", "error")
CATEGORIES = ("midi", "database", "file", "network", "system", "performance", "user")
MESSAGES = (
    "note on channel {c} key {k} velocity {v}",
    "query finished in {d} ms rows={k}",
    "loaded sample pack /home/user/samples/pack-{k}.zip ({v} files)",
    "GET /api/devices/{c} 200 {d} ms",
    "clock drift {d} us over the last {v} beats, resyncing the transport",
)


def write_scroll_set(log_dir: Path, count: int) -> Path:
    """Write ``count`` records to ``log_dir/app.log`` (10 ms apart, ending now); returns it."""
    log_dir.mkdir(parents=True, exist_ok=True)
    start = datetime.now(UTC) - timedelta(milliseconds=10 * count)
    path = log_dir / "app.log"
    with path.open("w", encoding="utf-8") as out:
        for i in range(count):
            c, k, v, d = i % 16, i % 128, i % 127, i % 997
            stamp = (start + timedelta(milliseconds=10 * i)).isoformat().replace("+00:00", "Z")
            record = {
                "timestamp": stamp,
                "level": LEVELS[i % len(LEVELS)],
                "category": CATEGORIES[i % len(CATEGORIES)],
                "message": MESSAGES[i % len(MESSAGES)].format(c=c, k=k, v=v, d=d),
                "target": "midi_app.engine.sequencer",
                "fields": {"channel": c, "key": k, "request_id": f"req-{i // 7:06d}",
                           "duration_ms": d, "device": "Launchpad Pro MK3"},
                "span": None,
                "pid": 4242,
                "source": "engine.py:120",
            }  # fmt: skip
            out.write(json.dumps(record) + "\n")
    return path


#: Every entry into the page, older pages first; resolves to the number held.
LOAD_ALL = """
(async () => {
  const { logStore } = await import(new URL('js/store.js', location.href).href);
  while (!logStore.state.atBeginning) await logStore.fetchOlder();
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  return logStore.state.entries.length;
})()
"""

#: ``SCROLL + '(step, frames)'``: {gaps: ms between frames, js: ms in the list per frame}.
SCROLL = """
(async (step, frames) => {
  const list = document.querySelector('msc-log-list');
  const viewport = list.querySelector('.viewport');
  const own = list.renderRows;
  const js = [];
  list.renderRows = function (...args) {
    const t = performance.now();
    const result = own.apply(this, args);
    js.push(performance.now() - t);
    return result;
  };
  viewport.scrollTop = viewport.scrollHeight / 2;
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  js.length = 0;
  const gaps = [];
  await new Promise((resolve) => {
    let last = null;
    const frame = (t) => {
      if (last !== null) gaps.push(t - last);
      last = t;
      if (gaps.length >= frames) return resolve();
      viewport.scrollTop += step;
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  delete list.renderRows;
  return { gaps, js };
})
"""


def scroll_cells(result: dict[str, list[float]]) -> tuple[str, str]:
    """The frame cell ("median / p95 ms") and the list's JavaScript per frame (median ms)."""
    gaps = sorted(result["gaps"])
    p95 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.95))]
    js = statistics.median(result["js"]) if result["js"] else float("nan")
    return f"{statistics.median(gaps):.0f} / {p95:.0f}", f"{js:.1f}"


def memory(pid: int) -> dict[str, float]:
    """``pid``'s memory in MB: ``rss``, ``pss`` (shared pages divided among their users) and
    ``private`` (anonymous memory: heaps, not the libraries' code)."""
    values: dict[str, float] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            key, _, rest = line.partition(":")
            if rest.strip().endswith("kB"):
                values[key] = int(rest.split()[0]) / 1024
    return {"rss": values["Rss"], "pss": values["Pss"], "private": values["Anonymous"]}


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children, ...)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def memory_cell(mem: dict[str, float]) -> str:
    """The cell for ``mem``: RSS (PSS, private) in MB."""
    return f"{mem['rss']:.0f} ({mem['pss']:.0f}, {mem['private']:.0f})"
