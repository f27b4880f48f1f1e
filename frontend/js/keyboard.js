// @ts-check
/** The viewer's keyboard shortcuts: the table shown by `?`, and key → action. */

/** @type {[string[], string][]} */
export const SHORTCUTS = [
  [['/'], 'Focus the search box'],
  [['e'], 'Next error (newer)'],
  [['E'], 'Previous error (older)'],
  [['j', '↓'], 'Select the next entry'],
  [['k', '↑'], 'Select the previous entry'],
  [['n'], 'Next search hit (newer)'],
  [['N'], 'Previous search hit (older)'],
  [['c'], 'Show the selected entry in context (its unfiltered neighbours)'],
  [['m'], 'Mark or unmark the selected entry'],
  [['u'], 'Next mark (newer)'],
  [['U'], 'Previous mark (older)'],
  [['Space'], 'Pause or resume the live tail'],
  [['G', 'End'], 'Jump to the latest entry and follow'],
  [['?'], 'Show these shortcuts'],
  [['Esc'], 'Close the overlay, leave the context or marked view, close the waterfall, or clear the selection'],
];

/**
 * @typedef {'search'|'next-error'|'previous-error'|'next'|'previous'|'toggle-live'|'latest'|'help'
 *   |'escape'|'next-hit'|'previous-hit'|'context'|'mark'|'next-mark'|'previous-mark'} Action
 */

const KEYS = /** @type {Record<string, Action>} */ ({
  '/': 'search', e: 'next-error', E: 'previous-error', j: 'next', k: 'previous',
  ArrowDown: 'next', ArrowUp: 'previous', ' ': 'toggle-live', G: 'latest', End: 'latest',
  '?': 'help', Escape: 'escape', n: 'next-hit', N: 'previous-hit', c: 'context', m: 'mark',
  u: 'next-mark', U: 'previous-mark',
});

/** @param {EventTarget|null} target */
function typingIn(target) {
  const el = /** @type {HTMLElement|null} */ (target);
  if (!el || !el.tagName) return false;
  return el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT'
    || (el.tagName === 'INPUT' && !['checkbox', 'radio', 'button'].includes(/** @type {HTMLInputElement} */ (el).type));
}

/**
 * The action of a key press, or null when the key is not a shortcut here (typing in a field,
 * with a modifier, inside a dialog).
 * @param {KeyboardEvent} event
 * @returns {Action|null}
 */
export function actionFor(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return null;
  const action = KEYS[event.key] ?? null;
  if (action === 'escape') return action;
  if (typingIn(event.target)) return null;
  const target = /** @type {HTMLElement|null} */ (event.target);
  if (target?.closest?.('dialog')) return null;
  // Arrow keys keep their meaning on controls (selects, radio groups, the tab list).
  if ((event.key === 'ArrowDown' || event.key === 'ArrowUp') && target?.closest?.('msc-toolbar')) return null;
  return action;
}
