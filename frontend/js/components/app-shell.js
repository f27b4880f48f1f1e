// @ts-check
/**
 * `<msc-app>`: the viewer's layout (toolbar, the "log cleared" banner, the histogram, the trace
 * waterfall and the log list with its detail pane, the metrics view, status bar, overlays) and
 * the glue between them: selection → detail pane, the detail pane's request and span links →
 * waterfall, keyboard shortcuts, the view state's parts (column widths, tab, scroll anchor).
 * The other components talk only to the store.
 * Event: `msc-retry` from the list's error state asks main.js to start again.
 */
import { actionFor } from '../keyboard.js';
import { html } from '../html.js';
import { logStore } from '../store.js';
import { viewState } from '../view-state.js';
import { columnWidths, setColumnWidths } from './column-resize.js';

/** The detail pane's links that open the waterfall (they filter the list too). */
const TRACE_LINKS = 'msc-detail-pane [data-filter="requestId"], msc-detail-pane [data-filter="spanId"]';

export class AppShell extends HTMLElement {
  connectedCallback() {
    if (this.firstElementChild) return;
    this.innerHTML = html`<msc-toolbar></msc-toolbar>
      <msc-clear-banner></msc-clear-banner>
      <main class="views">
        <section id="view-logs" class="view view--logs" role="tabpanel" aria-label="Logs">
          <div class="logs-main">
            <msc-histogram></msc-histogram>
            <msc-waterfall hidden></msc-waterfall>
            <msc-log-list></msc-log-list>
          </div>
          <msc-detail-pane hidden></msc-detail-pane>
        </section>
        <section id="view-metrics" class="view view--metrics" role="tabpanel" aria-label="Metrics" hidden>
          <msc-metrics-panel></msc-metrics-panel>
        </section>
      </main>
      <msc-status-bar></msc-status-bar>
      <msc-shortcuts-help></msc-shortcuts-help>
      <msc-export-dialog></msc-export-dialog>
      <msc-unparsed-dialog></msc-unparsed-dialog>
      <msc-confirm-dialog></msc-confirm-dialog>`.toString();
    this.addEventListener('msc-select', (e) => { this.detail.entry = /** @type {CustomEvent} */ (e).detail.entry; });
    this.addEventListener('msc-close', () => this.list.select(-1));
    this.addEventListener('msc-toggle-live', () => this.list.togglePause());
    this.addEventListener('msc-help', () => this.help.open());
    this.addEventListener('msc-notice', (e) => this.status.notice(/** @type {CustomEvent} */ (e).detail.text));
    this.addEventListener('msc-view', (e) => this.showView(/** @type {CustomEvent} */ (e).detail.view));
    this.addEventListener('msc-show-marked', () => { if (this.list.mode?.kind === 'marked') this.list.leaveMode(); else this.list.showMarked(); });
    this.addEventListener('msc-reset-view', () => { void this.resetView(); });
    this.addEventListener('click', (e) => this.onTraceLink(e));
    for (const name of ['msc-select', 'msc-follow', 'msc-columns', 'msc-view']) this.addEventListener(name, () => viewState.changed());
    this.list.viewport.addEventListener('scroll', () => viewState.changed(), { passive: true });
    // A new filter (a link, a waterfall bar, the toolbar) is shown in the filtered view.
    let filterKey = JSON.stringify(logStore.state.filter);
    logStore.subscribe((s) => {
      const key = JSON.stringify(s.filter);
      if (key === filterKey) return;
      filterKey = key;
      if (this.list.mode) this.list.leaveMode();
    });
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  get toolbar() { return /** @type {import('./toolbar.js').Toolbar} */ (this.querySelector('msc-toolbar')); }
  get list() { return /** @type {import('./log-list.js').LogList} */ (this.querySelector('msc-log-list')); }
  get detail() { return /** @type {import('./detail-pane.js').DetailPane} */ (this.querySelector('msc-detail-pane')); }
  get status() { return /** @type {import('./status-bar.js').StatusBar} */ (this.querySelector('msc-status-bar')); }
  get help() { return /** @type {import('./shortcuts-help.js').ShortcutsHelp} */ (this.querySelector('msc-shortcuts-help')); }
  get waterfall() { return /** @type {import('./waterfall.js').Waterfall} */ (this.querySelector('msc-waterfall')); }

  /** @param {MouseEvent} event a click; on a request or span link of the detail pane, the trace */
  onTraceLink(event) {
    const link = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest(TRACE_LINKS));
    if (!link?.dataset.value) return;
    const value = link.dataset.value;
    void this.waterfall.open(link.dataset.filter === 'requestId' ? { request_id: value } : { span_id: value });
  }

  /** The parts of the view state the components hold. */
  viewParts() {
    return { columns: columnWidths(this.list), tab: this.toolbar.view, anchor: this.list.anchor() };
  }

  /**
   * Restore the parts the components hold (before the first fetch; the anchor after it).
   * @param {import('../view-state.js').StoredView} stored
   */
  restoreView(stored) {
    setColumnWidths(this.list, stored.columns);
    if (stored.tab === 'metrics') this.toolbar.setView('metrics');
    this.pendingAnchor = stored.anchor ?? null;
  }

  /** Once the first entries are in: back to the entry (or place) the view was left at. */
  restoreAnchor() {
    const anchor = this.pendingAnchor;
    this.pendingAnchor = null;
    if (anchor) this.list.restoreAnchor(anchor);
  }

  /** "Reset view": the default view, and nothing of it kept. */
  async resetView() {
    if (this.list.mode) this.list.leaveMode();
    if (this.waterfall.isOpen) this.waterfall.close();
    setColumnWidths(this.list, {});
    this.list.select(-1);
    this.toolbar.setView('logs');
    await viewState.reset();
    this.list.resume();
    this.status.notice('View reset');
  }

  /** @param {string} view */
  showView(view) {
    /** @type {HTMLElement} */ (this.querySelector('#view-logs')).hidden = view !== 'logs';
    /** @type {HTMLElement} */ (this.querySelector('#view-metrics')).hidden = view !== 'metrics';
    if (view === 'metrics') void (/** @type {any} */ (this.querySelector('msc-metrics-panel')))?.refresh?.();
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const action = actionFor(event);
    if (!action) return;
    if (action === 'escape') { this.onEscape(event); return; }
    const logsShown = !(/** @type {HTMLElement} */ (this.querySelector('#view-logs')).hidden);
    if (!logsShown && action !== 'help') return;
    event.preventDefault();
    const list = this.list;
    switch (action) {
      case 'search': /** @type {any} */ (this.querySelector('msc-search-box')).focusSearch(); break;
      case 'next-error': list.nextError(1); break;
      case 'previous-error': list.nextError(-1); break;
      case 'next': list.move(1); break;
      case 'previous': list.move(-1); break;
      case 'toggle-live': list.togglePause(); break;
      case 'latest': list.resume(); break;
      case 'next-hit': list.nextHit(1); break;
      case 'previous-hit': list.nextHit(-1); break;
      case 'context': if (list.selected) list.showContext(); else list.notice('Select an entry to see its context'); break;
      case 'mark': list.toggleMark(); break;
      case 'next-mark': list.nextMark(1); break;
      case 'previous-mark': list.nextMark(-1); break;
      case 'help': this.help.open(); break;
      default:
    }
  }

  /** @param {KeyboardEvent} event */
  onEscape(event) {
    // Open dialogs close themselves on Esc; the rest is ours.
    if (document.querySelector('dialog[open]')) return;
    const active = /** @type {HTMLElement|null} */ (document.activeElement);
    if (active && active !== document.body && active.matches('input, select, textarea')) { active.blur(); return; }
    if (this.list.mode) { event.preventDefault(); this.list.leaveMode(); return; }
    if (this.waterfall.isOpen) { event.preventDefault(); this.waterfall.close(); return; }
    if (this.list.selected) {
      event.preventDefault();
      this.list.select(-1);
    }
  }
}

export function registerAppShell() {
  if (!customElements.get('msc-app')) customElements.define('msc-app', AppShell);
}
