/**
 * Defaulting (pkg/apiserver/schema/defaulting/algorithm.go): a missing property with a
 * `default` gets it, walking objects, arrays and map values. Upstream applies defaults when an
 * object is decoded: from a request and when read from storage, so a default added to a CRD
 * later shows up in old objects too.
 */
import { isObject, valueSchema, type Schema } from './schema.ts';

export function applyDefaults(v: unknown, s: Schema): unknown {
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return v;
    let changed = false;
    const next = v.map((e) => {
      const d = applyDefaults(e, items);
      if (d !== e) changed = true;
      return d;
    });
    return changed ? next : v;
  }
  if (!isObject(v)) return v;
  let next: Record<string, unknown> | undefined;
  const set = (k: string, value: unknown): void => {
    next ??= { ...v };
    next[k] = value;
  };
  for (const [k, prop] of Object.entries(s.properties ?? {})) {
    if (v[k] === undefined && prop.default !== undefined) set(k, prop.default);
  }
  const values = valueSchema(s);
  for (const [k, child] of Object.entries(next ?? v)) {
    const sub = s.properties?.[k] ?? values;
    if (sub === undefined) continue;
    const d = applyDefaults(child, sub);
    if (d !== child) set(k, d);
  }
  return next ?? v;
}
