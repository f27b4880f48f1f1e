// @ts-check
/**
 * `logInfo`: what `get_log_info` says about the log set shown — its sources, about how many
 * entries it holds, how many lines are shown raw or skipped and where, which of its files cannot
 * be read (`unreadableNotice`). Kept apart from the entries (store.js): it is asked for on start,
 * on Refresh, when the log is cleared, and every `POLL_MS` while the live stream runs and the
 * page is visible.
 *
 * Older backends answer without `sources`, `raw`, `estimated_entries` …: every reader of
 * `logInfo.state.info` treats those keys as optional (the page then shows no source chips and a
 * plain count).
 */
import { invoke } from './bridge/core.js';
import { listen } from './bridge/event.js';

/**
 * @typedef {{name: string, files: string[], size: number}} SourceInfo
 * @typedef {{file: string, offset: number, reason: string}} UnparsedPlace
 * @typedef {{name: string, source: string, code: string, reason: string}} UnreadableFile
 *   a file of the set that is there but cannot be opened (`reason`: "permission denied" …)
 * @typedef {{log_dir: string, app_name: string, files: {name: string, size: number}[],
 *   total_size: number, malformed?: number, sources?: SourceInfo[], raw?: number,
 *   skipped?: number, unparsed?: UnparsedPlace[], estimated_entries?: number,
 *   scanned_all?: boolean, unreadable?: UnreadableFile[]}} LogInfo
 */

/** How often the info is asked for again while streaming (a cheap command, but it reads files). */
export const POLL_MS = 10_000;

const state = {
  /** @type {LogInfo|null} the last answer */
  info: null,
  /** @type {{code: string, message: string}|null} the last failure (the old info stays) */
  error: null,
};

/** @type {Set<(s: typeof state) => void>} */
const listeners = new Set();
/** @type {Promise<void>|null} */
let inflight = null;
let again = false;
/** @type {ReturnType<typeof setInterval>|undefined} */
let timer;

function notify() {
  for (const fn of listeners) {
    try { fn(state); } catch (error) { console.error('log info subscriber failed:', error); }
  }
}

async function ask() {
  try {
    state.info = await invoke('get_log_info');
    state.error = null;
  } catch (e) {
    state.error = /** @type {any} */ (e);
    console.error('Failed to get the log info:', e);
  }
  notify();
}

export const logInfo = {
  get state() { return state; },

  /**
   * @param {(s: typeof state) => void} fn called now and after each answer
   * @returns {() => void} unsubscribe
   */
  subscribe(fn) {
    listeners.add(fn);
    fn(state);
    return () => { listeners.delete(fn); };
  },

  /**
   * Ask again. Calls while one is under way share it and ask once more after it (the log may
   * have changed since it was sent).
   * @returns {Promise<void>}
   */
  refresh() {
    if (inflight) {
      again = true;
      return inflight;
    }
    inflight = ask().finally(() => {
      inflight = null;
      if (again) {
        again = false;
        void logInfo.refresh();
      }
    });
    return inflight;
  },

  /**
   * Keep the info fresh: on `logs-cleared`, and every `every` ms while `streaming()` is true
   * and the page is visible.
   * @param {() => boolean} streaming
   * @param {number} [every]
   * @returns {Promise<() => void>} stops
   */
  async watch(streaming, every = POLL_MS) {
    const off = await listen('logs-cleared', () => { void logInfo.refresh(); });
    clearInterval(timer);
    timer = setInterval(() => {
      if (streaming() && document.visibilityState === 'visible') void logInfo.refresh();
    }, every);
    return () => {
      off();
      clearInterval(timer);
    };
  },
};

/** How many unreadable files the notice names; the tooltip names them all. */
const NAMED = 3;

/**
 * "1 file cannot be read: app.log.2 (permission denied)" and a tooltip naming every such file,
 * or '' for both when every file is read (or the backend does not say).
 * @param {LogInfo|null} info
 * @returns {{text: string, title: string}}
 */
export function unreadableNotice(info) {
  const files = Array.isArray(info?.unreadable) ? info.unreadable : [];
  if (!files.length) return { text: '', title: '' };
  /** @param {UnreadableFile} f */
  const one = (f) => `${f.name} (${f.reason})`;
  const named = files.slice(0, NAMED).map(one).join(', ');
  const more = files.length > NAMED ? ` and ${files.length - NAMED} more` : '';
  const count = files.length === 1 ? '1 file cannot be read' : `${files.length} files cannot be read`;
  const title = `The rest of the log is shown. Cannot be read:\n${files.map(one).join('\n')}`;
  return { text: `${count}: ${named}${more}`, title };
}

/**
 * The sources worth telling apart: the info's, when there are more than one.
 * @param {LogInfo|null} info
 * @returns {SourceInfo[]}
 */
export function distinctSources(info) {
  const sources = Array.isArray(info?.sources) ? info.sources : [];
  return sources.length > 1 ? sources : [];
}
