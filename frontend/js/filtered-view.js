// @ts-check
/**
 * The filtered view of the loaded entries, maintained incrementally: appends and prepends test
 * only the new entries, the cap's trims only the dropped ones; a filter change is one pass.
 * It also counts, per level, the entries passing every criterion but the level (the counts
 * shown on the level filter).
 */
import { compile, LEVELS } from './filter.js';

/** @typedef {import('./filter.js').LogEntry} LogEntry */
/** @typedef {import('./filter.js').Filter} Filter */
/** @typedef {import('./filter.js').Matcher} Matcher */
/**
 * What changed since the subscribers last heard: a reset (new filter or new entries), rows added
 * at either end, rows removed from the start.
 * @typedef {{reset: boolean, appended: number, prepended: number, trimmed: number}} Changes
 */

const zeroCounts = () => Object.fromEntries(LEVELS.map((l) => [l, 0]));
/** @returns {Changes} */
export const noChanges = () => ({ reset: false, appended: 0, prepended: 0, trimmed: 0 });

export class FilteredView {
  /** @param {Filter} filter */
  constructor(filter) {
    /** @type {LogEntry[]} */
    this.entries = [];
    /** @type {Record<string, number>} */
    this.counts = zeroCounts();
    /** @type {Matcher} */
    this.matcher = compile(filter);
    /** @type {Changes} */
    this.changes = noChanges();
  }

  /**
   * Take a new filter and/or a new set of entries: one pass over `all`.
   * @param {LogEntry[]} all
   * @param {Filter} [filter]
   */
  reset(all, filter) {
    if (filter) this.matcher = compile(filter);
    const { testExceptLevel, testLevel } = this.matcher;
    const counts = zeroCounts();
    /** @type {LogEntry[]} */
    const out = [];
    for (let i = 0; i < all.length; i++) {
      const e = all[i];
      if (!testExceptLevel(e)) continue;
      counts[e.level] = (counts[e.level] ?? 0) + 1;
      if (testLevel(e.level)) out.push(e);
    }
    this.entries = out;
    this.counts = counts;
    this.changes = { ...noChanges(), reset: true };
  }

  /** @param {LogEntry[]} added newer entries, oldest first */
  append(added) {
    const kept = this.pass(added);
    for (const e of kept) this.entries.push(e);
    this.changes.appended += kept.length;
  }

  /** @param {LogEntry[]} added older entries, oldest first */
  prepend(added) {
    const kept = this.pass(added);
    if (kept.length) this.entries = kept.concat(this.entries);
    this.changes.prepended += kept.length;
  }

  /** @param {LogEntry[]} dropped the oldest entries, just removed from the store */
  trim(dropped) {
    const { testExceptLevel, testLevel } = this.matcher;
    let gone = 0;
    for (const e of dropped) {
      if (!testExceptLevel(e)) continue;
      this.counts[e.level] -= 1;
      if (testLevel(e.level)) gone += 1;
    }
    if (gone) this.entries.splice(0, gone);
    this.changes.trimmed += gone;
  }

  /**
   * The entries passing the filter; counts the level of those passing all but the level.
   * @param {LogEntry[]} added
   */
  pass(added) {
    const { testExceptLevel, testLevel } = this.matcher;
    /** @type {LogEntry[]} */
    const kept = [];
    for (const e of added) {
      if (!testExceptLevel(e)) continue;
      this.counts[e.level] = (this.counts[e.level] ?? 0) + 1;
      if (testLevel(e.level)) kept.push(e);
    }
    return kept;
  }

  /** The changes since the last call, and start over. */
  takeChanges() {
    const changes = this.changes;
    this.changes = noChanges();
    return changes;
  }
}
