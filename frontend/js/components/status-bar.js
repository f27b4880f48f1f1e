// @ts-check
/**
 * `<msc-status-bar>`: streaming indicator, entry counts ("5,001 loaded of about 2.97 M": the
 * entries loaded against about how many the log set holds), the lines that are no records
 * ("12 lines shown raw · 1 skipped", a button to the list of their places), and notices (files
 * of the log that cannot be read, cap reached, events the backend dropped, a failed refresh,
 * short messages from `notice(text)`).
 * With a filter, how many entries of the whole log match it ("29,660 match in the log": the
 * histogram's totals, histogram-data.js; "about … (sampled)" when estimated).
 */
import { formatAbout, formatCount } from '../format.js';
import { html } from '../html.js';
import { logInfo, unreadableNotice } from '../log-info.js';
import { filteredLogs, logStore } from '../store.js';
import { streamStatus } from '../stream-status.js';
import { histogram } from '../histogram-data.js';
import { compile, LEVELS } from '../filter.js';
import { levelCount } from './level-filter.js';

/** @typedef {import('../log-info.js').LogInfo} LogInfo */

/**
 * The count text: shown (when filtered here) and loaded entries, and about how many the set
 * holds when the backend says (never fewer than are loaded: it is an estimate).
 * @param {number} shown
 * @param {number} loaded
 * @param {LogInfo|null} info
 */
export function countText(shown, loaded, info) {
  const estimate = info?.estimated_entries;
  if (typeof estimate !== 'number') {
    return shown !== loaded
      ? `${formatCount(shown)} of ${formatCount(loaded)} entries`
      : `${formatCount(loaded)} ${loaded === 1 ? 'entry' : 'entries'}`;
  }
  const total = `${formatCount(loaded)} loaded of about ${formatAbout(Math.max(estimate, loaded))}`;
  return shown !== loaded ? `${formatCount(shown)} shown · ${total}` : total;
}

/**
 * "12 lines shown raw · 1 skipped", or '' when every line is a record (or the backend does not
 * count them).
 * @param {LogInfo|null} info
 */
export function unparsedText(info) {
  const raw = Number(info?.raw ?? 0) || 0;
  const skipped = Number(info?.skipped ?? 0) || 0;
  const parts = [];
  if (raw > 0) parts.push(`${formatCount(raw)} ${raw === 1 ? 'line' : 'lines'} shown raw`);
  if (skipped > 0) parts.push(`${formatCount(skipped)} skipped`);
  return parts.join(' · ');
}

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
        <span class="matches" data-ref="matches" hidden></span>
        <button type="button" class="link status__unparsed" data-ref="unparsed" hidden
          title="Lines that are no records: where they are, and a filter to show only them"></button>
        <span class="notice notice--warn status__unreadable" data-ref="unreadable" hidden></span>
        <span class="notice notice--warn" data-ref="cap" hidden></span>
        <span class="notice notice--warn" data-ref="dropped" hidden></span>
        <span class="notice notice--error" data-ref="error" hidden></span>
        <span class="spacer"></span>
        <span class="notice notice--flash" data-ref="flash" aria-live="polite"></span>
        <span class="transport" data-ref="transport"></span>`.toString();
      this.ref('unparsed').addEventListener('click', () => {
        /** @type {any} */ (document.querySelector('msc-unparsed-dialog'))?.open();
      });
    }
    this.cleanups.push(logStore.subscribe(() => this.render()), logInfo.subscribe(() => this.render()),
      histogram.subscribe(() => this.render()));
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
    const stream = streamStatus(s);
    this.ref('stream').dataset.tone = stream.tone;
    this.ref('stream').title = stream.title;
    setText(this.ref('stream-text'), stream.text);
    const { info } = logInfo.state;
    const count = this.ref('count');
    setText(count, countText(shown, s.entries.length, info));
    count.title = typeof info?.estimated_entries === 'number'
      ? `About ${formatCount(info.estimated_entries)} entries in the log set${info.scanned_all === false ? ' (estimated from its newest part)' : ''}`
      : '';
    const matches = matchText(s.filter);
    this.show('matches', matches !== '', matches);
    const unparsed = unparsedText(info);
    this.show('unparsed', unparsed !== '', unparsed);
    const unreadable = unreadableNotice(info);
    this.show('unreadable', unreadable.text !== '', unreadable.text);
    this.ref('unreadable').title = unreadable.title;
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

/**
 * "29,660 match in the log" for an active filter once the histogram answers it; else ''.
 * @param {import('../filter.js').Filter} filter
 */
export function matchText(filter) {
  const matcher = compile(filter);
  if (!matcher.active || !histogram.current()) return '';
  let n = 0;
  let approximate = false;
  for (const level of LEVELS) {
    if (!matcher.testLevel(level)) continue;
    const c = levelCount(level);
    n += c.n;
    approximate ||= c.approximate;
  }
  return approximate ? `about ${formatAbout(n)} match in the log (sampled)` : `${formatCount(n)} match in the log`;
}

/** @param {HTMLElement} el @param {string} text */
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

export function registerStatusBar() {
  if (!customElements.get('msc-status-bar')) customElements.define('msc-status-bar', StatusBar);
}
