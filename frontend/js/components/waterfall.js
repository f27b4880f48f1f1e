// @ts-check
/**
 * `<msc-waterfall>`: the spans of a request (or of the trace a span belongs to) on one time
 * axis, one bar per span, nested under its parent, its duration beside it; a span holding an
 * error is red, a warning amber, a span still open fades out at the end of the axis. Clicking a
 * bar (or Enter on it) shows that span's entries in the list; "Show all in the list" shows the
 * whole request's. `open({request_id})` / `open({span_id})`; `close()`. Opened by the detail
 * pane's request and span links (app-shell.js); works for any format that carries trace/span
 * ids (the backend reads them).
 */
import { invoke } from '../bridge/core.js';
import { emptyFilter } from '../filter.js';
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { logStore } from '../store.js';

/**
 * @typedef {{id: string, parent_id: string|null, name: string, start: string, end: string|null,
 *   duration_ms: number|null, entry_count: number, level: string}} Span
 * @typedef {{spans: Span[], entries: number}} Trace
 * @typedef {{request_id: string} | {span_id: string}} TraceKey
 * @typedef {Span & {depth: number, from: number, to: number}} Placed
 */

/** Rows shown at most (a runaway trace must not build a million bars). */
const MAX_ROWS = 2000;

/**
 * A duration as people read it: 850 µs, 12.3 ms, 1.42 s, 2 min 3 s.
 * @param {number|null} ms
 */
export function formatDuration(ms) {
  if (ms == null || !Number.isFinite(ms)) return 'open';
  if (ms === 0) return '0';
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 100) return `${Number(ms.toFixed(1))} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(2))} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/**
 * A timestamp in milliseconds, to the microsecond (`Date.parse` stops at the millisecond, which
 * is a visible error on the bars of short spans).
 * @param {string} text RFC 3339
 */
export function preciseMs(text) {
  const fraction = /\.(\d+)/.exec(text);
  if (!fraction) return Date.parse(text);
  return Date.parse(text.replace(fraction[0], '')) + Number(`0.${fraction[1]}`) * 1000;
}

/**
 * The spans in tree order (each parent followed by its children, by start), with their depth
 * and their place on the axis as fractions `from`/`to` of the trace's time.
 * @param {Span[]} spans
 * @returns {{rows: Placed[], startMs: number, totalMs: number}}
 */
export function layout(spans) {
  const byId = new Map(spans.map((s) => [s.id, s]));
  /** @type {Map<string|null, Span[]>} */
  const children = new Map();
  for (const s of spans) {
    const parent = s.parent_id && byId.has(s.parent_id) && s.parent_id !== s.id ? s.parent_id : null;
    if (!children.has(parent)) children.set(parent, []);
    /** @type {Span[]} */ (children.get(parent)).push(s);
  }
  const startMs = Math.min(...spans.map((s) => preciseMs(s.start)));
  const endMs = Math.max(...spans.map((s) => preciseMs(s.end ?? s.start)));
  const totalMs = Math.max(endMs - startMs, 1e-3);
  /** @type {Placed[]} */
  const rows = [];
  const seen = new Set();
  /** @type {[Span, number][]} */
  const stack = (children.get(null) ?? []).map((s) => /** @type {[Span, number]} */ ([s, 0])).reverse();
  while (stack.length && rows.length < MAX_ROWS) { // iterative: spans may nest deeply
    const [s, depth] = /** @type {[Span, number]} */ (stack.pop());
    if (seen.has(s.id)) continue;
    seen.add(s.id);
    const from = (preciseMs(s.start) - startMs) / totalMs;
    const to = s.end ? (preciseMs(s.end) - startMs) / totalMs : 1;
    rows.push({ ...s, depth, from, to });
    for (const child of [...(children.get(s.id) ?? [])].reverse()) stack.push([child, depth + 1]);
  }
  return { rows, startMs, totalMs };
}

export class Waterfall extends HTMLElement {
  constructor() {
    super();
    /** @type {TraceKey|null} */
    this.key = null;
    /** @type {Trace|null} */
    this.trace = null;
    /** @type {string|null} the span whose entries the list shows */
    this.current = null;
  }

  connectedCallback() {
    if (this.hasAttribute('data-ready')) return;
    this.setAttribute('data-ready', '');
    this.setAttribute('role', 'region');
    this.setAttribute('aria-label', 'Trace waterfall');
    this.hidden = true;
    this.addEventListener('click', (event) => this.onClick(event));
  }

  get isOpen() { return !this.hidden; }

  /**
   * Show the trace of a request or of a span.
   * @param {TraceKey} key
   */
  async open(key) {
    this.key = key;
    this.current = 'span_id' in key ? key.span_id : null;
    this.hidden = false;
    this.trace = null;
    this.innerHTML = html`<header class="wf__head"><span class="wf__title">${this.title()}</span>
      <span class="muted">Loading…</span><span class="spacer"></span>${this.closeButton()}</header>`.toString();
    try {
      /** @type {Trace} */
      const trace = await invoke('get_trace', key);
      if (this.key !== key) return;
      this.trace = trace;
      this.render();
    } catch (e) {
      if (this.key !== key) return;
      this.innerHTML = html`<header class="wf__head"><span class="wf__title">${this.title()}</span>
        <span class="wf__error">Couldn’t read the trace: ${/** @type {any} */ (e)?.message ?? String(e)}</span>
        <span class="spacer"></span>${this.closeButton()}</header>`.toString();
    }
  }

  close() {
    this.hidden = true;
    this.key = null;
    this.trace = null;
    this.replaceChildren();
    this.dispatchEvent(new CustomEvent('msc-waterfall-closed', { bubbles: true }));
  }

  title() {
    const key = this.key;
    if (!key) return '';
    return 'request_id' in key ? html`Trace of request <code>${key.request_id}</code>` : html`Trace of span <code>${key.span_id}</code>`;
  }

  closeButton() {
    return html`<button type="button" class="icon-btn" data-action="close" aria-label="Close the waterfall" title="Close (Esc)">✕</button>`;
  }

  render() {
    const trace = /** @type {Trace} */ (this.trace);
    const spans = trace.spans ?? [];
    const head = html`<header class="wf__head"><span class="wf__title">${this.title()}</span>
      <span class="muted">${formatCount(spans.length)} ${spans.length === 1 ? 'span' : 'spans'} · ${formatCount(trace.entries ?? 0)} entries</span>
      <span class="spacer"></span>
      ${this.key && 'request_id' in this.key ? html`<button type="button" class="btn btn--small" data-action="all">Show all in the list</button>` : ''}
      ${this.closeButton()}</header>`;
    if (!spans.length) {
      this.innerHTML = html`${head}<p class="wf__empty muted">No spans: these entries were not logged inside a span.</p>`.toString();
      return;
    }
    const { rows, totalMs } = layout(spans);
    const ticks = [0, 0.25, 0.5, 0.75, 1];
    this.innerHTML = html`${head}
      <div class="wf__axis" aria-hidden="true"><span class="wf__label"></span><span class="wf__scale">${ticks.map((t) => html`<span style="left:${(t * 100).toFixed(2)}%">${formatDuration(t * totalMs)}</span>`)}</span><span class="wf__dur"></span></div>
      <ol class="wf__rows">${rows.map((r) => html`<li class="wf__row${r.id === this.current ? ' is-current' : ''}" data-level="${r.level}">
        <span class="wf__label" style="padding-left:${Math.min(r.depth, 20) * 14 + 6}px" title="${r.name}">${r.name}</span>
        <span class="wf__track"><button type="button" class="wf__bar${r.end ? '' : ' wf__bar--open'}" data-span="${r.id}"
          style="left:${(r.from * 100).toFixed(3)}%;width:max(3px, ${((r.to - r.from) * 100).toFixed(3)}%)"
          aria-label="${r.name}: ${formatDuration(r.duration_ms)}, ${r.entry_count} entries, worst level ${r.level}. Show its entries"
          title="${r.name} — ${formatDuration(r.duration_ms)} · ${formatCount(r.entry_count)} entries · click: show them"></button></span>
        <span class="wf__dur">${formatDuration(r.duration_ms)}</span></li>`)}</ol>`.toString();
  }

  /** @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const bar = /** @type {HTMLElement|null} */ (target.closest('[data-span]'));
    if (bar) {
      this.current = /** @type {string} */ (bar.dataset.span);
      logStore.setFilter({ ...emptyFilter(), spanId: this.current });
      this.querySelectorAll('.wf__row').forEach((row) => row.classList.toggle('is-current', row.contains(bar)));
      return;
    }
    const action = target.closest('[data-action]')?.getAttribute('data-action');
    if (action === 'close') this.close();
    if (action === 'all' && this.key && 'request_id' in this.key) {
      this.current = null;
      logStore.setFilter({ ...emptyFilter(), requestId: this.key.request_id });
      this.querySelectorAll('.wf__row.is-current').forEach((row) => row.classList.remove('is-current'));
    }
  }
}

export function registerWaterfall() {
  if (!customElements.get('msc-waterfall')) customElements.define('msc-waterfall', Waterfall);
}
