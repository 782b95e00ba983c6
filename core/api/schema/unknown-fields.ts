/**
 * Unknown fields: members a kind's schema does not declare. Upstream's decoder drops them from
 * every request body (the Go structs cannot hold them); fieldValidation decides whether the
 * request also fails (Strict) or carries a warning (Warn). Paths are printed as upstream's
 * strict decoder prints them: `spec.containers[0].imagee`.
 */
import { elementType, isList, isMap, structFields, type TypeCode } from './schema.ts';

export interface Pruned<T> {
  /** `value` without its unknown fields (`value` itself when it had none). */
  readonly value: T;
  readonly unknown: readonly string[];
}

export function pruneUnknownFields<T>(value: T, type: TypeCode): Pruned<T> {
  const unknown: string[] = [];
  const pruned = prune(value, type, '', unknown) as T;
  return { value: pruned, unknown };
}

function prune(value: unknown, type: TypeCode, path: string, unknown: string[]): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (isList(type)) {
    if (!Array.isArray(value)) return value;
    const item = elementType(type);
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const p = prune(v, item, `${path}[${i}]`, unknown);
      if (p !== v) (out ??= [...value])[i] = p;
    }
    return out ?? value;
  }
  if (Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  if (isMap(type)) {
    const valueType = elementType(type);
    for (const k of Object.keys(obj)) {
      const p = prune(obj[k], valueType, `${path}[${k}]`, unknown);
      if (p !== obj[k]) (out ??= { ...obj })[k] = p;
    }
    return out ?? value;
  }
  const fields = structFields(type);
  if (fields === undefined) return value;
  for (const k of Object.keys(obj)) {
    const fieldPath = path === '' ? k : `${path}.${k}`;
    const fieldType = fields[k];
    if (fieldType === undefined) {
      unknown.push(fieldPath);
      out ??= { ...obj };
      delete out[k];
      continue;
    }
    const p = prune(obj[k], fieldType, fieldPath, unknown);
    if (p !== obj[k]) (out ??= { ...obj })[k] = p;
  }
  return out ?? value;
}
