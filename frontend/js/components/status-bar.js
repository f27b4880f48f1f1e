// @ts-check
/**
 * `<msc-status-bar>`: streaming indicator, entry counts, and notices (cap reached, events the
 * backend dropped, a failed refresh, short messages from `notice(text)`).
 */
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { filteredLogs, logStore } from '../store.js';

const NOTICE_MS = 3500;

export class StatusBar extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void)[]} */
    this.cleanups = [];
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    this.timer = undefined;
  }

  connectedCallback() {
    if (!this.firstElementChild) {
      this.setAttribute('role', 'status');
      this.innerHTML = html`<span class="stream" data-ref="stream"><i class="stream__dot" aria-hidden="true"></i><span data-ref="stream-text"></span></span>
        <span class="count" data-ref="count"></span>
        <span class="notice notice--warn" data-ref="cap" hidden></span>
        <span class="notice notice--warn" data-ref="dropped" hidden></span>
        <span class="notice notice--error" data-ref="error" hidden></span>
        <span class="spacer"></span>
        <span class="notice notice--flash" data-ref="flash" aria-live="polite"></span>
        <span class="transport" data-ref="transport"></span>`.toString();
    }
    this.cleanups.push(logStore.subscribe(() => this.render()));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  /** @param {string} name */
  ref(name) { return /** @type {HTMLElement} */ (this.querySelector(`[data-ref="${name}"]`)); }

  /** @param {string} text shown for a few seconds */
  notice(text) {
    this.ref('flash').textContent = text;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.ref('flash').textContent = ''; }, NOTICE_MS);
  }

  render() {
    const s = logStore.state;
    const shown = filteredLogs.value.length;
    const conn = s.connection;
    const lost = conn.state === 'reconnecting' || (conn.state === 'down' && s.loaded);
    const idle = s.loaded ? 'Not streaming' : s.error ? 'Offline' : 'Connecting…';
    const [mode, text] = lost ? ['warn', 'Reconnecting…'] : s.isStreaming ? ['live', 'Streaming'] : ['off', idle];
    this.ref('stream').dataset.mode = mode;
    setText(this.ref('stream-text'), text);
    const total = s.entries.length;
    const filtered = shown !== total;
    setText(this.ref('count'), filtered
      ? `${formatCount(shown)} of ${formatCount(total)} entries`
      : `${formatCount(total)} ${total === 1 ? 'entry' : 'entries'}`);
    this.show('cap', s.capReached && s.dropped > 0, `cap reached — ${formatCount(s.dropped)} oldest entries dropped from view`);
    this.show('dropped', s.eventsDropped > 0, `${formatCount(s.eventsDropped)} live events dropped (the page fell behind) — Refresh to fill the gap`);
    this.show('error', Boolean(s.error && s.loaded), s.error ? `Refresh failed: ${s.error.message}` : '');
    setText(this.ref('transport'), conn.kind === 'http' ? 'dev server' : conn.kind === 'pywebview' ? 'desktop' : '');
  }

  /** @param {string} name @param {boolean} on @param {string} text */
  show(name, on, text) {
    const el = this.ref(name);
    el.hidden = !on;
    if (on) setText(el, text);
  }
}

/** @param {HTMLElement} el @param {string} text */
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

export function registerStatusBar() {
  if (!customElements.get('msc-status-bar')) customElements.define('msc-status-bar', StatusBar);
}
