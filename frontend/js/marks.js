// @ts-check
/**
 * `marks`: the entries the user marked (`m`), by entry id. Ids are stable across restarts
 * (docs/PROTOCOL.md "Entry ids"), so the marks are kept with the view state (view-state.js) and
 * come back with it. The marked entries themselves are looked up among the loaded ones, or asked
 * for one by one (`get_log_context` with no neighbours) when they are not loaded.
 *
 * `marks.ids()` is what an export of the marked entries needs.
 */
import { invoke } from './bridge/core.js';
import { logStore } from './store.js';

/** @typedef {import('./filter.js').LogEntry} LogEntry */

/** At most this many marks are kept (the view state holds them; 256 KiB is its limit). */
export const MAX_MARKS = 2000;

/** @type {Set<string>} ids, in the order they were marked */
let marked = new Set();
/** @type {Map<string, LogEntry>} marked entries seen (loaded or fetched) */
const known = new Map();
/** @type {Set<(ids: Set<string>) => void>} */
const listeners = new Set();

function notify() {
  for (const fn of listeners) {
    try { fn(marked); } catch (error) { console.error('marks subscriber failed:', error); }
  }
}

/**
 * The marked entry of `id`: a loaded entry, one fetched before, or one fetched now.
 * @param {string} id
 * @returns {Promise<LogEntry|null>}
 */
async function entryOf(id) {
  const cached = known.get(id);
  if (cached) return cached;
  const loaded = logStore.state.entries.find((e) => e.id === id);
  if (loaded) { known.set(id, loaded); return loaded; }
  try {
    /** @type {{entries: LogEntry[], index: number}} */
    const found = await invoke('get_log_context', { id, before: 0, after: 0 });
    const entry = found.entries[found.index] ?? null;
    if (entry) known.set(id, entry);
    return entry;
  } catch (e) {
    console.error(`marked entry ${id} not found:`, e);
    return null;
  }
}

export const marks = {
  /**
   * @param {(ids: Set<string>) => void} fn called now and after every change
   * @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    listeners.add(fn);
    fn(marked);
    return () => { listeners.delete(fn); };
  },

  /** @param {LogEntry|null|undefined} entry */
  has(entry) { return entry?.id != null && marked.has(entry.id); },

  get size() { return marked.size; },

  /** The marked ids, oldest mark first. */
  ids() { return [...marked]; },

  /**
   * Mark `entry`, or unmark it when marked.
   * @param {LogEntry} entry
   * @returns {boolean} whether it is marked now (false too for an entry without id)
   */
  toggle(entry) {
    if (entry.id == null) return false;
    if (marked.delete(entry.id)) {
      known.delete(entry.id);
      notify();
      return false;
    }
    if (marked.size >= MAX_MARKS) return false;
    marked.add(entry.id);
    known.set(entry.id, entry);
    notify();
    return true;
  },

  /** @param {unknown} ids restored marks (anything else than strings is ignored) */
  replace(ids) {
    const list = Array.isArray(ids) ? ids.filter((id) => typeof id === 'string') : [];
    marked = new Set(list.slice(0, MAX_MARKS));
    for (const id of known.keys()) if (!marked.has(id)) known.delete(id);
    notify();
  },

  clear() { this.replace([]); },

  /**
   * The marked entries, oldest first (by time, then id), those no longer in the log left out.
   * @returns {Promise<LogEntry[]>}
   */
  async entries() {
    const found = await Promise.all([...marked].map(entryOf));
    const list = /** @type {LogEntry[]} */ (found.filter(Boolean));
    return list.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1
      : String(a.id) < String(b.id) ? -1 : 1));
  },
};
