// @ts-check
/**
 * `<msc-level-filter>`: one chip per level with the number of entries of that level passing the
 * other criteria — in the whole log once the histogram says (histogram-data.js; `≈` when it was
 * sampled), else among the loaded ones. Click: only that level (again: all levels). Shift+click:
 * that level and more severe. Then the "Marked" chip: only the marked entries (again: back).
 * Event: `msc-show-marked`.
 */
import { filteredLogs, logStore } from '../store.js';
import { formatCount, formatShort } from '../format.js';
import { html } from '../html.js';
import { LEVEL_RANK, LEVELS } from '../filter.js';
import { histogram } from '../histogram-data.js';
import { marks } from '../marks.js';

/**
 * The count a chip shows: the whole log's when known (never below what is loaded: the histogram
 * may be a moment older than the stream), else the loaded entries'.
 * @param {string} level
 * @returns {{n: number, approximate: boolean}}
 */
export function levelCount(level) {
  const loaded = filteredLogs.counts[level] ?? 0;
  if (!histogram.current()) return { n: loaded, approximate: false };
  const whole = histogram.state.totals[level] ?? 0;
  return { n: Math.max(whole, loaded), approximate: histogram.state.approximate };
}

/** A whole number of a chip: exact up to a million, then short (1.2M); `≈` when estimated. */
const chipText = (/** @type {number} */ n, /** @type {boolean} */ approximate) =>
  `${approximate ? '≈' : ''}${n < 1_000_000 ? formatCount(n) : formatShort(n)}`;

export class LevelFilter extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.firstElementChild) {
      this.setAttribute('role', 'group');
      this.setAttribute('aria-label', 'Level (click: only this level; Shift+click: this level and above)');
      this.innerHTML = html`<button type="button" class="chip" data-level="">All <span class="chip__n"></span></button>
        ${LEVELS.map((l) => html`<button type="button" class="chip chip--level" data-level="${l}"
          title="Only ${l} (Shift+click: ${l} and above)"><i class="dot" aria-hidden="true"></i>${l.toUpperCase()} <span class="chip__n"></span></button>`)}
        <button type="button" class="chip chip--marked" data-marked aria-pressed="false"
          title="Only the marked entries (m marks the selected one; u / U go to the next / previous)"><span class="chip__star" aria-hidden="true">★</span>Marked <span class="chip__n"></span></button>`.toString();
      this.addEventListener('click', (event) => this.onClick(event));
    }
    this.cleanups.push(
      logStore.subscribe(() => this.render()),
      histogram.subscribe(() => this.render()),
      marks.subscribe(() => this.render()),
    );
    const onMode = (/** @type {Event} */ e) => this.setMarkedOn(/** @type {CustomEvent} */ (e).detail.kind === 'marked');
    document.addEventListener('msc-mode', onMode);
    this.cleanups.push(() => document.removeEventListener('msc-mode', onMode));
  }

  /** @param {boolean} on */
  setMarkedOn(on) { this.querySelector('[data-marked]')?.setAttribute('aria-pressed', String(on)); }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  /** @param {MouseEvent} event */
  onClick(event) {
    if (/** @type {HTMLElement} */ (event.target).closest('[data-marked]')) {
      this.dispatchEvent(new CustomEvent('msc-show-marked', { bubbles: true }));
      return;
    }
    const chip = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest('[data-level]'));
    if (!chip) return;
    const level = chip.dataset.level || null;
    const { filter } = logStore.state;
    if (!level) logStore.setFilter({ level: null, minLevel: null });
    else if (event.shiftKey) logStore.setFilter({ level: null, minLevel: filter.minLevel === level ? null : level });
    else logStore.setFilter({ level: filter.level === level && !filter.minLevel ? null : level, minLevel: null });
  }

  render() {
    const { level, minLevel } = logStore.state.filter;
    const min = minLevel ? LEVEL_RANK[minLevel] : -1;
    /** @type {Record<string, number>} */
    const counts = {};
    let total = 0;
    let approximate = false;
    for (const l of LEVELS) {
      const c = levelCount(l);
      counts[l] = c.n;
      total += c.n;
      approximate ||= c.approximate;
    }
    this.querySelectorAll('[data-level]').forEach((node) => {
      const chip = /** @type {HTMLElement} */ (node);
      const l = chip.dataset.level ?? '';
      const n = l ? counts[l] ?? 0 : total;
      const on = l ? (level ? level === l : min >= 0 && LEVEL_RANK[l] >= min) : !level && !minLevel;
      chip.setAttribute('aria-pressed', String(on));
      chip.classList.toggle('chip--zero', n === 0);
      const label = /** @type {HTMLElement} */ (chip.querySelector('.chip__n'));
      const text = chipText(n, approximate);
      if (label.textContent !== text) label.textContent = text;
      label.title = `${approximate ? 'About ' : ''}${formatCount(n)} entries${approximate ? ' (estimated from a sample)' : ''}`;
    });
    const marked = /** @type {HTMLElement} */ (this.querySelector('[data-marked] .chip__n'));
    const text = formatCount(marks.size);
    if (marked.textContent !== text) marked.textContent = text;
    marked.parentElement?.classList.toggle('chip--zero', marks.size === 0);
  }
}

export function registerLevelFilter() {
  if (!customElements.get('msc-level-filter')) customElements.define('msc-level-filter', LevelFilter);
}
