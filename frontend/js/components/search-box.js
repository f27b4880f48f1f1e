// @ts-check
/**
 * `<msc-search-box>`: the search input (message, target and field values, case-insensitive)
 * with a regular-expression toggle. The list filters as you type; the server is asked once
 * typing pauses. `focusSearch()` is bound to `/`.
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
          <input type="search" name="search" placeholder="Search messages, targets, fields" aria-label="Search logs"
            autocomplete="off" spellcheck="false">
          <kbd class="search__hint" aria-hidden="true">/</kbd>
        </label>
        <button type="button" class="toggle regex" aria-pressed="false" title="Regular expression" aria-label="Regular expression">.*</button>`.toString();
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

  focusSearch() {
    this.field.focus();
    this.field.select();
  }

  render() {
    const { search, regex } = logStore.state.filter;
    if (this.field.value !== search) this.field.value = search;
    this.regexButton.setAttribute('aria-pressed', String(regex));
    const invalid = Boolean(logStore.state.filterError);
    this.field.toggleAttribute('aria-invalid', invalid);
    this.field.title = logStore.state.filterError ?? '';
  }
}

export function registerSearchBox() {
  if (!customElements.get('msc-search-box')) customElements.define('msc-search-box', SearchBox);
}
