// @ts-check
/**
 * `logStore`: the viewer's state, mirroring the seed's logStore.ts (same methods, same state
 * keys, more of them), and `filteredLogs`, its derived filtered view.
 *
 * Fixes over the seed: streamed entries are buffered and applied once per animation frame
 * (the seed copied the whole array per entry and kept only 1000); the cap is configurable and
 * says what it dropped; entries are de-duplicated by id (a fetch racing the stream, a re-sync
 * after reconnecting); the filter is applied by the server on fetch and here on streamed
 * entries, with the server's semantics (filter.js); errors land in `state.error`.
 *
 * Subscribers are called at most once per animation frame.
 */
import { invoke } from './bridge/core.js';
import { listen } from './bridge/event.js';
import { getConnection, watchConnection, whenResubscribed } from './bridge/transport.js';
import { compile, emptyFilter, serverArgs } from './filter.js';
import { FilteredView, noChanges } from './filtered-view.js';
import { filterOf, normalize, normalizeFilter, toError, warmHaystacks } from './store-util.js';

/** @typedef {import('./filter.js').LogEntry} LogEntry */
/** @typedef {import('./filter.js').Filter} Filter */
/** @typedef {import('./filtered-view.js').Changes} Changes */
/** @typedef {{code: string, message: string}} CommandError */
/**
 * @typedef {{kind: 'viewer', filesRemoved: number, bytesCleared: number, skipped: string[]}
 *   | {kind: 'other'} | {kind: 'failed', error: CommandError}} ClearNotice
 */

export const DEFAULT_CAP = 200_000;
/** Entries fetched at start and on refresh or filter change, and per page back in time. */
export const DEFAULT_PAGE = 5000;
/** The rows fetched first, so that a page shows before the rest of `DEFAULT_PAGE` is read. */
export const FIRST_SCREEN = 200;
export const DEFAULT_OLDER_PAGE = 10_000;
/** Quiet time after the last keystroke in the search box before the server is asked. */
const SEARCH_DEBOUNCE_MS = 300;
/** Longest wait before buffered stream entries are applied when frames do not come (hidden). */
const FLUSH_FALLBACK_MS = 250;

const config = { pageSize: DEFAULT_PAGE, olderPageSize: DEFAULT_OLDER_PAGE };

const state = {
  /** @type {LogEntry[]} loaded entries, oldest first */
  entries: [],
  isStreaming: false,
  /** @type {Filter} */
  filter: emptyFilter(),
  /** @type {unknown} */
  metrics: null,
  /** a fetch that replaces the entries is under way */
  loading: false,
  loadingOlder: false,
  /** @type {CommandError|null} the last fetch's failure */
  error: null,
  /** @type {CommandError|null} the last page-back failure */
  olderError: null,
  /** @type {string|null} the filter cannot be applied (bad regular expression) */
  filterError: null,
  cap: DEFAULT_CAP,
  capReached: false,
  /** entries dropped by the cap since the last fetch */
  dropped: 0,
  /** paging back reached the first entry */
  atBeginning: false,
  /** a fetch succeeded at least once */
  loaded: false,
  /** the server-side filter arguments the loaded entries were fetched with */
  loadedQuery: /** @type {Record<string, unknown>} */ ({}),
  /** events the backend dropped because the page fell behind */
  eventsDropped: 0,
  /**
   * @type {ClearNotice|null} the last clear of the log (by this page, by another process) or
   * this page's failed attempt, until dismissed
   */
  cleared: null,
  connection: getConnection(),
  /** @type {CommandError|null} subscribing to new log lines failed (at start, on reconnect) */
  streamError: null,
  /** the list's live tail: paused (keeps its place), and how many entries came meanwhile */
  tail: { paused: false, waiting: 0 },
};

const view = new FilteredView(state.filter);
/** @type {Set<string>} ids of the loaded entries */
let ids = new Set();
/** The server arguments the loaded entries were fetched with, and the same as a matcher. */
let loadedKey = '{}';
let loadedMatcher = compile(emptyFilter());
let fetchGen = 0;
/** @type {LogEntry[]|null} stream entries applied while a replacing fetch was under way */
let inflight = null;
/** @type {LogEntry[]} */
let pending = [];
let clearedSeen = 0;
/** this page's own clear is under way, or ended at `ownClearAt` (ms) */
let clearing = false;
let ownClearAt = -Infinity;
/** The follower reports our own clear too, a poll later: within this window it is that echo. */
const OWN_CLEAR_ECHO_MS = 3000;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let refetchTimer;

// ---- notification ------------------------------------------------------------------------

/** @type {Set<(s: typeof state) => void>} */
const listeners = new Set();
/** @type {Set<(entries: LogEntry[], changes: Changes) => void>} */
const viewListeners = new Set();
let frame = 0;
/** @type {ReturnType<typeof setTimeout>|undefined} */
let fallback;

function schedule() {
  if (frame) return;
  frame = requestAnimationFrame(run);
  fallback = setTimeout(run, FLUSH_FALLBACK_MS);
}

function run() {
  cancelAnimationFrame(frame);
  clearTimeout(fallback);
  frame = 0;
  if (pending.length) flushPending();
  const changes = view.takeChanges();
  listeners.forEach((fn) => call(fn, state));
  viewListeners.forEach((fn) => call(fn, view.entries, changes));
}

/** @param {Function} fn @param {...unknown} args */
function call(fn, ...args) {
  try { fn(...args); } catch (error) { console.error('store subscriber failed:', error); }
}

// ---- entries -----------------------------------------------------------------------------

function flushPending() {
  const batch = pending;
  pending = [];
  if (inflight) for (const e of batch) inflight.push(e); // no spread: batches can be huge
  /** @type {LogEntry[]} */
  const fresh = [];
  for (const raw of batch) {
    if (!raw || typeof raw !== 'object') continue;
    const e = normalize(raw);
    if (e.id != null && ids.has(e.id)) continue;
    if (!loadedMatcher.test(e)) continue;
    if (e.id != null) ids.add(e.id);
    fresh.push(e);
  }
  if (!fresh.length) return;
  for (const e of fresh) state.entries.push(e);
  view.append(fresh);
  enforceCap();
  warmHaystacks(() => state.entries, false);
}

function enforceCap() {
  const over = state.entries.length - state.cap;
  if (over <= 0) return;
  const dropped = state.entries.splice(0, over);
  for (const e of dropped) if (e.id != null) ids.delete(e.id);
  view.trim(dropped);
  state.dropped += over;
  state.capReached = true;
  state.atBeginning = false;
}

/**
 * @param {LogEntry[]} result
 * @param {Record<string, unknown>} args
 * @param {number} limit
 */
function replaceEntries(result, args, limit) {
  loadedKey = JSON.stringify(args);
  state.loadedQuery = args;
  loadedMatcher = compile({ ...emptyFilter(), ...filterOf(args) });
  const list = result.map(normalize);
  ids = new Set();
  for (const e of list) if (e.id != null) ids.add(e.id);
  for (const e of inflight ?? []) {
    if (e.id != null && ids.has(e.id)) continue;
    if (!loadedMatcher.test(e)) continue;
    if (e.id != null) ids.add(e.id);
    list.push(e);
  }
  state.entries = list;
  state.atBeginning = result.length < limit;
  state.capReached = false;
  state.dropped = 0;
  enforceCap();
  view.reset(state.entries, state.filter);
  warmHaystacks(() => state.entries);
}

/** The load of older entries under way: a second caller waits for it instead of starting one. */
/** @type {Promise<void>|null} */
let olderLoad = null;

/**
 * Prepend up to `limit` entries older than the oldest loaded one (same filter), unless a newer
 * fetch (`fetchGen` past `gen`) replaced the entries meanwhile.
 * @param {number} gen
 * @param {number} limit
 * @returns {Promise<void>}
 */
function loadOlder(gen, limit) {
  olderLoad ??= prependOlder(gen, limit).finally(() => { olderLoad = null; });
  return olderLoad;
}

/**
 * @param {number} gen
 * @param {number} limit
 */
async function prependOlder(gen, limit) {
  const oldest = state.entries[0];
  if (state.atBeginning || !oldest) return;
  if (state.entries.length >= state.cap) return;
  if (oldest.id == null) { state.atBeginning = true; schedule(); return; }
  state.loadingOlder = true;
  schedule();
  try {
    /** @type {LogEntry[]} */
    const result = await invoke('get_recent_logs', { limit, ...JSON.parse(loadedKey), before: oldest.id });
    if (gen !== fetchGen) return;
    let fresh = result.map(normalize).filter((e) => e.id == null || !ids.has(e.id));
    const room = state.cap - state.entries.length;
    if (fresh.length > room) {
      fresh = fresh.slice(fresh.length - room);
      state.capReached = true;
    }
    for (const e of fresh) if (e.id != null) ids.add(e.id);
    state.entries = fresh.concat(state.entries);
    view.prepend(fresh);
    warmHaystacks(() => state.entries);
    state.atBeginning = result.length < limit;
    state.olderError = null;
  } catch (e) {
    if (gen !== fetchGen || superseded(e)) return;
    state.olderError = toError(e);
    console.error('Failed to fetch older logs:', e);
  } finally {
    state.loadingOlder = false;
    schedule();
  }
}

/**
 * Whether a query failed because this page's next query replaced it (the server calls a
 * client's older `get_recent_logs` off): nothing to show, the newer one answers.
 * @param {unknown} error
 */
function superseded(error) {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'cancelled';
}

/** @param {number} delay */
function maybeRefetch(delay) {
  clearTimeout(refetchTimer);
  const key = JSON.stringify(serverArgs(state.filter));
  if (!state.loaded || state.filterError || key === loadedKey) return;
  // Everything is loaded: the client filter alone is complete.
  if (loadedKey === '{}' && state.atBeginning && !state.capReached) return;
  refetchTimer = setTimeout(() => { void logStore.fetchLogs(); }, delay);
}

/**
 * After a reconnect: once subscribed again, fill in what was written while events were not flowing.
 * The newest entry held before re-subscribing is the seam: everything after it is rebuilt in
 * file order from a fetch, then what streamed in meanwhile and is newer still follows.
 */
async function resync() {
  if (pending.length) flushPending();
  const newest = state.entries.findLast((e) => e.id != null);
  await whenResubscribed();  // the bridge's, retried until it works: the fetch then leaves no hole
  if (!state.loaded || !newest) { await logStore.fetchLogs(); return; }
  const gen = fetchGen;
  try {
    /** @type {LogEntry[]} */
    const result = await invoke('get_recent_logs', { limit: config.pageSize, ...JSON.parse(loadedKey) });
    if (gen !== fetchGen) return;
    const at = result.findIndex((e) => e.id === newest.id);
    const cut = state.entries.lastIndexOf(newest);
    if (at < 0 || cut < 0) { await logStore.fetchLogs(); return; } // too far behind: start over
    if (pending.length) flushPending();
    const tail = result.slice(at + 1).map(normalize).filter((e) => loadedMatcher.test(e));
    const tailIds = new Set(tail.map((e) => e.id));
    const newer = state.entries.slice(cut + 1).filter((e) => !tailIds.has(e.id));
    for (const e of tail) ids.add(/** @type {string} */ (e.id));
    state.entries = state.entries.slice(0, cut + 1).concat(tail, newer);
    enforceCap();
    view.reset(state.entries);
    schedule();
  } catch (e) {
    console.error('re-sync failed:', e);
  }
}

/** The `logs-cleared` event: wipe, and say so unless it is the echo of this page's own clear. */
function onCleared() {
  clearedSeen += 1;
  pending = [];
  const echo = clearing || performance.now() - ownClearAt < OWN_CLEAR_ECHO_MS;
  if (!echo) state.cleared = { kind: 'other' };
  wipe();
}

function wipe() {
  state.entries = [];
  ids = new Set();
  state.atBeginning = true;
  state.capReached = false;
  state.dropped = 0;
  view.reset(state.entries);
  schedule();
}

watchConnection((c) => { state.connection = c; schedule(); });

// ---- the store -----------------------------------------------------------------------------

export const logStore = {
  /**
   * @param {(s: typeof state) => void} fn called now and after changes (once per frame)
   * @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    listeners.add(fn);
    call(fn, state);
    return () => { listeners.delete(fn); };
  },

  get state() { return state; },

  /** @param {{cap?: number, pageSize?: number, olderPageSize?: number}} options */
  configure({ cap, pageSize, olderPageSize }) {
    if (pageSize) config.pageSize = pageSize;
    if (olderPageSize) config.olderPageSize = olderPageSize;
    if (cap && cap > 0) {
      state.cap = cap;
      enforceCap();
      schedule();
    }
  },

  /**
   * Replace the entries with the newest `limit` matching the filter (server-side).
   * @param {number} [limit]
   * @param {string|null} [level] also sets the filter's level (seed signature)
   * @param {string|null} [category] also sets the filter's category
   */
  async fetchLogs(limit = config.pageSize, level, category) {
    clearTimeout(refetchTimer);
    if (level !== undefined || category !== undefined) {
      state.filter = normalizeFilter({
        ...state.filter,
        ...(level !== undefined ? { level } : {}),
        ...(category !== undefined ? { category } : {}),
      });
      view.reset(state.entries, state.filter);
    }
    const args = serverArgs(state.filter);
    const gen = ++fetchGen;
    inflight = [];
    state.loading = true;
    schedule();
    try {
      // A first screen first: rows show as soon as the newest FIRST_SCREEN are read, and the
      // rest of the page follows as older entries (as when scrolling up).
      const first = Math.min(limit, FIRST_SCREEN);
      /** @type {LogEntry[]} */
      const result = await invoke('get_recent_logs', { limit: first, ...args });
      if (gen !== fetchGen) return;
      if (pending.length) flushPending(); // what streamed in meanwhile joins the new entries
      replaceEntries(result, args, first);
      state.error = null;
      state.olderError = null;
      state.loaded = true;
      if (first < limit && !state.atBeginning) {
        state.loading = false;
        schedule();
        await loadOlder(gen, limit - first);
      }
    } catch (e) {
      if (gen !== fetchGen || superseded(e)) return;
      state.error = toError(e);
      console.error('Failed to fetch logs:', e);
    } finally {
      if (gen === fetchGen) {
        state.loading = false;
        inflight = null;
        schedule();
      }
    }
  },

  /** Load the page of entries before the oldest loaded one (same filter). */
  async fetchOlder() {
    if (state.loading) return;
    await loadOlder(fetchGen, config.olderPageSize);
  },

  /** Fetch the metrics; rejects with the command's error. */
  async fetchMetrics() {
    state.metrics = await invoke('get_performance_metrics');
    schedule();
    return state.metrics;
  },

  /** Clear the log files (the backend writes one audit record, into the viewer's own log). */
  async clearLogs() {
    const seen = clearedSeen;
    clearing = true;
    try {
      /** @type {{files_removed: number, bytes_cleared: number, skipped?: string[]}} */
      const result = await invoke('clear_logs');
      ownClearAt = performance.now();
      state.cleared = {
        kind: 'viewer', filesRemoved: result.files_removed, bytesCleared: result.bytes_cleared,
        skipped: result.skipped ?? [],
      };
      if (clearedSeen === seen) wipe(); // the stream may have said so already, then streamed on
      else schedule();
      return result;
    } catch (e) {
      // Said in the banner (not as a failed refresh): the entries shown are still right.
      state.cleared = { kind: 'failed', error: toError(e) };
      console.error('Failed to clear logs:', e);
      schedule();
      throw e;
    } finally {
      clearing = false;
    }
  },

  /** Hide the "log cleared" banner. */
  dismissCleared() {
    state.cleared = null;
    schedule();
  },

  /**
   * Export to a file; rejects with the command's error. `ids` exports exactly those entries
   * (the marked ones); `redact` masks secrets (default: the format's, on for a bundle).
   * @param {string} outputPath
   * @param {{format?: string, filtered?: boolean, overwrite?: boolean, redact?: boolean, ids?: string[]}} [options]
   * @returns {Promise<{path: string, count: number, bytes: number, redacted?: Record<string, number>}>}
   */
  async exportLogs(outputPath, { format = 'jsonl', filtered = false, overwrite = false, redact, ids } = {}) {
    const filters = filtered && !ids ? serverArgs(state.filter) : {};
    const extra = { ...(redact === undefined ? {} : { redact }), ...(ids ? { ids } : {}) };
    return invoke('export_logs', { output_path: outputPath, format, overwrite, ...filters, ...extra });
  },

  /** @param {Partial<Filter>} partial */
  setFilter(partial) {
    const next = normalizeFilter({ ...state.filter, ...partial });
    const searchChanged = next.search !== state.filter.search;
    state.filter = next;
    view.reset(state.entries, next);
    state.filterError = view.matcher.error;
    schedule();
    maybeRefetch(searchChanged ? SEARCH_DEBOUNCE_MS : 0);
  },

  resetFilter() { this.setFilter(emptyFilter()); },

  /**
   * The list's live tail (shown by the toolbar and the status bar, stream-status.js).
   * @param {boolean} paused
   * @param {number} waiting entries that came while paused
   */
  setTail(paused, waiting) {
    if (state.tail.paused === paused && state.tail.waiting === waiting) return;
    state.tail = { paused, waiting };
    schedule();
  },

  /** @param {LogEntry} entry */
  addEntry(entry) { this.addEntries([entry]); },

  /** @param {LogEntry[]} entries newer entries, oldest first (applied on the next frame) */
  addEntries(entries) {
    for (const e of entries) pending.push(e);
    schedule();
  },

  /** Apply buffered entries and notify now (tests, benchmarks). */
  flush() { run(); },

  /**
   * Listen to the backend's events, then subscribe to new log lines.
   * @returns {Promise<() => void>} stops listening
   */
  async startStreaming() {
    const offs = await Promise.all([
      listen('log-entry', (/** @type {any} */ e) => { pending.push(e.payload); schedule(); }),
      listen('logs-cleared', onCleared),
      listen('events-dropped', (/** @type {any} */ e) => {
        state.eventsDropped += Number(e.payload?.count ?? 0);
        schedule();
      }),
      listen('bridge-reconnected', () => { void resync(); }),
    ]);
    const unlisten = () => {
      offs.forEach((off) => off());
      state.isStreaming = false;
      schedule();
    };
    try {
      await invoke('subscribe_to_logs');
    } catch (e) {
      state.streamError = toError(e);
      unlisten();
      console.error('Failed to start log streaming:', e);
      throw e;
    }
    state.streamError = null;
    state.isStreaming = true;
    schedule();
    return unlisten;
  },
};

/** The filtered view: the loaded entries passing the whole filter, oldest first. */
export const filteredLogs = {
  /**
   * @param {(entries: LogEntry[], changes: Changes) => void} fn called now and after changes
   * @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    viewListeners.add(fn);
    call(fn, view.entries, { ...noChanges(), reset: true });
    return () => { viewListeners.delete(fn); };
  },
  get value() { return view.entries; },
  /** per level, the entries passing every criterion but the level */
  get counts() { return view.counts; },
  get matcher() { return view.matcher; },
};
