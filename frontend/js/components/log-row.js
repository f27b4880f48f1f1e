// @ts-check
/**
 * One row of the virtual log list: created once, then recycled for other entries. Log text
 * reaches the DOM only as text nodes (`textContent`, or text nodes around `<mark>` for search
 * hits); never as markup.
 *
 * A row is one line: a multi-line message shows its first line, then the rest dimmed after a
 * `⏎` mark. The level cell shows the level as written (`level_name`: `ERROR+4`, `dpanic`) in
 * its band's colour; the source cell (the entry's `origin`) is shown by the list only when the
 * set has several sources; a raw entry (a line that is no record) carries a "raw" tag.
 * A marked entry (marks.js) has a mark in its left edge; the entry a context view is centred on
 * (`hit`) stands out; every row has a "context" button (shown on hover and when selected).
 */
import { hitRanges } from '../filter.js';
import { entryTime, formatFull } from '../format.js';

/** @typedef {import('../filter.js').LogEntry} LogEntry */
/**
 * @typedef {HTMLDivElement & {
 *   _entry?: LogEntry|null, _index?: number, _key?: string,
 *   cells: {time: HTMLElement, level: HTMLElement, origin: HTMLElement, category: HTMLElement,
 *     target: HTMLElement, message: HTMLElement}
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
    time: cell('time'), level: cell('level'), origin: cell('origin'), category: cell('category'),
    target: cell('target'), message: cell('message'),
  };
  // Out of the grid's flow (absolutely positioned in CSS): the columns stay as they are.
  const context = document.createElement('button');
  context.type = 'button';
  context.className = 'row-ctx';
  context.tabIndex = -1;
  context.dataset.act = 'context';
  context.textContent = 'context';
  context.title = 'Show in context (c)';
  context.setAttribute('aria-label', 'Show in context');
  row.append(context);
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
 * @param {{regex: RegExp|null, searchKey: string, withDate: boolean, selected: boolean,
 *   marked?: boolean, hit?: boolean}} how
 */
export function updateRow(row, entry, index, how) {
  const key = `${how.searchKey}|${how.withDate}|${how.selected}|${Boolean(how.marked)}|${Boolean(how.hit)}`;
  if (row._entry === entry && row._index === index && row._key === key) return;
  const sameEntry = row._entry === entry && row._key?.startsWith(`${how.searchKey}|${how.withDate}|`);
  row._entry = entry;
  row._index = index;
  row._key = key;
  row.setAttribute('aria-rowindex', String(index + 2)); // the header is row 1
  row.dataset.index = String(index);
  row.classList.toggle('selected', how.selected);
  row.setAttribute('aria-selected', String(how.selected));
  row.classList.toggle('marked', Boolean(how.marked));
  row.classList.toggle('hit', Boolean(how.hit));
  if (sameEntry) return;
  const level = entry.level;
  row.dataset.level = level;
  row.toggleAttribute('data-raw', entry.raw === true);
  const { cells } = row;
  cells.time.textContent = entryTime(entry, how.withDate);
  cells.time.title = formatFull(entry.timestamp);
  cells.level.textContent = (entry.level_name ?? level).toUpperCase();
  cells.level.title = entry.level_name ? `${entry.level_name} (${level})` : level;
  setOrigin(cells.origin, entry.origin ?? '');
  cells.category.textContent = entry.category;
  setHighlighted(cells.target, entry.target, how.regex);
  cells.target.title = entry.target;
  // The message, then the fields as dim `key=value` pairs, the way lnav and Dozzle show them.
  // Message, fields, keys and any value holding right-to-left text or direction controls (or
  // shown while searching, to mark hits) are isolated (bidi, in CSS), so that an override left
  // open in one (U+202E…) cannot reorder the others. Otherwise a value stays a text node: each
  // element adds layout work, and a fast stream re-renders every row each frame.
  const text = document.createElement('span');
  text.className = 'msg';
  setMessage(text, oneLine(entry.message, MAX_MESSAGE), how.regex);
  if (entry.raw === true) {
    const tag = document.createElement('span');
    tag.className = 'tag tag--raw';
    tag.textContent = 'raw';
    tag.title = 'Not a record: the line as it is in the file';
    cells.message.replaceChildren(tag, text);
  } else {
    cells.message.replaceChildren(text);
  }
  const pairs = fieldPairs(entry, how.regex);
  if (!pairs.length) return;
  const box = document.createElement('span');
  box.className = 'fields';
  for (const [key, value] of pairs) {
    const k = document.createElement('span');
    k.className = 'k';
    k.textContent = key;
    if (how.regex || BIDI.test(value)) { // an element to isolate, or to mark hits in
      const v = document.createElement('span');
      setHighlighted(v, value, how.regex);
      box.append(k, '=', v);
    } else {
      box.append(k, `=${value}`); // one text run fewer to shape per pair
    }
  }
  cells.message.append(box);
}

/**
 * The source cell: a tag holding the source's name.
 * @param {HTMLElement} cell
 * @param {string} name
 */
function setOrigin(cell, name) {
  let tag = /** @type {HTMLElement|null} */ (cell.firstElementChild);
  if (!tag) {
    tag = document.createElement('span');
    tag.className = 'tag tag--source';
    cell.append(tag);
  }
  if (tag.textContent !== name) tag.textContent = name;
  cell.title = name;
  tag.hidden = !name;
}

/**
 * The row's message: its first line, then (dimmed, in `.msg__more`) the rest after ` ⏎ `.
 * @param {HTMLElement} el
 * @param {string} text the message made one line by `oneLine`
 * @param {RegExp|null} regex
 */
function setMessage(el, text, regex) {
  const cut = text.indexOf(BREAK);
  if (cut < 0) { setHighlighted(el, text, regex); return; }
  setHighlighted(el, text.slice(0, cut), regex);
  const more = document.createElement('span');
  more.className = 'msg__more';
  setHighlighted(more, text.slice(cut), regex);
  el.append(more);
}

// Right-to-left scripts and the direction controls: text that can reorder its neighbours.
const BIDI = /[\u0590-\u08ff\u200e\u200f\u202a-\u202e\u2066-\u2069\ufb1d-\ufdff\ufe70-\ufeff\u{10800}-\u{10fff}\u{1e800}-\u{1efff}]/u;

const MAX_VALUE = 120; // characters of one field value in a row
const MAX_FIELDS = 400; // characters of all the fields in a row (the detail pane has them all)

/**
 * The entry's top-level fields as [key, value as text] pairs for the row, short values cut, the
 * first one the search matches moved to the front so that the row's presence makes sense.
 * @param {LogEntry} entry
 * @param {RegExp|null} regex
 * @returns {[string, string][]}
 */
function fieldPairs(entry, regex) {
  /** @type {[string, string][]} */
  const pairs = [];
  let size = 0;
  let hit = !regex; // true once no (further) search hit is to be looked for
  for (const [key, value] of Object.entries(entry.fields ?? {})) {
    const full = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
    const matched = !hit && hitRanges(full, /** @type {RegExp} */ (regex), 1).length > 0;
    if (size > MAX_FIELDS && !matched) {
      if (hit) break;
      continue;
    }
    const pair = /** @type {[string, string]} */ ([oneLine(key, MAX_VALUE), oneLine(full, MAX_VALUE)]);
    size += pair[0].length + pair[1].length + 2;
    if (matched) {
      hit = true;
      pairs.unshift(pair);
    } else {
      pairs.push(pair);
    }
  }
  return pairs;
}

/**
 * `text` cut at `max` characters (`…` after it), line breaks shown as a visible mark rather than
 * breaking the one-line row.
 * @param {string} text
 * @param {number} max
 */
function oneLine(text, max) {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.includes('\n') ? cut.replace(/\r?\n/g, BREAK) : cut;
}

/** What stands for a line break in a row. */
const BREAK = ' ⏎ ';
