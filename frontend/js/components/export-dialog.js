// @ts-check
/**
 * `<msc-export-dialog>`: export the log set, or the entries matching the current filter, as
 * JSON Lines, CSV, text, OpenTelemetry (OTLP JSON), Seq/Serilog (CLEF) or a support bundle
 * (.zip), through the bridge's `export_logs` (the store's filter as its arguments).
 *
 * `open()` shows it. The file name's extension follows the format. "Remove secrets" sends
 * `redact`; it is checked and locked for the bundle, which is always redacted. An
 * `already_exists` answer reveals an "overwrite" checkbox; success shows the path, entry count
 * and size. A "Browse…" button appears only when the host says it has a native save dialog
 * (`window.__mscCapabilities.saveDialog`); it calls `choose_export_path`.
 */
import { invoke } from '../bridge/core.js';
import { html } from '../html.js';
import { logStore } from '../store.js';
import { marks } from '../marks.js';
import { rememberFocus, trapFocus } from './dialog-focus.js';
import { describeFilter, exportCaveat, suggestedName } from './export-filter.js';
import { formatBytes, formatNumber } from './metrics-format.js';

let instances = 0;

/** @typedef {'jsonl'|'csv'|'txt'|'otlp-json'|'clef'|'bundle'} ExportFormat */

/** @type {[ExportFormat, string, string][]} */
const FORMAT_CHOICES = [
  ['jsonl', 'JSON Lines', '.jsonl · one record per line, the log files’ own format'],
  ['csv', 'CSV', '.csv · for spreadsheets; fields and span as JSON columns'],
  ['txt', 'Text', '.txt · readable lines, as on the console'],
  ['otlp-json', 'OpenTelemetry (OTLP JSON)', '.otlp.json · for an OpenTelemetry Collector (otlpjsonfile) or any OTLP tool'],
  ['clef', 'Seq / Serilog (CLEF)', '.clef · compact JSON events, for Seq and Serilog tools'],
  ['bundle', 'Support bundle (.zip)', '.zip · entries, metrics, log info and a manifest; secrets always removed'],
];

/** The file name extension of each format. */
export const EXTENSIONS = /** @type {Record<ExportFormat, string>} */ ({
  jsonl: '.jsonl', csv: '.csv', txt: '.txt', 'otlp-json': '.otlp.json', clef: '.clef', bundle: '.zip',
});
/** Any export extension at the end of a path (the longer `.otlp.json` before `.json`-like ones). */
const ANY_EXTENSION = /\.(otlp\.json|jsonl|csv|txt|clef|zip)$/i;

/**
 * `path` with its export extension replaced by `format`'s (a path without one is unchanged).
 * @param {string} path
 * @param {ExportFormat} format
 */
export function pathForFormat(path, format) {
  return ANY_EXTENSION.test(path) ? path.replace(ANY_EXTENSION, EXTENSIONS[format]) : path;
}

/**
 * The default file name of `format`: `midi-software-center-logs-2026-11-28-1403.otlp.json`.
 * @param {ExportFormat} format
 * @param {{filtered?: boolean}} [options]
 */
export function nameForFormat(format, options = {}) {
  return pathForFormat(suggestedName('jsonl', options), format);
}

/** Whether `format` is always redacted (the redact checkbox is then checked and locked). */
const ALWAYS_REDACTED = new Set(['bundle']);

export class ExportDialog extends HTMLElement {
  constructor() {
    super();
    /** @type {HTMLDialogElement | undefined} */
    this.dialog = undefined;
    this.busy = false;
    /** whether the user typed or browsed a path (then it is no longer regenerated) */
    this.pathTouched = false;
    /** the user's own choice of redaction, kept while the bundle locks the checkbox */
    this.redactChoice = false;
    /** @type {(() => void) | null} */
    this.restoreFocus = null;
  }

  connectedCallback() {
    if (this.dialog) return;
    const id = `msc-export-${++instances}`;
    this.innerHTML = html`<dialog class="msc-dialog msc-export" aria-labelledby="${id}-title">
      <form data-ref="form" novalidate>
        <h2 class="msc-dialog__title" id="${id}-title">Export logs</h2>
        <fieldset class="msc-export__fields" data-ref="fields">
          <fieldset class="msc-export__group"><legend>Format</legend>
            ${FORMAT_CHOICES.map(([value, label, hint], i) => html`<label class="msc-choice">
              <input type="radio" name="format" value="${value}" ${i === 0 ? html`checked` : ''}>
              <span><span class="msc-choice__label">${label}</span>
              <span class="msc-choice__hint">${hint}</span></span></label>`)}
          </fieldset>
          <fieldset class="msc-export__group"><legend>Secrets</legend>
            <label class="msc-choice"><input type="checkbox" name="redact" data-ref="redact" aria-describedby="${id}-redact-hint">
              <span><span class="msc-choice__label">Remove secrets (redact)</span>
              <span class="msc-choice__hint" id="${id}-redact-hint">passwords, tokens, API keys, cookies, credentials in URLs and e-mail addresses become [REDACTED]</span></span></label>
          </fieldset>
          <fieldset class="msc-export__group"><legend>Entries</legend>
            <label class="msc-choice"><input type="radio" name="scope" value="all" checked>
              <span class="msc-choice__label">Every entry in the log files</span></label>
            <label class="msc-choice"><input type="radio" name="scope" value="filtered" aria-describedby="${id}-filters">
              <span class="msc-choice__label">Only entries matching the current filter</span></label>
            <div class="msc-export__filters" id="${id}-filters" data-ref="filters"></div>
            <label class="msc-choice"><input type="radio" name="scope" value="marked">
              <span class="msc-choice__label" data-ref="marked-label">Only the marked entries</span></label>
          </fieldset>
          <label class="msc-export__path-label" for="${id}-path">Save to</label>
          <div class="msc-export__path-row">
            <input id="${id}-path" name="path" type="text" required spellcheck="false"
              autocomplete="off" aria-describedby="${id}-hint" data-ref="path">
            <button type="button" class="msc-button" data-ref="browse" hidden>Browse…</button>
          </div>
          <p class="msc-dialog__hint" id="${id}-hint">A path on this computer (<code>~</code> is your home folder). The file is readable only by you: logs can hold secrets.</p>
          <div class="msc-export__exists" data-ref="exists" hidden>
            <p data-ref="exists-text"></p>
            <label class="msc-choice"><input type="checkbox" name="overwrite" data-ref="overwrite">
              <span class="msc-choice__label">Overwrite the existing file</span></label>
          </div>
        </fieldset>
        <div class="msc-export__status" data-ref="status" aria-live="polite"></div>
        <div class="msc-dialog__actions">
          <button type="button" class="msc-button" data-ref="cancel">Cancel</button>
          <button type="submit" class="msc-button msc-button--primary" data-ref="submit">Export</button>
        </div>
      </form></dialog>`.toString();
    this.dialog = /** @type {HTMLDialogElement} */ (this.querySelector('dialog'));
    trapFocus(this.dialog);
    this.wire(/** @type {HTMLFormElement} */ (this.ref('form')));
  }

  /** @param {HTMLFormElement} form */
  wire(form) {
    form.addEventListener('submit', (event) => { event.preventDefault(); this.submit(); });
    form.addEventListener('change', (event) => this.onChange(/** @type {HTMLInputElement} */ (event.target)));
    this.ref('path').addEventListener('input', () => { this.pathTouched = true; this.hideExists(); });
    this.ref('cancel').addEventListener('click', () => this.close());
    this.ref('browse').addEventListener('click', () => this.browse());
    const dialog = /** @type {HTMLDialogElement} */ (this.dialog);
    dialog.addEventListener('cancel', (event) => { event.preventDefault(); this.close(); });
    dialog.addEventListener('close', () => { this.restoreFocus?.(); this.restoreFocus = null; });
  }

  /** @param {string} name */
  ref(name) {
    return /** @type {HTMLElement} */ (this.querySelector(`[data-ref="${name}"]`));
  }

  /** @param {string} name */
  input(name) {
    return /** @type {HTMLInputElement} */ (this.ref(name));
  }

  get format() {
    return /** @type {ExportFormat} */ (this.formValue('format') ?? 'jsonl');
  }

  get filtered() {
    return this.formValue('scope') === 'filtered';
  }

  /**
   * The checked radio's value (read from the inputs, not FormData: FormData skips the disabled
   * controls, and they are disabled while an export runs).
   * @param {string} name
   */
  formValue(name) {
    const checked = /** @type {HTMLInputElement | null} */ (this.querySelector(`input[name="${name}"]:checked`));
    return checked ? checked.value : null;
  }

  /** Whether the dialog is on screen. */
  get isOpen() {
    return Boolean(this.dialog?.open);
  }

  /** Show the dialog with the current filter described and a fresh default path. */
  open() {
    if (!this.dialog) this.connectedCallback();
    const dialog = /** @type {HTMLDialogElement} */ (this.dialog);
    if (dialog.open) return;
    const filter = logStore.state.filter;
    const words = describeFilter(filter);
    const caveat = exportCaveat(filter);
    const scoped = /** @type {HTMLInputElement} */ (this.querySelector('input[value="filtered"]'));
    scoped.disabled = words.length === 0;
    (/** @type {HTMLInputElement} */ (this.querySelector(`input[value="${words.length ? 'filtered' : 'all'}"]`))).checked = true;
    const marked = marks.ids().length;
    /** @type {HTMLInputElement} */ (this.querySelector('input[value="marked"]')).disabled = marked === 0;
    this.ref('marked-label').textContent = marked
      ? `Only the ${formatNumber(marked)} marked ${marked === 1 ? 'entry' : 'entries'}`
      : 'Only the marked entries (none marked: m marks the selected entry)';
    this.ref('filters').innerHTML = words.length
      ? html`<span class="visually-hidden">Current filter: </span>${words.map((w) => html`<span class="msc-chip">${w}</span>`)}
        ${caveat ? html`<span class="msc-dialog__hint msc-export__caveat">${caveat}</span>` : ''}`.toString()
      : html`<span class="msc-dialog__hint">No filter is active.</span>`.toString();
    if (!this.pathTouched || !this.input('path').value) {
      this.input('path').value = `~/${nameForFormat(this.format, { filtered: this.filtered })}`;
      this.pathTouched = false;
    }
    this.syncRedact();
    this.ref('browse').hidden = !(/** @type {any} */ (window).__mscCapabilities?.saveDialog);
    this.hideExists();
    this.setStatus('', '');
    this.ref('cancel').textContent = 'Cancel';
    this.restoreFocus = rememberFocus();
    dialog.showModal();
    /** @type {HTMLInputElement} */ (this.querySelector('input[name="format"]:checked')).focus();
  }

  /** Close it (ignored while an export is running: its answer is on the way). */
  close() {
    if (!this.busy && this.dialog?.open) this.dialog.close();
  }

  /** @param {HTMLInputElement} target */
  onChange(target) {
    const path = this.input('path');
    if (target.name === 'format') {
      path.value = pathForFormat(path.value, this.format);
      this.syncRedact();
    }
    if (target.name === 'redact') this.redactChoice = target.checked;
    if (target.name === 'scope' && !this.pathTouched) {
      path.value = `~/${nameForFormat(this.format, { filtered: this.filtered })}`;
    }
    if (target.name !== 'overwrite' && target.name !== 'redact') this.hideExists();
  }

  /** The redact checkbox for the chosen format: locked on for a bundle, the user's otherwise. */
  syncRedact() {
    const redact = this.input('redact');
    const locked = ALWAYS_REDACTED.has(this.format);
    redact.checked = locked || this.redactChoice;
    redact.disabled = locked;
  }

  async browse() {
    const suggested = this.input('path').value.split(/[\\/]/).pop() || nameForFormat(this.format);
    try {
      // The desktop command answers {path}, or null when the dialog was cancelled.
      const chosen = /** @type {{path?: string} | null} */ (
        await invoke('choose_export_path', { suggested_name: suggested }));
      if (chosen?.path) {
        this.input('path').value = pathForFormat(chosen.path, this.format);
        this.pathTouched = true;
        this.hideExists();
      }
    } catch (error) {
      this.showError(error);
    }
  }

  async submit() {
    if (this.busy) return;
    const path = this.input('path').value.trim();
    if (!path) {
      this.setStatus('error', html`Choose where to save the export.`);
      this.input('path').focus();
      return;
    }
    const scope = this.formValue('scope');
    const options = {
      format: this.format,
      overwrite: !this.ref('exists').hidden && this.input('overwrite').checked,
      redact: ALWAYS_REDACTED.has(this.format) || this.input('redact').checked,
      filtered: scope === 'filtered',
      ids: scope === 'marked' ? marks.ids() : undefined,
    };
    this.setBusy(true);
    /** @type {{path:string, count:number, bytes:number, redacted?: Record<string, number>} | null} */
    let result = null;
    /** @type {unknown} */
    let failure = null;
    try {
      result = await logStore.exportLogs(path, options);
    } catch (error) {
      failure = error ?? { code: 'internal', message: 'unknown error' };
    }
    this.setBusy(false); // first: the controls must be enabled before one can take the focus
    if (failure || !result) {
      this.showError(failure);
      return;
    }
    this.hideExists();
    const redacted = result.redacted ? Object.values(result.redacted).reduce((a, b) => a + b, 0) : null;
    this.setStatus('success', html`<strong>Exported ${formatNumber(result.count)} ${result.count === 1 ? 'entry' : 'entries'}</strong>
      (${formatBytes(result.bytes)}) to <code class="msc-export__result-path">${result.path}</code>${
      redacted === null ? '' : html`; ${formatNumber(redacted)} ${redacted === 1 ? 'secret' : 'secrets'} removed`}`);
    this.ref('cancel').textContent = 'Close';
  }

  /** @param {unknown} error */
  showError(error) {
    const e = /** @type {{code?:string, message?:string}} */ (error ?? {});
    if (e.code === 'already_exists') {
      this.ref('exists').hidden = false;
      this.ref('exists-text').textContent = `${this.input('path').value.trim()} already exists. Overwrite it, or choose another path.`;
      this.setStatus('', '');
      this.input('overwrite').focus();
      return;
    }
    this.setStatus('error', html`<strong>Export failed.</strong> ${e.message ?? String(error)}
      <code class="msc-export__code">${e.code ?? 'error'}</code>`);
  }

  hideExists() {
    this.ref('exists').hidden = true;
    this.input('overwrite').checked = false;
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.busy = busy;
    /** @type {HTMLFieldSetElement} */ (this.ref('fields')).disabled = busy;
    /** @type {HTMLButtonElement} */ (this.ref('cancel')).disabled = busy;
    const submit = /** @type {HTMLButtonElement} */ (this.ref('submit'));
    submit.disabled = busy;
    submit.textContent = busy ? 'Exporting…' : 'Export';
    this.ref('form').setAttribute('aria-busy', String(busy));
    if (busy) this.setStatus('busy', html`<span class="msc-spinner" aria-hidden="true"></span> Exporting…`);
    else if (this.isOpen && !this.ref('form').contains(document.activeElement)) submit.focus();
  }

  /**
   * @param {''|'busy'|'success'|'error'} kind
   * @param {import('../html.js').SafeHTML | string} markup
   */
  setStatus(kind, markup) {
    const status = this.ref('status');
    status.className = `msc-export__status${kind ? ` is-${kind}` : ''}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    status.innerHTML = markup.toString();
  }
}

/** Define `<msc-export-dialog>` (once). */
export function registerExportDialog() {
  if (!customElements.get('msc-export-dialog')) customElements.define('msc-export-dialog', ExportDialog);
}

registerExportDialog();
