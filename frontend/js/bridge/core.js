// @ts-check
/**
 * `invoke`, with the semantics of `@tauri-apps/api/core` (the import map offers this module under
 * that name): a promise of the command's result that rejects with its error `{code, message}`.
 * Argument keys in camelCase are sent in snake_case (`outputPath` → `output_path`), as Tauri
 * matches them to the command's parameters; nested objects are passed through unchanged.
 */
import { getConnection, transport } from './transport.js';

const CAMEL = /(?<=[a-z0-9])([A-Z])/g;

/**
 * `outputPath` → `output_path`; keys already in snake_case are unchanged.
 * @param {string} key
 */
export function snakeCase(key) {
  return key.replace(CAMEL, (upper) => `_${upper.toLowerCase()}`);
}

/**
 * Top-level keys in snake_case; `undefined` values are left out, as JSON would.
 * @param {Record<string, unknown> | undefined | null} args
 * @returns {Record<string, unknown>}
 */
export function toWireArgs(args) {
  /** @type {Record<string, unknown>} */
  const out = {};
  if (args === undefined || args === null) return out;
  if (typeof args !== 'object' || Array.isArray(args)) {
    throw { code: 'invalid_args', message: 'arguments must be an object' };
  }
  for (const [key, value] of Object.entries(args)) {
    if (value !== undefined) out[snakeCase(key)] = value;
  }
  return out;
}

/**
 * Call a backend command.
 * @template T
 * @param {string} cmd the command's wire name, e.g. `get_recent_logs`
 * @param {Record<string, unknown>} [args] keyword arguments (snake_case or camelCase keys)
 * @returns {Promise<T>} the result; rejects with `{code, message}`
 */
export async function invoke(cmd, args = {}) {
  const wire = toWireArgs(args);
  const send = await transport();
  return /** @type {T} */ (await send(cmd, wire));
}

/** Whether a backend is reachable through some transport (Tauri's `isTauri` counterpart). */
export async function hasBackend() {
  await transport();
  return getConnection().kind !== 'none';
}
