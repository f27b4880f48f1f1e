// @ts-check
/**
 * Resizable columns of the log list: a handle on the right edge of each fixed header cell sets
 * that column's width (the `--col-<name>` property of the list, which both the header and the
 * rows use). A double click gives the column its default width back. The widths are part of the
 * view state (view-state.js).
 */

/** The list's fixed-width columns, by their cell class `c-<name>`. */
export const COLUMNS = /** @type {const} */ (['time', 'level', 'origin', 'category', 'target']);
const MIN_PX = 30;
const MAX_PX = 900;

/**
 * The widths set by dragging (px), by column name.
 * @param {HTMLElement} list
 * @returns {Record<string, number>}
 */
export function columnWidths(list) {
  /** @type {Record<string, number>} */
  const out = {};
  for (const name of COLUMNS) {
    const value = parseFloat(list.style.getPropertyValue(`--col-${name}`));
    if (Number.isFinite(value)) out[name] = value;
  }
  return out;
}

/**
 * Set the widths (px) of the columns named; the others get their default width back.
 * @param {HTMLElement} list
 * @param {unknown} widths
 */
export function setColumnWidths(list, widths) {
  const given = widths && typeof widths === 'object' ? /** @type {Record<string, unknown>} */ (widths) : {};
  for (const name of COLUMNS) {
    const px = Number(given[name]);
    if (Number.isFinite(px) && px >= MIN_PX && px <= MAX_PX) list.style.setProperty(`--col-${name}`, `${Math.round(px)}px`);
    else list.style.removeProperty(`--col-${name}`);
  }
}

/**
 * Add the drag handles to the list's header.
 * @param {HTMLElement} list the `<msc-log-list>`, holding `.list-head`
 * @param {() => void} changed called after a drag or a reset
 */
export function enableColumnResize(list, changed) {
  const head = /** @type {HTMLElement} */ (list.querySelector('.list-head'));
  for (const name of COLUMNS) {
    const cell = /** @type {HTMLElement|null} */ (head.querySelector(`.c-${name}`));
    if (!cell) continue;
    const handle = document.createElement('span');
    handle.className = 'col-resize';
    handle.dataset.col = name;
    handle.title = 'Drag to resize; double-click for the default width';
    cell.append(handle);
  }
  head.addEventListener('pointerdown', (event) => {
    const handle = /** @type {HTMLElement} */ (event.target).closest('.col-resize');
    if (!(handle instanceof HTMLElement)) return;
    event.preventDefault();
    const name = /** @type {string} */ (handle.dataset.col);
    const cell = /** @type {HTMLElement} */ (handle.parentElement);
    const startX = event.clientX;
    const startWidth = cell.getBoundingClientRect().width;
    handle.setPointerCapture(event.pointerId);
    const move = (/** @type {PointerEvent} */ e) => {
      const px = Math.min(MAX_PX, Math.max(MIN_PX, startWidth + e.clientX - startX));
      list.style.setProperty(`--col-${name}`, `${Math.round(px)}px`);
    };
    const up = () => {
      handle.removeEventListener('pointermove', move);
      handle.removeEventListener('pointerup', up);
      handle.removeEventListener('pointercancel', up);
      changed();
    };
    handle.addEventListener('pointermove', move);
    handle.addEventListener('pointerup', up);
    handle.addEventListener('pointercancel', up);
  });
  head.addEventListener('dblclick', (event) => {
    const handle = /** @type {HTMLElement} */ (event.target).closest('.col-resize');
    if (!(handle instanceof HTMLElement)) return;
    list.style.removeProperty(`--col-${handle.dataset.col}`);
    changed();
  });
}
