// @ts-check
/** The log list's designed states: loading, error, empty log, nothing matches. */
import { formatCount } from '../format.js';
import { html } from '../html.js';

/** @typedef {import('../html.js').SafeHTML} SafeHTML */

/** @returns {SafeHTML} */
export function loadingState() {
  const widths = [62, 48, 71, 39, 55, 66, 44, 58];
  return html`<div class="state state--loading" role="status">
    <div class="skeleton" aria-hidden="true">${widths.map((w) => html`<div class="skeleton__row">
      <span></span><span></span><span></span><span style="width:${w}%"></span></div>`)}</div>
    <p class="state__title">Loading log entries…</p></div>`;
}

/**
 * @param {{code: string, message: string}} error
 * @param {string} kind transport kind
 * @returns {SafeHTML}
 */
export function errorState(error, kind) {
  const unreachable = error.code === 'unreachable' || kind === 'none';
  const title = unreachable ? 'Can’t reach the log backend' : 'Couldn’t load the log';
  const hint = unreachable
    ? 'The viewer talks to the desktop app or to the dev server (msc-logs dev). Start it again, then retry.'
    : 'The backend answered with an error.';
  return html`<div class="state state--error" role="alert">
    <svg class="state__icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M12 3 2 21h20L12 3zm0 6v5m0 3v.5" /></svg>
    <p class="state__title">${title}</p>
    <p class="state__text">${hint}</p>
    <p class="state__detail"><code>${error.code}</code> ${error.message}</p>
    <button type="button" class="btn btn--primary" data-action="retry">Retry</button></div>`;
}

/** @returns {SafeHTML} */
export function emptyState() {
  return html`<div class="state state--empty" role="status">
    <svg class="state__icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 6h16M4 12h10M4 18h13" /></svg>
    <p class="state__title">No log entries yet</p>
    <p class="state__text">New entries appear here as soon as an app writes them.</p></div>`;
}

/**
 * @param {number} loaded entries loaded (none of which matches)
 * @param {string|null} filterError
 * @param {boolean} searchedLog the server applied the filter to the whole log
 * @returns {SafeHTML}
 */
export function noMatchState(loaded, filterError, searchedLog) {
  if (filterError) {
    return html`<div class="state state--empty" role="status">
      <p class="state__title">The search is not a valid regular expression</p>
      <p class="state__detail">${filterError}</p></div>`;
  }
  return html`<div class="state state--empty" role="status">
    <svg class="state__icon" viewBox="0 0 24 24" aria-hidden="true"><circle cx="10.5" cy="10.5" r="6" /><path d="m15 15 5 5" /></svg>
    <p class="state__title">No entries match the filter</p>
    <p class="state__text">${searchedLog && !loaded ? 'Nothing in the log files matches it.'
      : `${formatCount(loaded)} entries are loaded; none passes every condition.`}</p>
    <button type="button" class="btn" data-action="clear-filters">Clear filters</button></div>`;
}
