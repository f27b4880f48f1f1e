// A stand-in for the desktop bridge (`window.pywebview.api`), installed by test_bridge.py before the
// page's scripts run. It records every call and answers with the desktop envelope
// ({ok: value} or {error: {code, message}}), as backend's pywebview API object does.
(() => {
  const entry = (i, level = 'info') => ({ id: `g-${i}`, timestamp: new Date(Date.UTC(2026, 10, 28, 12, 0, i)).toISOString(),
    level, category: 'midi', message: `stand-in ${i}`, target: 'tests.standin', fields: { n: i }, span: null, pid: 7 });
  window.__calls = [];
  const api = {
    async get_recent_logs(args) { __calls.push(['get_recent_logs', args]); return { ok: [entry(1), entry(2, 'warn'), entry(3, 'error')] }; },
    async subscribe_to_logs(args) { __calls.push(['subscribe_to_logs', args]); return { ok: null }; },
    async get_performance_metrics() { return { error: { code: 'internal', message: 'metrics exploded' } }; },
    async export_logs(args) { __calls.push(['export_logs', args]); return { ok: { path: args.output_path, count: 3, bytes: 99 } }; },
    async get_log_info() { return { weird: true }; },
    async clear_logs() { throw new Error('python raised'); },
  };
  const install = () => { window.pywebview = { api }; window.dispatchEvent(new Event('pywebviewready')); };
  if (window.__lateBridge) setTimeout(install, 400); else window.pywebview = { api };
})();
