// @ts-check
/** Number, duration, size and time formatting shared by the metrics panel, its charts and the
 * export dialog. Pure functions: no DOM. */

/**
 * A duration in milliseconds, short and with ~3 significant digits: `0.42 ms`, `12.3 ms`,
 * `1.25 s`, `2 min 03 s`.
 * @param {number} ms
 */
export function formatMs(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (ms === 0) return '0 ms';
  // Round to 3 significant digits first, so 999.6 ms becomes "1 s", not "1.00e+3 ms".
  const v = Number(ms.toPrecision(3));
  if (v < 0.001) return `${Math.round(v * 1e6)} ns`;
  if (v < 1) return `${trim((v * 1000).toPrecision(3))} µs`;
  if (v < 1000) return `${trim(v.toPrecision(3))} ms`;
  if (v < 60_000) return `${trim((v / 1000).toPrecision(3))} s`;
  const totalSeconds = Math.round(ms / 1000);
  if (totalSeconds < 3600) {
    return `${Math.floor(totalSeconds / 60)} min ${String(totalSeconds % 60).padStart(2, '0')} s`;
  }
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

/** @param {string} text */
function trim(text) {
  // Only zeros after a decimal point go: "100" stays, "1.50" becomes "1.5".
  if (text.includes('e') || !text.includes('.')) return text;
  return text.replace(/0+$/, '').replace(/\.$/, '');
}

/**
 * A counter or gauge value with grouping; gauges keep up to 3 decimals.
 * @param {number} value
 */
export function formatNumber(value) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value ?? '–');
  return value.toLocaleString(undefined, { maximumFractionDigits: 3 });
}

/**
 * A byte count: `812 B`, `4.2 KB`, `1.3 MB` (powers of 1024, as file managers show them).
 * @param {number} bytes
 */
export function formatBytes(bytes) {
  if (!Number.isFinite(bytes)) return '–';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** @param {number} n */
const pad2 = (n) => String(n).padStart(2, '0');

/**
 * Local wall-clock time of an epoch-ms value: `14:03` or `14:03:27`.
 * @param {number} ms
 * @param {boolean} [seconds]
 */
export function formatClock(ms, seconds = true) {
  const d = new Date(ms);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  return seconds ? `${hm}:${pad2(d.getSeconds())}` : hm;
}

/**
 * Local date `2026-11-28`.
 * @param {number} ms
 */
export function formatDate(ms) {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
}

/**
 * "12 s ago", "3 min ago", "2 h ago", "5 d ago".
 * @param {number} ms  the moment
 * @param {number} [now]
 */
export function formatAgo(ms, now = Date.now()) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/**
 * Epoch ms of an RFC 3339 timestamp (NaN when unreadable).
 * @param {unknown} timestamp
 */
export function parseTime(timestamp) {
  return typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
}
