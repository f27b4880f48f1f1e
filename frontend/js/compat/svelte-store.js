// @ts-check
/**
 * A `svelte/store`-compatible module (writable, readable, derived, get, readonly), mirroring the
 * semantics of svelte's `src/runtime/store/index.js` (MIT): subscribers are called at once with
 * the current value, `set` notifies only when the value changed (objects always count as
 * changed), a derived store subscribes to its inputs only while it has subscribers, and a
 * derived callback taking `set` may set asynchronously and return a cleanup.
 * Only here so the seed's logStore.ts runs unchanged (frontend/compat.html).
 */

/** @param {unknown} a @param {unknown} b */
const safeNotEqual = (a, b) => (a != a ? b == b : a !== b || (a !== null && typeof a === 'object') || typeof a === 'function');

/**
 * @template T
 * @param {T} value
 * @param {(set: (v: T) => void, update: (fn: (v: T) => T) => void) => (void | (() => void))} [start]
 */
export function writable(value, start = () => {}) {
  /** @type {(() => void) | void | null} */
  let stop = null;
  /** @type {Set<[(v: T) => void, () => void]>} */
  const subscribers = new Set();
  /** @param {T} next */
  function set(next) {
    if (!safeNotEqual(value, next)) return;
    value = next;
    if (stop) [...subscribers].forEach(([, invalidate]) => invalidate());
    if (stop) [...subscribers].forEach(([run]) => run(value));
  }
  /** @param {(v: T) => T} fn */
  const update = (fn) => set(fn(value));
  /**
   * @param {(v: T) => void} run
   * @param {() => void} [invalidate]
   */
  function subscribe(run, invalidate = () => {}) {
    /** @type {[(v: T) => void, () => void]} */
    const subscriber = [run, invalidate];
    subscribers.add(subscriber);
    if (subscribers.size === 1) stop = start(set, update) || (() => {});
    run(value);
    return () => {
      subscribers.delete(subscriber);
      if (subscribers.size === 0 && stop) {
        stop();
        stop = null;
      }
    };
  }
  return { set, update, subscribe };
}

/**
 * @template T
 * @param {T} value
 * @param {Parameters<typeof writable<T>>[1]} [start]
 */
export function readable(value, start) {
  return { subscribe: writable(value, start).subscribe };
}

/** @param {{subscribe: Function}} store */
export function readonly(store) {
  return { subscribe: store.subscribe.bind(store) };
}

/**
 * @param {any} stores one store or an array of stores
 * @param {Function} fn `(values) => value` or `(values, set, update) => cleanup`
 * @param {unknown} [initial]
 */
export function derived(stores, fn, initial) {
  const single = !Array.isArray(stores);
  /** @type {any[]} */
  const inputs = single ? [stores] : stores;
  const auto = fn.length < 2;
  return readable(initial, (/** @type {any} */ set, /** @type {any} */ update) => {
    let started = false;
    /** @type {unknown[]} */
    const values = [];
    let pending = 0;
    /** @type {Function | null} */
    let cleanup = null;
    const sync = () => {
      if (pending) return;
      if (typeof cleanup === 'function') cleanup();
      const result = fn(single ? values[0] : values, set, update);
      if (auto) set(result);
      else cleanup = typeof result === 'function' ? result : null;
    };
    const unsubscribers = inputs.map((store, i) => store.subscribe(
      (/** @type {unknown} */ value) => {
        values[i] = value;
        pending &= ~(1 << i);
        if (started) sync();
      },
      () => { pending |= 1 << i; },
    ));
    started = true;
    sync();
    return () => {
      unsubscribers.forEach((u) => u());
      if (typeof cleanup === 'function') cleanup();
      started = false;
    };
  });
}

/**
 * The current value of a store.
 * @template T
 * @param {{subscribe: (run: (v: T) => void) => () => void}} store
 * @returns {T}
 */
export function get(store) {
  /** @type {T} */
  let value = /** @type {any} */ (undefined);
  store.subscribe((v) => { value = v; })();
  return value;
}
