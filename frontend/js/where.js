// @ts-check
/**
 * The `where` filter language, as the server has it (shared/reader/where.py parses,
 * shared/reader/where_match.py evaluates; docs/PROTOCOL.md "The `where` filter"), so entries
 * streamed in live are filtered exactly as the server filters the whole log:
 * `duration_ms>500 and category=database`, `user!=alice`, `fields.path~/songs/`, `level>=warn`,
 * `and` / `or` / `not`, parentheses and plain terms (searched as `search` searches).
 * tests/e2e/test_where.py runs the same cases through both.
 */
import { LEVEL_RANK, LEVELS, entryTexts, fold } from './filter.js';

/** @typedef {import('./filter.js').LogEntry} LogEntry */
/**
 * @typedef {{type: 'text', text: string} | {type: 'compare', key: string, op: string, value: string}
 *   | {type: 'not', item: Node} | {type: 'and', items: Node[]} | {type: 'or', items: Node[]}} Node
 * @typedef {{kind: string, text: string, column: number}} Token
 */

const OPS = ['!=', '!~', '>=', '<=', '=', '>', '<', '~'];
export const TOP_KEYS = new Set(['timestamp', 'level', 'category', 'message', 'target', 'pid',
  'source', 'origin', 'span.name', 'span.id', 'span.parent_id']);
const KEYWORDS = new Set(['and', 'or', 'not']);
const SPACE = new Set([' ', '\t', '\n', '\r', '\f', '\v']);
const ENDS_WORD = new Set([...SPACE, '(', ')', '"']);
export const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A `where` expression that does not parse: `where: column N: what was expected`. */
export class WhereError extends Error {
  /** @param {number} column 1-based, in characters @param {string} detail */
  constructor(column, detail) {
    super(`where: column ${column}: ${detail}`);
    this.column = column;
    this.detail = detail;
  }
}

/** @param {string} text @returns {string} quoted for a message, cut at 40 characters */
const clip = (text) => {
  const chars = [...text];
  return chars.length <= 40 ? `'${text}'` : `'${chars.slice(0, 40).join('')}…'`;
};
/** @param {Token} t */
const shown = (t) => (t.kind === 'end' ? 'the end' : clip(t.text));
/** @param {Token} t @param {string} word */
const isKeyword = (t, word) => t.kind === 'word' && t.text.toLowerCase() === word;

/** @param {string} source @param {number} pos the operator at `pos`, or '' */
function opAt(source, pos) {
  const c = source[pos];
  if (c !== '=' && c !== '<' && c !== '>' && c !== '~' && c !== '!') return '';
  return OPS.find((op) => source.startsWith(op, pos)) ?? '';
}

class Parser {
  /** @param {string} source */
  constructor(source) {
    this.source = source;
    this.pos = 0;
    /** @type {Token|null} */
    this.peeked = null;
  }

  /** @param {number} index @returns {number} the 1-based column of a string index, in characters */
  column(index) { return [...this.source.slice(0, index)].length + 1; }

  peek() { return (this.peeked ??= this.lex()); }

  take() { const t = this.peek(); this.peeked = null; return t; }

  /** @returns {Node} */
  parseOr() {
    const items = [this.parseAnd()];
    while (isKeyword(this.peek(), 'or')) { this.take(); items.push(this.parseAnd('or')); }
    return items.length === 1 ? items[0] : { type: 'or', items };
  }

  /** @param {string|null} [after] @returns {Node} */
  parseAnd(after = null) {
    const items = [this.parseNot(after)];
    for (;;) {
      const t = this.peek();
      if (isKeyword(t, 'and')) { this.take(); items.push(this.parseNot('and')); }
      else if ((t.kind === 'word' || t.kind === 'string' || t.kind === '(') && !isKeyword(t, 'or')) items.push(this.parseNot());
      else return items.length === 1 ? items[0] : { type: 'and', items };
    }
  }

  /** @param {string|null} [after] @returns {Node} */
  parseNot(after = null) {
    if (isKeyword(this.peek(), 'not')) { this.take(); return { type: 'not', item: this.parseNot('not') }; }
    return this.parseAtom(after);
  }

  /** @param {string|null} after @returns {Node} */
  parseAtom(after) {
    const t = this.take();
    if (t.kind === '(') {
      const node = this.parseOr();
      const close = this.take();
      if (close.kind !== ')') throw new WhereError(close.column, `expected ')' to close the '(' at column ${t.column}`);
      return node;
    }
    if (t.kind === 'op') throw new WhereError(t.column, `expected a key before '${t.text}'`);
    if (t.kind === 'end' || t.kind === ')' || (t.kind === 'word' && KEYWORDS.has(t.text.toLowerCase()))) {
      throw new WhereError(t.column, `expected a term${after ? ` after '${after}'` : ''}, not ${shown(t)}`);
    }
    if (this.peek().kind === 'op') return this.comparison(t);
    return { type: 'text', text: t.text };
  }

  /** @param {Token} key @returns {Node} */
  comparison(key) {
    const op = this.take();
    if (key.kind !== 'word' || !validKey(key.text)) throw new WhereError(key.column, `expected a key before '${op.text}', not ${shown(key)}`);
    const value = this.value(op);
    checkValue(key.text, op.text, value);
    return { type: 'compare', key: key.text, op: op.text, value: value.text };
  }

  /** @param {Token} op @returns {Token} */
  value(op) {
    const s = this.source;
    const afterOp = this.pos;
    let pos = this.pos;
    while (pos < s.length && SPACE.has(s[pos])) pos++;
    this.pos = pos;
    if (s[pos] === '"') return this.string();
    let end = pos;
    while (end < s.length && !SPACE.has(s[end]) && s[end] !== ')') end++;
    // `x>= and y` lacks a value (`x>=and` compares with the word "and")
    if (end === pos || (pos > afterOp && KEYWORDS.has(s.slice(pos, end).toLowerCase()))) {
      throw new WhereError(this.column(pos), `expected a value after '${op.text}'`);
    }
    this.pos = end;
    return { kind: 'word', text: s.slice(pos, end), column: this.column(pos) };
  }

  /** @returns {Token} */
  lex() {
    const s = this.source;
    while (this.pos < s.length && SPACE.has(s[this.pos])) this.pos++;
    const start = this.pos;
    if (start >= s.length) return { kind: 'end', text: '', column: this.column(start) };
    const c = s[start];
    if (c === '(' || c === ')') { this.pos++; return { kind: c, text: c, column: this.column(start) }; }
    if (c === '"') return this.string();
    const op = opAt(s, start);
    if (op) { this.pos += op.length; return { kind: 'op', text: op, column: this.column(start) }; }
    let end = start;
    while (end < s.length && !ENDS_WORD.has(s[end]) && !opAt(s, end)) end++;
    this.pos = end;
    return { kind: 'word', text: s.slice(start, end), column: this.column(start) };
  }

  /** @returns {Token} */
  string() {
    const s = this.source;
    const start = this.pos;
    let out = '';
    let pos = start + 1;
    while (pos < s.length) {
      let c = s[pos];
      if (c === '"') { this.pos = pos + 1; return { kind: 'string', text: out, column: this.column(start) }; }
      if (c === '\\' && pos + 1 < s.length) { pos++; c = s[pos]; }
      out += c;
      pos++;
    }
    throw new WhereError(this.column(start), 'unterminated quoted string');
  }
}

/** @param {string} key */
const validKey = (key) => !KEYWORDS.has(key.toLowerCase()) && !key.split('.').includes('') && key !== 'fields';

/** @param {string} key @param {string} op @param {Token} value */
function checkValue(key, op, value) {
  if (op === '~' || op === '!~') return;
  if (key === 'level' && !LEVELS.includes(/** @type {any} */ (value.text))) {
    throw new WhereError(value.column, `expected a level (${LEVELS.join(', ')}), not ${clip(value.text)}`);
  }
  if (key === 'timestamp' && parseTime(value.text) === null) {
    throw new WhereError(value.column, `expected a time (RFC 3339 or YYYY-MM-DD), not ${clip(value.text)}`);
  }
}

/**
 * The tree of an expression; null for a blank one (no filter).
 * @param {string} source
 * @returns {Node|null}
 * @throws {WhereError}
 */
export function parseWhere(source) {
  const parser = new Parser(source);
  if (parser.peek().kind === 'end') return null;
  const node = parser.parseOr();
  const t = parser.peek();
  if (t.kind !== 'end') throw new WhereError(t.column, `unexpected ${shown(t)}`);
  return node;
}

const TIME = /^(\d{4})-(\d\d)-(\d\d)(?:[Tt ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?([Zz]|[+-]\d\d:\d\d)?)?$/;

/**
 * Canonical UTC text (`…SS.ffffffZ`) of an RFC 3339 time or a date (midnight UTC), or null.
 * @param {string} text
 */
export function parseTime(text) {
  const m = TIME.exec(text);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = m.slice(1, 7).map((v) => Number(v ?? 0));
  const micros = Number((m[7] ?? '').slice(0, 6).padEnd(6, '0'));
  const last = new Date(0);
  last.setUTCFullYear(y, mo, 0); // day 0 of the next month: the month's last day
  if (mo < 1 || mo > 12 || d < 1 || d > last.getUTCDate() || h > 23 || mi > 59 || s > 59) return null;
  let offset = 0;
  if (m[8] && m[8] !== 'Z' && m[8] !== 'z') {
    const oh = Number(m[8].slice(1, 3));
    const om = Number(m[8].slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = (m[8][0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi - offset, s, 0);
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) return null;
  const iso = date.toISOString(); // years 1..9999 print as YYYY
  return `${iso.slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

const MISSING = Symbol('missing');

/** @param {unknown} v */
const present = (v) => v !== MISSING && v !== null && v !== undefined && typeof v !== 'object';

/** @param {unknown} v a present value @returns {string} */
const textOf = (v) => String(v);

/** @param {unknown} v @returns {number|null} */
function numberOf(v) {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUMBER.test(v)) return Number(v);
  return null;
}

/** @param {any} value @param {string[]} names */
function walk(value, names) {
  let rest = names;
  while (rest.length) {
    if (!value || typeof value !== 'object' || Array.isArray(value)) return MISSING;
    let found = false;
    for (let cut = rest.length; cut > 0; cut--) { // the longest dotted run that is a key
      const joined = rest.slice(0, cut).join('.');
      if (Object.hasOwn(value, joined)) { value = value[joined]; rest = rest.slice(cut); found = true; break; }
    }
    if (!found) return MISSING;
  }
  return value;
}

/** @param {string} key @returns {(e: LogEntry) => unknown} */
function reader(key) {
  if (TOP_KEYS.has(key)) {
    if (key.startsWith('span.')) {
      const name = key.slice(5);
      return (e) => (e.span && typeof e.span === 'object' ? /** @type {any} */ (e.span)[name] : null);
    }
    return (e) => /** @type {any} */ (e)[key];
  }
  const names = key.split('.');
  if (names[0] === 'fields') names.shift();
  return (e) => walk(e.fields, names);
}

/** @type {Record<string, (a: any, b: any) => boolean>} */
const ORDER = {
  '=': (a, b) => a === b, '>': (a, b) => a > b, '>=': (a, b) => a >= b, '<': (a, b) => a < b, '<=': (a, b) => a <= b,
};

/**
 * @param {{key: string, op: string, value: string}} node
 * @returns {(e: LogEntry) => boolean}
 */
function compare(node) {
  const { key, op, value: literal } = node;
  if (op === '!=' || op === '!~') {
    const positive = compare({ key, op: op === '!~' ? '~' : '=', value: literal });
    return (e) => !positive(e);
  }
  const read = reader(key);
  if (op === '~') {
    const needle = fold(literal);
    return (e) => { const v = read(e); return present(v) && fold(textOf(v)).includes(needle); };
  }
  const order = ORDER[op];
  /** @param {any} bound @param {(v: any) => any} keyOf @returns {(e: LogEntry) => boolean} */
  const ordered = (bound, keyOf) => (e) => {
    const v = read(e);
    if (!present(v)) return false;
    const mine = keyOf(v);
    return mine !== null && mine !== undefined && order(mine, bound);
  };
  if (key === 'level') return ordered(LEVEL_RANK[literal], (v) => LEVEL_RANK[v]);
  if (key === 'timestamp') return ordered(parseTime(literal), (v) => (typeof v === 'string' ? v : null));
  if (NUMBER.test(literal)) return ordered(Number(literal), numberOf);
  return ordered(literal, (v) => textOf(v));
}

/**
 * The entry test of a tree.
 * @param {Node} node
 * @returns {(e: LogEntry) => boolean}
 */
export function compileWhere(node) {
  switch (node.type) {
    case 'text': {
      const needle = fold(node.text);
      return (e) => entryTexts(e).some((t) => fold(t).includes(needle));
    }
    case 'compare': return compare(node);
    case 'not': { const inner = compileWhere(node.item); return (e) => !inner(e); }
    case 'and': { const tests = node.items.map(compileWhere); return (e) => tests.every((t) => t(e)); }
    default: { const tests = node.items.map(compileWhere); return (e) => tests.some((t) => t(e)); }
  }
}

const COMPARISON = /(?:^|[\s(])[A-Za-z_@$][^\s()"=<>~!]*\s*(?:!=|!~|>=|<=|=|>|<|~)/;

/**
 * Whether search-box text is meant as a `where` expression: it holds a comparison (`key=value`,
 * `key>3`, `key ~ x`); plain words stay a `search`.
 * @param {string} text
 */
export function looksLikeWhere(text) {
  return COMPARISON.test(text);
}

/**
 * `key=value` (or another operator) for the search box, the value quoted when it must be.
 * @param {string} key
 * @param {string} op
 * @param {string} value
 */
export function comparisonText(key, op, value) {
  const bare = value !== '' && !/^[=<>~!]/.test(value) && ![...value].some((c) => SPACE.has(c) || c === ')' || c === '"' || c === '\\');
  return `${key}${op}${bare ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`}`;
}
