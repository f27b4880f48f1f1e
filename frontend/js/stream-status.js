// @ts-check
/**
 * The state of the live stream as the page shows it, in one place: the toolbar's Live button
 * and the status bar's indicator both render `streamStatus(logStore.state)`, so they agree.
 */
import { formatCount } from './format.js';

/**
 * @typedef {'live'|'paused'|'warn'|'off'|'down'} Tone
 *   live: entries stream in and the list follows them (green); paused: they stream in, the list
 *   keeps its place (amber); warn: reconnecting (amber); off: not (yet) streaming (grey);
 *   down: the subscription or the connection failed (red)
 * @typedef {{tone: Tone, label: string, text: string, title: string}} StreamStatus
 *   `label` is the toolbar's short word, `text` the status bar's
 * @typedef {{code: string, message: string}} CommandError
 * @typedef {{
 *   isStreaming: boolean, loaded: boolean, error: CommandError|null,
 *   streamError: CommandError|null, connection: {state: string, detail: string},
 *   tail: {paused: boolean, waiting: number},
 * }} StreamInputs
 */

/**
 * @param {StreamInputs} s the store's state
 * @returns {StreamStatus}
 */
export function streamStatus(s) {
  const { connection: c, tail } = s;
  if (c.state === 'down') return { tone: 'down', label: 'Offline', text: 'Disconnected', title: c.detail };
  if (c.state === 'reconnecting') return { tone: 'warn', label: 'Reconnecting…', text: 'Reconnecting…', title: c.detail };
  // A failed first fetch (e.g. permission denied) means nothing streams to the list either.
  const failed = s.streamError ?? (s.loaded ? null : s.error);
  if (failed) return { tone: 'down', label: 'Offline', text: 'Not streaming', title: failed.message };
  if (!s.isStreaming) {
    const text = s.loaded ? 'Not streaming' : 'Connecting…';
    return { tone: 'off', label: s.loaded ? 'Offline' : 'Connecting…', text, title: '' };
  }
  if (tail.paused) {
    const label = tail.waiting ? `Paused · ${formatCount(tail.waiting)} new` : 'Paused';
    return { tone: 'paused', label, text: 'Paused · still streaming', title: 'New entries are counted, not shown' };
  }
  return { tone: 'live', label: 'Live', text: 'Streaming', title: '' };
}
