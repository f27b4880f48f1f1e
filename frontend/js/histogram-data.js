// @ts-check
/**
 * `histogram`: what `get_histogram` says about the whole log under the current filter, level
 * aside (the bars are stacked by level; the level chips and the status bar show its totals).
 * Asked for after the first rows are shown, again when the filter changes (debounced), and now
 * and then while entries stream in; never before the first screen.
 */
import { invoke } from './bridge/core.js';
import { LEVELS, serverArgs } from './filter.js';
import { logStore } from './store.js';

/**
 * @typedef {{start: string|null, end: string|null, bucket_ms: number,
 *   counts: Record<string, number[]>, approximate?: boolean}} Histogram
 */

/** Quiet time after a filter change before the backend is asked. */
const DEBOUNCE_MS = 400;
/** While entries stream in, the histogram is asked for again at most this often. */
const STREAM_REFRESH_MS = 5000;
export const MAX_BUCKETS = 500;

const state = {
  /** @type {Histogram|null} */
  data: null,
  /** the filter arguments `data` answers (JSON) */
  key: '',
  /** @type {Record<string, number>} per level, the entries of the whole log */
  totals: /** @type {Record<string, number>} */ ({}),
  approximate: false,
  /** @type {{code: string, message: string}|null} */
  error: null,
};

/** @type {Set<(s: typeof state) => void>} */
const listeners = new Set();
let buckets = 120;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let timer;
let gen = 0;
let lastAsked = 0;
let started = false;
/** an ask is scheduled */
let due = false;

/** The filter arguments of the histogram: the list's, without the level. */
export function histogramArgs() {
  return serverArgs({ ...logStore.state.filter, level: null, minLevel: null });
}

function notify() {
  for (const fn of listeners) {
    try { fn(state); } catch (error) { console.error('histogram subscriber failed:', error); }
  }
}

async function ask() {
  due = false;
  const args = histogramArgs();
  const key = JSON.stringify(args);
  const mine = ++gen;
  lastAsked = performance.now();
  try {
    /** @type {Histogram} */
    const data = await invoke('get_histogram', { buckets, ...args });
    if (mine !== gen) return;
    state.data = data;
    state.key = key;
    state.approximate = Boolean(data.approximate);
    state.totals = Object.fromEntries(LEVELS.map((l) => [l, (data.counts?.[l] ?? []).reduce((a, b) => a + b, 0)]));
    state.error = null;
  } catch (e) {
    if (mine !== gen) return;
    state.error = /** @type {any} */ (e);
    console.error('Failed to get the histogram:', e);
  }
  notify();
}

/** @param {number} delay */
function schedule(delay) {
  clearTimeout(timer);
  due = true;
  timer = setTimeout(() => { void ask(); }, delay);
}

export const histogram = {
  get state() { return state; },

  /**
   * @param {(s: typeof state) => void} fn called now and after every answer
   * @returns {() => void}
   */
  subscribe(fn) {
    listeners.add(fn);
    fn(state);
    return () => { listeners.delete(fn); };
  },

  /** Whether `state` answers the current filter (level aside). */
  current() { return state.data !== null && state.key === JSON.stringify(histogramArgs()); },

  /** The number of buckets asked for. */
  get buckets() { return buckets; },

  /** @param {number} n buckets wanted (the chart's width decides) */
  setBuckets(n) {
    const next = Math.max(10, Math.min(MAX_BUCKETS, Math.round(n)));
    if (next === buckets) return;
    buckets = next;
    if (started) schedule(DEBOUNCE_MS);
  },

  /** Ask again now (Refresh, a cleared log). */
  refresh() { if (started) schedule(0); },

  /** Start once the first rows are on screen: then follow the filter and the stream. */
  start() {
    if (started) return;
    started = true;
    let key = JSON.stringify(histogramArgs());
    let count = logStore.state.entries.length;
    schedule(0);
    logStore.subscribe((s) => {
      const next = JSON.stringify(histogramArgs());
      if (next !== key) {
        key = next;
        count = s.entries.length;
        schedule(DEBOUNCE_MS);
      } else if (s.entries.length !== count && !s.loading) {
        count = s.entries.length;
        if (!due) schedule(Math.max(DEBOUNCE_MS, STREAM_REFRESH_MS - (performance.now() - lastAsked)));
      }
    });
  },
};
