/**
 * Structural comparison for check mode's codec round trips. A property whose value is undefined
 * equals a missing one (JSON drops them, and readers test `=== undefined`); byte arrays compare
 * by content, lazy bytes (a snapshot image) by the bytes they encode to, which is what a codec
 * carries; everything else must match exactly, key order aside.
 */
import { LazyBytes } from '../core/ports/lazy-bytes.ts';

export function structuralDiff(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a === b) return undefined;
  if (a instanceof LazyBytes) return structuralDiff(a.bytes(), b, path);
  if (b instanceof LazyBytes) return structuralDiff(a, b.bytes(), path);
  if (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))
    return undefined;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return `${path}: ${show(a)} != ${show(b)}`;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array)) return `${path}: bytes != non-bytes`;
    if (a.byteLength !== b.byteLength) return `${path}: ${a.byteLength} bytes != ${b.byteLength}`;
    for (let i = 0; i < a.byteLength; i++)
      if (a[i] !== b[i]) return `${path}[${i}]: byte ${a[i]} != ${b[i]}`;
    return undefined;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array != non-array`;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    if (a.length !== bs.length) return `${path}: length ${a.length} != ${bs.length}`;
    for (let i = 0; i < a.length; i++) {
      const d = structuralDiff(a[i], bs[i], `${path}[${i}]`);
      if (d !== undefined) return d;
    }
    return undefined;
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  for (const key of Object.keys(ra)) {
    const d = structuralDiff(ra[key], rb[key], `${path}.${key}`);
    if (d !== undefined) return d;
  }
  for (const key of Object.keys(rb)) {
    if (ra[key] === undefined && rb[key] !== undefined)
      return `${path}.${key}: missing != ${show(rb[key])}`;
  }
  return undefined;
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object' && v !== null) return Array.isArray(v) ? 'array' : 'object';
  return String(v);
}
