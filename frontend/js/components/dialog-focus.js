// @ts-check
/** Focus helpers shared by the modal dialogs: keep Tab inside, give focus back on close. */

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

/**
 * The elements of `root` that Tab can reach now.
 * @param {HTMLElement} root
 * @returns {HTMLElement[]}
 */
export function focusables(root) {
  return /** @type {HTMLElement[]} */ ([...root.querySelectorAll(FOCUSABLE)])
    .filter((el) => !(/** @type {any} */ (el).disabled) && el.getClientRects().length > 0
      && !el.closest('[hidden], [inert]'));
}

/**
 * Make Tab and Shift+Tab wrap around inside `dialog` (a modal dialog already makes the page
 * behind it inert, but Tab would still leave for the browser's own controls).
 * @param {HTMLDialogElement} dialog
 */
export function trapFocus(dialog) {
  dialog.addEventListener('keydown', (event) => {
    if (event.key !== 'Tab') return;
    const items = focusables(dialog);
    if (items.length === 0) return;
    const first = items[0];
    const last = items[items.length - 1];
    const active = document.activeElement;
    if (event.shiftKey && (active === first || !dialog.contains(active))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (active === last || !dialog.contains(active))) {
      event.preventDefault();
      first.focus();
    }
  });
}

/**
 * Remember what has focus now; the returned function focuses it again (if still in the page).
 * @returns {() => void}
 */
export function rememberFocus() {
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  return () => {
    if (opener && opener !== document.body && opener.isConnected) opener.focus();
  };
}
