// @ts-check
/**
 * `<msc-source-filter>`: one chip per source of the log set (a base file and its rotations:
 * `midi-software-center`, `pino`, `app` …), shown only when the set has more than one. Click:
 * only that source (the filter's `source`); again, or "All": every source. Source names are
 * file names, so untrusted: they go in as escaped text, and a click finds its source by position
 * (`data-index`), never by reading a name back from the markup.
 */
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { distinctSources, logInfo } from '../log-info.js';
import { logStore } from '../store.js';
import { formatBytes } from './metrics-format.js';

/** @typedef {import('../log-info.js').SourceInfo} SourceInfo */

/** @param {SourceInfo} source @param {number} index */
const chip = (source, index) => html`<button type="button" class="chip chip--source" data-index="${index}"
  aria-pressed="false"><span class="chip__name">${source.name}</span> <span class="chip__n"></span></button>`;

/** @param {SourceInfo} source */
function tip(source) {
  const files = Array.isArray(source.files) ? source.files : [];
  const list = files.slice(0, 8).join(', ') + (files.length > 8 ? ` … (${formatCount(files.length)} files)` : '');
  return `Only ${source.name} (again: all sources)\n${list}`;
}

export class SourceFilter extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void)[]} */
    this.cleanups = [];
    this.key = '';
    /** @type {string[]} the names of the chips shown, by `data-index` */
    this.names = [];
  }

  connectedCallback() {
    if (!this.hasAttribute('role')) {
      this.setAttribute('role', 'group');
      this.setAttribute('aria-label', 'Source');
      this.addEventListener('click', (event) => this.onClick(event));
    }
    this.cleanups.push(logInfo.subscribe(() => this.render()), logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  /** @param {MouseEvent} event */
  onClick(event) {
    const button = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest('[data-index]'));
    if (!button) return;
    const name = this.names[Number(button.dataset.index)] ?? null;
    logStore.setFilter({ source: name && logStore.state.filter.source !== name ? name : null });
  }

  render() {
    const chosen = logStore.state.filter.source;
    const sources = [...distinctSources(logInfo.state.info)];
    // A source chosen before it went away (cleared, renamed) keeps its chip, to be undone here.
    if (chosen && !sources.some((s) => s.name === chosen)) sources.push({ name: chosen, files: [], size: NaN });
    this.hidden = sources.length === 0;
    // Rebuilt only when the names change, so that a chip keeps the focus across updates.
    const key = JSON.stringify(sources.map((s) => s.name));
    if (key !== this.key) {
      this.key = key;
      this.names = sources.map((s) => s.name);
      this.innerHTML = sources.length === 0 ? '' : html`<span class="bar__label">Sources</span>
        <button type="button" class="chip" data-index="-1" title="Entries of every source">All</button>
        ${sources.map(chip)}`.toString();
    }
    const chips = /** @type {NodeListOf<HTMLElement>} */ (this.querySelectorAll('[data-index]'));
    chips.forEach((button) => {
      const source = sources[Number(button.dataset.index)];
      button.setAttribute('aria-pressed', String(source ? source.name === chosen : !chosen));
      if (!source) return;
      const size = formatBytes(source.size);
      const n = /** @type {HTMLElement} */ (button.querySelector('.chip__n'));
      if (n.textContent !== size) n.textContent = size;
      button.title = tip(source);
    });
  }
}

export function registerSourceFilter() {
  if (!customElements.get('msc-source-filter')) customElements.define('msc-source-filter', SourceFilter);
}
