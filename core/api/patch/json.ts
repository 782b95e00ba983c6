/** JSON values as the patch modules see them, and the failure every patch type reports. */

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * A patch that cannot be applied. `code` is the HTTP status upstream answers with: 400 for a
 * patch that is malformed, 422 for one that does not fit the object (a JSON patch whose path
 * is missing, a test that fails), and 500 where upstream passes a library error on unconverted
 * (a strategic merge list item without its merge key).
 */
export interface PatchError {
  readonly kind: 'patch-error';
  readonly code: 400 | 422 | 500;
  readonly message: string;
}

export function patchError(code: 400 | 422 | 500, message: string): PatchError {
  return { kind: 'patch-error', code, message };
}

export function isPatchError(x: unknown): x is PatchError {
  return isJsonObject(x) && x.kind === 'patch-error' && typeof x.message === 'string';
}

/** Deep equality of JSON values (key order does not matter). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ak = Object.keys(a);
  const bo = b as JsonObject;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.hasOwn(bo, k) && jsonEqual((a as JsonObject)[k], bo[k]));
}

/** Go's %v rendering of a decoded JSON value, as upstream's patch error messages print them. */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goValue).join(' ')}]`;
  if (isJsonObject(v)) {
    const keys = Object.keys(v).sort();
    return `map[${keys.map((k) => `${k}:${goValue(v[k])}`).join(' ')}]`;
  }
  return String(v);
}
