// @ts-check
/**
 * `<msc-histogram>`: the whole log over time above the list, bars stacked by level (histogram-data.js:
 * the list's filter, level aside). Drag across it to set the time range; click a bar to jump
 * there (to its first entry when it is loaded, else the range narrows to the bar). With the
 * keyboard: ←/→ move a cursor over the bars, Shift+←/→ stretch a selection, Enter jumps to the
 * cursor or sets the selection as the range, Esc drops the selection.
 */
import { canonicalTime, LEVELS } from '../filter.js';
import { formatCount, formatTime, localDay } from '../format.js';
import { histogram } from '../histogram-data.js';
import { logStore } from '../store.js';

/** @typedef {import('../histogram-data.js').Histogram} Histogram */

const SVG = 'http://www.w3.org/2000/svg';
const CHART_H = 44;
const BAR_PX = 3; // one bucket per this many pixels, at most 500 buckets
/** Errors at the bottom, where they are seen first. */
const STACK = ['error', 'warn', 'info', 'debug', 'trace'];
/** After an estimate (files the backend is still indexing), ask again this much later. */
const SETTLE_MS = 2000;

/** @param {string} name @param {Record<string, string|number>} attrs */
function svg(name, attrs) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

export class HistogramChart extends HTMLElement {
  constructor() {
    super();
    /** @type {Histogram|null} */
    this.data = null;
    /** @type {{from: number, to: number}|null} a selection of buckets (drag, Shift+arrows) */
    this.selection = null;
    this.cursor = -1;
    /** @type {(() => void)[]} */
    this.cleanups = [];
    /** @type {ReturnType<typeof setTimeout>|undefined} asks again after an estimate */
    this.settle = undefined;
  }

  connectedCallback() {
    if (!this.firstElementChild) this.build();
    this.cleanups.push(histogram.subscribe((s) => {
      // Shown from its first answer on (never for a backend without histograms): the list
      // below only ever shrinks for it, which keeps a paused list's place.
      if (s.data) this.hidden = false;
      this.render(s.data);
      // A sampled answer settles by itself: asked again until the backend says it is exact.
      clearTimeout(this.settle);
      if (s.data?.approximate) this.settle = setTimeout(() => histogram.refresh(), SETTLE_MS);
    }));
    this.cleanups.push(() => clearTimeout(this.settle));
    // Until it is shown (its first answer) the chart has no width: the window's is near it
    // (innerWidth: documentElement's clientWidth would lay out the page while it is being built)
    histogram.setBuckets((window.innerWidth - 24) / BAR_PX);
    const ro = new ResizeObserver(() => {
      if (this.chart.clientWidth) histogram.setBuckets(this.chart.clientWidth / BAR_PX);
      this.render(this.data);
    });
    ro.observe(this);
    this.cleanups.push(() => ro.disconnect());
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  build() {
    this.hidden = true;
    this.innerHTML = `<div class="hist__chart" tabindex="0" role="img"></div>
      <div class="hist__axis"><span data-ref="start"></span><span data-ref="total"></span><span data-ref="end"></span></div>
      <div class="hist__tip" hidden></div>`;
    this.chart = /** @type {HTMLElement} */ (this.querySelector('.hist__chart'));
    this.tip = /** @type {HTMLElement} */ (this.querySelector('.hist__tip'));
    this.chart.addEventListener('pointerdown', (e) => this.onDown(e));
    this.chart.addEventListener('pointermove', (e) => this.onHover(e));
    this.chart.addEventListener('pointerleave', () => { this.tip.hidden = true; });
    this.chart.addEventListener('keydown', (e) => this.onKey(e));
  }

  get buckets() { return this.data ? Math.max(...LEVELS.map((l) => this.data?.counts?.[l]?.length ?? 0)) : 0; }

  /** @param {number} i @returns {number} the bucket's start (ms) */
  timeAt(i) { return Date.parse(/** @type {string} */ (this.data?.start)) + i * (this.data?.bucket_ms ?? 0); }

  /** @param {number} i */
  total(i) { return LEVELS.reduce((sum, l) => sum + (this.data?.counts?.[l]?.[i] ?? 0), 0); }

  /** @param {number} clientX @returns {number} the bucket under it */
  bucketAt(clientX) {
    const box = this.chart.getBoundingClientRect();
    const n = this.buckets;
    return Math.min(n - 1, Math.max(0, Math.floor(((clientX - box.left) / (box.width || 1)) * n)));
  }

  /** @param {Histogram|null} data */
  render(data) {
    this.data = data;
    const n = this.buckets;
    let max = 0;
    for (let i = 0; i < n; i++) max = Math.max(max, this.total(i));
    const sel = this.selection;
    const cursor = this.cursor >= 0 && this.cursor < n;
    // The width only when there is something to draw: reading it lays the page out, which
    // while the page is being built (an empty chart at start) is a layout of its own.
    const width = max > 0 || sel || cursor ? this.chart.clientWidth || 600 : 600;
    const root = svg('svg', { width: '100%', height: CHART_H, viewBox: `0 0 ${width} ${CHART_H}`, preserveAspectRatio: 'none' });
    const bw = n ? width / n : width;
    for (let i = 0; i < n && max > 0; i++) {
      let y = CHART_H;
      for (const level of STACK) {
        const count = data?.counts?.[level]?.[i] ?? 0;
        if (!count) continue;
        const h = Math.max(1, (count / max) * (CHART_H - 2));
        y -= h;
        root.append(svg('rect', { class: `bar lvl-${level}`, x: i * bw, y, width: Math.max(1, bw - 0.5), height: h }));
      }
    }
    if (sel) {
      const [a, b] = [Math.min(sel.from, sel.to), Math.max(sel.from, sel.to)];
      root.append(svg('rect', { class: 'hist__selection', x: a * bw, y: 0, width: (b - a + 1) * bw, height: CHART_H }));
    }
    if (cursor) root.append(svg('rect', { class: 'hist__cursor', x: this.cursor * bw, y: 0, width: Math.max(2, bw), height: CHART_H }));
    this.chart.replaceChildren(root);
    this.renderAxis(n, max);
  }

  /** @param {number} n @param {number} max */
  renderAxis(n, max) {
    const data = this.data;
    const ref = (/** @type {string} */ name) => /** @type {HTMLElement} */ (this.querySelector(`[data-ref="${name}"]`));
    const has = Boolean(data?.start && n);
    const withDate = has && localDay(/** @type {string} */ (data?.start)) !== localDay(/** @type {string} */ (data?.end));
    ref('start').textContent = has ? formatTime(/** @type {string} */ (data?.start), withDate) : '';
    ref('end').textContent = has ? formatTime(/** @type {string} */ (data?.end), withDate) : '';
    let total = 0;
    for (let i = 0; i < n; i++) total += this.total(i);
    const about = data?.approximate ? 'about ' : '';
    ref('total').textContent = data ? `${about}${formatCount(total)} ${total === 1 ? 'entry' : 'entries'} in the log${data.approximate ? ' (sampled)' : ''}` : '';
    this.chart.setAttribute('aria-label', `Entries over time: ${ref('total').textContent}. Arrows move, Enter jumps there.`);
    this.dataset.max = String(max);
  }

  // ---- pointer -----------------------------------------------------------------------------

  /** @param {PointerEvent} event */
  onDown(event) {
    if (!this.buckets || event.button !== 0) return;
    event.preventDefault();
    this.chart.focus();
    const startX = event.clientX;
    const from = this.bucketAt(startX);
    this.chart.setPointerCapture(event.pointerId);
    const move = (/** @type {PointerEvent} */ e) => {
      if (Math.abs(e.clientX - startX) < 4) return;
      this.selection = { from, to: this.bucketAt(e.clientX) };
      this.render(this.data);
    };
    const up = (/** @type {PointerEvent} */ e) => {
      this.chart.removeEventListener('pointermove', move);
      this.chart.removeEventListener('pointerup', up);
      if (Math.abs(e.clientX - startX) >= 4) this.applySelection();
      else this.jump(from);
    };
    this.chart.addEventListener('pointermove', move);
    this.chart.addEventListener('pointerup', up);
  }

  /** @param {PointerEvent} event */
  onHover(event) {
    const n = this.buckets;
    if (!n) return;
    const i = this.bucketAt(event.clientX);
    const parts = STACK.map((l) => [l, this.data?.counts?.[l]?.[i] ?? 0]).filter(([, c]) => c).map(([l, c]) => `${formatCount(Number(c))} ${l}`);
    const t0 = new Date(this.timeAt(i)).toISOString();
    this.tip.textContent = `${formatTime(t0)} · ${parts.length ? parts.join(', ') : 'no entries'}`;
    const box = this.chart.getBoundingClientRect();
    this.tip.style.left = `${Math.min(box.width - 180, Math.max(0, event.clientX - box.left + 8))}px`;
    this.tip.hidden = false;
  }

  // ---- keyboard ----------------------------------------------------------------------------

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const n = this.buckets;
    if (!n) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      event.preventDefault();
      const from = this.cursor < 0 ? n - 1 : this.cursor;
      this.cursor = Math.min(n - 1, Math.max(0, from + (event.key === 'ArrowRight' ? 1 : -1)));
      this.selection = event.shiftKey ? { from: this.selection?.from ?? from, to: this.cursor } : null;
      this.render(this.data);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (this.selection) this.applySelection();
      else if (this.cursor >= 0) this.jump(this.cursor);
    } else if (event.key === 'Escape' && this.selection) {
      event.stopPropagation();
      this.selection = null;
      this.render(this.data);
    }
  }

  // ---- actions -----------------------------------------------------------------------------

  /** Set the time range to the selected buckets. */
  applySelection() {
    const sel = this.selection;
    this.selection = null;
    if (!sel || !this.data) return;
    const [a, b] = [Math.min(sel.from, sel.to), Math.max(sel.from, sel.to)];
    const since = new Date(this.timeAt(a)).toISOString();
    const until = new Date(this.timeAt(b + 1) - 1).toISOString();
    logStore.setFilter({ since, until });
    this.render(this.data);
  }

  /**
   * Jump to bucket `i`: its first entry in the list when loaded, else narrow the range to it.
   * @param {number} i
   */
  jump(i) {
    if (!this.data) return;
    if (!this.total(i)) { this.notice('No entries there'); return; }
    const t0 = /** @type {string} */ (canonicalTime(new Date(this.timeAt(i)).toISOString()));
    const t1 = /** @type {string} */ (canonicalTime(new Date(this.timeAt(i + 1)).toISOString()));
    const list = /** @type {any} */ (document.querySelector('msc-log-list'));
    if (list?.mode) list.leaveMode();
    const entries = /** @type {import('../filter.js').LogEntry[]} */ (list?.entries ?? []);
    const at = entries.findIndex((e) => e.timestamp >= t0);
    if (at >= 0 && entries[at].timestamp < t1) { list.jumpTo(at, true); return; }
    logStore.setFilter({ since: new Date(this.timeAt(i)).toISOString(), until: new Date(this.timeAt(i + 1) - 1).toISOString() });
    this.notice('Those entries are not loaded: the time range is narrowed to them');
  }

  /** @param {string} text */
  notice(text) { this.dispatchEvent(new CustomEvent('msc-notice', { bubbles: true, detail: { text } })); }
}

export function registerHistogram() {
  if (!customElements.get('msc-histogram')) customElements.define('msc-histogram', HistogramChart);
}
