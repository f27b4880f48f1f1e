// @ts-check
/**
 * `<msc-minimap>`: a strip along the list's scrollbar with a tick for every error, warning,
 * search hit and mark among the rows the list holds, at the height of its place in the list, and
 * a box for the rows on screen. A click jumps there: on a tick, to its entry (selected); elsewhere,
 * to that place. One tick per pixel row at most, the most telling kind winning (mark, hit, error,
 * warning); recomputed at most every `THROTTLE_MS`.
 */
import { filteredLogs } from '../store.js';
import { marks } from '../marks.js';
import { isHit } from './list-modes.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/** @typedef {'mark'|'hit'|'error'|'warn'} TickKind */

const THROTTLE_MS = 250;
const RANK = /** @type {Record<TickKind, number>} */ ({ warn: 1, error: 2, hit: 3, mark: 4 });
const SVG = 'http://www.w3.org/2000/svg';

/**
 * The kind of tick `entry` gets, if any.
 * @param {LogEntry} entry
 * @param {import('./list-modes.js').Mode|null} mode
 * @param {boolean} searching whether filter hits are worth a tick (not when every row is one)
 * @returns {TickKind|null}
 */
export function tickKind(entry, mode, searching) {
  if (marks.has(entry)) return 'mark';
  if (searching && isHit(mode, entry)) return 'hit';
  if (entry.level === 'error') return 'error';
  if (entry.level === 'warn') return 'warn';
  return null;
}

export class Minimap extends HTMLElement {
  constructor() {
    super();
    /** @type {import('./log-list.js').LogList|null} set by the list */
    this.list = null;
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.timer = undefined;
    this.last = 0;
    /** @type {Map<number, {kind: TickKind, index: number}>} the ticks by pixel row */
    this.rows = new Map();
  }

  connectedCallback() {
    if (this.firstElementChild) return;
    this.setAttribute('aria-hidden', 'true'); // the keys e/E, u/U, n/N reach the same places
    this.title = 'Errors, warnings, search hits and marks of the loaded entries: click to jump';
    this.svg = document.createElementNS(SVG, 'svg');
    this.ticks = document.createElementNS(SVG, 'g');
    this.window = document.createElementNS(SVG, 'rect');
    this.window.setAttribute('class', 'minimap__window');
    this.svg.append(this.ticks, this.window);
    this.append(this.svg);
    this.addEventListener('click', (event) => this.onClick(event));
    new ResizeObserver(() => this.invalidate()).observe(this);
  }

  /** The rows changed: recompute the ticks soon. */
  invalidate() {
    if (this.timer) return;
    const wait = Math.max(0, THROTTLE_MS - (performance.now() - this.last));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.last = performance.now();
      this.draw();
    }, wait);
  }

  draw() {
    const list = this.list;
    const height = this.clientHeight;
    if (!list || !this.ticks || !height) return;
    const entries = list.entries;
    const n = entries.length;
    /** @type {Map<number, {kind: TickKind, index: number}>} */
    const rows = new Map();
    const searching = list.mode?.kind === 'context';
    for (let i = 0; i < n; i++) {
      const kind = tickKind(entries[i], list.mode, searching);
      if (!kind) continue;
      const y = Math.min(height - 2, Math.floor((i / n) * height));
      const seen = rows.get(y);
      if (!seen || RANK[kind] > RANK[seen.kind]) rows.set(y, { kind, index: i });
    }
    const fragment = document.createDocumentFragment();
    for (const [y, { kind, index }] of rows) {
      const tick = document.createElementNS(SVG, 'rect');
      tick.setAttribute('class', `tick tick--${kind}`);
      tick.setAttribute('x', kind === 'mark' || kind === 'hit' ? '0' : '3');
      tick.setAttribute('y', String(y));
      tick.setAttribute('width', kind === 'mark' || kind === 'hit' ? '100%' : '70%');
      tick.setAttribute('height', '2');
      tick.dataset.index = String(index);
      tick.dataset.kind = kind;
      fragment.append(tick);
    }
    this.ticks.replaceChildren(fragment);
    this.rows = rows;
    this.dataset.filtered = String(filteredLogs.matcher.active);
    this.updateWindow();
  }

  /** The box of the rows on screen. */
  updateWindow() {
    const list = this.list;
    if (!list || !this.window) return;
    const vp = list.viewport;
    const total = vp.scrollHeight || 1;
    const height = this.clientHeight;
    const top = (vp.scrollTop / total) * height;
    const size = Math.max(4, (vp.clientHeight / total) * height);
    this.window.setAttribute('y', String(Math.round(top)));
    this.window.setAttribute('height', String(Math.round(size)));
    this.window.setAttribute('width', '100%');
  }

  /** @param {MouseEvent} event */
  onClick(event) {
    const list = this.list;
    if (!list || !list.entries.length) return;
    const box = this.getBoundingClientRect();
    const y = Math.floor(event.clientY - box.top);
    // A tick is 2 px high: a click within a few pixels of one is meant for it.
    for (const dy of [0, -1, 1, -2, 2, -3, 3]) {
      const tick = this.rows.get(y + dy);
      if (tick) { list.jumpTo(tick.index, true); return; }
    }
    const fraction = y / (box.height || 1);
    list.jumpTo(Math.floor(fraction * list.entries.length), false);
  }
}

export function registerMinimap() {
  if (!customElements.get('msc-minimap')) customElements.define('msc-minimap', Minimap);
}
