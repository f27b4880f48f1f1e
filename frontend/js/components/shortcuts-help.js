// @ts-check
/** `<msc-shortcuts-help>`: the keyboard shortcuts overlay (`?`). `open()`, `close()`, `isOpen`. */
import { html } from '../html.js';
import { SHORTCUTS } from '../keyboard.js';

export class ShortcutsHelp extends HTMLElement {
  connectedCallback() {
    if (this.firstElementChild) return;
    this.innerHTML = html`<dialog class="help" aria-labelledby="help-title">
      <header class="help__head"><h2 id="help-title">Keyboard shortcuts</h2>
        <button type="button" class="icon-btn" data-action="close" aria-label="Close" title="Close (Esc)">✕</button></header>
      <dl class="help__list">${SHORTCUTS.map(([keys, what]) => html`<div class="help__row">
        <dt>${keys.map((k, i) => html`${i ? html`<span class="help__or">or</span>` : ''}<kbd>${k}</kbd>`)}</dt><dd>${what}</dd></div>`)}</dl>
      </dialog>`.toString();
    this.dialog.addEventListener('click', (event) => {
      // A click on the backdrop (the dialog element itself) or the close button closes it.
      const target = /** @type {HTMLElement} */ (event.target);
      if (target === this.dialog || target.closest('[data-action="close"]')) this.close();
    });
  }

  get dialog() { return /** @type {HTMLDialogElement} */ (this.querySelector('dialog')); }
  get isOpen() { return this.dialog.open; }
  open() { if (!this.dialog.open) this.dialog.showModal(); }
  close() { if (this.dialog.open) this.dialog.close(); }
}

export function registerShortcutsHelp() {
  if (!customElements.get('msc-shortcuts-help')) customElements.define('msc-shortcuts-help', ShortcutsHelp);
}
