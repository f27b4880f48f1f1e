"""Injection vectors: log text that must stay text in the viewer, and the page-side probes.

Every vector that could run script calls the beacon ``top.__pwned.push(<n>)`` (``top``: it also
works from inside an injected iframe), so execution is detectable: the tests install
``window.__pwned = []`` before anything renders (`INSTALL_PROBES`) and expect it to stay empty.
The probes also record Content-Security-Policy violations — the page has a CSP, but a violation
means markup was injected and only the CSP stopped it, which the tests count as a failure — and
native dialogs (``alert`` & co.).

Used by tests/e2e/test_injection.py (browser, dev server) and tests/native/test_injection.py
(the real window, entries pushed through ``evaluate_js``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "FIND_INJECTED",
    "INSTALL_PROBES",
    "LAYOUT",
    "LONG",
    "LONG_RUN",
    "PROBE_STATE",
    "QUOTE",
    "READ_DETAIL",
    "READ_ROWS",
    "RTL",
    "VECTORS",
    "VIAS",
    "Vector",
    "append_lines",
    "detail_problems",
    "detail_text",
    "foreign",
    "ours",
    "row_problems",
    "row_text",
    "stamp",
    "write_phase",
]


@dataclass(frozen=True)
class Vector:
    """One hostile string: its number (the beacon's argument), a short name, and the text."""

    n: int
    name: str
    text: str


def _b(n: int) -> str:
    """The beacon call for vector ``n``."""
    return f"top.__pwned.push({n})"


#: Length of the unbroken run in the "very long" vector.
LONG_RUN = 20_000

_RAW: list[tuple[str, str]] = [
    ("script tag", f"<script>{_b(0)}</script>"),
    ("img onerror", f'<img src=x onerror="{_b(1)}">'),
    ("svg onload", f"<svg onload={_b(2)}><circle r=40 /></svg>"),
    ("javascript url", f"javascript:{_b(3)}"),
    ("markdown javascript link", f"[click me](javascript:{_b(4)}) and <javascript:{_b(4)}>"),
    ("script end inside json", f'{{"html":"</script><img src=x onerror={_b(5)}>","n":5}}'),
    ("script end then script", f"</script><script>{_b(6)}</script>"),
    (
        "line and paragraph separators",
        f'before\u2028after line sep\u2029after para sep");{_b(7)};//',
    ),
    ("template literal breakout", f"`;{_b(8)};` ${{{_b(8)}}} `${{{_b(8)}}}`"),
    ("double quote attribute breakout", f'" onmouseover="{_b(9)}" autofocus onfocus="{_b(9)}" x="'),
    ("single quote attribute breakout", f"' onmouseover='{_b(10)}' onclick='{_b(10)}' x='"),
    ("iframe srcdoc", f'<iframe srcdoc="<script>{_b(11)}</script>"></iframe>'),
    ("anchor javascript href", f'<a href="javascript:{_b(12)}" id="pwn12">click me</a>'),
    ("html entities", "&lt;script&gt;alert(13)&lt;/script&gt; &amp;amp; &#60;b&#62; &quot;"),
    ("template injection", f"{{{{constructor.constructor('{_b(14)}')()}}}}"),
    ("escaped script tag", f"\\u003cscript\\u003e{_b(15)}\\u003c/script\\u003e \\x3cb\\x3e"),
    (
        "nul and control characters",
        "nul[\x00] bel[\x07] bs[\x08] vt[\x0b] ff[\x0c] esc[\x1b[31mred\x1b[0m] del[\x7f]"
        " nel[\x85] csi[\x9b] tab[\t]",
    ),
    ("very long unbroken string", "W" * LONG_RUN + f"<img src=x onerror={_b(17)}>"),
    ("right-to-left override", "\u202etxt.exe\u202c invoice \u202eevil <b>bold</b>"),
    (
        "other bidi controls",
        "\u202bembed\u202c \u202doverride-ltr \u2066lri \u2067rli \u2068fsi \u200fRLM\u200e end",
    ),
    ("zero-width characters", "zero\u200bwidth\u200cnon\u200djoiner\ufeffbom\u2060wj\u00adshy"),
    ("style that hides things", "<style>*{display:none!important} body{background:red}</style>"),
    ("base href", '<base href="http://evil.invalid/">'),
    ("meta refresh", f'<meta http-equiv="refresh" content="0;url=javascript:{_b(23)}">'),
    ("form action", f'<form action="javascript:{_b(24)}"><button>go</button></form>'),
    ("details ontoggle", f"<details open ontoggle={_b(25)}><summary>x</summary></details>"),
    (
        "object data",
        f'<object data="javascript:{_b(26)}"></object><embed src="javascript:{_b(26)}">',
    ),
    (
        "mutation xss",
        f"<math><mtext><table><mglyph><style><img src=x onerror={_b(27)}></style></mglyph>",
    ),
    ("comment breakout", f"--><!--<img src=x onerror={_b(28)}>--><img src=x onerror={_b(28)}>"),
    ("input autofocus", f"<input autofocus onfocus={_b(29)}><body onload={_b(29)}>"),
    ("stylesheet link", "<link rel=stylesheet href=data:text/css,*{display:none}>"),
    ("data url", f"data:text/html,<script>{_b(31)}</script>"),
    ("newlines", f"first line\r\nsecond line\nthird <img src=x onerror={_b(32)}>\rafter cr"),
    ("prototype keys", "__proto__ constructor toString hasOwnProperty"),
    ("alert call", "<img src=x onerror=\"top.__pwned.push(34);alert('34')\">"),
]

#: The vectors, numbered from 0; ``VECTORS[n].n == n``.
VECTORS: tuple[Vector, ...] = tuple(Vector(n, name, text) for n, (name, text) in enumerate(_RAW))


def row_text(text: str, limit: int = 2000) -> str:
    """What a list row shows for a message, field key or value (frontend/js/components/log-row.js).

    The row cuts the text at ``limit`` characters (``…`` after it: 2,000 for a message, 120 for
    a field's key or value) and shows line breaks as `` ⏎ `` to stay one line high.
    """
    cut = f"{text[:limit]}…" if len(text) > limit else text
    return cut.replace("\r\n", " ⏎ ").replace("\n", " ⏎ ")


def detail_text(text: str) -> str:
    """What the detail pane's text shows for ``text``: the text itself, as HTML text.

    The pane is built through the escaping template, so the HTML parser's input normalization
    applies — and only it: CR LF and lone CR become LF, and NUL (which no HTML text can hold)
    becomes U+FFFD, a visible replacement mark.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def row_problems(rows: list[dict[str, Any]], vias: tuple[str, ...]) -> list[str]:
    """What is wrong with the rows `READ_ROWS` read for the vectors written ``vias`` ways."""
    problems: list[str] = []
    if sorted((r["via"], r["n"]) for r in rows) != sorted((w, v.n) for w in vias for v in VECTORS):
        problems.append(f"rows for {sorted((r['via'], r['n']) for r in rows)}")
    for r in rows:
        v, where = VECTORS[r["n"]], f"vector {r['n']} ({r['via']})"
        if r.get("missing"):
            problems.append(f"{where}: no row")
            continue
        category = v.text if r["via"] == "deliver" else "unknown"
        checks = {
            "message": r["message"] == row_text(v.text),
            "target": r["target"] == v.text,
            "fields": [row_text(v.text, 120)] * 2 in r["fields"]
            and ["vector", str(v.n)] in r["fields"],
            "category": r["category"] == category,
            "row height": abs(r["height"] - 22) <= 0.5,
            "cell taller than the row": all(h <= 22.5 for h in r["cellHeights"]),
            "columns out of order": r["lefts"] == sorted(r["lefts"]),
            "a cell sticks out of its row": not r["overflowRight"],
        }
        problems += [f"{where}: {name}" for name, ok in checks.items() if not ok]
    return problems


def detail_problems(detail: dict[str, Any] | None, v: Vector, via: str) -> list[str]:
    """What is wrong with the detail pane `READ_DETAIL` read for vector ``v`` written ``via``."""
    if detail is None:
        return [f"vector {v.n} ({via}) not in the list"]
    text = detail_text(v.text)
    checks = {
        "message": detail["message"] == text,
        "field key": text in detail["keys"],
        "target / span name": text in detail["codes"],
    }
    if via == "foreign":  # the unknown category is kept as a field
        checks["category field"] = detail["keys"].count("category") == 1
    if via == "raw":
        checks["request_id / parent span button"] = [text, text] in detail["buttons"]
        checks["target, source and span name"] = detail["codes"].count(text) >= 3
    if via == "deliver":
        checks["category"] = detail["category"] == text
        checks["level badge"] = detail["badge"] == detail_text(v.text.upper())
    return [f"vector {v.n} ({via}): {name}" for name, ok in checks.items() if not ok]


# ---- writing them --------------------------------------------------------------------------

_REPO = Path(__file__).resolve().parents[2]
_APP = "midi-software-center"
_LEVELS = ("trace", "debug", "info", "warn", "error")
#: Ways a vector reaches the file: our raw lines, foreign lines, the real writer.
VIAS = ("raw", "foreign", "shared")
RTL = next(v for v in VECTORS if v.name == "right-to-left override")
LONG = next(v for v in VECTORS if v.name == "very long unbroken string")
QUOTE = next(v for v in VECTORS if v.name == "double quote attribute breakout")


# The real writer in another process: each vector as message, logger name (target), category
# (unknown to the writer: kept in fields.category), a field key and value, and the span name.
SHARED_WRITER = r"""
import json, sys
from pathlib import Path
from shared.writer.config import LogConfig
from shared.writer.context import span
from shared.writer.setup import get_logger, init_logging
init_logging(LogConfig(log_dir=Path(sys.argv[1]), console_level="error", file_level="trace"))
for n, text in json.loads(sys.argv[3]):
    with span(text, span_note=text):
        get_logger(text).info(text, category=text, vector=n, phase=sys.argv[2], via="shared",
                              **{text: text})
"""


def stamp(moment: datetime) -> str:
    """``moment`` as canonical record timestamp text."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ours(v: Vector, phase: str, at: datetime) -> dict[str, Any]:
    """A line of ours holding ``v`` everywhere (category: unknown to the reader)."""
    return {
        "timestamp": stamp(at),
        "level": _LEVELS[v.n % 5],
        "category": v.text,
        "message": v.text,
        "target": v.text,
        "fields": {
            "vector": v.n,
            "phase": phase,
            "via": "raw",
            v.text: v.text,
            "request_id": v.text,
            "nested": {"list": [v.text, 1.5, None], v.text: {"deeper": v.text}},
        },
        "span": {"name": v.text, "id": f"span-{phase}-{v.n}", "parent_id": v.text},
        "pid": 4242,
        "source": v.text,
    }


def foreign(v: Vector, phase: str, at: datetime) -> dict[str, Any]:
    """A foreign line (another logger's layout): unknown keys end up in fields."""
    return {
        "time": stamp(at),
        "severity": "warning",
        "msg": v.text,
        "logger": v.text,
        "category": v.text,
        "fields": {"vector": v.n, "phase": phase, "via": "foreign"},
        "span": {"name": v.text, "id": v.text, "parent_id": None},
        v.text: v.text,
    }


def append_lines(log_dir: Path, records: list[dict[str, Any]]) -> None:
    """Append records as JSON lines written by orjson (full control over every value)."""
    with (log_dir / f"{_APP}.log").open("ab") as out:
        out.writelines(orjson.dumps(r) + b"\n" for r in records)


def write_phase(log_dir: Path, phase: str) -> None:
    """Every vector, three ways (raw ours, foreign, the real writer), tagged with ``phase``."""
    start = datetime.now(UTC) - timedelta(seconds=len(VECTORS) * 2)
    lines: list[dict[str, Any]] = []
    for v in VECTORS:
        at = start + timedelta(milliseconds=20 * v.n)
        lines += [ours(v, phase, at), foreign(v, phase, at + timedelta(milliseconds=5))]
    append_lines(log_dir, lines)
    payload = json.dumps([[v.n, v.text] for v in VECTORS])
    subprocess.run(
        [sys.executable, "-c", SHARED_WRITER, str(log_dir), phase, payload],
        cwd=_REPO,
        check=True,
        capture_output=True,
        timeout=120,
    )


# ---- the page's side -----------------------------------------------------------------------

# The [key, value] pairs a row's `.fields` shows: each key is a `.k` element, and the text after
# it up to the next key is `=value` (a text node, or an element when isolated or marked).
FIELD_PAIRS = """(box) => {
  const pairs = [];
  for (const node of box?.childNodes ?? []) {
    if (node.classList?.contains('k')) pairs.push([node.textContent, '']);
    else pairs[pairs.length - 1][1] += node.textContent;
  }
  return pairs.map(([key, value]) => [key, value.slice(1)]);
}"""

# The entries of a phase in the filtered view, each revealed in the list and read back from its
# row; synchronous, so nothing re-renders in between.
READ_ROWS = (
    """(phase) => {
  const list = document.querySelector('msc-log-list');
  const out = [];
  list.entries.forEach((e, index) => {
    if (e.fields?.phase !== phase) return;
    list.reveal(index);
    const row = [...list.querySelectorAll('.row:not([hidden])')]
      .find((r) => r.dataset.index === String(index));
    if (!row) { out.push({ n: e.fields.vector, via: e.fields.via, missing: true }); return; }
    const cells = [...row.children];
    const text = (sel) => row.querySelector(sel).textContent;
    const box = (el) => el.getBoundingClientRect();
    out.push({
      n: e.fields.vector, via: e.fields.via, message: text('.c-message .msg'),
      target: text('.c-target'), category: text('.c-category'), level: text('.c-level'),
      fields: ("""
    + FIELD_PAIRS
    + """)(row.querySelector('.fields')),
      height: box(row).height, cellHeights: cells.map((c) => box(c).height),
      lefts: cells.filter((c) => getComputedStyle(c).display !== 'none').map((c) => box(c).left),
      overflowRight: cells.some((c) => box(c).right > box(row).right + 0.5),
    });
  });
  return out;
}"""
)

# Select an entry (as a click does) and read the detail pane.
READ_DETAIL = """([phase, n, via]) => {
  const list = document.querySelector('msc-log-list');
  const index = list.entries.findIndex(
    (e) => e.fields?.phase === phase && e.fields?.vector === n && e.fields?.via === via);
  if (index < 0) return null;
  list.select(index, { center: true });
  const pane = document.querySelector('msc-detail-pane');
  const texts = (sel) => [...pane.querySelectorAll(sel)].map((el) => el.textContent);
  return {
    message: pane.querySelector('.detail__message').textContent,
    keys: texts('dt'), values: texts('dd'), codes: texts('code'),
    buttons: [...pane.querySelectorAll('.id-link')].map((b) => [b.textContent, b.dataset.value]),
    category: pane.querySelector('.detail__category').textContent,
    badge: pane.querySelector('.level-badge').textContent,
  };
}"""

# Where things are: page scroll, bars, the detail pane and its overflow, the rows' heights.
LAYOUT = """() => {
  const r = (sel) => document.querySelector(sel)?.getBoundingClientRect().toJSON();
  const hit = (sel) => {
    const el = document.querySelector(sel);
    const b = el.getBoundingClientRect();
    const at = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    return !!at && el.contains(at);
  };
  const pane = document.querySelector('msc-detail-pane');
  const body = pane.querySelector('.detail__body');
  const message = pane.querySelector('.detail__message');
  const head = pane.querySelector('.detail__head');
  const rows = [...document.querySelectorAll('msc-log-list .row:not([hidden])')];
  return {
    scrollWidth: document.scrollingElement.scrollWidth,
    scrollHeight: document.scrollingElement.scrollHeight,
    innerWidth, innerHeight,
    toolbar: r('msc-toolbar'), status: r('msc-status-bar'), pane: r('msc-detail-pane'),
    toolbarOnTop: hit('msc-toolbar .brand'), statusOnTop: hit('msc-status-bar'),
    closeOnTop: hit('msc-detail-pane [data-action="close"]'),
    copyOnTop: hit('msc-detail-pane [data-action="copy"]'),
    close: r('msc-detail-pane [data-action="close"]'),
    paneOverflow: pane.scrollWidth - pane.clientWidth,
    headOverflow: head.scrollWidth - head.clientWidth,
    bodyOverflow: body.scrollWidth - body.clientWidth,
    messageOverflow: message.scrollWidth - message.clientWidth,
    rowHeights: [...new Set(rows.map((row) => row.getBoundingClientRect().height))],
  };
}"""

#: JavaScript run before the page's own scripts (or right after load in the native window):
#: the beacon array, a CSP violation recorder and recorders for native dialogs.
INSTALL_PROBES = r"""
(() => {
  if (window.__probes) return true;
  window.__probes = true;
  window.__pwned = [];
  window.__cspViolations = [];
  window.__dialogs = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push({ directive: e.violatedDirective, blocked: e.blockedURI,
      sample: e.sample, source: e.sourceFile, line: e.lineNumber });
  }, true);
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    window[name] = function (...args) {
      window.__dialogs.push([name, ...args.map(String)]);
      return undefined;
    };
  }
  return true;
})()
"""

#: A JavaScript expression with what the probes saw.
PROBE_STATE = "({pwned: window.__pwned, csp: window.__cspViolations, dialogs: window.__dialogs})"

#: A JavaScript expression listing elements no log text may create, anywhere in the document
#: (shadow roots included): descriptions of offending nodes, empty when all is well.
FIND_INJECTED = r"""
(() => {
  const bad = [];
  const describe = (el, why) => bad.push(`${why}: ${el.outerHTML.slice(0, 120)}`);
  // Elements the app never makes anywhere (it has its own svg icons, inputs and one form).
  const NEVER = new Set(['IFRAME', 'FRAME', 'FRAMESET', 'OBJECT', 'EMBED', 'IMG', 'STYLE', 'BASE',
    'DETAILS', 'SUMMARY', 'MATH', 'MGLYPH', 'MTEXT', 'TABLE', 'MARQUEE', 'VIDEO', 'AUDIO']);
  // Where log text is shown, only these elements exist (the app's own markup).
  const TEXT_HOSTS = 'msc-log-list .row, msc-detail-pane, msc-toolbar .chip__v, '
    + '.msc-export__filters';
  const ALLOWED_IN_TEXT_HOSTS = new Set(['SPAN', 'MARK', 'HEADER', 'BUTTON', 'DIV', 'P', 'PRE',
    'SECTION', 'H3', 'DL', 'DT', 'DD', 'CODE', 'SVG', 'PATH']);
  const URL_ATTRIBUTES = ['href', 'src', 'action', 'data', 'formaction'];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (NEVER.has(el.tagName.toUpperCase())) describe(el, 'never made by the app');
      for (const attr of el.attributes) {
        const name = attr.name.toLowerCase();
        if (name.startsWith('on')) describe(el, `event handler attribute ${name}`);
        if (name === 'srcdoc' || name === 'autofocus') describe(el, `attribute ${name}`);
        if (URL_ATTRIBUTES.includes(name) && /^\s*(javascript|data):/i.test(attr.value)) {
          describe(el, `${name} url`);
        }
      }
      const tag = el.tagName.toUpperCase();
      const inHead = el.parentNode === document.head;
      if (tag === 'SCRIPT' && !(inHead && ['importmap', 'module'].includes(el.type))) {
        describe(el, 'script outside the page head');
      }
      if ((tag === 'META' || tag === 'LINK') && !inHead) describe(el, 'outside head');
      if (tag === 'FORM' && !el.closest('msc-export-dialog')) describe(el, 'foreign form');
      if (tag === 'A') describe(el, 'link');
      const inText = el.parentElement?.closest(TEXT_HOSTS);
      if (inText && !ALLOWED_IN_TEXT_HOSTS.has(tag)) describe(el, 'element where log text is');
      if (inText && tag === 'SVG' && !el.closest('button.id-link')) describe(el, 'svg in log text');
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  const metas = document.querySelectorAll('meta').length;
  if (metas !== 4) bad.push(`meta count ${metas}`);
  if (document.baseURI !== location.href) bad.push(`baseURI changed to ${document.baseURI}`);
  return bad;
})()
"""
