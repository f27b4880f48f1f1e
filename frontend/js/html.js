// @ts-check
/**
 * The escaping `html` tagged template (Plain Vanilla style): every interpolated value is
 * escaped unless it is itself the result of `html`. Log text is untrusted: it reaches markup
 * only through here or through `textContent`.
 */

// NUL cannot be HTML text: the parser drops it silently, which would hide it from the reader.
// It is shown as U+FFFD, the replacement mark, as the HTML parser itself does in documents.
const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;', '\0': '\uFFFD' };

/** Markup produced by `html`; never built from untrusted text. */
export class SafeHTML {
  /** @param {string} value */
  constructor(value) { this.value = value; }
  toString() { return this.value; }
}

/** @param {unknown} value */
export function escapeHTML(value) {
  return String(value ?? '').replace(/[&<>"'`\0]/g, (ch) => ESCAPES[/** @type {keyof typeof ESCAPES} */ (ch)]);
}

/** @param {unknown} value @returns {string} */
function render(value) {
  if (value instanceof SafeHTML) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHTML(value);
}

/**
 * @param {TemplateStringsArray} strings
 * @param {...unknown} values
 * @returns {SafeHTML}
 */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => { out += render(value) + strings[i + 1]; });
  return new SafeHTML(out);
}
