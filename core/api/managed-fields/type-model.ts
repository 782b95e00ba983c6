/**
 * How server-side apply sees an object's structure (structured-merge-diff's schema): which
 * maps and structs are granular and which are atomic, and which lists are associative (items
 * keyed), sets (scalars) or atomic. ksim derives it from the kind's field tree (../schema) and
 * its strategic-merge metadata, where upstream reads `+listType`, `+listMapKey`,
 * `+structType` and `+mapType` from the OpenAPI schema. The two mostly agree; where ksim differs:
 *
 * - a `+listType=map` list keys its items on the patchMergeKey alone, where upstream's
 *   `+listMapKey` may name several fields (container ports: containerPort and protocol);
 * - a list with `+listType=map` or `set` but no patch strategy is atomic here;
 * - the atomic structs are the ones in ATOMIC_TYPES (upstream's `+structType=atomic`).
 *
 * Everything here walks plain JSON and builds new values; nothing it is given is changed.
 */
import { isJsonObject, jsonEqual, type JsonObject } from '../patch/json.ts';
import { childPath, itemsPath, type PatchMeta } from '../patch/patch-meta.ts';
import { elementType, isList, isMap, structFields, type TypeCode } from '../schema/schema.ts';
import { FieldSet } from './field-set.ts';

/** Upstream's `+structType=atomic` types: a change replaces them whole, one owner for all. */
export const ATOMIC_TYPES: ReadonlySet<string> = new Set([
  'meta/v1.LabelSelector',
  'core/v1.ObjectReference',
  'core/v1.LocalObjectReference',
  'core/v1.TypedLocalObjectReference',
  'core/v1.NodeSelector',
  'core/v1.NodeSelectorTerm',
  'core/v1.ConfigMapKeySelector',
  'core/v1.SecretKeySelector',
  'core/v1.ObjectFieldSelector',
  'core/v1.ResourceFieldSelector',
]);

export interface TypeModel {
  readonly patch: PatchMeta;
  /** The kind's root type; undefined walks the object by its shape alone. */
  readonly root: TypeCode | undefined;
}

/** A position in the walk: the schema type (if known) and the patch-metadata path. */
interface At {
  readonly code: TypeCode | undefined;
  readonly path: string;
}

type Relation = 'leaf' | 'fields' | 'assoc' | 'set';

export class TypeModelError extends Error {}

function relation(model: TypeModel, value: unknown, at: At): Relation {
  if (Array.isArray(value)) {
    const meta = model.patch.at(at.path);
    if (meta.strategy !== 'merge') return 'leaf';
    return meta.mergeKey === undefined ? 'set' : 'assoc';
  }
  if (!isJsonObject(value)) return 'leaf';
  const code = at.code;
  if (model.patch.replacesMap(at.path)) return 'leaf';
  if (code === undefined) return 'fields';
  if (ATOMIC_TYPES.has(code)) return 'leaf';
  return isMap(code) || structFields(code) !== undefined ? 'fields' : 'leaf';
}

function fieldAt(at: At, key: string): At {
  const code = at.code;
  let child: TypeCode | undefined;
  if (code !== undefined) child = isMap(code) ? elementType(code) : structFields(code)?.[key];
  return { code: child, path: childPath(at.path, key) };
}

function itemAt(at: At): At {
  const code = at.code;
  return {
    code: code !== undefined && isList(code) ? elementType(code) : undefined,
    path: itemsPath(at.path),
  };
}

/** The path element of an associative list's item: `k:{"name":"c"}`. */
function keyElement(item: unknown, mergeKey: string): string {
  if (!isJsonObject(item) || !Object.hasOwn(item, mergeKey)) {
    throw new TypeModelError(
      `associative list with keys has an element that omits key field ${JSON.stringify(mergeKey)}`,
    );
  }
  return `k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`;
}

function valueElement(item: unknown): string {
  return `v:${JSON.stringify(item)}`;
}

function mergeKeyAt(model: TypeModel, at: At): string {
  return model.patch.at(at.path).mergeKey as string;
}

/** Entries of a granular object, without nulls (an absent field, as Go decodes it). */
function entries(v: JsonObject): [string, unknown][] {
  return Object.entries(v).filter(([, x]) => x !== null && x !== undefined);
}

/** ToFieldSet: every leaf, every associative-list item and set value of `value`. */
export function toFieldSet(model: TypeModel, value: unknown): FieldSet {
  const set = new FieldSet();
  collect(model, value, { code: model.root, path: '' }, set, []);
  return set;
}

function collect(model: TypeModel, value: unknown, at: At, set: FieldSet, prefix: string[]): void {
  switch (relation(model, value, at)) {
    case 'leaf':
      set.insert(prefix);
      return;
    case 'fields':
      for (const [k, v] of entries(value as JsonObject)) {
        collect(model, v, fieldAt(at, k), set, [...prefix, `f:${k}`]);
      }
      return;
    case 'assoc': {
      const key = mergeKeyAt(model, at);
      const item = itemAt(at);
      for (const v of value as unknown[]) {
        const p = [...prefix, keyElement(v, key)];
        set.insert(p);
        collect(model, v, item, set, p);
      }
      return;
    }
    case 'set':
      for (const v of value as unknown[]) set.insert([...prefix, valueElement(v)]);
      return;
  }
}

function subtree(model: TypeModel, value: unknown, at: At, prefix: string[], into: FieldSet): void {
  collect(model, value, at, into, prefix);
}

export interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/** typed.Compare: the fields `next` added, changed and removed relative to `old`. */
export function compare(model: TypeModel, old: unknown, next: unknown): Comparison {
  const c: Comparison = {
    added: new FieldSet(),
    modified: new FieldSet(),
    removed: new FieldSet(),
  };
  diff(model, old, next, { code: model.root, path: '' }, [], c);
  return c;
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

function diff(
  model: TypeModel,
  old: unknown,
  next: unknown,
  at: At,
  prefix: string[],
  c: Comparison,
): void {
  // Shared immutable objects: an unchanged subtree is usually the very same object.
  if (old === next) return;
  if (absent(old) && absent(next)) return;
  if (absent(old)) return subtree(model, next, at, prefix, c.added);
  if (absent(next)) return subtree(model, old, at, prefix, c.removed);
  const rel = relation(model, next, at);
  if (rel !== relation(model, old, at) || rel === 'leaf') {
    if (!jsonEqual(old, next)) c.modified.insert(prefix);
    return;
  }
  switch (rel) {
    case 'fields': {
      const o = old as JsonObject;
      const n = next as JsonObject;
      for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
        diff(model, o[k], n[k], fieldAt(at, k), [...prefix, `f:${k}`], c);
      }
      return;
    }
    case 'assoc': {
      const key = mergeKeyAt(model, at);
      const item = itemAt(at);
      const olds = byElement(old as unknown[], (v) => keyElement(v, key));
      const nexts = byElement(next as unknown[], (v) => keyElement(v, key));
      for (const [e, o] of olds) {
        const n = nexts.get(e);
        if (n === undefined) {
          c.removed.insert([...prefix, e]);
          subtree(model, o, item, [...prefix, e], c.removed);
        } else diff(model, o, n, item, [...prefix, e], c);
      }
      for (const [e, n] of nexts) {
        if (olds.has(e)) continue;
        c.added.insert([...prefix, e]);
        subtree(model, n, item, [...prefix, e], c.added);
      }
      return;
    }
    case 'set': {
      const olds = new Set((old as unknown[]).map(valueElement));
      const nexts = new Set((next as unknown[]).map(valueElement));
      for (const e of olds) if (!nexts.has(e)) c.removed.insert([...prefix, e]);
      for (const e of nexts) if (!olds.has(e)) c.added.insert([...prefix, e]);
      return;
    }
  }
}

function byElement(
  items: readonly unknown[],
  element: (v: unknown) => string,
): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const v of items) out.set(element(v), v);
  return out;
}

/**
 * typed.Merge: `config` over `live`. Granular maps and structs merge member by member,
 * associative lists item by item (live order, then the config's new items), sets value by
 * value; anything atomic is the config's.
 */
export function merge(model: TypeModel, live: unknown, config: unknown): unknown {
  return mergeAt(model, live, config, { code: model.root, path: '' });
}

function mergeAt(model: TypeModel, live: unknown, config: unknown, at: At): unknown {
  if (absent(live)) return config;
  const rel = relation(model, config, at);
  if (rel !== relation(model, live, at) || rel === 'leaf') return config;
  switch (rel) {
    case 'fields': {
      const out: JsonObject = { ...(live as JsonObject) };
      for (const [k, v] of Object.entries(config as JsonObject)) {
        if (v === null) delete out[k];
        else out[k] = mergeAt(model, out[k], v, fieldAt(at, k));
      }
      return out;
    }
    case 'assoc': {
      const key = mergeKeyAt(model, at);
      const item = itemAt(at);
      const configs = byElement(config as unknown[], (v) => keyElement(v, key));
      const out: unknown[] = [];
      const seen = new Set<string>();
      for (const l of live as unknown[]) {
        const e = keyElement(l, key);
        seen.add(e);
        const cv = configs.get(e);
        out.push(cv === undefined ? l : mergeAt(model, l, cv, item));
      }
      for (const [e, cv] of configs) if (!seen.has(e)) out.push(cv);
      return out;
    }
    case 'set': {
      const out = [...(live as unknown[])];
      const have = new Set(out.map(valueElement));
      for (const v of config as unknown[]) if (!have.has(valueElement(v))) out.push(v);
      return out;
    }
    default:
      return config;
  }
}

/**
 * Removes the members of `remove` from `value`, except what `keep` holds (another manager's
 * fields): a list item someone else still owns a field of loses only the removed fields.
 */
export function removeItems(
  model: TypeModel,
  value: unknown,
  remove: FieldSet,
  keep: FieldSet,
): unknown {
  return removeAt(model, value, remove, keep, { code: model.root, path: '' });
}

function removeAt(
  model: TypeModel,
  value: unknown,
  remove: FieldSet,
  keep: FieldSet | undefined,
  at: At,
): unknown {
  const rel = relation(model, value, at);
  if (rel === 'fields') {
    const out: JsonObject = { ...(value as JsonObject) };
    for (const k of Object.keys(out)) {
      const e = `f:${k}`;
      const r = remove.children.get(e);
      if (r === undefined) continue;
      const kept = keep?.children.get(e);
      if (r.member && (kept === undefined || kept.empty)) delete out[k];
      else out[k] = removeAt(model, out[k], r, kept, fieldAt(at, k));
    }
    return out;
  }
  if (rel === 'assoc' || rel === 'set') {
    const key = rel === 'assoc' ? mergeKeyAt(model, at) : '';
    const out: unknown[] = [];
    for (const v of value as unknown[]) {
      const e = rel === 'assoc' ? keyElement(v, key) : valueElement(v);
      const r = remove.children.get(e);
      const kept = keep?.children.get(e);
      if (r === undefined) out.push(v);
      else if (!r.member || (kept !== undefined && !kept.empty)) {
        out.push(rel === 'assoc' ? removeAt(model, v, r, kept, itemAt(at)) : v);
      }
    }
    return out;
  }
  return value;
}
