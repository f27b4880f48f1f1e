// @ts-check
/**
 * `<msc-level-filter>`: one chip per level with the number of loaded entries of that level
 * (passing the other criteria). Click: only that level (again: all levels). Shift+click: that
 * level and more severe.
 */
import { filteredLogs, logStore } from '../store.js';
import { formatCount, formatShort } from '../format.js';
import { html } from '../html.js';
import { LEVEL_RANK, LEVELS } from '../filter.js';

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
          title="Only ${l} (Shift+click: ${l} and above)"><i class="dot" aria-hidden="true"></i>${l.toUpperCase()} <span class="chip__n"></span></button>`)}`.toString();
      this.addEventListener('click', (event) => this.onClick(event));
    }
    this.cleanups.push(logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  /** @param {MouseEvent} event */
  onClick(event) {
    const chip = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest('[data-level]'));
    if (!chip) return;
    const level = chip.dataset.level || null;
    const { filter } = logStore.state;
    if (!level) logStore.setFilter({ level: null, minLevel: null });
    else if (event.shiftKey) logStore.setFilter({ level: null, minLevel: filter.minLevel === level ? null : level });
    else logStore.setFilter({ level: filter.level === level && !filter.minLevel ? null : level, minLevel: null });
  }

  render() {
    const counts = filteredLogs.counts;
    const { level, minLevel } = logStore.state.filter;
    const min = minLevel ? LEVEL_RANK[minLevel] : -1;
    let total = 0;
    for (const l of LEVELS) total += counts[l] ?? 0;
    this.querySelectorAll('[data-level]').forEach((node) => {
      const chip = /** @type {HTMLElement} */ (node);
      const l = chip.dataset.level ?? '';
      const n = l ? counts[l] ?? 0 : total;
      const on = l ? (level ? level === l : min >= 0 && LEVEL_RANK[l] >= min) : !level && !minLevel;
      chip.setAttribute('aria-pressed', String(on));
      chip.classList.toggle('chip--zero', n === 0);
      const label = /** @type {HTMLElement} */ (chip.querySelector('.chip__n'));
      const text = formatShort(n);
      if (label.textContent !== text) label.textContent = text;
      label.title = `${formatCount(n)} entries`;
    });
  }
}

export function registerLevelFilter() {
  if (!customElements.get('msc-level-filter')) customElements.define('msc-level-filter', LevelFilter);
}
