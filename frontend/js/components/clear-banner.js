// @ts-check
/**
 * `<msc-clear-banner>`: says that the log was cleared, until dismissed — "Log cleared — N files
 * removed, X freed" after this page's own clear, "The log was cleared" when another process
 * cleared it (the `logs-cleared` event), or why this page's clear was refused.
 * Renders from `logStore.state.cleared`; all text goes in with textContent.
 */
import { formatCount } from '../format.js';
import { logStore } from '../store.js';
import { formatBytes } from './metrics-format.js';

/** @typedef {import('../store.js').ClearNotice} ClearNotice */

/**
 * A banner's text and its Dismiss button (this banner's, and the drop notice's in drop.js).
 * @param {string} message shown as text
 * @param {() => void} onDismiss
 * @returns {[HTMLSpanElement, HTMLButtonElement]}
 */
export function bannerParts(message, onDismiss) {
  const text = document.createElement('span');
  text.className = 'banner__text';
  text.textContent = message;
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'icon-btn banner__close';
  close.setAttribute('aria-label', 'Dismiss');
  close.title = 'Dismiss';
  close.textContent = '✕';
  close.addEventListener('click', onDismiss);
  return [text, close];
}

/**
 * The banner's text for a notice.
 * @param {ClearNotice} notice
 * @returns {string}
 */
export function clearText(notice) {
  if (notice.kind === 'other') return 'The log was cleared';
  if (notice.kind === 'failed') return `The log was not cleared: ${notice.error.message}`;
  const files = `${formatCount(notice.filesRemoved)} ${notice.filesRemoved === 1 ? 'file' : 'files'} removed`;
  const left = notice.skipped.length
    ? ` (left alone, not regular files: ${notice.skipped.join(', ')})`
    : '';
  return `Log cleared — ${files}, ${formatBytes(notice.bytesCleared)} freed${left}`;
}

export class ClearBanner extends HTMLElement {
  constructor() {
    super();
    /** @type {(() => void)[]} */
    this.cleanups = [];
    /** @type {ClearNotice|null} */
    this.shown = null;
  }

  connectedCallback() {
    this.cleanups.push(logStore.subscribe((state) => this.render(state.cleared)));
  }

  disconnectedCallback() { this.cleanups.splice(0).forEach((fn) => fn()); }

  /** @param {ClearNotice|null} notice */
  render(notice) {
    if (notice === this.shown) return;
    this.shown = notice;
    if (!notice) { this.replaceChildren(); return; }
    const banner = document.createElement('div');
    banner.className = `banner banner--${notice.kind === 'failed' ? 'error' : 'info'}`;
    banner.setAttribute('role', notice.kind === 'failed' ? 'alert' : 'status');
    banner.append(...bannerParts(clearText(notice), () => logStore.dismissCleared()));
    this.replaceChildren(banner);
  }
}

export function registerClearBanner() {
  if (!customElements.get('msc-clear-banner')) customElements.define('msc-clear-banner', ClearBanner);
}
