// @ts-check
/**
 * The filter, with the backend's semantics (shared/_match.py), so that entries filtered on the
 * server and entries filtered here agree:
 * - `level`: exact; `minLevel`: that level or more severe (both may be given).
 * - `category`: exact.
 * - `search`: substring ignoring case by Unicode case folding (`STRASSE` finds `straße`; or,
 *   with `regex`, a case-insensitive regular expression: RE2 on the server, so no
 *   backreferences or look-around) of the message, the target, or a string / integer leaf of
 *   `fields`.
 * - `since` / `until`: inclusive bounds on the timestamp (UTC text compares as time).
 * - `requestId`: exact `fields.request_id`; `spanId`: the entry's span or its parent span.
 * - `source`: the entry's `origin` (the source of the log set it was read from), exact.
 * - `rawOnly`: only raw entries (lines that are no record, shown as their text).
 * - A `search` holding a comparison (`duration_ms>500 and category=database`, see where.js) is
 *   a `where` expression: sent as `where`, and tested here by the same evaluator.
 */
import { compileWhere, looksLikeWhere, parseWhere } from './where.js';

export const LEVELS = /** @type {const} */ (['trace', 'debug', 'info', 'warn', 'error']);
/** @type {Record<string, number>} */
export const LEVEL_RANK = { trace: 0, debug: 1, info: 2, warn: 3, error: 4 };
export const CATEGORIES = /** @type {const} */ ([
  'database', 'midi', 'file', 'network', 'system', 'performance', 'security', 'user', 'unknown',
]);

/**
 * An entry: a record plus `id`, `origin` (its source's name), `raw` (true for a line that is no
 * record: `message` is its text) and `level_name` (the level as written, when that is not the
 * band's name: `ERROR+4`, `dpanic`, `30`).
 * @typedef {{timestamp: string, level: string, category: string, message: string, target: string,
 *   fields: Record<string, unknown>, span?: {name: string, id: string, parent_id?: string|null}|null,
 *   pid?: number|null, source?: string|null, id?: string, origin?: string, raw?: boolean,
 *   level_name?: string}} LogEntry
 * @typedef {{level: string|null, minLevel: string|null, category: string|null, search: string,
 *   regex: boolean, since: string|null, until: string|null, requestId: string|null,
 *   spanId: string|null, source: string|null, rawOnly: boolean}} Filter
 */

/** @returns {Filter} */
export const emptyFilter = () => ({
  level: null, minLevel: null, category: null, search: '', regex: false,
  since: null, until: null, requestId: null, spanId: null, source: null, rawOnly: false,
});

const HAY = Symbol('msc.haystack');
const CANONICAL = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/**
 * The texts a search looks at: message, target, string and integer leaves of fields.
 * @param {LogEntry} entry
 * @returns {string[]}
 */
export function entryTexts(entry) {
  const texts = [String(entry.message ?? ''), String(entry.target ?? '')];
  /** @type {unknown[]} */
  const stack = [entry.fields];
  while (stack.length) { // iterative: fields may nest deeply
    const value = stack.pop();
    if (typeof value === 'string') texts.push(value);
    else if (typeof value === 'number') { if (Number.isInteger(value)) texts.push(String(value)); }
    else if (Array.isArray(value)) { for (const v of value) stack.push(v); }
    else if (value && typeof value === 'object') { for (const v of Object.values(value)) stack.push(v); }
  }
  return texts;
}

/**
 * The lowercase search texts of an entry joined by NUL, computed once and kept on the entry.
 * @param {LogEntry} entry
 * @returns {string}
 */
export function haystack(entry) {
  const e = /** @type {any} */ (entry);
  return e[HAY] ??= fold(entryTexts(entry).join('\u0000'));
}

/**
 * Case folding as near to the backend's (Unicode full case folding) as JavaScript gets: upper
 * then lower case folds `ß` to `ss`, `ſ` to `s` and the Kelvin sign to `k` as well.
 * @param {string} text
 */
export function fold(text) {
  return text.toUpperCase().toLowerCase();
}

/**
 * RFC 3339 text as the backend's canonical UTC text (`…SS.ffffffZ`), or null if unparsable.
 * @param {string|null|undefined} text
 */
export function canonicalTime(text) {
  if (!text) return null;
  if (CANONICAL.test(text)) return text;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) return null;
  return new Date(ms).toISOString().replace('Z', '000Z');
}

/**
 * The `get_recent_logs` / `export_logs` filter arguments of a filter (nulls left out).
 * @param {Filter} f
 * @returns {Record<string, string|boolean>}
 */
export function serverArgs(f) {
  /** @type {Record<string, string|boolean>} */
  const args = {};
  if (f.level) args.level = f.level;
  if (f.minLevel) args.min_level = f.minLevel;
  if (f.category) args.category = f.category;
  if (isWhere(f)) args.where = f.search;
  else if (f.search) {
    args.search = f.search;
    if (f.regex) args.regex = true;
  }
  if (f.since) args.since = f.since;
  if (f.until) args.until = f.until;
  if (f.requestId) args.request_id = f.requestId;
  if (f.spanId) args.span_id = f.spanId;
  if (f.source) args.source = f.source;
  if (f.rawOnly) args.raw_only = true;
  return args;
}

/**
 * Whether the filter's search text is a `where` expression (it holds a comparison; not in
 * regular-expression mode).
 * @param {Filter} f
 */
export function isWhere(f) {
  return Boolean(f.search) && !f.regex && looksLikeWhere(f.search);
}

/**
 * A filter compiled for testing entries.
 * @typedef {{
 *   test: (e: LogEntry) => boolean,
 *   testExceptLevel: (e: LogEntry) => boolean,
 *   testLevel: (level: string) => boolean,
 *   searchRegex: RegExp|null,
 *   error: string|null,
 *   active: boolean,
 * }} Matcher
 */

/**
 * @param {Filter} f
 * @returns {Matcher}
 */
export function compile(f) {
  const min = f.minLevel ? LEVEL_RANK[f.minLevel] ?? 0 : null;
  const testLevel = (/** @type {string} */ level) =>
    (!f.level || level === f.level) && (min === null || (LEVEL_RANK[level] ?? -1) >= min);
  const since = canonicalTime(f.since);
  const until = canonicalTime(f.until);
  /** @type {string|null} */
  let error = null;
  /** @type {RegExp|null} */
  let regex = null;
  /** @type {((e: LogEntry) => boolean) | null} */
  let textTest = null;
  if (isWhere(f)) {
    try {
      const node = parseWhere(f.search);
      if (node) textTest = compileWhere(node);
    } catch (e) {
      error = /** @type {Error} */ (e).message;
    }
  } else if (f.search && f.regex) {
    try {
      regex = new RegExp(f.search, 'i');
      const re = regex;
      textTest = (e) => entryTexts(e).some((t) => re.test(t));
    } catch (e) {
      error = `invalid regular expression: ${/** @type {Error} */ (e).message}`;
    }
  } else if (f.search) {
    const needle = fold(f.search);
    textTest = (e) => haystack(e).includes(needle);
  }
  const { category, requestId, spanId, source, rawOnly } = f;
  /** @param {LogEntry} e */
  const testExceptLevel = (e) => {
    if (category && e.category !== category) return false;
    const ts = e.timestamp;
    if ((since && ts < since) || (until && ts > until)) return false;
    if (requestId && e.fields?.request_id !== requestId) return false;
    if (spanId && e.span?.id !== spanId && e.span?.parent_id !== spanId) return false;
    if (source && e.origin !== source) return false;
    if (rawOnly && e.raw !== true) return false;
    return textTest === null || textTest(e);
  };
  const active = Boolean(f.level || f.minLevel || category || since || until || requestId || spanId
    || source || rawOnly || textTest);
  return {
    test: (e) => testLevel(e.level) && testExceptLevel(e),
    testExceptLevel,
    testLevel,
    searchRegex: f.search && !isWhere(f) ? (regex ?? new RegExp(escapeRegExp(f.search), 'i')) : null,
    error,
    active,
  };
}

/** @param {string} text */
export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Ranges `[start, end)` of a search's hits in a text (for highlighting), at most `max`.
 * @param {string} text
 * @param {RegExp|null} regex
 * @param {number} [max]
 * @returns {[number, number][]}
 */
export function hitRanges(text, regex, max = 50) {
  if (!regex || !text) return [];
  const global = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : `${regex.flags}g`);
  /** @type {[number, number][]} */
  const out = [];
  let match;
  while ((match = global.exec(text)) && out.length < max) {
    if (match[0].length === 0) { global.lastIndex += 1; continue; }
    out.push([match.index, match.index + match[0].length]);
  }
  return out;
}
