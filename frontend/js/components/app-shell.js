// @ts-check
/**
 * `<msc-app>`: the viewer's layout (toolbar, the "log cleared" banner, log list with its detail
 * pane, the metrics view, status bar, overlays) and the glue between them: selection → detail pane, keyboard shortcuts. The other components talk only to the store.
 * Event: `msc-retry` from the list's error state asks main.js to start again.
 */
import { actionFor } from '../keyboard.js';
import { html } from '../html.js';

export class AppShell extends HTMLElement {
  connectedCallback() {
    if (this.firstElementChild) return;
    this.innerHTML = html`<msc-toolbar></msc-toolbar>
      <msc-clear-banner></msc-clear-banner>
      <main class="views">
        <section id="view-logs" class="view view--logs" role="tabpanel" aria-label="Logs">
          <msc-log-list></msc-log-list>
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
    document.addEventListener('keydown', (e) => this.onKey(e));
  }

  get toolbar() { return /** @type {import('./toolbar.js').Toolbar} */ (this.querySelector('msc-toolbar')); }
  get list() { return /** @type {import('./log-list.js').LogList} */ (this.querySelector('msc-log-list')); }
  get detail() { return /** @type {import('./detail-pane.js').DetailPane} */ (this.querySelector('msc-detail-pane')); }
  get status() { return /** @type {import('./status-bar.js').StatusBar} */ (this.querySelector('msc-status-bar')); }
  get help() { return /** @type {import('./shortcuts-help.js').ShortcutsHelp} */ (this.querySelector('msc-shortcuts-help')); }

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
    if (this.list.selected) {
      event.preventDefault();
      this.list.select(-1);
    }
  }
}

export function registerAppShell() {
  if (!customElements.get('msc-app')) customElements.define('msc-app', AppShell);
}
