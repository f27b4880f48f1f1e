// @ts-check
/**
 * `<msc-time-range>`: quick ranges (last 5 minutes, hour, day, all) and a custom since/until
 * pair of local date-time inputs. Sets the filter's `since` / `until` (RFC 3339, UTC).
 */
import { fromLocalInput, toLocalInput } from '../format.js';
import { html } from '../html.js';
import { logStore } from '../store.js';

const QUICK = /** @type {const} */ ([['5m', 5 * 60_000], ['1h', 3_600_000], ['24h', 86_400_000]]);

export class TimeRange extends HTMLElement {
  constructor() {
    super();
    /** @type {string|null} the quick range that set the current `since` */
    this.quick = null;
    /** @type {string|null} */
    this.quickSince = null;
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.firstElementChild) this.build();
    this.cleanups.push(logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  build() {
    this.innerHTML = html`<div class="segmented" role="group" aria-label="Time range">
        ${QUICK.map(([label]) => html`<button type="button" data-quick="${label}" title="Entries of the last ${label}">${label}</button>`)}
        <button type="button" data-quick="all" title="No time limit">All</button>
        <button type="button" data-action="custom" aria-expanded="false" title="Choose since / until">Custom…</button>
      </div>
      <div class="popover time-panel" hidden>
        <label>Since <input type="datetime-local" step="1" name="since"></label>
        <label>Until <input type="datetime-local" step="1" name="until"></label>
        <div class="popover__actions">
          <button type="button" class="btn btn--small" data-action="reset">Any time</button>
          <button type="button" class="btn btn--small btn--primary" data-action="apply">Apply</button>
        </div>
      </div>`.toString();
    this.addEventListener('click', (event) => this.onClick(event));
    this.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && /** @type {HTMLElement} */ (event.target).matches('input')) this.apply();
      if (event.key === 'Escape' && !this.panel.hidden) { event.stopPropagation(); this.toggle(false); }
    });
  }

  get panel() { return /** @type {HTMLElement} */ (this.querySelector('.popover')); }
  /** @param {string} name */
  input(name) { return /** @type {HTMLInputElement} */ (this.querySelector(`input[name="${name}"]`)); }

  /** @param {MouseEvent} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target).closest('button');
    if (!target) return;
    const quick = target.dataset.quick;
    if (quick) {
      const span = QUICK.find(([label]) => label === quick)?.[1];
      const since = span ? new Date(Date.now() - span).toISOString() : null;
      this.quick = span ? quick : null;
      this.quickSince = since;
      this.toggle(false);
      logStore.setFilter({ since, until: null });
      return;
    }
    const action = target.dataset.action;
    if (action === 'custom') this.toggle(this.panel.hidden);
    if (action === 'apply') this.apply();
    if (action === 'reset') {
      this.quick = null;
      this.toggle(false);
      logStore.setFilter({ since: null, until: null });
    }
  }

  apply() {
    this.quick = null;
    this.toggle(false);
    logStore.setFilter({ since: fromLocalInput(this.input('since').value), until: fromLocalInput(this.input('until').value) });
  }

  /** @param {boolean} open */
  toggle(open) {
    this.panel.hidden = !open;
    this.querySelector('[data-action="custom"]')?.setAttribute('aria-expanded', String(open));
    if (open) {
      const { since, until } = logStore.state.filter;
      this.input('since').value = toLocalInput(since);
      this.input('until').value = toLocalInput(until);
      this.input('since').focus();
    }
  }

  render() {
    const { since, until } = logStore.state.filter;
    const quick = this.quick && since === this.quickSince && !until ? this.quick : null;
    const custom = Boolean((since || until) && !quick);
    this.querySelectorAll('[data-quick]').forEach((b) => {
      const value = /** @type {HTMLElement} */ (b).dataset.quick;
      b.setAttribute('aria-pressed', String(value === 'all' ? !since && !until : value === quick));
    });
    const customButton = /** @type {HTMLElement} */ (this.querySelector('[data-action="custom"]'));
    customButton.classList.toggle('is-on', custom);
    customButton.textContent = custom ? `${since ? toLocalInput(since).replace('T', ' ') : '…'} → ${until ? toLocalInput(until).replace('T', ' ') : 'now'}` : 'Custom…';
  }
}

export function registerTimeRange() {
  if (!customElements.get('msc-time-range')) customElements.define('msc-time-range', TimeRange);
}
