// @ts-check
/**
 * What became of a drop onto the desktop window (backend/desktop/_drop.py sends `drop-result`):
 * the logs opened are announced in the status bar ("Opened … in a new window"); anything not
 * opened — a path refused as File ▸ Open refuses it, a web address, paths over the per-drop limit
 * — in an alert that stays until dismissed or the next drop. All text goes in with textContent.
 * Importing this module starts listening (main.js imports it once).
 */
import { listen } from './bridge/event.js';
import { bannerParts } from './components/clear-banner.js';

/**
 * @typedef {{code: string, message: string}} CommandError
 * @typedef {{path: string, ok?: {path: string, pid: number}, error?: CommandError}} DropItem
 * @typedef {{results: DropItem[], others: string[], not_opened: number, max: number}} DropResult
 */

/**
 * The status line for the logs opened ('' when none) and one line per thing not opened.
 * @param {DropResult} result
 * @returns {{opened: string, problems: string[]}}
 */
export function dropTexts(result) {
  const opened = result.results.filter((item) => item.ok);
  const openedText = opened.length === 1
    ? `Opened ${opened[0].ok?.path} in a new window`
    : opened.length > 1 ? `Opened ${opened.length} logs in new windows` : '';
  const problems = result.results.flatMap((item) => (item.error ? [item.error.message] : []));
  for (const other of result.others) problems.push(`${other}: not a file or folder on this computer`);
  if (result.not_opened > 0) {
    problems.push(`${result.not_opened} more not opened: one drop opens at most ${result.max} logs`);
  }
  // The source application may have gone before handing over what it dragged.
  if (!result.results.length && !problems.length) problems.push('nothing could be read from the drop');
  return { opened: openedText, problems };
}

/** The alert for what a drop did not open (one at a time: the newest drop replaces it). */
function showProblems(/** @type {string[]} */ problems) {
  document.querySelector('.drop-alert')?.remove();
  if (!problems.length) return;
  const alert = document.createElement('div');
  alert.className = 'banner banner--error drop-alert';
  alert.setAttribute('role', 'alert');
  // Over the toolbar rather than in the layout: the app's grid has a row for each of its parts.
  alert.style.cssText = 'position: fixed; top: 0; left: 0; right: 0; z-index: 50;';
  alert.append(...bannerParts(`Not opened — ${problems.join(' · ')}`, () => alert.remove()));
  document.body.append(alert);
}

/** @param {{payload: DropResult}} event */
function onDrop({ payload }) {
  const { opened, problems } = dropTexts(payload);
  if (opened) {
    document.querySelector('msc-app')?.dispatchEvent(new CustomEvent('msc-notice', { detail: { text: opened } }));
  }
  showProblems(problems);
}

void listen('drop-result', onDrop);
