// @ts-check
/** Formatting for the viewer: local times, numbers. */

const pad = (/** @type {number} */ n, w = 2) => String(n).padStart(w, '0');
const TIME_CACHE = Symbol('msc.time');

/**
 * @param {string} timestamp RFC 3339
 * @returns {Date|null}
 */
export function parseTimestamp(timestamp) {
  const ms = Date.parse(timestamp);
  return Number.isNaN(ms) ? null : new Date(ms);
}

/**
 * Local wall-clock time `HH:MM:SS.mmm`, or `MM-DD HH:MM:SS.mmm` with `withDate`.
 * @param {string} timestamp
 * @param {boolean} [withDate]
 */
export function formatTime(timestamp, withDate = false) {
  const d = parseTimestamp(timestamp);
  if (!d) return timestamp.slice(0, 12);
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  return withDate ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
}

/**
 * The entry's local time text, cached on the entry (rows are re-rendered while scrolling).
 * @param {any} entry
 * @param {boolean} withDate
 */
export function entryTime(entry, withDate) {
  const cache = entry[TIME_CACHE];
  if (cache && cache.withDate === withDate) return cache.text;
  const text = formatTime(entry.timestamp, withDate);
  entry[TIME_CACHE] = { withDate, text };
  return text;
}

/**
 * Full local date and time with the zone: `2026-11-28 14:03:22.123 (UTC+01:00)`.
 * @param {string} timestamp
 */
export function formatFull(timestamp) {
  const d = parseTimestamp(timestamp);
  if (!d) return timestamp;
  const offset = -d.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const zone = `UTC${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatTime(timestamp)} (${zone})`;
}

/** Local calendar day of a timestamp, `YYYY-MM-DD` (for "does the range span days?"). @param {string} timestamp */
export function localDay(timestamp) {
  const d = parseTimestamp(timestamp);
  return d ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : '';
}

/** @type {Intl.NumberFormat | undefined} made on first need: ICU's start costs ~15 ms */
let numberFormat;

/** A count with en-US grouping: 1,234,567. @param {number} n */
export function formatCount(n) {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) {
    return (numberFormat ??= new Intl.NumberFormat('en-US')).format(n);
  }
  const digits = String(Math.abs(n));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** Compact counts for the level chips: 999, 1.2k, 34k, 1.2M. @param {number} n */
export function formatShort(n) {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1).replace(/\.0$/, '')}M`;
}

const UNITS = ['', ' k', ' M', ' bn'];

/**
 * An approximate count in three significant digits: 5,120 · 29.7 k · 2.97 M · 1.2 bn (below
 * 10,000 the exact count, which is as short).
 * @param {number} n
 */
export function formatAbout(n) {
  if (!Number.isFinite(n)) return '–';
  if (Math.abs(n) < 10_000) return formatCount(Math.round(n));
  let unit = 0;
  let value = Math.abs(n);
  // Step up after rounding: 999,999 is "1 M", not "1000 k".
  while (unit < UNITS.length - 1 && Number(value.toPrecision(3)) >= 1000) {
    value /= 1000;
    unit += 1;
  }
  return `${n < 0 ? '-' : ''}${Number(value.toPrecision(3))}${UNITS[unit]}`;
}

/**
 * A `<input type="datetime-local">` value for an RFC 3339 time, and back.
 * @param {string|null} iso
 */
export function toLocalInput(iso) {
  const d = iso ? parseTimestamp(iso) : null;
  if (!d) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
/** @param {string} value local `YYYY-MM-DDTHH:MM[:SS]` @returns {string|null} RFC 3339 UTC */
export function fromLocalInput(value) {
  if (!value) return null;
  const d = new Date(value); // a date-time without zone is local time
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
