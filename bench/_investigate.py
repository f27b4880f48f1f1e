"""The Investigate commands in-process on the big set: histogram (cold and warm), trace, context.

    .venv/bin/python bench/_investigate.py [--gb 1.0]

Also printed by bench/ui.py (``--big-gb``). "cold" is a new viewer (nothing indexed yet:
the answer is estimated from a sample, ``approximate``); "indexing" is how long the viewer's
background indexing then takes; "warm" the same viewer asked again once indexed, as the page
asks on every filter change. Each row is the median of a few calls, through the dispatcher as
the page's calls go.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from _logsets import dataset  # noqa: E402 - the benches' generated sets

from backend._app import AppContext  # noqa: E402
from backend._dispatch import dispatch  # noqa: E402


def _timed(app: AppContext, name: str, args: dict[str, Any], runs: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = dispatch(app, name, args)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _summary(name: str, result: Any) -> str:
    if name == "get_histogram":
        total = sum(map(sum, result["counts"].values()))
        return f"{total:,} entries, {result['bucket_ms']:,} ms buckets"
    if name == "get_trace":
        return f"{len(result['spans'])} spans, {result['entries']} entries"
    return f"{len(result['entries'])} entries"


def bench_investigate(size_gb: float) -> list[list[str]]:
    """Rows ``[command, case, ms, what came back]`` on bench/_logsets.py's own set."""
    directory = dataset("own", size_gb)
    rows: list[list[str]] = []
    app = AppContext(log_dir=directory)
    cold, result = _timed(app, "get_histogram", {"buckets": 200}, runs=1)
    rows.append(
        [
            "get_histogram",
            "cold (sampled)" if result.get("approximate") else "cold (exact)",
            f"{cold:,.0f}",
            _summary("get_histogram", result),
        ]
    )
    began = time.perf_counter()
    app.histograms.wait_indexed(timeout=600)
    indexing = (time.perf_counter() - began) * 1000
    rows.append(["get_histogram", "background indexing (after cold)", f"{indexing:,.0f}", "-"])
    last = dispatch(app, "get_recent_logs", {"limit": 1})[0]
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("get_histogram", "warm, 200 buckets", {"buckets": 200}),
        (
            "get_histogram",
            "warm, 500 buckets, min_level warn + category midi",
            {"buckets": 500, "min_level": "warn", "category": "midi"},
        ),
        ("get_histogram", "search (first: whole scan)", {"search": "song_4242.mid"}),
        ("get_histogram", "search (again: remembered)", {"search": "song_4242.mid"}),
        ("get_trace", "request_id", {"request_id": last["fields"]["request_id"]}),
        ("get_trace", "span_id", {"span_id": last["span"]["id"] if last["span"] else "1"}),
        ("get_log_context", "50 + 50 around the newest", {"id": last["id"]}),
    ]
    for name, case, args in cases:
        runs = 1 if "first" in case else 3
        elapsed, result = _timed(app, name, args, runs)
        rows.append([name, case, f"{elapsed:,.0f}", _summary(name, result)])
    app.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gb", type=float, default=1.0)
    args = parser.parse_args()
    rows = bench_investigate(args.gb)
    print(f"### Investigate commands on the {args.gb:g} GB set (in-process, ms)\n")
    print("| command | case | ms | result |\n|---|---|---|---|")
    print("\n".join("| " + " | ".join(row) + " |" for row in rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
