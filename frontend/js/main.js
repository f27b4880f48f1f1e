// @ts-check
/**
 * The viewer's entry point: define the components, then start — listen to the backend's events
 * and subscribe (so nothing written from now on is missed), then fetch the newest entries and
 * what `get_log_info` says about the set (sources, counts; kept fresh by log-info.js).
 * `?cap=N` sets how many entries are kept (default 200,000); `?page=N` how many are fetched per
 * request (default 5,000 at start, 10,000 per page back); `?info_ms=N` how often the log info is
 * asked for again while streaming (default 10 s).
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
import { watchConnection } from './bridge/transport.js';
import { logInfo } from './log-info.js';
import { logStore } from './store.js';

/** @type {(() => void) | null} */
let stopStreaming = null;

/** Start (or, after a failure, start again): stream first, then fetch. */
export async function start() {
  if (!stopStreaming) {
    try {
      stopStreaming = await logStore.startStreaming();
    } catch {
      // The fetch below fails the same way and its error is what the page shows.
    }
  }
  void logInfo.refresh();
  await logStore.fetchLogs();
}

function main() {
  const params = new URLSearchParams(location.search);
  const cap = Number(params.get('cap')) || undefined;
  const page = Number(params.get('page')) || undefined;
  const infoMs = Number(params.get('info_ms')) || undefined;
  logStore.configure({ cap, pageSize: page, olderPageSize: page });
  [registerConfirmDialog, registerExportDialog, registerMetricsPanel, registerSearchBox,
    registerLevelFilter, registerTimeRange, registerSourceFilter, registerToolbar, registerLogList,
    registerDetailPane, registerStatusBar, registerUnparsedDialog, registerShortcutsHelp,
    registerClearBanner, registerAppShell].forEach((register) => register());
  document.addEventListener('msc-retry', () => { void start(); });
  // The event stream came (back) while the page shows "unreachable": try again by itself.
  watchConnection((c) => {
    const { error, loaded, loading } = logStore.state;
    if (c.state === 'open' && error && !loaded && !loading) void start();
  });
  /** @type {any} */ (window).__msc = { logStore, logInfo, start };
  void logInfo.watch(() => logStore.state.isStreaming, infoMs);
  void start();
}

main();
