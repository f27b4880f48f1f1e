// @ts-check
/**
 * The log list's chrome around the rows: the state box (loading, error, empty, no match), the
 * marker above the first row, the mode bar, the "live tail paused" pill.
 */
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { logStore } from '../store.js';
import { emptyState, errorState, loadingState, noMatchState } from './list-states.js';

/** @typedef {import('./log-list.js').LogList} LogList */

/** @param {LogList} list */
export function renderChrome(list) {
  const state = logStore.state;
  const n = list.entries.length;
  let box = null;
  if (list.mode) box = null; // a mode says what it shows in its bar
  else if (!state.loaded && state.error) box = errorState(state.error, state.connection.kind);
  else if (!state.loaded) box = loadingState();
  else if (n === 0 && (state.entries.length || state.filterError || Object.keys(state.loadedQuery).length)) {
    box = noMatchState(state.entries.length, state.filterError, Object.keys(state.loadedQuery).length > 0);
  } else if (n === 0) box = emptyState();
  const markup = box ? box.toString() : '';
  if (list.stateBox.dataset.markup !== markup) {
    list.stateBox.dataset.markup = markup;
    list.stateBox.innerHTML = markup;
  }
  list.stateBox.hidden = !box;
  list.progress.hidden = !(state.loading && state.loaded);
  renderMarker(list, state);
  list.modeBar.hidden = !list.mode;
  if ((list.dataset.mode ?? '') !== (list.mode?.kind ?? '')) list.dataset.mode = list.mode?.kind ?? '';
  if (list.mode) setText(/** @type {HTMLElement} */ (list.modeBar.firstElementChild), list.mode.label);
  logStore.setTail(!list.following, list.waiting);
  const showPill = !list.following && n > 0 && !list.mode;
  if (showPill === list.pill.hidden) reservePillRoom(list, showPill);
  list.pill.hidden = !showPill;
  if (showPill) {
    list.pill.textContent = list.waiting > 0
      ? `↓ ${formatCount(list.waiting)} new ${list.waiting === 1 ? 'entry' : 'entries'} — jump to latest`
      : 'Live tail paused — jump to latest ↓';
    list.pill.classList.toggle('pill--news', list.waiting > 0);
  }
}

/**
 * Room below the last row while the pill shows (CSS `pill-room`), so that the last row can be
 * scrolled above the pill; a list at its bottom moves down by that room, staying paused.
 * @param {LogList} list
 * @param {boolean} on
 */
export function reservePillRoom(list, on) {
  const atBottom = list.viewport.scrollTop >= list.bottom() - 2;
  list.classList.toggle('pill-room', on);
  if (on && atBottom) list.scrollList(list.bottom());
}

/** @param {LogList} list @param {typeof logStore.state} state */
function renderMarker(list, state) {
  let markup;
  if (list.mode) markup = html`<span class="marker-rule"></span>${list.mode.kind === 'context' ? 'Context' : 'Marked entries'}<span class="marker-rule"></span>`;
  else if (state.loadingOlder) markup = html`<span class="spinner" aria-hidden="true"></span> Loading older entries…`;
  else if (state.olderError) markup = html`Couldn’t load older entries: ${state.olderError.message} <button type="button" class="link" data-action="retry-older">Retry</button>`;
  else if (state.capReached) markup = html`Older entries not kept: the cap of ${formatCount(state.cap)} entries is reached`;
  else if (state.atBeginning) markup = html`<span class="marker-rule"></span>Beginning of log<span class="marker-rule"></span>`;
  else markup = html`Scroll up for older entries`;
  const text = markup.toString();
  if (list.marker.dataset.markup !== text) {
    list.marker.dataset.markup = text;
    list.marker.innerHTML = text;
  }
  list.marker.classList.toggle('top-marker--start', state.atBeginning && !state.loadingOlder);
}

/** @param {HTMLElement} el @param {string} text */
function setText(el, text) { if (el.textContent !== text) el.textContent = text; }
