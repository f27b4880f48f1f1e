// @ts-check
/**
 * The viewer's entry point: define the components, then start — listen to the backend's events
 * and subscribe (so nothing written from now on is missed), then fetch the newest entries, then
 * what `get_log_info` says about the set (sources, counts; kept fresh by log-info.js).
 * `?cap=N` sets how many entries are kept (default 200,000); `?page=N` how many are fetched per
 * request (default 5,000 at start, 10,000 per page back); `?info_ms=N` how often the log info is
 * asked for again while streaming (default 10 s).
 *
 * Before the first fetch the stored view (view-state.js: filter, marks, column widths, tab) is
 * restored, so that the first screen is already that view; the histogram is asked for only once
 * the first rows are shown.
 */
import { registerConfirmDialog } from './components/confirm-dialog.js';
import { registerExportDialog } from './components/export-dialog.js';
import { registerMetricsPanel } from './components/metrics-panel.js';
import { registerAppShell } from './components/app-shell.js';
import { registerClearBanner } from './components/clear-banner.js';
import { registerDetailPane } from './components/detail-pane.js';
import { registerLevelFilter } from './components/level-filter.js';
import { registerLogList } from './components/log-list.js';
import { registerSearchBox } from './components/search-box.js';
import { registerShortcutsHelp } from './components/shortcuts-help.js';
import { registerStatusBar } from './components/status-bar.js';
import { registerTimeRange } from './components/time-range.js';
import { registerToolbar } from './components/toolbar.js';
import { registerSourceFilter } from './components/source-filter.js';
import { registerUnparsedDialog } from './components/unparsed-dialog.js';
import { registerHistogram } from './components/histogram.js';
import { registerMinimap } from './components/minimap.js';
import { registerWaterfall } from './components/waterfall.js';
import { histogram } from './histogram-data.js';
import { marks } from './marks.js';
import { viewState } from './view-state.js';
import { watchConnection } from './bridge/transport.js';
import { logInfo } from './log-info.js';
import { logStore } from './store.js';
import './drop.js'; // what became of a drop onto the desktop window

/** @type {Promise<unknown> | null} */
let streaming = null;

/** Listen and subscribe, once; after a failure, again on the next call. */
function stream() {
  streaming ??= logStore.startStreaming().catch(() => {
    // The fetch fails the same way and its error is what the page shows.
    streaming = null;
  });
  return streaming;
}

/**
 * Start (or, after a failure, start again): stream first (nothing written from now on is
 * missed), then fetch; the log info after the first fetch, so it does not compete with it.
 */
export async function start() {
  await stream();
  await logStore.fetchLogs();
  void logInfo.refresh();
}

/**
 * Once the first rows are on screen: the histogram, and the place the view was left at (once the
 * first page is in).
 * @param {any} app the `<msc-app>`
 */
function afterFirstScreen(app) {
  let shown = false;
  let anchored = false;
  logStore.subscribe((s) => {
    if (!s.loaded || s.loading) return;
    if (!shown) { shown = true; requestAnimationFrame(() => histogram.start()); }
    // After this notification: the list gets the new view from the store's next subscribers.
    if (!anchored && !s.loadingOlder) { anchored = true; queueMicrotask(() => app.restoreAnchor()); }
  });
}

async function main() {
  const params = new URLSearchParams(location.search);
  const cap = Number(params.get('cap')) || undefined;
  const page = Number(params.get('page')) || undefined;
  const infoMs = Number(params.get('info_ms')) || undefined;
  logStore.configure({ cap, pageSize: page, olderPageSize: page });
  [registerConfirmDialog, registerExportDialog, registerMetricsPanel, registerSearchBox,
    registerLevelFilter, registerTimeRange, registerSourceFilter, registerToolbar, registerMinimap,
    registerLogList, registerHistogram, registerWaterfall, registerDetailPane, registerStatusBar, registerUnparsedDialog, registerShortcutsHelp,
    registerClearBanner, registerAppShell].forEach((register) => register());
  document.addEventListener('msc-retry', () => { void start(); });
  // The event stream came (back) while the page shows "unreachable": try again by itself.
  watchConnection((c) => {
    const { error, loaded, loading } = logStore.state;
    if (c.state === 'open' && error && !loaded && !loading) void start();
  });
  /** @type {any} */ (window).__msc = { logStore, logInfo, start, marks, viewState, histogram };
  const app = /** @type {any} */ (document.querySelector('msc-app'));
  // The stored view and the subscription are asked for at once; the fetch waits for both.
  const restoring = viewState.restore();
  void stream();
  app.restoreView(await restoring);
  viewState.start(() => app.viewParts());
  window.addEventListener('pagehide', () => { void viewState.flush(); });
  afterFirstScreen(app);
  void logInfo.watch(() => logStore.state.isStreaming, infoMs);
  void start();
}

void main();
