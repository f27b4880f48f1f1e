// @ts-check
/**
 * Stand-ins for js/store.js and js/bridge/core.js, for frontend/dev/components.html only (an
 * import map swaps them in), so the metrics panel and dialogs can be worked on without a backend.
 * `?metrics=empty|error|slow|none` picks what `fetchMetrics` answers; `?caps=1` enables Browse….
 */
const params = new URLSearchParams(location.search);
const mode = params.get('metrics') ?? 'full';
if (params.get('caps')) /** @type {any} */ (window).__mscCapabilities = { saveDialog: true };

const LEVELS = ['trace', 'debug', 'info', 'info', 'info', 'info', 'debug', 'warn', 'error'];
/** @param {number} n @param {number} spanMs */
function fakeEntries(n, spanMs) {
  const end = Date.now();
  let seed = 7;
  const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  return Array.from({ length: n }, (_, i) => {
    const burst = i % 97 < 20 ? 0.3 : 1;
    const t = end - spanMs + (spanMs * i) / n + rnd() * 1000 * burst;
    return { id: `0-${i}`, timestamp: new Date(t).toISOString(), level: LEVELS[Math.floor(rnd() * LEVELS.length)],
      category: 'system', message: `message ${i}`, target: 'dev', fields: {}, span: null, pid: 1 };
  });
}

const timing = (/** @type {number} */ p50, /** @type {number} */ spread) => ({
  count: Math.round(1000 / p50) + 3, total_ms: p50 * 40, min_ms: p50 / 3, max_ms: p50 * spread * 1.6,
  avg_ms: p50 * 1.2, p50_ms: p50, p95_ms: p50 * spread * 0.7, p99_ms: p50 * spread, });
const now = Date.now();
const FULL = {
  pid: 4242,
  counters: { 'commands.invoked': 1532, 'events.pushed': 88213, 'events.dropped': 0 },
  timings: { 'command.get_recent_logs': timing(3.2, 4), 'command.export_logs': timing(140, 6) },
  gauges: { 'subscribers': 2, 'queue.depth': 17.5 },
  processes: [
    { pid: 5151, timestamp: new Date(now - 42_000).toISOString(),
      counters: { 'midi.files_imported': 12840, 'db.queries': 90211, '<img src=x onerror=window.__xss=1>': 1 },
      timings: { 'db.query': timing(0.8, 9), 'midi.parse': timing(12, 3), 'import_file': timing(240, 5),
        'analysis.bpm_detection_with_a_rather_long_name': timing(1900, 2.5), 'file.hash': timing(0.05, 6) },
      gauges: { 'import.queue': 311, 'memory.rss_mb': 412.75 } },
    { pid: 6262, timestamp: new Date(now - 3_600_000).toISOString(), counters: { 'daw.renders': 3 }, timings: {}, gauges: {} },
  ],
};
const EMPTY = { pid: 4242, counters: {}, timings: {}, gauges: {}, processes: [] };

/** @type {Set<(s:any)=>void>} */
const listeners = new Set();
const state = {
  entries: fakeEntries(Number(params.get('entries') ?? 4000), Number(params.get('span') ?? 3_600_000)),
  isStreaming: false,
  filter: { level: null, minLevel: 'warn', category: 'database', search: 'timeout <b>', regex: false,
    since: null, until: null, requestId: null, spanId: null },
  metrics: null, loading: false, error: null, cap: 100000, capReached: false,
};
const emit = () => listeners.forEach((fn) => fn(state));
const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

export const logStore = {
  /** @param {(s:any)=>void} fn */
  subscribe(fn) { listeners.add(fn); fn(state); return () => listeners.delete(fn); },
  get state() { return state; },
  async fetchMetrics() {
    await sleep(mode === 'slow' ? 3_000_000 : 150);
    if (mode === 'error') throw { code: 'internal', message: 'internal error; the details are in the log' };
    state.metrics = /** @type {any} */ (mode === 'empty' ? EMPTY : structuredClone(FULL));
    emit();
  },
  async clearLogs() { state.entries = []; emit(); },
  /** @param {string} path @param {{format:string, filtered:boolean, overwrite:boolean, redact?:boolean, ids?:string[]}} o */
  async exportLogs(path, o) {
    await sleep(900);
    if (path.includes('exists') && !o.overwrite) throw { code: 'already_exists', message: `output_path: ${path} exists` };
    if (path.includes('nope')) throw { code: 'not_found', message: `output_path: directory ${path} does not exist` };
    const count = o.ids ? o.ids.length : o.filtered ? 214 : 48213;
    const redacted = o.redact ? { redacted: { 'key:password': 3, bearer: 1, email: 12 } } : {};
    return { path: path.replace('~', '/home/dev'), count, bytes: count * 293, ...redacted };
  },
  get filteredLogs() { return state.entries; },
};

/** @param {string} cmd @param {any} args */
export async function invoke(cmd, args) {
  if (cmd === 'choose_export_path') return `/home/dev/Desktop/${args.suggested_name}`;
  throw { code: 'not_found', message: `unknown command: ${cmd}` };
}
export async function listen() { return () => {}; }
