// @ts-check
/**
 * Transport selection: how `invoke` reaches the backend and how event batches reach `listen`.
 *
 * - **pywebview** (desktop window): commands are `window.pywebview.api.<command>(args)`, each
 *   resolving to the envelope `{ok: value}` or `{error: {code, message}}`. Events arrive as
 *   batches through `window.__mscDeliver(batch)`, which the backend calls with `evaluate_js`;
 *   it returns `true` once the page took the batch (anything else: the page is not there yet,
 *   e.g. during a reload; the backend keeps the batch and tries again).
 * - **http** (dev server, `msc-logs dev`): `POST /invoke/<command>` with a JSON body and the
 *   header `X-MSC-Token`; the token comes from `?token=` in the page URL and is kept in
 *   sessionStorage (the URL is then cleaned). Events: `EventSource('/events?token=…&client=…')`,
 *   each message an array batch. `hello` arrives on every (re)connect; from the second one on the
 *   bridge subscribes the tab again if it was (retrying until it works) and emits
 *   `bridge-reconnected` so the store can re-sync (after `whenResubscribed()`). `dev-reload`
 *   reloads, or for a stylesheet (`{path: 'css/app.css'}`) swaps just that <link>.
 *   The page is one client of the server: a random id made per page load goes with the event
 *   stream (`?client=`) and with every command (`X-MSC-Client`), so `subscribe_to_logs` and
 *   `unsubscribe_from_logs` concern this tab alone (not sessionStorage: a duplicated tab copies
 *   it, and two tabs would then be one client).
 *
 * Chosen once at start-up: `window.pywebview` present → pywebview; else a token → http; else
 * wait for `pywebviewready` (the desktop bridge may be injected after the page's scripts run).
 */

/** @typedef {{event: string, payload: unknown}} BatchItem */
/** @typedef {{code: string, message: string}} CommandError */
/**
 * @typedef {'connecting'|'open'|'reconnecting'|'down'} ConnectionState
 * @typedef {{kind: 'pywebview'|'http'|'none', state: ConnectionState, detail: string}} Connection
 */

const TOKEN_KEY = 'msc-token';
/** How long to wait for `pywebviewready` before saying there is no backend. */
const PYWEBVIEW_WAIT_MS = 8000;
/** Reconnect delays once the EventSource gave up (it retries by itself on network errors). */
const BACKOFF_MS = [1000, 2000, 5000, 10000];

/** @type {(batch: BatchItem[]) => void} */
let sink = () => {};
/** Whether this tab is subscribed to the log (dev server): a reconnect subscribes it again. */
let subscribed = false;
/** Settles once the latest reconnect's subscribe went through (see `whenResubscribed`). */
let resubscribed = Promise.resolve();
/** @type {(value?: unknown) => void} */
let streamOpened = () => {};
/** Settles at the event stream's first `hello`: from then on the server has a stream to send
 * this tab's events to (see `invokeHttp`). */
const streamOpen = new Promise((resolve) => { streamOpened = resolve; });
/** @type {Set<(c: Connection) => void>} */
const watchers = new Set();
/** @type {Connection} */
let connection = { kind: 'none', state: 'connecting', detail: '' };

/**
 * Where delivered batches go (the event registry installs itself here).
 * @param {(batch: BatchItem[]) => void} fn
 */
export function setBatchSink(fn) { sink = fn; }

/**
 * Hand one batch of events to the page. Also `window.__mscDeliver`.
 * @param {unknown} batch
 * @returns {boolean} whether the batch was taken
 */
export function deliver(batch) {
  if (!Array.isArray(batch)) return false;
  sink(/** @type {BatchItem[]} */ (batch));
  return true;
}

/**
 * Resolves once the tab is subscribed again after its latest reconnect (`bridge-reconnected`),
 * so that a fetch made then meets the live stream without a hole. It never resolves when that
 * stream went away again first: the next `bridge-reconnected` brings a new one.
 * @returns {Promise<void>}
 */
export function whenResubscribed() { return resubscribed; }

/** The current connection and a way to watch it. */
export function getConnection() { return connection; }
/**
 * @param {(c: Connection) => void} fn
 * @returns {() => void} unwatch
 */
export function watchConnection(fn) {
  watchers.add(fn);
  return () => { watchers.delete(fn); };
}
/** @param {Partial<Connection>} change */
function setConnection(change) {
  connection = { ...connection, ...change };
  watchers.forEach((fn) => fn(connection));
}

/** @param {string} code @param {string} message @returns {CommandError} */
export const commandError = (code, message) => ({ code, message });

/** A fresh client id: 24 random hex digits. */
function newClientId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The page's token: `?token=` (moved to sessionStorage, URL cleaned) or the stored one. */
function takeToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    try { sessionStorage.setItem(TOKEN_KEY, fromUrl); } catch { /* storage disabled: URL only */ }
    url.searchParams.delete('token');
    // Keep the token out of the address bar, history and screenshots; reloads use storage.
    try { history.replaceState(history.state, '', url); } catch { /* file:// and friends */ }
    return fromUrl;
  }
  try { return sessionStorage.getItem(TOKEN_KEY); } catch { return null; }
}

// ---- pywebview ---------------------------------------------------------------------------

/** @returns {any} */
const pywebview = () => /** @type {any} */ (window).pywebview;
const apiReady = () => typeof pywebview()?.api === 'object' && pywebview().api !== null;

function whenPywebviewReady() {
  if (apiReady()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (/** @type {boolean} */ ok) => { window.removeEventListener('pywebviewready', onReady); resolve(ok); };
    const onReady = () => done(true);
    window.addEventListener('pywebviewready', onReady);
    setTimeout(() => done(apiReady()), PYWEBVIEW_WAIT_MS);
  });
}

/**
 * @param {string} cmd
 * @param {Record<string, unknown>} args
 */
async function invokePywebview(cmd, args) {
  const fn = pywebview()?.api?.[cmd];
  if (typeof fn !== 'function') throw commandError('not_found', `unknown command ${JSON.stringify(cmd)}`);
  let reply;
  try {
    reply = await fn.call(pywebview().api, args);
  } catch (error) {
    // The Python side raised past the dispatcher (a bug): pywebview rejects with its text.
    throw commandError('internal', `command ${cmd} failed: ${errorText(error)}`);
  }
  if (reply && typeof reply === 'object' && 'error' in reply) {
    const e = reply.error ?? {};
    throw commandError(String(e.code ?? 'internal'), String(e.message ?? 'unknown error'));
  }
  if (reply && typeof reply === 'object' && 'ok' in reply) return reply.ok;
  throw commandError('internal', `command ${cmd}: malformed reply (expected {ok} or {error})`);
}

// ---- http (dev server) -------------------------------------------------------------------

/**
 * @param {string} token
 * @param {string} client
 * @param {string} cmd
 * @param {Record<string, unknown>} args
 */
async function invokeHttp(token, client, cmd, args) {
  let response;
  // The server sends a tab's events to its open streams only: a subscribe answered before the
  // first one opened would lose `log-subscribed` and the entries after it (Tauri's `listen`
  // misses nothing once `subscribe_to_logs` returned).
  if (cmd === 'subscribe_to_logs') await streamOpen;
  try {
    response = await fetch(`/invoke/${encodeURIComponent(cmd)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-MSC-Token': token, 'X-MSC-Client': client },
      body: JSON.stringify(args ?? {}),
      cache: 'no-store',
    });
  } catch (error) {
    throw commandError('unreachable', `backend unreachable: ${errorText(error)}`);
  }
  let body;
  try { body = await response.json(); } catch { body = null; }
  if (response.ok) {
    if (cmd === 'subscribe_to_logs') subscribed = true;
    else if (cmd === 'unsubscribe_from_logs') subscribed = false;
    return body;
  }
  if (body && typeof body === 'object' && 'code' in body) throw commandError(String(body.code), String(body.message ?? ''));
  throw commandError('internal', `HTTP ${response.status} from /invoke/${cmd}`);
}

/**
 * `dev-reload` for stylesheets only: point each changed stylesheet's <link> at a fresh URL, so
 * the page keeps its filters and scroll. Returns false (the caller reloads the page) when a path
 * is no stylesheet of this page.
 * @param {unknown[]} paths frontend-relative paths, e.g. `css/app.css`
 * @returns {boolean}
 */
function swapStylesheets(paths) {
  const links = /** @type {HTMLLinkElement[]} */ ([...document.querySelectorAll('link[rel="stylesheet"]')]);
  const found = paths.map((path) => typeof path === 'string' && path.endsWith('.css')
    ? links.filter((link) => new URL(link.href).pathname.endsWith(`/${path}`)) : []);
  if (found.some((matches) => matches.length === 0)) return false;
  for (const link of found.flat()) {
    const url = new URL(link.href);
    url.searchParams.set('dev-reload', String(Date.now()));  // past the browser's cache
    link.href = url.href;
  }
  return true;
}

/**
 * Subscribe this tab again after its event stream came back, then call ``done`` (at once when the
 * page is not subscribed). A failed try is tried again after a backoff (the live log must not
 * stop for one lost request) while ``still()`` holds: until the stream goes again, and its next
 * `hello` starts over.
 * @param {string} token
 * @param {string} client
 * @param {() => boolean} still
 * @param {() => void} done
 * @param {number} [attempt]
 */
function resubscribe(token, client, still, done, attempt = 0) {
  if (!still()) return;
  if (!subscribed) { done(); return; }
  invokeHttp(token, client, 'subscribe_to_logs', {}).then(() => {
    if (attempt > 0) setConnection({ state: 'open', detail: '' });
    done();
  }, (error) => {
    console.error('re-subscribe failed; trying again:', error);
    setConnection({ state: 'reconnecting', detail: `subscribing again to the live log: ${errorText(error)}` });
    const retry = () => resubscribe(token, client, still, done, attempt + 1);
    setTimeout(retry, BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]);
  });
}

/**
 * @param {string} token
 * @param {string} client
 */
function openEventStream(token, client) {
  let hellos = 0;
  let attempt = 0;
  const connect = () => {
    const source = new EventSource(`/events?token=${encodeURIComponent(token)}&client=${client}`);
    source.onmessage = (message) => {
      let batch;
      try { batch = JSON.parse(message.data); } catch { return; }
      if (!Array.isArray(batch)) return;
      const reloads = batch.filter((item) => item?.event === 'dev-reload');
      if (reloads.length && !swapStylesheets(reloads.map((item) => item.payload?.path))) {
        location.reload();
        return;
      }
      batch = batch.filter((item) => item?.event !== 'dev-reload');
      if (!batch.length) return;
      if (batch.some((item) => item?.event === 'hello')) {
        attempt = 0;
        hellos += 1;
        const current = hellos;
        streamOpened();
        setConnection({ state: 'open', detail: '' });
        if (hellos > 1) {
          // The server unsubscribed this tab when its stream ended: subscribe it again, as
          // code written for Tauri (the seed's logStore) never expects to lose a `listen`.
          resubscribed = new Promise((resolve) => resubscribe(token, client, () => current === hellos, resolve));
          batch = [...batch, { event: 'bridge-reconnected', payload: { count: hellos - 1 } }];
        }
      }
      deliver(batch);
    };
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        // Refused (wrong token, server restarted with a new one) or gone: retry ourselves.
        source.close();
        setConnection({ state: 'down', detail: 'the event stream was refused or closed' });
        setTimeout(connect, BACKOFF_MS[Math.min(attempt++, BACKOFF_MS.length - 1)]);
      } else {
        setConnection({ state: 'reconnecting', detail: 'lost the event stream; reconnecting…' });
      }
    };
  };
  connect();
}

// ---- selection ---------------------------------------------------------------------------

/** @param {unknown} error */
function errorText(error) {
  if (error && typeof error === 'object' && 'message' in error) return String(error.message);
  return String(error);
}

/** @typedef {(cmd: string, args: Record<string, unknown>) => Promise<unknown>} RawInvoke */

/** @returns {Promise<RawInvoke>} */
async function select() {
  if (pywebview()) {
    setConnection({ kind: 'pywebview', state: 'connecting' });
    await whenPywebviewReady();
    setConnection({ state: apiReady() ? 'open' : 'down', detail: apiReady() ? '' : 'the desktop bridge did not start' });
    return invokePywebview;
  }
  const token = takeToken();
  if (token) {
    setConnection({ kind: 'http', state: 'connecting' });
    const client = newClientId();
    openEventStream(token, client);
    return (cmd, args) => invokeHttp(token, client, cmd, args);
  }
  const ready = await whenPywebviewReady();
  if (ready) {
    setConnection({ kind: 'pywebview', state: 'open' });
    return invokePywebview;
  }
  setConnection({ kind: 'none', state: 'down', detail: 'no backend: open the page through `msc-logs dev` or the desktop app' });
  return async () => {
    throw commandError('unreachable', 'no backend: this page needs the desktop app or `msc-logs dev` (its URL carries a token)');
  };
}

/** @type {Promise<RawInvoke> | null} */
let selected = null;

/** The transport's raw invoke, chosen on first use. */
export function transport() {
  selected ??= select();
  return selected;
}

// The backend (pywebview) and benchmarks push batches through this global.
/** @type {any} */ (window).__mscDeliver = deliver;
