// @ts-check
/** The export dialog's pure helpers: the active filter in words, file names and extensions. */
import { formatClock, formatDate, parseTime } from './metrics-format.js';

/** @typedef {'jsonl'|'csv'|'txt'} ExportFormat */
/**
 * @typedef {{level?:string|null, minLevel?:string|null, category?:string|null, search?:string|null,
 *   regex?:boolean, since?:string|null, until?:string|null, requestId?:string|null,
 *   spanId?:string|null, source?:string|null, rawOnly?:boolean}} Filter
 */

export const FORMATS = /** @type {const} */ (['jsonl', 'csv', 'txt']);
const EXTENSION = /\.(jsonl|csv|txt)$/i;

/**
 * @param {unknown} value  RFC 3339 text or anything else
 */
function when(value) {
  const t = parseTime(value);
  return Number.isNaN(t) ? String(value) : `${formatDate(t)} ${formatClock(t)}`;
}

/**
 * The active filter as short phrases, one per condition ("level warn or above", …); empty when
 * no filter is active.
 * @param {Filter | null | undefined} filter
 * @returns {string[]}
 */
export function describeFilter(filter) {
  const f = filter ?? {};
  /** @type {string[]} */
  const words = [];
  if (f.level) words.push(`level is ${f.level}`);
  if (f.minLevel) words.push(`level ${f.minLevel} or above`);
  if (f.category) words.push(`category ${f.category}`);
  if (f.search) words.push(f.regex ? `matches /${f.search}/` : `contains “${f.search}”`);
  if (f.since) words.push(`from ${when(f.since)}`);
  if (f.until) words.push(`until ${when(f.until)}`);
  if (f.requestId) words.push(`request id ${f.requestId}`);
  if (f.spanId) words.push(`span id ${f.spanId}`);
  if (f.source) words.push(`source ${f.source}`);
  if (f.rawOnly) words.push('raw lines only');
  return words;
}

/**
 * Why the export may hold more than the list shows, or '' when it holds the same entries:
 * `export_logs` has no argument for a request or span id (the store sends a request id as a
 * text search, a superset, and cannot send a span id at all).
 * @param {Filter | null | undefined} filter
 */
export function exportCaveat(filter) {
  if (!filter?.requestId && !filter?.spanId) return '';
  return 'The file can hold more entries than the list: the request and span ids are matched '
    + 'as text, or not at all, when exporting.';
}

/**
 * A default file name: `midi-software-center-logs-2026-11-28-1403.jsonl` (local time).
 * @param {ExportFormat} format
 * @param {{filtered?:boolean, now?:number}} [options]
 */
export function suggestedName(format, { filtered = false, now = Date.now() } = {}) {
  const stamp = `${formatDate(now)}-${formatClock(now, false).replace(':', '')}`;
  return `midi-software-center-logs-${stamp}${filtered ? '-filtered' : ''}.${format}`;
}

/**
 * `path` with its export extension replaced by `format`'s (other paths unchanged).
 * @param {string} path
 * @param {ExportFormat} format
 */
export function withExtension(path, format) {
  return EXTENSION.test(path) ? path.replace(EXTENSION, `.${format}`) : path;
}
