// @ts-check
/**
 * `<msc-detail-pane>`: every field of the selected entry. Span, request and session ids are
 * buttons that filter the list by them; "Copy JSON" copies the record. Set `.entry`.
 * Multi-line text — the message, a string field, a string anywhere inside an object field (a
 * pino `err.stack`, a Python `exception`) — is shown as preformatted lines, full width; an object
 * holding such a string is shown as a nested list rather than JSON, whose `\n` would hide them.
 * The badge shows the level as written (`level_name`) in its band's colour; under it, with the
 * time, the entry's source and "raw line" for a line that is no record. A field's value (one
 * line of text, a number, a boolean) is a button adding `key=value` to the search box's `where`
 * filter (with Shift: `key!=value`).
 * Events: `msc-close` (the pane's close button).
 */
import { formatFull } from '../format.js';
import { emptyFilter } from '../filter.js';
import { html } from '../html.js';
import { logStore } from '../store.js';
import { TOP_KEYS, comparisonText } from '../where.js';
import { addCondition } from './search-box.js';

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

/**
 * The filter a click on an id link sets. A request or span is shown whole: every other
 * criterion (search text, level, category, source, time, raw lines) would hide some of its
 * entries, so they go. A session id is searched for, replacing the search text.
 * @param {string} kind filter key
 * @param {string} value
 * @returns {Partial<import('../filter.js').Filter>}
 */
export function idFilter(kind, value) {
  return kind === 'search' ? { search: value } : { ...emptyFilter(), [kind]: value };
}

/** Characters a `where` key cannot hold (no quoted keys): such fields get no condition button. */
const NOT_IN_KEY = /[\s()"=<>~!]/;

/**
 * The `where` key of a top-level field: its name, or `fields.<name>` when the name is also a
 * record key (`level`, `source`); null when no key can name it.
 * @param {string} name
 */
export function fieldKey(name) {
  if (!name || NOT_IN_KEY.test(name) || name.split('.').includes('')) return null;
  const plain = !TOP_KEYS.has(name) && name !== 'fields' && !name.startsWith('fields.')
    && !['and', 'or', 'not'].includes(name.toLowerCase());
  return plain ? name : `fields.${name}`;
}

/**
 * A field value as a button adding `key=value` to the filter; null for values that are not one
 * line of text, a number or a boolean, or keys no expression can name.
 * @param {string} name
 * @param {unknown} value
 * @returns {SafeHTML|null}
 */
function conditionButton(name, value) {
  const key = fieldKey(name);
  const scalar = typeof value === 'number' || typeof value === 'boolean'
    || (typeof value === 'string' && !LINE_BREAK.test(value));
  if (key === null || !scalar) return null;
  // A value that looks like one (its v-* colour), not like a link: the id links filter alone.
  const look = `border:0;background:none;padding:0;font:inherit;cursor:pointer;text-align:left;overflow-wrap:anywhere${typeof value === 'string' ? ';color:inherit' : ''}`;
  return html`<button type="button" class="field-value v-${typeof value}" style="${look}" data-where-key="${key}"
    data-where-value="${String(value)}" title="Filter: ${key}=… (Shift: ${key}!=…)">${String(value)}</button>`;
}

/** Nesting shown as lists at most; deeper objects are shown as JSON (fields may nest 200 deep). */
const MAX_NEST = 8;
const LINE_BREAK = /[\n\r]/;

/**
 * Whether `value` is, or holds somewhere inside, a string of several lines.
 * @param {unknown} value
 * @returns {boolean}
 */
export function holdsLines(value) {
  /** @type {unknown[]} */
  const stack = [value];
  while (stack.length) { // iterative: fields may nest deeply
    const v = stack.pop();
    if (typeof v === 'string') { if (LINE_BREAK.test(v)) return true; }
    else if (v && typeof v === 'object') for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}

/**
 * A field's value: multi-line strings as a block of lines, objects holding one as a nested list
 * (so that its lines show), other objects as JSON.
 * @param {unknown} value
 * @param {number} [depth]
 * @returns {SafeHTML}
 */
function valueMarkup(value, depth = 0) {
  if (value !== null && typeof value === 'object') {
    if (depth < MAX_NEST && holdsLines(value)) {
      return html`<dl class="nested">${Object.entries(value).map(([k, v]) => row(k, valueMarkup(v, depth + 1), isBlock(v)))}</dl>`;
    }
    return html`<pre class="json">${JSON.stringify(value, null, 2)}</pre>`;
  }
  if (typeof value === 'string') {
    return LINE_BREAK.test(value) ? html`<pre class="v-string v-lines">${value}</pre>` : html`<span class="v-string">${value}</span>`;
  }
  return html`<span class="v-${value === null ? 'null' : typeof value}">${String(value)}</span>`;
}

/** Values shown below their key, across the whole width. @param {unknown} value */
const isBlock = (value) => holdsLines(value);

/**
 * @param {string} key
 * @param {SafeHTML | string} value
 * @param {boolean} [block] the value goes below the key, full width
 */
const row = (key, value, block = false) => html`<div class="kv${block ? ' kv--block' : ''}"><dt>${key}</dt><dd>${value}</dd></div>`;

/** @param {LogEntry} e the level, and the level as written when that differs */
const levelMarkup = (e) => (e.level_name
  ? html`<code>${e.level}</code> <span class="muted">written as</span> <code>${e.level_name}</code>`
  : html`<code>${e.level}</code>`);

/** @param {LogEntry} e @returns {SafeHTML} */
function spanSection(e) {
  const span = e.span;
  if (!span && e.raw) return html``;
  return html`<section><h3>Span</h3>${span ? html`<dl>
        ${row('name', html`<code>${span.name}</code>`)}
        ${row('id', filterButton('spanId', span.id, 'Show only this span'))}
        ${row('parent', span.parent_id ? filterButton('spanId', span.parent_id, 'Show only the parent span') : html`<span class="v-null">none</span>`)}
      </dl>` : html`<p class="muted">Not inside a span.</p>`}</section>`;
}

/** @param {LogEntry} e @returns {SafeHTML} */
function fieldsSection(e) {
  const fields = Object.entries(e.fields ?? {});
  if (!fields.length && e.raw) return html``;
  return html`<section><h3>Fields <span class="muted">${fields.length}</span></h3>${fields.length ? html`<dl>
        ${fields.map(([key, value]) => (FILTER_KEYS.has(key) && (typeof value === 'string' || typeof value === 'number')
          ? row(key, filterButton(FILTER_KEYS.get(key), value, `Show only entries with this ${key}`))
          : row(key, conditionButton(key, value) ?? valueMarkup(value), isBlock(value))))}
      </dl>` : html`<p class="muted">No fields.</p>`}</section>`;
}

/** @param {LogEntry} e @returns {SafeHTML} */
function render(e) {
  return html`<header class="detail__head">
      <span class="level-badge" data-level="${e.level}" title="${e.level_name ? `${e.level_name} (${e.level})` : e.level}">${(e.level_name ?? e.level).toUpperCase()}</span>
      <span class="detail__category">${e.category}</span>
      <span class="detail__spacer"></span>
      <button type="button" class="btn btn--small" data-action="copy">Copy JSON</button>
      <button type="button" class="icon-btn" data-action="close" aria-label="Close details" title="Close (Esc)">✕</button>
    </header>
    <div class="detail__body">
      <p class="detail__time"><span title="${e.timestamp}">${formatFull(e.timestamp)}</span>
        ${e.raw ? html`<span class="tag tag--raw detail__raw" title="Not a record: the line as it is in the file">raw line</span>` : ''}
        ${e.origin ? html`<span class="tag tag--source detail__origin" title="Source ${e.origin}">${e.origin}</span>` : ''}</p>
      <pre class="detail__message${e.raw ? ' detail__message--raw' : ''}">${e.message}</pre>
      <section><h3>Record</h3><dl>
        ${e.origin ? row('origin', html`<code>${e.origin}</code>`) : ''}
        ${row('level', levelMarkup(e))}
        ${e.raw && !e.target ? '' : row('target', html`<code>${e.target}</code>`)}
        ${row('timestamp', html`<code>${e.timestamp}</code>`)}
        ${e.pid != null ? row('pid', String(e.pid)) : ''}
        ${e.source ? row('source', html`<code>${e.source}</code>`) : ''}
        ${e.id ? row('id', html`<code>${e.id}</code>`) : ''}
      </dl></section>
      ${spanSection(e)}
      ${fieldsSection(e)}
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
    const condition = /** @type {HTMLElement|null} */ (target.closest('[data-where-key]'));
    if (condition) {
      const { whereKey = '', whereValue = '' } = condition.dataset;
      addCondition(comparisonText(whereKey, event.shiftKey ? '!=' : '=', whereValue));
      return;
    }
    const filter = /** @type {HTMLElement|null} */ (target.closest('[data-filter]'));
    if (filter) {
      const kind = /** @type {string} */ (filter.dataset.filter);
      logStore.setFilter(idFilter(kind, String(filter.dataset.value)));
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
