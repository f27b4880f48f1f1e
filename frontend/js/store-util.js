// @ts-check
/** The store's helpers: entry and filter normalization, errors, idle work. */
import { emptyFilter, haystack } from './filter.js';

/** @typedef {import('./filter.js').LogEntry} LogEntry */
/** @typedef {import('./filter.js').Filter} Filter */
/** @typedef {{code: string, message: string}} CommandError */

/** @param {any} e @returns {LogEntry} */
export function normalize(e) {
  if (typeof e.message !== 'string') e.message = String(e.message ?? '');
  if (typeof e.target !== 'string') e.target = String(e.target ?? '');
  if (typeof e.level !== 'string') e.level = 'info';
  if (typeof e.category !== 'string') e.category = 'unknown';
  if (typeof e.timestamp !== 'string') e.timestamp = String(e.timestamp ?? '');
  if (!e.fields || typeof e.fields !== 'object') e.fields = {};
  // Optional keys: absent unless meaningful (a reader may send `level_name: null`).
  if (typeof e.level_name !== 'string' || !e.level_name) delete e.level_name;
  if (typeof e.origin !== 'string') delete e.origin;
  if (e.raw !== true) delete e.raw;
  return e;
}

/** @param {unknown} e @returns {CommandError} */
export function toError(e) {
  if (e && typeof e === 'object' && 'code' in e) return /** @type {CommandError} */ (e);
  return { code: 'internal', message: String(/** @type {any} */ (e)?.message ?? e) };
}

/** @param {Record<string, unknown>} args @returns {Partial<Filter>} */
export function filterOf(args) {
  return {
    level: /** @type {string|null} */ (args.level ?? null),
    minLevel: /** @type {string|null} */ (args.min_level ?? null),
    category: /** @type {string|null} */ (args.category ?? null),
    search: /** @type {string} */ (args.where ?? args.search ?? ''), // where: see filter.js
    regex: Boolean(args.regex),
    since: /** @type {string|null} */ (args.since ?? null),
    until: /** @type {string|null} */ (args.until ?? null),
    source: /** @type {string|null} */ (args.source ?? null),
    rawOnly: Boolean(args.raw_only),
  };
}

/** @param {Filter} f @returns {Filter} */
export function normalizeFilter(f) {
  const out = { ...emptyFilter(), ...f };
  for (const key of /** @type {const} */ (['level', 'minLevel', 'category', 'since', 'until', 'requestId', 'spanId', 'source'])) {
    if (!out[key]) out[key] = null;
  }
  out.search = out.search ?? '';
  out.regex = Boolean(out.regex);
  out.rawOnly = Boolean(out.rawOnly);
  return out;
}

/**
 * Build the entries' search haystacks while the page is idle, so that the first search over
 * 100k entries costs no more than the next ones. Memoized: re-walking warm entries is cheap.
 */
let warmCursor = 0;
let warming = false;
/**
 * @param {() => LogEntry[]} entries the current entries (the array may be replaced meanwhile)
 * @param {boolean} [restart] walk from the start again (entries were added before the cursor)
 */
export function warmHaystacks(entries, restart = true) {
  if (restart) warmCursor = 0;
  if (warming) return;
  warming = true;
  const idle = window.requestIdleCallback
    ?? ((/** @type {IdleRequestCallback} */ fn) => setTimeout(() => fn(/** @type {IdleDeadline} */ ({ timeRemaining: () => 8, didTimeout: false })), 50));
  /** @param {IdleDeadline} deadline */
  const step = (deadline) => {
    const list = entries();
    while (warmCursor < list.length && deadline.timeRemaining() > 1) {
      const end = Math.min(list.length, warmCursor + 500);
      for (let i = warmCursor; i < end; i++) haystack(list[i]);
      warmCursor = end;
    }
    if (warmCursor < list.length) idle(step);
    else warming = false;
  };
  idle(step);
}

