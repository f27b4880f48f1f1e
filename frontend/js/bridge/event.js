// @ts-check
/**
 * `listen` and `once`, with the semantics of `@tauri-apps/api/event` (the import map offers this
 * module under that name): `listen(event, handler)` resolves to an unlisten function; the
 * handler receives `{event, id, payload}` for every event of that name, in delivery order.
 * Events arrive in batches from the transport (see transport.js); a handler that throws is
 * reported on the console and does not stop the others.
 */
import { setBatchSink, transport } from './transport.js';

/**
 * @template T
 * @typedef {{event: string, id: number, payload: T}} Event
 */
/** @typedef {() => void} UnlistenFn */

/** Tauri's rule for event names: alphanumerics, `-`, `/`, `:` and `_`. */
const EVENT_NAME = /^[A-Za-z0-9\-/:_]+$/;

/** @type {Map<string, Map<number, (e: Event<any>) => void>>} */
const registry = new Map();
let nextId = 1;

/**
 * Run the handlers of each event in a batch (installed as the transport's batch sink).
 * @param {{event: string, payload: unknown}[]} batch
 */
export function dispatchBatch(batch) {
  for (const item of batch) {
    const handlers = registry.get(item?.event);
    if (!handlers) continue;
    for (const [id, handler] of [...handlers]) {
      try {
        handler({ event: item.event, id, payload: item.payload });
      } catch (error) {
        console.error(`listener for ${item.event} failed:`, error);
      }
    }
  }
}
setBatchSink(dispatchBatch);

/**
 * Listen to a backend event.
 * @template T
 * @param {string} event e.g. `log-entry`
 * @param {(event: Event<T>) => void} handler
 * @returns {Promise<UnlistenFn>}
 */
export async function listen(event, handler) {
  if (typeof event !== 'string' || !EVENT_NAME.test(event)) {
    throw new Error('Event name must include only alphanumeric characters, `-`, `/`, `:` and `_`.');
  }
  if (typeof handler !== 'function') throw new TypeError('handler must be a function');
  void transport(); // make sure the event stream is open
  const id = nextId++;
  let handlers = registry.get(event);
  if (!handlers) registry.set(event, (handlers = new Map()));
  handlers.set(id, handler);
  return () => {
    const current = registry.get(event);
    current?.delete(id);
    if (current?.size === 0) registry.delete(event);
  };
}

/**
 * Listen to the next occurrence of an event only.
 * @template T
 * @param {string} event
 * @param {(event: Event<T>) => void} handler
 * @returns {Promise<UnlistenFn>}
 */
export async function once(event, handler) {
  /** @type {UnlistenFn} */
  let unlisten = () => {};
  unlisten = await listen(event, (/** @type {Event<T>} */ e) => {
    unlisten();
    handler(e);
  });
  return unlisten;
}
