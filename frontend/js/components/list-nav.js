// @ts-check
/**
 * Moving through the log list: to the next error, mark or search hit, to a place (the minimap,
 * the histogram), marking the selection, and the list's place as the view state keeps it.
 */
import { filteredLogs } from '../store.js';
import { marks } from '../marks.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/** @typedef {import('./log-list.js').LogList} LogList */

/**
 * Select the next (+1, newer) or previous (-1, older) entry passing `test`, from the selection;
 * with nothing selected, the newest one whichever the direction.
 * @param {LogList} list
 * @param {number} direction
 * @param {(e: LogEntry) => boolean} test
 * @param {string} what named in the notice when there is none
 * @returns {boolean} whether one was found
 */
export function nextWhere(list, direction, test, what) {
  const entries = list.entries;
  let from = list.selectedIndex;
  if (from < 0) { from = entries.length; direction = -1; }
  for (let i = from + direction; i >= 0 && i < entries.length; i += direction) {
    if (test(entries[i])) {
      list.select(i, { center: true });
      return true;
    }
  }
  list.notice(direction > 0 ? `No newer ${what}` : `No older ${what}`);
  return false;
}

/** @param {LogList} list @param {number} direction +1 newer, -1 older */
export function nextMark(list, direction) {
  if (!marks.size) { list.notice('No marks — select an entry and press m'); return false; }
  return nextWhere(list, direction, (e) => marks.has(e), 'mark');
}

/** @param {LogList} list @param {number} direction +1 newer, -1 older */
export function nextHit(list, direction) {
  const matcher = filteredLogs.matcher;
  if (!matcher.active) { list.notice('No search or filter to jump between its hits'); return false; }
  return nextWhere(list, direction, (e) => matcher.test(e), 'hit');
}

/** @param {LogList} list mark or unmark its selected entry */
export function toggleMark(list) {
  const entry = list.selected;
  if (!entry) { list.notice('Select an entry to mark it'); return; }
  const on = marks.toggle(entry);
  list.notice(on ? 'Marked' : marks.has(entry) ? 'Too many marks' : 'Mark removed');
}

/**
 * Bring row `index` to the middle of the list, selecting it with `selectIt`.
 * @param {LogList} list
 * @param {number} index
 * @param {boolean} selectIt
 */
export function jumpTo(list, index, selectIt) {
  const i = Math.min(Math.max(index, 0), list.entries.length - 1);
  if (i < 0) return;
  if (selectIt) { list.select(i, { center: true }); return; }
  if (i < list.entries.length - 1) list.pause();
  list.reveal(i, true);
}

/**
 * Where the filtered view is (for the view state): the selected entry, else the top one, unless
 * the list follows the newest entries.
 * @param {LogList} list
 * @returns {{id: string|null, selected: boolean, following: boolean}}
 */
export function anchorOf(list) {
  if (list.mode) {
    const saved = list.saved;
    return { id: saved?.selected?.id ?? null, selected: Boolean(saved?.selected), following: Boolean(saved?.following) };
  }
  const top = list.entries[Math.max(0, Math.ceil((list.viewport.scrollTop - list.rowTop(0)) / (list.rowTop(1) - list.rowTop(0))))];
  const id = list.selected?.id ?? (list.following ? null : top?.id ?? null);
  return { id, selected: Boolean(list.selected), following: list.following && !list.selected };
}

/**
 * Back to a place `anchorOf` gave, when its entry is loaded.
 * @param {LogList} list
 * @param {{id?: unknown, selected?: unknown, following?: unknown}} anchor
 */
export function restoreAnchor(list, anchor) {
  if (!anchor || anchor.following || typeof anchor.id !== 'string') return;
  const index = list.entries.findIndex((e) => e.id === anchor.id);
  if (index < 0) return;
  if (anchor.selected) { list.select(index, { center: true }); return; }
  list.pause();
  list.scrollList(list.rowTop(index));
  list.renderRows();
}
