// @ts-check
/**
 * `<msc-unparsed-dialog>`: the lines of the log set that are no records — how many are shown raw
 * (their text, as an entry of their own) and how many are skipped (not readable at all, such as
 * a line over 16 MiB) — and where the first of them are (file, byte offset, reason: the
 * `unparsed` list of `get_log_info`). "Show raw lines" narrows the list to the raw entries (the
 * filter's `rawOnly`; undone like any filter). `open()`, `close()`, `isOpen`.
 *
 * File names and reasons come from the log directory: escaped text only.
 */
import { formatCount } from '../format.js';
import { html } from '../html.js';
import { logInfo } from '../log-info.js';
import { logStore } from '../store.js';
import { rememberFocus, trapFocus } from './dialog-focus.js';

/** @typedef {import('../log-info.js').LogInfo} LogInfo */

/** @param {number} n @param {string} one @param {string} many */
const plural = (n, one, many) => `${formatCount(n)} ${n === 1 ? one : many}`;

/**
 * What the counts mean, in a sentence or two.
 * @param {LogInfo} info
 */
export function summary(info) {
  const raw = Number(info.raw ?? 0) || 0;
  const skipped = Number(info.skipped ?? 0) || 0;
  const parts = [];
  if (raw) parts.push(`${plural(raw, 'line is', 'lines are')} shown raw: the text as it is in the file, as an entry of its own.`);
  if (skipped) parts.push(`${plural(skipped, 'line', 'lines')} could not be read at all (too long) and ${skipped === 1 ? 'is' : 'are'} skipped.`);
  if (!parts.length) parts.push('Every line is a record.');
  if (info.scanned_all === false) parts.push('Counted over the newest part of the files only.');
  return parts.join(' ');
}

/** @param {LogInfo} info */
function places(info) {
  const list = Array.isArray(info.unparsed) ? info.unparsed : [];
  const total = (Number(info.raw ?? 0) || 0) + (Number(info.skipped ?? 0) || 0);
  if (!list.length) return html`<p class="muted">No places listed.</p>`;
  return html`<p class="unparsed__note">${list.length < total ? `The first ${formatCount(list.length)} places:` : 'Where they are:'}</p>
    <div class="unparsed__list" role="table" aria-label="Lines that are no records">
      <div class="unparsed__row unparsed__row--head" role="row"><span role="columnheader">File</span><span role="columnheader">Byte offset</span><span role="columnheader">Reason</span></div>
      ${list.map((p) => html`<div class="unparsed__row" role="row"><code role="cell">${p.file}</code><code role="cell">${formatCount(Number(p.offset))}</code><span role="cell">${p.reason}</span></div>`)}
    </div>`;
}

export class UnparsedDialog extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void) | null} */
    this.restoreFocus = null;
    /** @type {(() => void) | null} */
    this.unsubscribe = null;
    this.markup = '';
  }

  connectedCallback() {
    if (this.firstElementChild) return;
    this.innerHTML = html`<dialog class="msc-dialog unparsed" aria-labelledby="unparsed-title">
        <h2 class="msc-dialog__title" id="unparsed-title">Lines that are no records</h2>
        <div class="unparsed__body"></div>
        <div class="msc-dialog__actions">
          <button type="button" class="msc-button" data-action="close">Close</button>
          <button type="button" class="msc-button msc-button--primary" data-action="show-raw">Show raw lines</button>
        </div>
      </dialog>`.toString();
    trapFocus(this.dialog);
    this.dialog.addEventListener('click', (event) => {
      const target = /** @type {HTMLElement} */ (event.target);
      const action = target.closest('[data-action]')?.getAttribute('data-action');
      if (target === this.dialog || action === 'close') this.close(); // backdrop or Close
      if (action === 'show-raw') {
        logStore.setFilter({ rawOnly: true });
        this.close();
      }
    });
    this.dialog.addEventListener('close', () => this.closed());
  }

  get dialog() { return /** @type {HTMLDialogElement} */ (this.querySelector('dialog')); }
  get isOpen() { return this.dialog.open; }

  open() {
    if (this.dialog.open) return;
    this.restoreFocus = rememberFocus();
    this.unsubscribe = logInfo.subscribe(() => this.render());
    this.dialog.showModal();
    const showRaw = /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="show-raw"]'));
    (showRaw.disabled ? /** @type {HTMLElement} */ (this.querySelector('[data-action="close"]')) : showRaw).focus();
  }

  close() { if (this.dialog.open) this.dialog.close(); }

  closed() {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.restoreFocus?.();
    this.restoreFocus = null;
  }

  render() {
    const info = logInfo.state.info;
    const body = /** @type {HTMLElement} */ (this.querySelector('.unparsed__body'));
    const markup = info ? html`<p class="msc-dialog__message">${summary(info)}</p>${places(info)}`.toString() : '';
    if (this.markup !== markup) {
      this.markup = markup;
      body.innerHTML = markup;
    }
    const raw = Number(info?.raw ?? 0) || 0;
    /** @type {HTMLButtonElement} */ (this.querySelector('[data-action="show-raw"]')).disabled = raw === 0;
  }
}

export function registerUnparsedDialog() {
  if (!customElements.get('msc-unparsed-dialog')) customElements.define('msc-unparsed-dialog', UnparsedDialog);
}
