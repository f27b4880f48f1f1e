// @ts-check
/**
 * `<msc-search-box>`: the search input (message, target and field values, case-insensitive)
 * with a regular-expression toggle. Text holding a comparison (`duration_ms>500 and
 * category=database`) is a `where` filter (filter.js, where.js); what is wrong with one is shown
 * under the box, with its column. The list filters as you type; the server is asked once
 * typing pauses. `focusSearch()` is bound to `/`; `addCondition()` appends `key=value` (the
 * detail pane's field values).
 */
import { html } from '../html.js';
import { logStore } from '../store.js';

export class SearchBox extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.firstElementChild) {
      this.innerHTML = html`<label class="search">
          <svg viewBox="0 0 16 16" aria-hidden="true"><circle cx="7" cy="7" r="4.5"/><path d="m10.5 10.5 3.5 3.5"/></svg>
          <input type="search" name="search" placeholder="Search, or filter: duration_ms>500 and level>=warn" aria-label="Search logs"
            autocomplete="off" spellcheck="false">
          <kbd class="search__hint" aria-hidden="true">/</kbd>
        </label>
        <button type="button" class="toggle regex" aria-pressed="false" title="Regular expression" aria-label="Regular expression">.*</button>
        <p class="search__error" role="status" hidden></p>`.toString();
      // Under the box, over the list (app.css styles the box; this is the component's own).
      this.style.position = 'relative';
      Object.assign(this.errorLine.style, {
        position: 'absolute', top: '100%', left: '0', zIndex: '5', margin: '2px 0 0', padding: '2px 6px',
        maxWidth: '100%', font: '12px var(--font-mono)', color: 'var(--level-error)',
        background: 'var(--bg)', border: '1px solid var(--border)', borderRadius: 'var(--radius)',
        whiteSpace: 'pre-wrap', overflowWrap: 'anywhere',
      });
      this.field.addEventListener('input', () => logStore.setFilter({ search: this.field.value }));
      this.field.addEventListener('keydown', (event) => {
        if (event.key === 'Escape') {
          event.stopPropagation();
          if (this.field.value) { this.field.value = ''; logStore.setFilter({ search: '' }); }
          else this.field.blur();
        }
        if (event.key === 'Enter') this.field.blur();
      });
      this.regexButton.addEventListener('click', () => logStore.setFilter({ regex: !logStore.state.filter.regex }));
    }
    this.cleanups.push(logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  get field() { return /** @type {HTMLInputElement} */ (this.querySelector('input')); }
  get regexButton() { return /** @type {HTMLButtonElement} */ (this.querySelector('.regex')); }
  get errorLine() { return /** @type {HTMLElement} */ (this.querySelector('.search__error')); }


  focusSearch() {
    this.field.focus();
    this.field.select();
  }

  render() {
    const { search, regex } = logStore.state.filter;
    if (this.field.value !== search) this.field.value = search;
    this.regexButton.setAttribute('aria-pressed', String(regex));
    const { filterError, error } = logStore.state;
    // A where expression the page cannot parse, or one the server refused (same wording).
    const message = filterError ?? (error?.message?.startsWith('where:') ? error.message : null);
    this.field.toggleAttribute('aria-invalid', Boolean(message));
    this.field.title = message ?? '';
    if (this.errorLine.textContent !== (message ?? '')) this.errorLine.textContent = message ?? '';
    this.errorLine.hidden = !message;
  }
}

/**
 * Append a condition (`key=value`, already quoted) to the search text, joined by `and`, and
 * apply it. The search so far becomes a term of the expression (a regular expression, which a
 * `where` cannot hold, is dropped).
 * @param {string} condition
 */
export function addCondition(condition) {
  const { search, regex } = logStore.state.filter;
  const current = regex ? '' : search.trim();
  logStore.setFilter({ search: current ? `${current} and ${condition}` : condition, regex: false });
}

export function registerSearchBox() {
  if (!customElements.get('msc-search-box')) customElements.define('msc-search-box', SearchBox);
}
