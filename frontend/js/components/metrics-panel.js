// @ts-check
/**
 * `<msc-metrics-panel>`: counters, gauges, timings (table + distribution chart) of this viewer
 * and of every process that wrote a metrics snapshot, plus the volume of the loaded log entries
 * over time. Refreshes itself every `REFRESH_MS` while it is on screen and the window is visible.
 *
 * Reads `logStore.state.metrics` (filled by `logStore.fetchMetrics()`) and
 * `logStore.state.entries`; owns no data of its own besides view state (process, sort).
 */
import { html } from '../html.js';
import { logStore } from '../store.js';
import { histogram, LEVELS, stepName, timingChart, volumeChart } from './metrics-charts.js';
import { formatClock, formatNumber } from './metrics-format.js';
import {
  cards, emptyState, errorState, isEmpty, processChoices, sortedTimings, timingsTable,
} from './metrics-sections.js';

/** Milliseconds between automatic refreshes while the panel is visible. */
export const REFRESH_MS = 5000;
/** Shortest time between two redraws of the volume histogram while entries stream in. */
const VOLUME_MS = 1000;
let instances = 0;

/** @typedef {import('./metrics-sections.js').Metrics} Metrics */
/** @typedef {import('./metrics-sections.js').Sort} Sort */

export class MetricsPanel extends HTMLElement {
  constructor() {
    super();
    /** @type {Sort} */
    this.sort = { key: 'name', dir: 'ascending' };
    /** @type {string | null} the process chosen by the user ("self" or a pid) */
    this.chosen = null;
    this.loading = false;
    /** @type {unknown} */
    this.error = null;
    /** @type {number | null} */
    this.updatedAt = null;
    this.visible = false;
    /** @type {Metrics | null} */
    this.shown = null;
    /** set when the metrics section must be drawn again (new data, error, width, sort) */
    this.metricsDirty = true;
    /** what the metric sections show now, to skip redrawing the same */
    this.renderedKey = '';
    /** @type {unknown[] | null} */
    this.entriesShown = null;
    this.entriesLength = -1;
    /** @type {unknown} */
    this.lastId = null;
    this.volumeAt = 0;
    /** @type {ReturnType<typeof setTimeout> | 0} */
    this.volumeTimer = 0;
    this.frame = 0;
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.firstElementChild) this.build();
    this.cleanups.push(logStore.subscribe(() => this.schedule()));
    const io = new IntersectionObserver(([entry]) => this.setVisible(entry.isIntersecting));
    io.observe(this);
    let width = 0;
    const ro = new ResizeObserver(([entry]) => {
      // Only a new width changes the charts; a height change is our own rendering.
      if (Math.round(entry.contentRect.width) === width) return;
      width = Math.round(entry.contentRect.width);
      this.schedule(true);
    });
    ro.observe(this.ref('body'));
    const timer = setInterval(() => this.tick(), REFRESH_MS);
    const onVisibility = () => this.tick();
    document.addEventListener('visibilitychange', onVisibility);
    this.cleanups.push(() => io.disconnect(), () => ro.disconnect(), () => clearInterval(timer),
      () => document.removeEventListener('visibilitychange', onVisibility));
  }

  disconnectedCallback() {
    this.cleanups.splice(0).forEach((fn) => fn());
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    clearTimeout(this.volumeTimer);
    this.volumeTimer = 0;
  }

  /** Fetch the metrics now (the Refresh button; also called by the auto refresh). */
  async refresh() {
    if (this.loading) return;
    this.loading = true;
    this.renderStatus();
    try {
      await logStore.fetchMetrics();
      this.error = null;
      this.updatedAt = Date.now();
    } catch (error) {
      this.error = error ?? { code: 'internal', message: 'unknown error' };
    } finally {
      this.loading = false;
      this.metricsDirty = true; // also when the store kept the same object, or on an error
      this.schedule();
    }
  }

  build() {
    const id = `msc-metrics-${++instances}`;
    this.innerHTML = html`<section class="msc-metrics" aria-labelledby="${id}-title">
      <header class="msc-metrics__head">
        <h2 id="${id}-title">Performance metrics</h2>
        <label class="msc-metrics__process">Process
          <select data-ref="process" aria-describedby="${id}-status"></select></label>
        <span class="msc-metrics__status" id="${id}-status" data-ref="status" aria-live="polite"></span>
        <button type="button" class="msc-metrics__refresh" data-action="refresh">Refresh</button>
      </header>
      <div data-ref="message"></div>
      <div class="msc-metrics__body" data-ref="body">
        <section class="msc-metrics__section" data-ref="counters-section"><h3>Counters</h3><div data-ref="counters"></div></section>
        <section class="msc-metrics__section" data-ref="gauges-section"><h3>Gauges</h3><div data-ref="gauges"></div></section>
        <section class="msc-metrics__section msc-metrics__timings" data-ref="timings-section"><h3>Timings</h3>
          <div class="msc-metrics__timings-grid"><div data-ref="table"></div>
          <figure class="msc-metrics__figure"><div data-ref="timing-chart" class="msc-metrics__chart"></div>
            <figcaption data-ref="timing-legend"></figcaption></figure></div></section>
        <section class="msc-metrics__section msc-metrics__volume"><h3>Log volume</h3>
          <figure class="msc-metrics__figure"><div data-ref="volume" class="msc-metrics__chart"></div>
            <figcaption data-ref="volume-legend"></figcaption></figure></section>
      </div></section>`.toString();
    this.addEventListener('click', (event) => this.onClick(event));
    this.ref('process').addEventListener('change', (event) => {
      this.chosen = /** @type {HTMLSelectElement} */ (event.target).value;
      this.renderMetrics();
    });
  }

  /** @param {string} name */
  ref(name) {
    return /** @type {HTMLElement} */ (this.querySelector(`[data-ref="${name}"]`));
  }

  /** @param {Event} event */
  onClick(event) {
    const target = /** @type {HTMLElement} */ (event.target);
    const button = target.closest('button');
    if (!button) return;
    if (button.dataset.action === 'refresh' || button.dataset.action === 'retry') this.refresh();
    const key = /** @type {Sort['key'] | undefined} */ (button.dataset.sort);
    if (key) {
      const dir = this.sort.key === key
        ? (this.sort.dir === 'ascending' ? 'descending' : 'ascending')
        : (key === 'name' ? 'ascending' : 'descending');
      this.sort = { key, dir };
      this.renderMetrics();
      /** @type {HTMLElement | null} */ (this.querySelector(`[data-sort="${key}"]`))?.focus();
    }
  }

  /** @param {boolean} visible */
  setVisible(visible) {
    const appeared = visible && !this.visible;
    this.visible = visible;
    if (!appeared) return;
    if (!this.updatedAt || Date.now() - this.updatedAt >= REFRESH_MS) this.refresh();
    this.schedule(true);
  }

  tick() {
    if (this.visible && document.visibilityState === 'visible') this.refresh();
  }

  /** Render on the next frame (at most once per frame); `force` redraws the charts. */
  schedule(force = false) {
    if (force) { this.metricsDirty = true; this.entriesShown = null; }
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  render() {
    const state = logStore.state;
    if (this.metricsDirty || state.metrics !== this.shown) this.renderMetrics();
    this.renderStatus();
    const entries = state.entries ?? [];
    // The store appends (and trims to its cap) in place: compare the length and the last id too.
    const lastId = entries.length ? entries[entries.length - 1].id : null;
    const changed = entries !== this.entriesShown || entries.length !== this.entriesLength
      || lastId !== this.lastId;
    if (!this.visible || !changed) return;
    // While entries stream in, redraw the histogram at most once per VOLUME_MS.
    const wait = this.volumeAt + VOLUME_MS - Date.now();
    if (wait > 0 && this.entriesShown !== null) {
      if (!this.volumeTimer) {
        this.volumeTimer = setTimeout(() => { this.volumeTimer = 0; this.schedule(); }, wait);
      }
      return;
    }
    this.entriesShown = entries;
    this.entriesLength = entries.length;
    this.lastId = lastId;
    this.volumeAt = Date.now();
    this.renderVolume(entries);
  }

  renderStatus() {
    const status = this.ref('status');
    const updated = this.updatedAt ? `Updated ${formatClock(this.updatedAt)}` : '';
    // The first load is announced by the body ("Loading metrics…"); later ones only here.
    status.textContent = this.loading && this.updatedAt ? 'Refreshing…' : updated;
    this.toggleAttribute('aria-busy', this.loading);
    /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="refresh"]')).disabled = this.loading;
  }

  renderMetrics() {
    const metrics = /** @type {Metrics | null} */ (logStore.state.metrics ?? null);
    this.shown = metrics;
    this.metricsDirty = false;
    const message = this.ref('message');
    const body = this.ref('body');
    const choices = metrics ? processChoices(metrics) : [];
    const anyData = choices.some((c) => !isEmpty(c.set));
    this.renderChoices(choices);
    const choice = choices.find((c) => c.value === this.ref('process').getAttribute('data-value'));
    if (this.error) message.innerHTML = errorState(this.error, metrics ? this.updatedAt : null).toString();
    else if (!metrics) message.innerHTML = html`<p class="msc-metrics__loading" role="status">Loading metrics…</p>`.toString();
    else if (!anyData) message.innerHTML = emptyState().toString();
    else message.textContent = '';
    this.querySelectorAll('[data-ref$="-section"]').forEach((s) => {
      /** @type {HTMLElement} */ (s).hidden = !anyData;
    });
    this.classList.toggle('is-empty', !anyData);
    if (!choice || !anyData) return;
    // The same numbers again (the auto refresh, mostly): leave the DOM, and the focus, alone.
    const key = JSON.stringify([choice.set, this.sort, this.ref('timing-chart').clientWidth]);
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const active = /** @type {HTMLElement | null} */ (document.activeElement);
    const focusedSort = active && this.contains(active) ? active.dataset.sort : undefined;
    this.ref('counters').innerHTML = cards(choice.set.counters, 'counter').toString();
    this.ref('gauges').innerHTML = cards(choice.set.gauges, 'gauge').toString();
    const rows = sortedTimings(choice.set.timings, this.sort);
    this.ref('table').innerHTML = rows.length ? timingsTable(rows, this.sort).toString()
      : html`<p class="msc-metrics__none">No timings recorded.</p>`.toString();
    const chart = this.ref('timing-chart');
    const width = Math.floor(chart.clientWidth || body.clientWidth || 480);
    chart.innerHTML = rows.length ? timingChart(rows, width).toString() : '';
    const log = chart.querySelector('svg')?.getAttribute('data-scale') === 'log';
    this.ref('timing-legend').innerHTML = rows.length ? html`${['p50', 'p95', 'p99', 'max'].map((p) => html`
      <span class="msc-legend__item"><span class="msc-legend__swatch bar-${p}"></span>${p}</span>`)}
      <span class="msc-legend__note">${log ? 'logarithmic scale (values span several orders of magnitude)' : 'linear scale'}</span>`.toString() : '';
    if (focusedSort) /** @type {HTMLElement | null} */ (this.querySelector(`[data-sort="${focusedSort}"]`))?.focus();
  }

  /** @param {ReturnType<typeof processChoices>} choices */
  renderChoices(choices) {
    const select = /** @type {HTMLSelectElement} */ (this.ref('process'));
    let value = this.chosen;
    if (!choices.some((c) => c.value === value)) {
      // Default: this viewer, unless it has nothing while another process has data.
      const newest = choices.slice(1).filter((c) => !isEmpty(c.set))
        .sort((a, b) => String(b.timestamp).localeCompare(String(a.timestamp)))[0];
      value = choices.length && isEmpty(choices[0].set) && newest ? newest.value : 'self';
    }
    select.innerHTML = html`${choices.map((c) => html`<option value="${c.value}">${c.label}</option>`)}`.toString();
    select.value = value ?? 'self';
    select.setAttribute('data-value', select.value);
    select.disabled = choices.length === 0;
    /** @type {HTMLElement} */ (select.closest('label')).hidden = choices.length === 0;
  }

  /** @param {any[]} entries */
  renderVolume(entries) {
    const target = this.ref('volume');
    const legend = this.ref('volume-legend');
    const hist = entries.length ? histogram(entries) : null;
    if (!hist) {
      target.innerHTML = html`<p class="msc-metrics__none">No log entries loaded yet.</p>`.toString();
      legend.textContent = '';
      return;
    }
    const width = Math.floor(target.clientWidth || 480);
    target.innerHTML = volumeChart(hist, width).toString();
    legend.innerHTML = html`${LEVELS.map((l) => html`<span class="msc-legend__item">
      <span class="msc-legend__swatch lvl-${l}"></span>${l} <b>${formatNumber(hist.totals[l])}</b></span>`)}
      <span class="msc-legend__note">${formatNumber(hist.count)} loaded entries · ${stepName(hist.step)} buckets · local time</span>`.toString();
  }
}

/** Define `<msc-metrics-panel>` (once). */
export function registerMetricsPanel() {
  if (!customElements.get('msc-metrics-panel')) customElements.define('msc-metrics-panel', MetricsPanel);
}

registerMetricsPanel();
