// @ts-check
/**
 * One row of the virtual log list: created once, then recycled for other entries. Log text
 * reaches the DOM only as text nodes (`textContent`, or text nodes around `<mark>` for search
 * hits); never as markup.
 */
import { hitRanges } from '../filter.js';
import { entryTime, formatFull } from '../format.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/**
 * @typedef {HTMLDivElement & {
 *   _entry?: LogEntry|null, _index?: number, _key?: string,
 *   cells: {time: HTMLElement, level: HTMLElement, category: HTMLElement, target: HTMLElement, message: HTMLElement}
 * }} Row
 */

const MAX_MESSAGE = 2000; // the row shows one line; the detail pane has the rest

/** @returns {Row} */
export function createRow() {
  const row = /** @type {Row} */ (document.createElement('div'));
  row.className = 'row';
  row.setAttribute('role', 'row');
  const cell = (/** @type {string} */ name) => {
    const span = document.createElement('span');
    span.className = `c-${name}`;
    span.setAttribute('role', 'gridcell');
    row.append(span);
    return span;
  };
  row.cells = {
    time: cell('time'), level: cell('level'), category: cell('category'),
    target: cell('target'), message: cell('message'),
  };
  return row;
}

/**
 * Fill `el` with `text`, wrapping search hits in `<mark>`.
 * @param {HTMLElement} el
 * @param {string} text
 * @param {RegExp|null} regex
 */
export function setHighlighted(el, text, regex) {
  const ranges = hitRanges(text, regex);
  if (!ranges.length) {
    el.textContent = text;
    return;
  }
  el.textContent = '';
  let at = 0;
  for (const [start, end] of ranges) {
    if (start > at) el.append(document.createTextNode(text.slice(at, start)));
    const mark = document.createElement('mark');
    mark.textContent = text.slice(start, end);
    el.append(mark);
    at = end;
  }
  if (at < text.length) el.append(document.createTextNode(text.slice(at)));
}

/**
 * Show `entry` in `row` (skipped when the row already shows it the same way).
 * @param {Row} row
 * @param {LogEntry} entry
 * @param {number} index position in the filtered view
 * @param {{regex: RegExp|null, searchKey: string, withDate: boolean, selected: boolean}} how
 */
export function updateRow(row, entry, index, how) {
  const key = `${how.searchKey}|${how.withDate}|${how.selected}`;
  if (row._entry === entry && row._index === index && row._key === key) return;
  const sameEntry = row._entry === entry && row._key?.startsWith(`${how.searchKey}|${how.withDate}|`);
  row._entry = entry;
  row._index = index;
  row._key = key;
  row.setAttribute('aria-rowindex', String(index + 2)); // the header is row 1
  row.dataset.index = String(index);
  row.classList.toggle('selected', how.selected);
  row.setAttribute('aria-selected', String(how.selected));
  if (sameEntry) return;
  const level = entry.level;
  row.dataset.level = level;
  const { cells } = row;
  cells.time.textContent = entryTime(entry, how.withDate);
  cells.time.title = formatFull(entry.timestamp);
  cells.level.textContent = level.toUpperCase();
  cells.category.textContent = entry.category;
  const message = entry.message.length > MAX_MESSAGE ? `${entry.message.slice(0, MAX_MESSAGE)}…` : entry.message;
  // One line per row: newlines shown as a visible mark rather than breaking the grid.
  const line = message.includes('\n') ? message.replace(/\r?\n/g, ' ⏎ ') : message;
  setHighlighted(cells.target, entry.target, how.regex);
  cells.target.title = entry.target;
  setHighlighted(cells.message, line, how.regex);
  const hit = how.regex && !hitRanges(line, how.regex, 1).length && !hitRanges(entry.target, how.regex, 1).length
    ? fieldHit(entry, how.regex) : null;
  if (hit) {
    // The search matched a field: show which one, so the row's presence makes sense. Message,
    // key and value each get their own element, isolated in CSS (bidi), so that a direction
    // control left open in one of them (U+202E…) cannot reorder the others.
    const text = document.createElement('span');
    text.append(...cells.message.childNodes);
    const extra = document.createElement('span');
    extra.className = 'field-hit';
    const key = document.createElement('span');
    key.textContent = hit[0];
    const value = document.createElement('span');
    setHighlighted(value, hit[1], how.regex);
    extra.append(key, '=', value);
    cells.message.append(text, extra);
  }
}

/**
 * The first field (top-level key, value as text) whose value the search matches.
 * @param {LogEntry} entry
 * @param {RegExp} regex
 * @returns {[string, string] | null}
 */
function fieldHit(entry, regex) {
  for (const [key, value] of Object.entries(entry.fields ?? {})) {
    const text = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
    if (hitRanges(text, regex, 1).length) return [key, text.length > 160 ? `${text.slice(0, 160)}…` : text];
  }
  return null;
}
