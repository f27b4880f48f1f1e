// @ts-check
/**
 * `<msc-toolbar>`: the title row (views, live tail, refresh, export, clear, help), the filter
 * row (search, levels, category, time range, id and raw-line filters) and, when the log set has
 * several sources, the source row.
 * Events: `msc-view` {view: 'logs'|'metrics'}, `msc-toggle-live`, `msc-help`, `msc-reset-view`.
 */
import { CATEGORIES } from '../filter.js';
import { html } from '../html.js';
import { logInfo } from '../log-info.js';
import { logStore } from '../store.js';
import { streamStatus } from '../stream-status.js';

/**
 * @param {string} name
 * @param {string} label
 */
const idChip = (name, label) => html`<button type="button" class="chip chip--id" data-clear="${name}"
  title="Remove this filter" hidden><span class="chip__k">${label}</span> <span class="chip__v"></span> <span aria-hidden="true">✕</span></button>`;

export class Toolbar extends HTMLElement {
  constructor() {
    super();
    this.view = 'logs';
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.firstElementChild) this.build();
    this.cleanups.push(logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  build() {
    this.innerHTML = html`<div class="bar bar--title">
        <div class="brand"><svg viewBox="0 0 24 24" aria-hidden="true"><path d="M9 18V5l11-2v13"/><circle cx="6" cy="18" r="3"/><circle cx="17" cy="16" r="3"/></svg>
          <span class="brand__name">MIDI Software Center</span></div>
        <div class="tabs" role="tablist" aria-label="View">
          <button type="button" role="tab" data-view="logs" aria-selected="true" aria-controls="view-logs">Logs</button>
          <button type="button" role="tab" data-view="metrics" aria-selected="false" aria-controls="view-metrics">Metrics</button>
        </div>
        <span class="spacer"></span>
        <button type="button" class="btn live" data-action="live" title="Pause or resume the live tail (Space)"><i class="live__dot" aria-hidden="true"></i><span class="live__text">Live</span></button>
        <button type="button" class="btn" data-action="refresh" title="Fetch the newest entries again">Refresh</button>
        <button type="button" class="btn" data-action="export">Export…</button>
        <button type="button" class="btn" data-action="reset-view" title="Forget the search, filters, time range, marks, column widths and place kept for this log">Reset view</button>
        <button type="button" class="btn btn--danger-quiet" data-action="clear">Clear…</button>
        <button type="button" class="icon-btn" data-action="help" aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">?</button>
      </div>
      <div class="bar bar--filters" role="search">
        <msc-search-box></msc-search-box>
        <msc-level-filter></msc-level-filter>
        <select name="category" aria-label="Filter by category">
          <option value="">All categories</option>
          ${CATEGORIES.map((c) => html`<option value="${c}">${c}</option>`)}
        </select>
        <msc-time-range></msc-time-range>
        ${idChip('requestId', 'request')}
        ${idChip('spanId', 'span')}
        <button type="button" class="chip chip--id" data-clear="rawOnly" title="Show every entry again" hidden>
          <span class="chip__k">raw lines only</span> <span aria-hidden="true">✕</span></button>
        <button type="button" class="link clear-filters" data-action="clear-filters" hidden>Clear filters</button>
      </div>
      <msc-source-filter class="bar bar--sources" hidden></msc-source-filter>`.toString();
    this.addEventListener('click', (event) => this.onClick(event));
    this.category.addEventListener('change', () => logStore.setFilter({ category: this.category.value || null }));
  }

  get category() { return /** @type {HTMLSelectElement} */ (this.querySelector('select[name="category"]')); }

  /** @param {MouseEvent} event */
  async onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const clear = /** @type {HTMLElement|null} */ (target.closest('[data-clear]'));
    if (clear) { logStore.setFilter({ [/** @type {string} */ (clear.dataset.clear)]: null }); return; }
    const tab = /** @type {HTMLElement|null} */ (target.closest('[data-view]'));
    if (tab) { this.setView(/** @type {string} */ (tab.dataset.view)); return; }
    switch (target.closest('[data-action]')?.getAttribute('data-action')) {
      case 'live': this.emit('msc-toggle-live'); break;
      case 'refresh': void logStore.fetchLogs(); void logInfo.refresh(); break;
      case 'export': /** @type {any} */ (document.querySelector('msc-export-dialog'))?.open(); break;
      case 'clear': await this.confirmClear(); break;
      case 'help': this.emit('msc-help'); break;
      case 'reset-view': this.emit('msc-reset-view'); break;
      case 'clear-filters': logStore.resetFilter(); break;
      default:
    }
  }

  async confirmClear() {
    const dialog = /** @type {any} */ (document.querySelector('msc-confirm-dialog'));
    const ok = await dialog?.confirm({
      title: 'Clear all logs?',
      message: 'This empties the log file and deletes the rotated ones, for every process writing to this folder. It cannot be undone.',
      confirmLabel: 'Clear logs',
      danger: true,
    });
    if (ok) await logStore.clearLogs().catch(() => { /* shown in the banner (msc-clear-banner) */ });
  }

  /** @param {string} view */
  setView(view) {
    this.view = view;
    this.querySelectorAll('[data-view]').forEach((t) => t.setAttribute('aria-selected', String(/** @type {HTMLElement} */ (t).dataset.view === view)));
    // The log filters do not apply to the metrics view: out of the way there.
    /** @type {HTMLElement} */ (this.querySelector('.bar--filters')).hidden = view !== 'logs';
    this.classList.toggle('toolbar--metrics', view !== 'logs'); // hides the source row (CSS)
    this.emit('msc-view', { view });
  }

  /** @param {string} name @param {object} [detail] */
  emit(name, detail = {}) { this.dispatchEvent(new CustomEvent(name, { bubbles: true, detail })); }

  render() {
    const { filter } = logStore.state;
    if (this.category.value !== (filter.category ?? '')) this.category.value = filter.category ?? '';
    this.category.classList.toggle('is-on', Boolean(filter.category));
    for (const name of /** @type {const} */ (['requestId', 'spanId'])) {
      const chip = /** @type {HTMLElement} */ (this.querySelector(`[data-clear="${name}"]`));
      chip.hidden = !filter[name];
      /** @type {HTMLElement} */ (chip.querySelector('.chip__v')).textContent = filter[name] ?? '';
    }
    /** @type {HTMLElement} */ (this.querySelector('[data-clear="rawOnly"]')).hidden = !filter.rawOnly;
    const active = Boolean(filter.level || filter.minLevel || filter.category || filter.search || filter.since
      || filter.until || filter.requestId || filter.spanId || filter.source || filter.rawOnly);
    /** @type {HTMLElement} */ (this.querySelector('.clear-filters')).hidden = !active;
    this.renderLive(streamStatus(logStore.state));
  }

  /** @param {import('../stream-status.js').StreamStatus} status */
  renderLive({ tone, label, title }) {
    const live = /** @type {HTMLElement} */ (this.querySelector('.live'));
    live.dataset.tone = tone;
    live.setAttribute('aria-pressed', String(tone === 'live'));
    live.title = `${title ? `${title} — ` : ''}Pause or resume the live tail (Space)`;
    const text = /** @type {HTMLElement} */ (live.querySelector('.live__text'));
    if (text.textContent !== label) text.textContent = label;
  }
}

export function registerToolbar() {
  if (!customElements.get('msc-toolbar')) customElements.define('msc-toolbar', Toolbar);
}
