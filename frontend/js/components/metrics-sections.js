// @ts-check
/** Markup of the metrics panel's sections (cards, the sortable timings table, the empty state),
 * all through the escaping `html` template: metric names come from other processes. */
import { html } from '../html.js';
import { formatAgo, formatClock, formatMs, formatNumber, parseTime } from './metrics-format.js';

/**
 * @typedef {import('./metrics-charts.js').TimingStats} TimingStats
 * @typedef {import('./metrics-charts.js').TimingRow} TimingRow
 * @typedef {{counters?:Record<string, number>, timings?:Record<string, TimingStats>,
 *   gauges?:Record<string, number>}} MetricSet
 * @typedef {MetricSet & {pid?:number, processes?:(MetricSet & {pid:number, timestamp:string})[]}} Metrics
 * @typedef {{key:'name'|'count'|'avg_ms'|'p95_ms'|'max_ms', dir:'ascending'|'descending'}} Sort
 */

/** Columns of the timings table: key, heading, numeric. */
export const COLUMNS = /** @type {const} */ ([
  ['name', 'Name', false], ['count', 'Count', true], ['avg_ms', 'Avg', true],
  ['p95_ms', 'p95', true], ['max_ms', 'Max', true],
]);

/**
 * The processes the selector offers: this viewer first, then every other process by pid.
 * @param {Metrics} metrics
 * @returns {{value:string, label:string, set:MetricSet, timestamp?:string}[]}
 */
export function processChoices(metrics) {
  const own = { value: 'self', label: `This viewer (pid ${metrics.pid ?? '?'})`, set: metrics };
  const others = (metrics.processes ?? []).map((p) => {
    const t = parseTime(p.timestamp);
    const when = Number.isNaN(t) ? 'snapshot time unknown' : `snapshot ${formatClock(t)}, ${formatAgo(t)}`;
    return { value: String(p.pid), label: `pid ${p.pid} — ${when}`, set: p, timestamp: p.timestamp };
  });
  return [own, ...others];
}

/** @param {MetricSet | undefined} set */
export function isEmpty(set) {
  return !set || ['counters', 'timings', 'gauges'].every(
    (k) => Object.keys(/** @type {any} */ (set)[k] ?? {}).length === 0);
}

/**
 * Counter or gauge cards, sorted by name.
 * @param {Record<string, number> | undefined} values
 * @param {string} kind  "counter" or "gauge"
 */
export function cards(values, kind) {
  const names = Object.keys(values ?? {}).sort((a, b) => a.localeCompare(b));
  if (names.length === 0) return html`<p class="msc-metrics__none">No ${kind}s recorded.</p>`;
  return html`<ul class="msc-metrics__cards" role="list">${names.map((name) => html`
    <li class="msc-metrics__card" data-${kind}="${name}">
      <span class="msc-metrics__card-name" title="${name}">${name}</span>
      <span class="msc-metrics__card-value">${formatNumber(/** @type {any} */ (values)[name])}</span>
    </li>`)}</ul>`;
}

/**
 * Timing rows in the order of `sort`.
 * @param {Record<string, TimingStats> | undefined} timings
 * @param {Sort} sort
 * @returns {TimingRow[]}
 */
export function sortedTimings(timings, sort) {
  const rows = Object.entries(timings ?? {}).map(([name, stats]) => ({ ...stats, name }));
  const sign = sort.dir === 'ascending' ? 1 : -1;
  return rows.sort((a, b) => {
    const d = sort.key === 'name' ? a.name.localeCompare(b.name) : (a[sort.key] - b[sort.key]);
    return sign * (d || a.name.localeCompare(b.name));
  });
}

/**
 * The timings table; headers are buttons, the sorted one carries aria-sort.
 * @param {TimingRow[]} rows
 * @param {Sort} sort
 */
export function timingsTable(rows, sort) {
  const head = COLUMNS.map(([key, label, numeric]) => {
    const sorted = sort.key === key;
    const arrow = sorted ? (sort.dir === 'ascending' ? '▲' : '▼') : '';
    return html`<th scope="col" class="${numeric ? 'num' : ''}" aria-sort="${sorted ? sort.dir : 'none'}">
      <button type="button" data-sort="${key}">${label}<span class="arrow" aria-hidden="true">${arrow}</span></button></th>`;
  });
  const body = rows.map((r) => html`<tr data-timing="${r.name}">
    <th scope="row" class="name" title="${r.name}">${r.name}</th>
    <td class="num">${formatNumber(r.count)}</td><td class="num">${formatMs(r.avg_ms)}</td>
    <td class="num">${formatMs(r.p95_ms)}</td><td class="num">${formatMs(r.max_ms)}</td></tr>`);
  return html`<table class="msc-metrics__table"><caption class="visually-hidden">Timings, sortable by column</caption>
    <thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** Explanation shown when no process has any metric yet. */
export function emptyState() {
  return html`<div class="msc-metrics__empty" role="status">
    <p class="msc-metrics__empty-title">No metrics yet</p>
    <p>Metrics are counters, timings and gauges a process records with <code>shared</code>
      (<code>increment_counter</code>, <code>time_operation</code>, <code>set_gauge</code>).
      This viewer shows its own as soon as it records some, and those of other processes once
      they write a <em>metrics snapshot</em> into the log — every <var>N</var> seconds after
      <code>start_metrics_snapshots(N)</code>, or on demand with <code>write_metrics_snapshot()</code>.</p>
    <p>Nothing to do here: the panel refreshes every few seconds while it is open.</p></div>`;
}

/**
 * @param {{code?:string, message?:string} | unknown} error
 * @param {number | null} updatedAt  when the data still shown was fetched
 */
export function errorState(error, updatedAt) {
  const e = /** @type {{code?:string, message?:string}} */ (error ?? {});
  const stale = updatedAt ? html` Showing the metrics from ${formatClock(updatedAt)}.` : html``;
  return html`<div class="msc-metrics__error" role="alert">
    <strong>Could not load metrics</strong> <code>${e.code ?? 'error'}</code>
    <span class="msc-metrics__error-text">${e.message ?? String(error)}</span>${stale}
    <button type="button" data-action="retry">Try again</button></div>`;
}
