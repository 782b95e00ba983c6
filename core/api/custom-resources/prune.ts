/**
 * Pruning (pkg/apiserver/schema/pruning/algorithm.go): fields the schema does not specify are
 * dropped, unless x-kubernetes-preserve-unknown-fields keeps them; apiVersion, kind and
 * metadata at the root (and in embedded resources) are the server's and always kept.
 */
import { isObject, preservesUnknown, valueSchema, type Schema } from './schema.ts';

const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

export interface PruneResult {
  readonly value: unknown;
  /** Paths of what was dropped ("spec.foo"), for fieldValidation's unknown-field reports. */
  readonly pruned: readonly string[];
}

export function prune(obj: unknown, schema: Schema): PruneResult {
  const pruned: string[] = [];
  const value = pruneNode(obj, schema, '', true, pruned);
  return { value, pruned };
}

function pruneNode(v: unknown, s: Schema, path: string, root: boolean, out: string[]): unknown {
  if (Array.isArray(v)) {
    const items = s.items;
    if (items === undefined) return v;
    return v.map((e, i) => pruneNode(e, items, `${path}[${i}]`, false, out));
  }
  if (!isObject(v)) return v;
  const embedded = root || s['x-kubernetes-embedded-resource'] === true;
  const values = valueSchema(s);
  const keep = preservesUnknown(s);
  let changed = false;
  const next: Record<string, unknown> = {};
  for (const [k, child] of Object.entries(v)) {
    const p = path === '' ? k : `${path}.${k}`;
    if (embedded && ROOT_FIELDS.has(k)) {
      next[k] = child;
      continue;
    }
    const sub = s.properties?.[k] ?? values;
    if (sub === undefined) {
      if (keep) next[k] = child;
      else {
        out.push(p);
        changed = true;
      }
      continue;
    }
    const pc = pruneNode(child, sub, p, false, out);
    if (pc !== child) changed = true;
    next[k] = pc;
  }
  return changed ? next : v;
}
