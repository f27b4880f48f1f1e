// @ts-check
/**
 * The list's modes besides the filtered view: the context of an entry (its unfiltered
 * neighbours, lnav's `:filter-context`: the entry and the other filter hits stay highlighted)
 * and the marked entries. A mode replaces the rows the list shows until it is left (Esc, the
 * mode bar's Back button); then the filtered view comes back at the place it was left, the
 * entry selected then selected again at the same height.
 */
import { invoke } from '../bridge/core.js';
import { filteredLogs } from '../store.js';
import { noChanges } from '../filtered-view.js';
import { formatCount } from '../format.js';
import { marks } from '../marks.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/** @typedef {import('./log-list.js').LogList} LogList */
/**
 * @typedef {{kind: 'context'|'marked', entries: LogEntry[], hit: LogEntry|null, label: string}} Mode
 * @typedef {{selected: LogEntry|null, offset: number|null, scrollTop: number, following: boolean}} Saved
 */

/** Neighbours on each side of the entry a context view is opened on. */
export const CONTEXT_SIDE = 200;

/**
 * Show `mode`'s entries in the list (the filtered view's place is kept for `leaveMode`).
 * @param {LogList} list
 * @param {Mode} mode
 */
export function enterMode(list, mode) {
  if (!list.mode) {
    const index = list.selectedIndex;
    list.saved = {
      selected: list.selected,
      offset: index >= 0 ? list.rowTop(index) - list.viewport.scrollTop : null,
      scrollTop: list.viewport.scrollTop,
      following: list.following,
    };
  }
  list.pause();
  list.mode = mode;
  list.show(mode.entries);
  const at = mode.hit ? mode.entries.indexOf(mode.hit) : -1;
  if (at >= 0) list.select(at, { center: true });
  else { list.select(-1); list.scrollList(0); list.renderRows(); }
  list.renderChrome();
  list.dispatchEvent(new CustomEvent('msc-mode', { bubbles: true, detail: { kind: mode.kind } }));
}

/**
 * Back to the filtered view, at the place it was left.
 * @param {LogList} list
 */
export function leaveMode(list) {
  const saved = /** @type {Saved|null} */ (list.saved);
  if (!list.mode) return;
  list.mode = null;
  list.saved = null;
  list.selected = saved?.selected ?? null;
  list.onView(filteredLogs.value, { ...noChanges(), reset: true });
  const index = list.selectedIndex;
  if (saved?.following) list.resume();
  else if (index >= 0 && saved?.offset != null) list.scrollList(list.rowTop(index) - saved.offset);
  else if (saved) list.scrollList(saved.scrollTop);
  list.renderRows();
  list.renderChrome();
  list.dispatchEvent(new CustomEvent('msc-select', { bubbles: true, detail: { entry: list.selected } }));
  list.dispatchEvent(new CustomEvent('msc-mode', { bubbles: true, detail: { kind: null } }));
}

/**
 * Open the context of `entry`: its neighbours in the whole log, whatever the filter.
 * @param {LogList} list
 * @param {LogEntry} entry
 */
export async function showContext(list, entry) {
  if (entry.id == null) {
    list.notice('This entry has no id: its context cannot be read');
    return;
  }
  try {
    /** @type {{entries: LogEntry[], index: number}} */
    const found = await invoke('get_log_context', { id: entry.id, before: CONTEXT_SIDE, after: CONTEXT_SIDE });
    const hit = found.entries[found.index] ?? null;
    const before = Math.max(0, found.index);
    const after = Math.max(0, found.entries.length - found.index - 1);
    const label = `Context: ${formatCount(before)} ${before === 1 ? 'entry' : 'entries'} before and ${formatCount(after)} after the selected one, unfiltered`;
    enterMode(list, { kind: 'context', entries: found.entries, hit, label });
  } catch (e) {
    list.notice(`Couldn’t read the context: ${/** @type {any} */ (e)?.message ?? e}`);
  }
}

/**
 * Show only the marked entries (loaded or not), oldest first.
 * @param {LogList} list
 */
export async function showMarked(list) {
  const entries = await marks.entries();
  const n = entries.length;
  const label = n ? `${formatCount(n)} marked ${n === 1 ? 'entry' : 'entries'}` : 'No marked entries — select one and press m';
  enterMode(list, { kind: 'marked', entries, hit: null, label });
}

/**
 * Whether a row of the current mode is a hit (highlighted): the entry the context was opened on,
 * and any neighbour the filter would show.
 * @param {Mode|null} mode
 * @param {LogEntry} entry
 */
export function isHit(mode, entry) {
  if (mode?.kind !== 'context') return false;
  if (entry === mode.hit) return true;
  const matcher = filteredLogs.matcher;
  return matcher.active && matcher.test(entry);
}
