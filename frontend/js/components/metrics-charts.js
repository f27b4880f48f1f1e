// @ts-check
/**
 * The metrics panel's two charts as hand-written SVG markup (through the escaping `html`
 * template, so metric names stay text): timing distributions as nested horizontal bars, and the
 * log volume over time as a histogram stacked by level. Colours come from CSS classes in
 * css/metrics.css (which read the theme's --accent and --level-* properties).
 */
import { html } from '../html.js';
import { formatClock, formatDate, formatMs, formatNumber, parseTime } from './metrics-format.js';

/** Stacking order of the histogram, bottom first: errors sit on the baseline, easy to compare. */
export const LEVELS = /** @type {const} */ (['error', 'warn', 'info', 'debug', 'trace']);
/** Candidate bucket sizes (ms) for the volume histogram, smallest first. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
  43200, 86400, 172800, 604800].map((s) => s * 1000);
/** Fewest buckets the volume histogram shows. */
const MIN_BUCKETS = 20;
const PERCENTILES = /** @type {const} */ (['max', 'p99', 'p95', 'p50']);

/**
 * @typedef {{count:number,total_ms:number,min_ms:number,max_ms:number,avg_ms:number,
 *   p50_ms:number,p95_ms:number,p99_ms:number}} TimingStats
 * @typedef {{name:string} & TimingStats} TimingRow
 * @typedef {{start:number, step:number, buckets:{t:number, total:number,
 *   counts:Record<string, number>}[], totals:Record<string, number>, count:number}} Histogram
 */

/**
 * "Nice" tick values covering [0, max]: steps of 1, 2 or 5 × 10^k.
 * @param {number} max
 * @param {number} count  roughly how many ticks
 */
export function niceTicks(max, count = 4) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let v = 0; v < max + step * 0.999; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

/**
 * The x scale of the timing chart: logarithmic when the values span more than ~1.5 decades
 * (a 2 ms and a 4 s timing would otherwise leave the short one invisible).
 * @param {number[]} values  all values to show (ms)
 * @param {number} width  pixels
 * @returns {{log:boolean, x:(v:number)=>number, ticks:number[]}}
 */
export function timingScale(values, width) {
  const positive = values.filter((v) => v > 0 && Number.isFinite(v));
  const hi = Math.max(...positive, 0);
  const lo = Math.min(...positive, hi);
  if (hi > 0 && hi / lo >= 30) {
    const d0 = Math.floor(Math.log10(lo));
    const d1 = Math.max(Math.ceil(Math.log10(hi)), d0 + 1);
    const every = Math.ceil((d1 - d0) / 6);
    const ticks = [];
    for (let d = d0; d <= d1; d += every) ticks.push(10 ** d);
    const x = (/** @type {number} */ v) => (v <= 0 ? 0
      : Math.max(0, ((Math.log10(v) - d0) / (d1 - d0)) * width));
    return { log: true, x, ticks };
  }
  const ticks = niceTicks(hi || 1, 4);
  const top = ticks[ticks.length - 1];
  return { log: false, x: (v) => (Math.max(0, v) / top) * width, ticks };
}

/**
 * @param {string} text
 * @param {number} chars
 */
function clip(text, chars) {
  return text.length <= chars ? text : `${text.slice(0, Math.max(1, chars - 1))}…`;
}

/**
 * Timing distribution: one row per name, a bar to max with p99, p95 and p50 drawn over it.
 * @param {TimingRow[]} rows  in display order
 * @param {number} width  pixels available
 */
export function timingChart(rows, width) {
  const labelW = Math.min(200, Math.max(90, Math.round(width * 0.28)));
  const valueW = 92;
  const rowH = 26;
  const top = 4;
  const plotW = Math.max(40, width - labelW - valueW - 16);
  const height = top + rows.length * rowH + 24;
  const values = rows.flatMap((r) => [r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms]);
  const scale = timingScale(values, plotW);
  const x0 = labelW + 8;
  const axisY = top + rows.length * rowH + 2;
  const grid = scale.ticks.map((t) => {
    const x = x0 + scale.x(t);
    return html`<line class="grid" x1="${x}" x2="${x}" y1="${top}" y2="${axisY}"></line>
      <text class="tick" x="${x}" y="${axisY + 14}" text-anchor="middle">${formatMs(t)}</text>`;
  });
  const bars = rows.map((row, i) => {
    const y = top + i * rowH;
    const rects = PERCENTILES.map((p) => {
      const w = scale.x(row[`${p}_ms`]);
      return html`<rect class="bar bar-${p}" x="${x0}" y="${y + 5}" width="${w.toFixed(1)}"
        height="${rowH - 10}" rx="2"></rect>`;
    });
    const tip = `${row.name}\np50 ${formatMs(row.p50_ms)} · p95 ${formatMs(row.p95_ms)} · `
      + `p99 ${formatMs(row.p99_ms)} · max ${formatMs(row.max_ms)} (${formatNumber(row.count)} samples)`;
    return html`<g class="row"><title>${tip}</title>
      <rect class="hit" x="0" y="${y}" width="${width}" height="${rowH}"></rect>
      <text class="label" x="${labelW}" y="${y + rowH / 2 + 4}" text-anchor="end">${clip(row.name, Math.floor(labelW / 7))}</text>
      ${rects}
      <text class="value" x="${width - 4}" y="${y + rowH / 2 + 4}" text-anchor="end">p95 ${formatMs(row.p95_ms)}</text></g>`;
  });
  const label = `Timing distribution of ${rows.length} timings${scale.log ? ', logarithmic scale' : ''}`;
  return html`<svg class="msc-chart msc-chart--timings" role="img" aria-label="${label}"
    width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-scale="${scale.log ? 'log' : 'linear'}">
    ${grid}${bars}</svg>`;
}

/**
 * Choose a bucket size for a span so there are at most `target` buckets.
 * @param {number} span  ms
 * @param {number} target
 */
export function chooseStep(span, target = 60) {
  return STEPS.find((s) => span / s < target) ?? Math.ceil(span / target / 86_400_000) * 86_400_000;
}

/**
 * Count entries per time bucket and level.
 * @param {{timestamp?:unknown, level?:unknown}[]} entries
 * @param {number} [target]  most buckets
 * @returns {Histogram | null}  null when no entry has a readable timestamp
 */
export function histogram(entries, target = 60) {
  let lo = Infinity;
  let hi = -Infinity;
  const times = new Float64Array(entries.length);
  entries.forEach((e, i) => {
    const t = parseTime(e.timestamp);
    times[i] = t;
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  });
  if (!Number.isFinite(lo)) return null;
  const step = chooseStep(hi - lo, target);
  // Buckets of an hour or more start on local hours/midnights, not on UTC ones.
  const offset = step >= 3_600_000 ? -new Date(lo).getTimezoneOffset() * 60_000 : 0;
  // A short burst still gets MIN_BUCKETS buckets, ending at the newest entry: a few wide
  // slabs would say less about "all at once" than thin bars at the end of a quiet stretch.
  const last = Math.floor((hi + offset) / step) * step - offset;
  const start = Math.min(Math.floor((lo + offset) / step) * step - offset, last - (MIN_BUCKETS - 1) * step);
  const n = Math.floor((hi - start) / step) + 1;
  const buckets = Array.from({ length: n }, (_, i) => ({
    t: start + i * step, total: 0, counts: Object.fromEntries(LEVELS.map((l) => [l, 0])),
  }));
  /** @type {Record<string, number>} */
  const totals = Object.fromEntries(LEVELS.map((l) => [l, 0]));
  let count = 0;
  entries.forEach((e, i) => {
    if (Number.isNaN(times[i])) return;
    const level = LEVELS.includes(/** @type {any} */ (e.level)) ? String(e.level) : 'info';
    const bucket = buckets[Math.floor((times[i] - start) / step)];
    bucket.counts[level] += 1;
    bucket.total += 1;
    totals[level] += 1;
    count += 1;
  });
  return { start, step, buckets, totals, count };
}

/**
 * Human name of a bucket size: "1 s", "5 min", "1 h", "1 d".
 * @param {number} step  ms
 */
export function stepName(step) {
  const s = step / 1000;
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${s / 60} min`;
  if (s < 86400) return `${s / 3600} h`;
  return `${s / 86400} d`;
}

/**
 * @param {number} t
 * @param {number} step
 */
function timeLabel(t, step) {
  if (step >= 86_400_000) return formatDate(t).slice(5);
  return formatClock(t, step < 60_000);
}

/**
 * Log volume over time, stacked by level.
 * @param {Histogram} hist
 * @param {number} width
 * @param {number} [height]
 */
export function volumeChart(hist, width, height = 170) {
  const m = { left: 44, right: 8, top: 8, bottom: 22 };
  const plotW = Math.max(40, width - m.left - m.right);
  const plotH = height - m.top - m.bottom;
  const maxTotal = Math.max(1, ...hist.buckets.map((b) => b.total));
  const ticks = niceTicks(maxTotal, 4);
  const yTop = ticks[ticks.length - 1];
  const y = (/** @type {number} */ v) => m.top + plotH - (v / yTop) * plotH;
  const bw = plotW / hist.buckets.length;
  const gap = bw > 4 ? 1 : 0;
  const every = Math.max(1, Math.ceil(76 / bw));
  const yAxis = ticks.map((t) => html`<line class="grid" x1="${m.left}" x2="${width - m.right}"
    y1="${y(t)}" y2="${y(t)}"></line><text class="tick" x="${m.left - 6}" y="${y(t) + 4}"
    text-anchor="end">${formatNumber(t)}</text>`);
  let lastDate = formatDate(hist.start);
  let labelEnd = -Infinity;
  const bars = hist.buckets.map((b, i) => {
    const x = m.left + i * bw;
    let base = 0;
    const rects = LEVELS.filter((l) => b.counts[l] > 0).map((l) => {
      const y0 = y(base);
      base += b.counts[l];
      return html`<rect class="lvl lvl-${l}" x="${(x + gap / 2).toFixed(2)}" y="${y(base).toFixed(2)}"
        width="${Math.max(0.5, bw - gap).toFixed(2)}" height="${(y0 - y(base)).toFixed(2)}"></rect>`;
    });
    const parts = LEVELS.filter((l) => b.counts[l] > 0).map((l) => `${b.counts[l]} ${l}`).join(', ');
    const tip = `${formatDate(b.t)} ${timeLabel(b.t, Math.min(hist.step, 3_600_000))} + ${stepName(hist.step)}: `
      + `${formatNumber(b.total)} entries${parts ? ` (${parts})` : ''}`;
    let tick = html``;
    if (i % every === 0) {
      const day = formatDate(b.t);
      const text = day !== lastDate && hist.step < 86_400_000 ? `${day.slice(5)} ${timeLabel(b.t, hist.step)}`
        : timeLabel(b.t, hist.step);
      const half = text.length * 3.3; // ~half the label's width at 11px
      const left = i === 0 ? x : x - half;
      // A label that would touch the previous one (the first is left-aligned, so wider) is skipped.
      if (left >= labelEnd + 8 && x + half <= width) {
        lastDate = day;
        labelEnd = left + 2 * half;
        tick = html`<text class="tick" x="${x}" y="${height - 6}" text-anchor="${i === 0 ? 'start' : 'middle'}">${text}</text>`;
      }
    }
    return html`<g class="bucket"><title>${tip}</title><rect class="hit" x="${x}" y="${m.top}"
      width="${bw}" height="${plotH}"></rect>${rects}</g>${tick}`;
  });
  const label = `Log volume: ${hist.count} entries in ${hist.buckets.length} buckets of `
    + `${stepName(hist.step)}; ${hist.totals.error} errors, ${hist.totals.warn} warnings`;
  return html`<svg class="msc-chart msc-chart--volume" role="img" aria-label="${label}"
    width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
    ${yAxis}${bars}<line class="axis" x1="${m.left}" x2="${width - m.right}" y1="${y(0)}" y2="${y(0)}"></line></svg>`;
}
