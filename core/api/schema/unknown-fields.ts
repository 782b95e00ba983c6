/**
 * Unknown fields: members a kind's schema does not declare. Upstream's decoder drops them from
 * every request body (the Go structs cannot hold them); fieldValidation decides whether the
 * request also fails (Strict) or carries a warning (Warn). Paths are printed as upstream's
 * strict decoder prints them: `spec.containers[0].imagee`.
 *
 * This walk runs on writes, so it builds nothing for a body without unknown fields: paths are
 * spelled out only when one is found, and unchanged subtrees are returned as they are.
 */
import { elementType, isList, isMap, structFields, type TypeCode } from './schema.ts';

export interface Pruned<T> {
  /** `value` without its unknown fields (`value` itself when it had none). */
  readonly value: T;
  readonly unknown: readonly string[];
}

/**
 * Where the walk is: the steps from the root (member names, map keys, list indexes), pushed
 * and popped as it descends, and spelled out only for a report.
 */
class Walk {
  readonly unknown: string[] = [];
  private readonly steps: (string | number)[] = [];
  private readonly keyed: boolean[] = [];

  down(step: string | number, keyed: boolean): void {
    this.steps.push(step);
    this.keyed.push(keyed);
  }

  up(): void {
    this.steps.pop();
    this.keyed.pop();
  }

  report(member: string): void {
    let out = '';
    for (let i = 0; i < this.steps.length; i++) {
      const s = this.steps[i] as string | number;
      if (typeof s === 'number' || this.keyed[i]) out += `[${s}]`;
      else out += out === '' ? s : `.${s}`;
    }
    this.unknown.push(out === '' ? member : `${out}.${member}`);
  }
}

export function pruneUnknownFields<T>(value: T, type: TypeCode): Pruned<T> {
  const walk = new Walk();
  const pruned = prune(value, type, walk) as T;
  return { value: pruned, unknown: walk.unknown };
}

/** Types whose code is one character ("s", "x") hold nothing to check. */
const opaque = (type: TypeCode): boolean => type.length === 1;

function prune(value: unknown, type: TypeCode, walk: Walk): unknown {
  if (typeof value !== 'object' || value === null || opaque(type)) return value;
  if (isList(type)) {
    if (!Array.isArray(value)) return value;
    const item = elementType(type);
    if (opaque(item)) return value;
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      walk.down(i, false);
      const p = prune(v, item, walk);
      walk.up();
      if (p !== v) (out ??= [...value])[i] = p;
    }
    return out ?? value;
  }
  if (Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  if (isMap(type)) {
    const valueType = elementType(type);
    if (opaque(valueType)) return value;
    for (const k in obj) {
      const v = obj[k];
      walk.down(k, true);
      const p = prune(v, valueType, walk);
      walk.up();
      if (p !== v) (out ??= { ...obj })[k] = p;
    }
    return out ?? value;
  }
  const fields = structFields(type);
  if (fields === undefined) return value;
  for (const k in obj) {
    const fieldType = fields[k];
    if (fieldType === undefined) {
      walk.report(k);
      out ??= { ...obj };
      delete out[k];
      continue;
    }
    const v = obj[k];
    if (typeof v !== 'object' || v === null || opaque(fieldType)) continue;
    walk.down(k, false);
    const p = prune(v, fieldType, walk);
    walk.up();
    if (p !== v) (out ??= { ...obj })[k] = p;
  }
  return out ?? value;
}
