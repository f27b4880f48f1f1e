// @ts-check
/**
 * `<msc-log-list>`: the virtualized log list. Fixed row height; only the visible rows plus an
 * overscan are in the DOM, recycled (row `i` is always pool element `i % pool size`) and updated
 * with text. Follows the newest entries (live tail) until the user scrolls up; then it keeps
 * its place, counts what arrives and offers to jump back. Reaching the top loads older entries.
 * When the log set has several sources (log-info.js), a Source column says where each entry
 * comes from.
 *
 * Besides the filtered view it shows a mode's entries (list-modes.js: an entry's context, the
 * marked entries); a minimap beside the scrollbar marks errors, warnings, hits and marks; the
 * header's column edges can be dragged (column-resize.js).
 *
 * Events: `msc-select` {entry|null}, `msc-follow` {following, waiting}, `msc-notice` {text},
 * `msc-mode` {kind|null}, `msc-columns`.
 */
import { filteredLogs, logStore } from '../store.js';
import { distinctSources, logInfo } from '../log-info.js';
import { localDay } from '../format.js';
import { html } from '../html.js';
import { createRow, updateRow } from './log-row.js';
import { marks } from '../marks.js';
import { enableColumnResize } from './column-resize.js';
import { enterMode, isHit, leaveMode, showContext, showMarked } from './list-modes.js';
import { renderChrome } from './list-chrome.js';
import { anchorOf, jumpTo, nextHit, nextMark, nextWhere, restoreAnchor, toggleMark } from './list-nav.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/** @typedef {import('./log-row.js').Row} Row */

export const ROW_HEIGHT = 22;
const TOP = 30; // the marker above the first row ("beginning of log", "loading older…")
const OVERSCAN = 8;
const LOAD_OLDER_WITHIN = ROW_HEIGHT * 4;

export class LogList extends HTMLElement {
  constructor() {
    super();
    /** @type {LogEntry[]} */
    this.entries = [];
    this.following = true;
    /** A paused list showing the newest rows keeps showing them when its height changes. */
    this.pinned = false;
    this.waiting = 0; // new entries while paused
    /** @type {LogEntry|null} */
    this.selected = null;
    this.selectedIndex = -1;
    /** @type {number|null} where our own last scroll put the viewport (null: none pending) */
    this.expectedTop = null;
    this.withDate = false;
    /** @type {Row[]} */
    this.pool = [];
    this.frame = 0;
    /** @type {import('./list-modes.js').Mode|null} the mode shown instead of the filtered view */
    this.mode = null;
    /** @type {import('./list-modes.js').Saved|null} where the filtered view was left */
    this.saved = null;
    // Set by build(); declared here for the type checker.
    const none = /** @type {any} */ (null);
    /** @type {HTMLDivElement} */ this.viewport = none;
    /** @type {HTMLDivElement} */ this.spacer = none;
    /** @type {HTMLDivElement} */ this.marker = none;
    /** @type {HTMLDivElement} */ this.stateBox = none;
    /** @type {HTMLButtonElement} */ this.pill = none;
    /** @type {HTMLDivElement} */ this.progress = none;
    /** @type {HTMLDivElement} */ this.modeBar = none;
    /** @type {import('./minimap.js').Minimap} */ this.minimap = none;
    /** @type {(() => void)[]} */
    this.cleanups = [];
  }

  connectedCallback() {
    if (!this.viewport) this.build();
    this.cleanups.push(
      filteredLogs.subscribe((entries, changes) => this.onView(entries, changes)),
      logStore.subscribe(() => this.renderChrome()),
      logInfo.subscribe(({ info }) => this.classList.toggle('with-sources', distinctSources(info).length > 0)),
      marks.subscribe(() => { this.renderRows(); this.minimap.invalidate(); }),
    );
    // The list changes height when the histogram or the waterfall above it come and go: a
    // following list stays at the bottom, and a paused list's scroll clamped by the browser is
    // no user's scroll (it would resume following).
    const ro = new ResizeObserver(() => {
      if ((this.following || this.pinned) && !this.mode) this.scrollList(this.bottom());
      else this.expectedTop = this.viewport.scrollTop;
      this.schedule();
    });
    ro.observe(this.viewport);
    this.cleanups.push(() => ro.disconnect());
  }

  disconnectedCallback() {
    this.cleanups.splice(0).forEach((fn) => fn());
  }

  build() {
    this.innerHTML = html`<div class="list-head" role="presentation" aria-hidden="true">
        <span class="c-time">Time</span><span class="c-level">Level</span><span class="c-origin">Source</span><span class="c-category">Category</span>
        <span class="c-target">Target</span><span class="c-message">Message</span></div>
      <div class="mode-bar" role="status" hidden><span class="mode-bar__text"></span>
        <button type="button" class="btn btn--small" data-action="leave-mode" title="Back to the list (Esc)">Back to the list</button></div>
      <div class="list-body">
        <div class="viewport" tabindex="0" role="grid" aria-label="Log entries" aria-rowcount="1">
          <div class="sizer"></div><div class="top-marker" aria-live="polite"></div></div>
        <msc-minimap></msc-minimap></div>
      <div class="progress" hidden></div>
      <div class="list-state"></div>
      <button type="button" class="pill" hidden></button>`.toString();
    this.viewport = /** @type {HTMLDivElement} */ (this.querySelector('.viewport'));
    this.spacer = /** @type {HTMLDivElement} */ (this.querySelector(".sizer"));
    this.marker = /** @type {HTMLDivElement} */ (this.querySelector('.top-marker'));
    this.stateBox = /** @type {HTMLDivElement} */ (this.querySelector('.list-state'));
    this.pill = /** @type {HTMLButtonElement} */ (this.querySelector('.pill'));
    this.progress = /** @type {HTMLDivElement} */ (this.querySelector('.progress'));
    this.modeBar = /** @type {HTMLDivElement} */ (this.querySelector('.mode-bar'));
    this.minimap = /** @type {import('./minimap.js').Minimap} */ (this.querySelector('msc-minimap'));
    this.minimap.list = this;
    enableColumnResize(this, () => this.dispatchEvent(new CustomEvent('msc-columns', { bubbles: true })));
    this.viewport.addEventListener('scroll', () => this.onScroll(), { passive: true });
    this.viewport.addEventListener('click', (e) => this.onClick(e));
    this.pill.addEventListener('click', () => this.resume());
    this.addEventListener('click', (e) => this.onAction(e));
  }

  // ---- data ------------------------------------------------------------------------------

  /**
   * @param {LogEntry[]} entries
   * @param {import('../filtered-view.js').Changes} changes
   */
  onView(entries, changes) {
    if (this.mode) return; // leaveMode() takes the view as it is then
    if (changes.appended) this.pinned = false; // new rows wait below the paused list
    this.show(entries);
    if (changes.reset) {
      this.selectedIndex = this.selected ? entries.indexOf(this.selected) : -1;
      this.waiting = 0;
      if (!this.following && this.selectedIndex >= 0) this.reveal(this.selectedIndex, true);
    } else {
      const shift = changes.prepended - changes.trimmed;
      if (shift) {
        if (!this.following) this.scrollList(this.viewport.scrollTop + shift * ROW_HEIGHT);
        if (this.selectedIndex >= 0) this.selectedIndex = Math.max(-1, this.selectedIndex + shift);
      }
      if (!this.following) this.waiting += changes.appended;
    }
    if (this.following || (changes.reset && this.selectedIndex < 0)) this.scrollList(this.bottom());
    this.renderRows();
    this.renderChrome();
  }

  /**
   * Put `entries` in the list (the rows are rendered by the caller).
   * @param {LogEntry[]} entries
   */
  show(entries) {
    this.entries = entries;
    const n = entries.length;
    this.withDate = n > 1 && localDay(entries[0].timestamp) !== localDay(entries[n - 1].timestamp);
    this.viewport.classList.toggle('with-date', this.withDate);
    this.classList.toggle('with-date', this.withDate);
    this.spacer.style.height = `${TOP + n * ROW_HEIGHT + ROW_HEIGHT}px`;
    this.viewport.setAttribute('aria-rowcount', String(n + 1));
    this.minimap.invalidate();
  }

  // ---- modes -----------------------------------------------------------------------------

  /** @param {LogEntry|null} [entry] the entry whose context to show (default: the selection) */
  showContext(entry = this.selected) { if (entry) void showContext(this, entry); }

  showMarked() { void showMarked(this); }

  /** @param {import('./list-modes.js').Mode} mode */
  enterMode(mode) { enterMode(this, mode); }

  leaveMode() { leaveMode(this); }

  /** @param {string} text */
  notice(text) { this.dispatchEvent(new CustomEvent('msc-notice', { bubbles: true, detail: { text } })); }

  // ---- scrolling -------------------------------------------------------------------------

  /** @param {number} index @returns {number} the row's top in the scrolled content */
  rowTop(index) { return TOP + index * ROW_HEIGHT; }

  bottom() { return this.viewport.scrollHeight - this.viewport.clientHeight; }

  /** @param {number} top */
  scrollList(top) {
    this.viewport.scrollTop = top;
    this.expectedTop = this.viewport.scrollTop;
  }

  onScroll() {
    const vp = this.viewport;
    const user = this.expectedTop === null || Math.abs(vp.scrollTop - this.expectedTop) > 1;
    this.expectedTop = null;
    if (user) {
      const atBottom = vp.scrollTop >= this.bottom() - 2;
      this.pinned = atBottom;
      if (atBottom !== this.following) this.setFollowing(atBottom);
    }
    const state = logStore.state;
    if (!this.mode && vp.scrollTop < LOAD_OLDER_WITHIN && !state.atBeginning && !state.loadingOlder && !state.olderError && this.entries.length) {
      void logStore.fetchOlder();
    }
    this.schedule();
  }

  /** @param {boolean} following */
  setFollowing(following) {
    this.following = following;
    if (following) this.waiting = 0;
    this.dispatchEvent(new CustomEvent('msc-follow', { bubbles: true, detail: { following, waiting: this.waiting } }));
    this.renderChrome();
  }

  pause() {
    if (!this.following) return;
    this.pinned = this.viewport.scrollTop >= this.bottom() - 2;
    this.setFollowing(false);
  }

  resume() {
    if (this.mode) leaveMode(this);
    this.setFollowing(true);
    this.scrollList(this.bottom());
    this.renderRows();
  }

  togglePause() { if (this.following) this.pause(); else this.resume(); }

  /**
   * Bring row `index` into view (centered with `center`).
   * @param {number} index
   * @param {boolean} [center]
   */
  reveal(index, center = false) {
    const vp = this.viewport;
    const top = TOP + index * ROW_HEIGHT;
    if (center) this.scrollList(top - vp.clientHeight / 2 + ROW_HEIGHT / 2);
    else if (top < vp.scrollTop) this.scrollList(top - ROW_HEIGHT);
    else if (top + ROW_HEIGHT > vp.scrollTop + vp.clientHeight) this.scrollList(top + 2 * ROW_HEIGHT - vp.clientHeight);
    this.renderRows();
  }

  // ---- selection -------------------------------------------------------------------------

  /**
   * @param {number} index position in the filtered view, or -1 for none
   * @param {{center?: boolean}} [options]
   */
  select(index, { center = false } = {}) {
    const entry = this.entries[index] ?? null;
    this.selected = entry;
    this.selectedIndex = entry ? index : -1;
    if (entry) {
      if (index < this.entries.length - 1) this.pause();
      this.reveal(index, center);
    }
    this.renderRows();
    this.dispatchEvent(new CustomEvent('msc-select', { bubbles: true, detail: { entry } }));
  }

  /** @param {number} delta +1 next (newer), -1 previous */
  move(delta) {
    if (!this.entries.length) return;
    if (this.selectedIndex < 0) {
      const first = Math.floor((this.viewport.scrollTop - TOP) / ROW_HEIGHT);
      const visible = Math.floor(this.viewport.clientHeight / ROW_HEIGHT);
      const start = delta > 0 ? Math.max(0, first + 1) : Math.min(this.entries.length - 1, first + visible - 1);
      this.select(Math.min(Math.max(start, 0), this.entries.length - 1));
      return;
    }
    this.select(Math.min(Math.max(this.selectedIndex + delta, 0), this.entries.length - 1));
  }

  /**
   * Select the next (+1, newer) or previous (-1, older) error from the selection; with nothing
   * selected, the newest error whichever the direction (the list follows the newest entries).
   * @param {number} direction
   */
  nextError(direction) { return nextWhere(this, direction, (e) => e.level === 'error', 'error'); }

  /** @param {number} direction +1 newer, -1 older: the next marked entry */
  nextMark(direction) { return nextMark(this, direction); }

  /** @param {number} direction +1 newer, -1 older: the next entry the search (or filter) finds */
  nextHit(direction) { return nextHit(this, direction); }

  /** Mark or unmark the selected entry (`m`). */
  toggleMark() { toggleMark(this); }

  /**
   * Bring `index` to the middle of the list (the minimap), selecting it with `selectIt`.
   * @param {number} index
   * @param {boolean} selectIt
   */
  jumpTo(index, selectIt) { jumpTo(this, index, selectIt); }

  /** Where the filtered view is, for the view state (list-nav.js). */
  anchor() { return anchorOf(this); }

  /** @param {{id?: unknown, selected?: unknown, following?: unknown}} anchor from `anchor()` */
  restoreAnchor(anchor) { restoreAnchor(this, anchor); }


  /** @param {MouseEvent} event */
  onClick(event) {
    const act = /** @type {HTMLElement} */ (event.target).closest('[data-act="context"]');
    const rowOf = /** @type {HTMLElement|null} */ (act?.closest('.row') ?? null);
    if (act && rowOf?.dataset.index) { this.showContext(this.entries[Number(rowOf.dataset.index)]); return; }
    const row = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (event.target).closest('.row'));
    if (row?.dataset.index) this.select(Number(row.dataset.index));
  }

  /** @param {MouseEvent} event */
  onAction(event) {
    const action = /** @type {HTMLElement} */ (event.target).closest('[data-action]')?.getAttribute('data-action');
    if (action === 'retry') this.dispatchEvent(new CustomEvent('msc-retry', { bubbles: true }));
    else if (action === 'clear-filters') logStore.resetFilter();
    else if (action === 'retry-older') { logStore.state.olderError = null; void logStore.fetchOlder(); }
    else if (action === 'leave-mode') leaveMode(this);
  }

  // ---- rendering -------------------------------------------------------------------------

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.renderRows();
    });
  }

  renderChrome() { renderChrome(this); }

  renderRows() {
    const vp = this.viewport;
    const n = this.entries.length;
    const height = vp.clientHeight || 600;
    const first = Math.max(0, Math.floor((vp.scrollTop - TOP) / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(n, Math.ceil((vp.scrollTop - TOP + height) / ROW_HEIGHT) + OVERSCAN);
    const size = Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN + 2;
    while (this.pool.length < size) {
      const row = createRow();
      row.hidden = true;
      vp.append(row);
      this.pool.push(row);
    }
    const matcher = filteredLogs.matcher;
    const search = logStore.state.filter.search;
    const how = { regex: matcher.searchRegex, searchKey: `${search}\u0000${logStore.state.filter.regex}`, withDate: this.withDate, selected: false, marked: false, hit: false };
    const used = new Set();
    for (let i = first; i < last; i++) {
      const row = this.pool[i % this.pool.length];
      used.add(row);
      how.selected = i === this.selectedIndex;
      how.marked = marks.has(this.entries[i]);
      how.hit = isHit(this.mode, this.entries[i]);
      updateRow(row, this.entries[i], i, how);
      const y = `translateY(${TOP + i * ROW_HEIGHT}px)`;
      if (row.style.transform !== y) row.style.transform = y;
      row.hidden = false;
    }
    for (const row of this.pool) {
      if (!used.has(row) && !row.hidden) { row.hidden = true; row._entry = null; }
    }
    this.minimap.updateWindow();
  }

}

export function registerLogList() {
  if (!customElements.get('msc-log-list')) customElements.define('msc-log-list', LogList);
}
