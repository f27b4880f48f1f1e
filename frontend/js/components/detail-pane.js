// @ts-check
/**
 * `<msc-detail-pane>`: every field of the selected entry. Span, request and session ids are
 * buttons that filter the list by them; "Copy JSON" copies the record. Set `.entry`.
 * Events: `msc-close` (the pane's close button).
 */
import { formatFull } from '../format.js';
import { html } from '../html.js';
import { logStore } from '../store.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/** @typedef {import('../html.js').SafeHTML} SafeHTML */

/** Field keys whose values filter the list when clicked, and how (a Map: log keys such as
 * `constructor` or `__proto__` must not find inherited object properties). */
const FILTER_KEYS = /** @type {Map<string, 'requestId'|'search'>} */ (new Map([['request_id', 'requestId'], ['session_id', 'search']]));

/**
 * @param {string} kind filter key
 * @param {unknown} value
 * @param {string} label
 */
const filterButton = (kind, value, label) => html`<button type="button" class="id-link" data-filter="${kind}"
  data-value="${String(value)}" title="${label}">${String(value)}<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M2 3h12l-4.5 5.5V13l-3 1.5v-6z"/></svg></button>`;

/** @param {unknown} value @returns {SafeHTML} */
function valueMarkup(value) {
  if (value !== null && typeof value === 'object') return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
  if (typeof value === 'string') return html`<span class="v-string">${value}</span>`;
  return html`<span class="v-${value === null ? 'null' : typeof value}">${String(value)}</span>`;
}

/**
 * @param {string} key
 * @param {SafeHTML | string} value
 */
const row = (key, value) => html`<div class="kv"><dt>${key}</dt><dd>${value}</dd></div>`;

/** @param {LogEntry} e @returns {SafeHTML} */
function render(e) {
  const fields = Object.entries(e.fields ?? {});
  const span = e.span;
  return html`<header class="detail__head">
      <span class="level-badge" data-level="${e.level}">${e.level.toUpperCase()}</span>
      <span class="detail__category">${e.category}</span>
      <span class="detail__spacer"></span>
      <button type="button" class="btn btn--small" data-action="copy">Copy JSON</button>
      <button type="button" class="icon-btn" data-action="close" aria-label="Close details" title="Close (Esc)">✕</button>
    </header>
    <div class="detail__body">
      <p class="detail__time" title="${e.timestamp}">${formatFull(e.timestamp)}</p>
      <pre class="detail__message">${e.message}</pre>
      <section><h3>Record</h3><dl>
        ${row('target', html`<code>${e.target}</code>`)}
        ${row('timestamp', html`<code>${e.timestamp}</code>`)}
        ${e.pid !== undefined ? row('pid', String(e.pid)) : ''}
        ${e.source ? row('source', html`<code>${e.source}</code>`) : ''}
        ${e.id ? row('id', html`<code>${e.id}</code>`) : ''}
      </dl></section>
      <section><h3>Span</h3>${span ? html`<dl>
        ${row('name', html`<code>${span.name}</code>`)}
        ${row('id', filterButton('spanId', span.id, 'Show only this span'))}
        ${row('parent', span.parent_id ? filterButton('spanId', span.parent_id, 'Show only the parent span') : html`<span class="v-null">none</span>`)}
      </dl>` : html`<p class="muted">Not inside a span.</p>`}</section>
      <section><h3>Fields <span class="muted">${fields.length}</span></h3>${fields.length ? html`<dl>
        ${fields.map(([key, value]) => row(key, FILTER_KEYS.has(key) && (typeof value === 'string' || typeof value === 'number')
          ? filterButton(FILTER_KEYS.get(key), value, `Show only entries with this ${key}`)
          : valueMarkup(value)))}
      </dl>` : html`<p class="muted">No fields.</p>`}</section>
    </div>
    <p class="detail__status" role="status" aria-live="polite"></p>`;
}

/**
 * Copy text: the async clipboard API, or a hidden textarea where it is unavailable.
 * @param {string} text
 */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.style.cssText = 'position:fixed;opacity:0;pointer-events:none';
    document.body.append(area);
    area.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    area.remove();
    return ok;
  }
}

export class DetailPane extends HTMLElement {
  constructor() {
    super();
    /** @type {LogEntry|null} */
    this._entry = null;
  }

  connectedCallback() {
    this.setAttribute('role', 'complementary');
    this.setAttribute('aria-label', 'Entry details');
    if (!this.hasAttribute('data-ready')) {
      this.setAttribute('data-ready', '');
      this.addEventListener('click', (event) => this.onClick(event));
    }
    this.render();
  }

  get entry() { return this._entry; }
  set entry(entry) {
    this._entry = entry;
    this.render();
  }

  render() {
    this.hidden = !this._entry;
    this.innerHTML = this._entry ? render(this._entry).toString() : '';
  }

  /** @param {MouseEvent} event */
  async onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const filter = /** @type {HTMLElement|null} */ (target.closest('[data-filter]'));
    if (filter) {
      const kind = /** @type {string} */ (filter.dataset.filter);
      logStore.setFilter({ [kind]: filter.dataset.value });
      return;
    }
    const action = target.closest('[data-action]')?.getAttribute('data-action');
    if (action === 'close') this.dispatchEvent(new CustomEvent('msc-close', { bubbles: true }));
    if (action === 'copy' && this._entry) {
      const ok = await copyText(JSON.stringify(this._entry, null, 2));
      const status = this.querySelector('.detail__status');
      if (status) status.textContent = ok ? 'Copied the entry as JSON.' : 'Copy failed: the clipboard is not available.';
    }
  }
}

export function registerDetailPane() {
  if (!customElements.get('msc-detail-pane')) customElements.define('msc-detail-pane', DetailPane);
}
