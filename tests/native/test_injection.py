"""Untrusted log text in the real window: pushed through ``evaluate_js``, it stays text.

The vectors (tests/shared/injection_vectors.py) are written while the window is open — raw lines
of ours, foreign lines and records of the real writer — so they reach the page through the
desktop pump (``window.__mscDeliver(<JSON literal>)``). The page is read over the DevTools
protocol: no beacon ran, no dialog, no Content-Security-Policy violation, no injected element,
every text verbatim, the layout intact. The pump's script itself is also run outside the window
(node), through the same quoting pywebview applies, and must deliver the exact strings.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from harness import ARTIFACTS, Viewer, XServer, write_entries
from injection_vectors import (
    FIND_INJECTED,
    INSTALL_PROBES,
    LAYOUT,
    LONG,
    PROBE_STATE,
    READ_DETAIL,
    READ_ROWS,
    RTL,
    VECTORS,
    VIAS,
    detail_problems,
    row_problems,
    write_phase,
)
from webview.util import escape_string

from backend.desktop._pump import batch_script

PHASE = "native"
#: What pywebview's ``Window.evaluate_js`` makes of a script before the page runs it.
PYWEBVIEW_WRAP = 'var value = eval("{}"); value'
# Runs each script given as a file argument in a page-less `window` and prints what
# `__mscDeliver` received and what each script answered.
NODE_PAGE = r"""
const fs = require('fs');
const received = [];
globalThis.window = { __mscDeliver: (batch) => { received.push(batch); return true; } };
const answers = process.argv.slice(1).map((file) => (0, eval)(fs.readFileSync(file, 'utf8')));
process.stdout.write(JSON.stringify({ answers, received }));
"""


def _js(function: str, *args: object) -> str:
    """An expression calling the JavaScript ``function`` with JSON ``args``."""
    return f"({function})({', '.join(json.dumps(a) for a in args)})"


@pytest.fixture(scope="module")
def viewer(xserver: XServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Viewer]:
    """A window that received every vector live, with the probes installed before they came."""
    workdir = tmp_path_factory.mktemp("injection")
    log_dir = workdir / "logs"
    write_entries(log_dir, ["before the vectors"])
    running = Viewer.launch(xserver, log_dir, workdir)
    try:
        assert running.page is not None
        # Also for a reload, should one happen; the page already loaded gets them now.
        running.page.call("Page.addScriptToEvaluateOnNewDocument", {"source": INSTALL_PROBES})
        assert running.evaluate(INSTALL_PROBES) is True
        write_phase(log_dir, PHASE)
        running.wait_for(
            "(document.querySelector('msc-log-list')?.entries ?? [])"
            f".filter((e) => e.fields?.phase === {PHASE!r}).length >= {3 * len(VECTORS)}",
            timeout=120,
        )
        yield running
    finally:
        running.kill()


def assert_clean(viewer: Viewer) -> None:
    """No beacon, no dialog, no CSP violation, no injected element."""
    assert viewer.evaluate(PROBE_STATE) == {"pwned": [], "csp": [], "dialogs": []}
    assert viewer.evaluate(FIND_INJECTED) == []


class TestPushedVectors:
    """Vectors pushed into the open window by the desktop pump."""

    def test_rows_show_every_vector_verbatim_on_one_line(self, viewer: Viewer) -> None:
        """Message, target and category cells hold the text; rows stay 22 px, columns in order."""
        assert row_problems(viewer.evaluate(_js(READ_ROWS, PHASE)), VIAS) == []
        assert_clean(viewer)

    def test_detail_pane_shows_every_vector_verbatim(self, viewer: Viewer) -> None:
        """Message, field keys and values, target, span name and filter buttons, as text."""
        problems: list[str] = []
        for via in VIAS:
            for v in VECTORS:
                detail = viewer.evaluate(_js(READ_DETAIL, [PHASE, v.n, via]))
                problems += detail_problems(detail, v, via)
        assert problems == []
        assert_clean(viewer)

    @pytest.mark.parametrize("vector", [LONG, RTL], ids=["long", "rtl"])
    def test_layout_holds_with_the_vector_selected(
        self, viewer: Viewer, xserver: XServer, vector: Any
    ) -> None:
        """No page scroll; the pane wraps; bars and pane buttons are on top and inside."""
        assert (
            detail_problems(
                viewer.evaluate(_js(READ_DETAIL, [PHASE, vector.n, "raw"])), vector, "raw"
            )
            == []
        )
        layout = viewer.evaluate(_js(LAYOUT))
        viewer.settle()
        xserver.screenshot(ARTIFACTS / f"native-injection-{vector.n}.png")
        assert layout["scrollWidth"] <= layout["innerWidth"]
        assert layout["scrollHeight"] <= layout["innerHeight"]
        assert layout["rowHeights"] == [22]
        assert layout["toolbarOnTop"]
        assert layout["statusOnTop"]
        assert layout["closeOnTop"]
        assert layout["copyOnTop"]
        assert layout["paneOverflow"] <= 0
        assert layout["headOverflow"] <= 0
        assert layout["bodyOverflow"] <= 0
        assert layout["messageOverflow"] <= 0
        assert_clean(viewer)


class TestBatchScript:
    """The pump's script: entries only as a JSON literal, delivered exactly."""

    BATCH = [
        {"event": "log-entry", "payload": {"message": v.text, "fields": {v.text: v.text}}}
        for v in VECTORS
    ] + [
        {
            "event": "log-entry",
            "payload": {
                "message": "</script><script>x()</script> \u2028 \u2029 ` ${x} \" ' \\ \\u2028",
                "target": "'); top.__pwned.push(99); ('",
            },
        }
    ]

    def _run(self, tmp_path: Path, scripts: list[str]) -> dict[str, Any]:
        files = []
        for i, script in enumerate(scripts):
            path = tmp_path / f"script-{i}.js"
            path.write_text(script, encoding="utf-8")
            files.append(str(path))
        done = subprocess.run(
            ["node", "-e", NODE_PAGE, *files], capture_output=True, check=True, timeout=120
        )
        result: dict[str, Any] = json.loads(done.stdout.decode("utf-8"))
        return result

    def test_script_is_one_call_with_a_json_literal(self) -> None:
        """Nothing but the call around the literal; the literal parses back to the batch."""
        script = batch_script(self.BATCH)
        head = "(typeof window.__mscDeliver === 'function' && window.__mscDeliver("
        assert script.startswith(head)
        assert script.endswith(") === true)")
        literal = script[len(head) : -len(") === true)")]
        assert "\u2028" not in script
        assert "\u2029" not in script
        assert orjson.loads(literal) == self.BATCH

    def test_evaluated_script_delivers_the_exact_strings(self, tmp_path: Path) -> None:
        """Run as is and as pywebview quotes it into eval("…"): the same batch arrives, twice."""
        script = batch_script(self.BATCH)
        wrapped = PYWEBVIEW_WRAP.format(escape_string(script))
        result = self._run(tmp_path, [script, wrapped])
        assert result["answers"] == [True, True]
        assert result["received"] == [self.BATCH, self.BATCH]

    def test_lone_surrogates_arrive_escaped_and_intact(self, tmp_path: Path) -> None:
        """A string orjson refuses goes through the stdlib fallback, still a JSON literal."""
        batch = [{"event": "log-entry", "payload": {"message": "lone \ud800 half </script>"}}]
        script = batch_script(batch)
        assert "\ud800" not in script
        result = self._run(tmp_path, [PYWEBVIEW_WRAP.format(escape_string(script))])
        assert result["received"] == [batch]
