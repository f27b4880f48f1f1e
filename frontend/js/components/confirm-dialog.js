// @ts-check
/**
 * `<msc-confirm-dialog>`: a modal yes/no question.
 *
 *     const ok = await confirmDialog.confirm({
 *       title: 'Clear all logs?', message: 'This deletes …', confirmLabel: 'Clear logs', danger: true,
 *     });
 *
 * Esc, Cancel or a second `confirm()` call resolve `false`; the confirm button resolves `true`.
 * For a dangerous action the focus starts on Cancel (Enter then cancels, as the least harmful
 * answer); otherwise on the confirm button. Focus returns to the opener when it closes.
 */
import { html } from '../html.js';
import { rememberFocus, trapFocus } from './dialog-focus.js';

let instances = 0;

/**
 * @typedef {{title:string, message?:string, confirmLabel?:string, cancelLabel?:string,
 *   danger?:boolean}} ConfirmOptions
 */

export class ConfirmDialog extends HTMLElement {
  constructor() {
    super();
    /** @type {((answer:boolean) => void) | null} */
    this.resolve = null;
    /** @type {(() => void) | null} */
    this.restoreFocus = null;
    /** @type {HTMLDialogElement | undefined} */
    this.dialog = undefined;
  }

  connectedCallback() {
    if (this.dialog) return;
    const id = `msc-confirm-${++instances}`;
    this.innerHTML = html`<dialog class="msc-dialog msc-confirm" role="alertdialog"
        aria-labelledby="${id}-title" aria-describedby="${id}-message">
      <h2 class="msc-dialog__title" id="${id}-title" data-ref="title"></h2>
      <p class="msc-dialog__message" id="${id}-message" data-ref="message"></p>
      <div class="msc-dialog__actions">
        <button type="button" class="msc-button" data-ref="cancel">Cancel</button>
        <button type="button" class="msc-button msc-button--primary" data-ref="confirm">OK</button>
      </div></dialog>`.toString();
    this.dialog = /** @type {HTMLDialogElement} */ (this.querySelector('dialog'));
    trapFocus(this.dialog);
    this.ref('cancel').addEventListener('click', () => this.finish(false));
    this.ref('confirm').addEventListener('click', () => this.finish(true));
    // Esc fires `cancel`; `close` also covers a dialog closed by any other means.
    this.dialog.addEventListener('cancel', (event) => { event.preventDefault(); this.finish(false); });
    this.dialog.addEventListener('close', () => this.finish(false));
  }

  /** @param {string} name */
  ref(name) {
    return /** @type {HTMLElement} */ (this.querySelector(`[data-ref="${name}"]`));
  }

  /** Whether the question is on screen. */
  get isOpen() {
    return Boolean(this.dialog?.open);
  }

  /**
   * Ask; resolves `true` only when the confirm button is pressed.
   * @param {ConfirmOptions} options
   * @returns {Promise<boolean>}
   */
  confirm({ title, message = '', confirmLabel = 'OK', cancelLabel = 'Cancel', danger = false }) {
    if (!this.dialog) this.connectedCallback();
    const dialog = /** @type {HTMLDialogElement} */ (this.dialog);
    this.finish(false); // an older question still open is answered "no"
    this.ref('title').textContent = title;
    this.ref('message').textContent = message;
    this.ref('message').hidden = !message;
    this.ref('cancel').textContent = cancelLabel;
    const confirmButton = this.ref('confirm');
    confirmButton.textContent = confirmLabel;
    confirmButton.classList.toggle('msc-button--danger', danger);
    dialog.classList.toggle('is-danger', danger);
    this.restoreFocus = rememberFocus();
    dialog.showModal();
    (danger ? this.ref('cancel') : confirmButton).focus();
    return new Promise((resolve) => { this.resolve = resolve; });
  }

  /** @param {boolean} answer */
  finish(answer) {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    if (this.dialog?.open) this.dialog.close();
    this.restoreFocus?.();
    this.restoreFocus = null;
    resolve(answer);
  }
}

/** Define `<msc-confirm-dialog>` (once). */
export function registerConfirmDialog() {
  if (!customElements.get('msc-confirm-dialog')) customElements.define('msc-confirm-dialog', ConfirmDialog);
}

registerConfirmDialog();
