// @ts-check
/**
 * `viewState`: the view that survives a restart — search and filters, time range, marks, column
 * widths, the selected tab and the scroll anchor — kept by the backend per log directory
 * (`get_view_state` / `set_view_state`), so that the window and `msc-logs dev` both come back
 * to where the user left them. In the browser the filter also lives in the URL hash
 * (`#q=timeout&level=error`), so that a link reproduces the view; a hash, when present, wins
 * over the stored filter. Restored before the first query: the first screen is the restored view.
 */
import { invoke } from './bridge/core.js';
import { emptyFilter } from './filter.js';
import { marks } from './marks.js';
import { logStore } from './store.js';

/** @typedef {import('./filter.js').Filter} Filter */
/**
 * What is stored. `columns`: widths in px by column name; `anchor`: the selected entry's id (or
 * null) and whether the list followed the newest entries.
 * @typedef {{version?: number, filter?: Partial<Filter>, marks?: string[], columns?: Record<string, number>,
 *   tab?: string, anchor?: {id: string|null, following: boolean}}} StoredView
 */

const SAVE_DEBOUNCE_MS = 500;
/** Filter keys → their short names in the URL hash (other keys go by their own name). */
const HASH_NAMES = /** @type {Record<string, string>} */ ({
  search: 'q', regex: 're', level: 'level', minLevel: 'min', category: 'cat', since: 'since',
  until: 'until', requestId: 'req', spanId: 'span', source: 'src', rawOnly: 'raw',
});

/**
 * The filter as URL hash text (`q=timeout&level=error`); '' for no filter.
 * @param {Record<string, unknown>} filter
 */
export function filterToHash(filter) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filter)) {
    const name = HASH_NAMES[key] ?? key;
    if (value === true) params.set(name, '1');
    else if (typeof value === 'string' && value) params.set(name, value);
  }
  return params.toString();
}

/**
 * The filter a URL hash gives (the keys it names; the others stay as in `emptyFilter`), or null
 * when the hash names none.
 * @param {string} hash with or without its `#`
 * @returns {Partial<Filter>|null}
 */
export function filterFromHash(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const empty = /** @type {Record<string, unknown>} */ (emptyFilter());
  const byName = new Map(Object.keys(empty).map((key) => [HASH_NAMES[key] ?? key, key]));
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [name, value] of params) {
    const key = byName.get(name);
    if (!key) continue;
    out[key] = typeof empty[key] === 'boolean' ? value === '1' || value === 'true' : value;
  }
  return Object.keys(out).length ? /** @type {Partial<Filter>} */ (out) : null;
}

/**
 * A stored filter, keeping only the keys and value types of a filter.
 * @param {unknown} value
 * @returns {Partial<Filter>}
 */
function cleanFilter(value) {
  if (!value || typeof value !== 'object') return {};
  const empty = /** @type {Record<string, unknown>} */ (emptyFilter());
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const [key, v] of Object.entries(value)) {
    if (!(key in empty)) continue;
    if (typeof empty[key] === 'boolean' ? typeof v === 'boolean' : typeof v === 'string' || v === null) out[key] = v;
  }
  return /** @type {Partial<Filter>} */ (out);
}

/** @type {() => Partial<StoredView>} the parts the page's components hold */
let collect = () => ({});
let saving = false;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let timer;
let lastSaved = '';
let lastHash = '';

async function save() {
  const stored = /** @type {StoredView} */ ({
    version: 1, filter: { ...logStore.state.filter }, marks: marks.ids(), ...collect(),
  });
  writeHash(/** @type {any} */ (stored.filter));
  const text = JSON.stringify(stored);
  if (text === lastSaved) return;
  lastSaved = text;
  try {
    await invoke('set_view_state', { state: stored });
  } catch (e) {
    lastSaved = '';
    console.error('Failed to save the view state:', e);
  }
}

/** @param {Record<string, unknown>} filter */
function writeHash(filter) {
  const hash = filterToHash(filter);
  if (hash === lastHash) return;
  lastHash = hash;
  const url = `${location.pathname}${location.search}${hash ? `#${hash}` : ''}`;
  history.replaceState(history.state, '', url);
}

export const viewState = {
  /**
   * Read the stored view and the URL hash; set the filter and the marks from them. Never fails:
   * without a stored view (or a backend that keeps none) the page starts with the default view.
   * @returns {Promise<StoredView>} the stored view, for the parts the components restore
   */
  async restore() {
    /** @type {StoredView} */
    let stored = {};
    try {
      const value = await invoke('get_view_state');
      if (value && typeof value === 'object' && !Array.isArray(value)) stored = /** @type {StoredView} */ (value);
    } catch (e) {
      console.error('Failed to read the view state:', e);
    }
    const fromHash = filterFromHash(location.hash);
    const filter = fromHash ? { ...emptyFilter(), ...fromHash } : cleanFilter(stored.filter);
    if (Object.keys(filter).length) logStore.setFilter(filter);
    marks.replace(stored.marks);
    lastHash = location.hash.replace(/^#/, '');
    lastSaved = JSON.stringify(stored);
    return stored;
  },

  /**
   * Save from now on, whenever the filter, the marks or (told by `changed`) a component's part
   * changes.
   * @param {() => Partial<StoredView>} parts what the components hold (columns, tab, anchor)
   */
  start(parts) {
    collect = parts;
    if (saving) return;
    saving = true;
    let filterKey = JSON.stringify(logStore.state.filter);
    logStore.subscribe((s) => {
      const key = JSON.stringify(s.filter);
      if (key !== filterKey) { filterKey = key; this.changed(); }
    });
    marks.subscribe(() => this.changed());
    window.addEventListener('hashchange', () => {
      const hash = location.hash.replace(/^#/, '');
      if (hash === lastHash) return;
      lastHash = hash;
      logStore.setFilter({ ...emptyFilter(), ...(filterFromHash(hash) ?? {}) });
    });
  },

  /** Something to keep changed: save after a quiet moment. */
  changed() {
    if (!saving) return;
    clearTimeout(timer);
    timer = setTimeout(() => { void save(); }, SAVE_DEBOUNCE_MS);
  },

  /** Save now (before the page goes away). */
  flush() {
    if (!saving) return Promise.resolve();
    clearTimeout(timer);
    return save();
  },

  /** Forget the view: default filter, no marks, the stored view and the URL hash cleared. */
  async reset() {
    clearTimeout(timer);
    marks.clear();
    logStore.resetFilter();
    writeHash({});
    lastSaved = JSON.stringify({});
    try {
      await invoke('set_view_state', { state: {} });
    } catch (e) {
      console.error('Failed to clear the view state:', e);
    }
  },
};
