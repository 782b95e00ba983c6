/**
 * managedFields, as upstream's field manager keeps them
 * (staging/src/k8s.io/apimachinery/pkg/util/managedfields/internal and structured-merge-diff's
 * merge.Updater): every write records which manager set which fields, one entry per manager,
 * operation (Apply or Update), apiVersion (Update only) and subresource. An Update takes the
 * fields it changed from everyone else; an Apply owns exactly the fields of its configuration,
 * removes the fields it applied before and no longer does (unless someone else owns them), and
 * fails with a 409 naming the managers and fields it would take, unless forced.
 *
 * Left out: the cap of ten Update managers (upstream merges the oldest into "ancient-changes"),
 * the client-side-apply annotation's migration (last-applied-configuration), and converting
 * sets between API versions (ksim serves one version per kind).
 */
import type { FieldsV1, ManagedFieldsEntry, ObjectMeta } from '../meta-types.ts';
import { jsonEqual, type JsonObject } from '../patch/json.ts';
import type { Status, StatusCause } from '../status-types.ts';
import { FieldSet, pathString } from './field-set.ts';
import {
  compare,
  merge,
  removeItems,
  toFieldSet,
  TypeModelError,
  type TypeModel,
} from './type-model.ts';

type Operation = 'Apply' | 'Update';

interface Manager {
  readonly manager: string;
  readonly operation: Operation;
  readonly apiVersion: string;
  readonly subresource: string;
  readonly time: string | undefined;
  readonly set: FieldSet;
}

/** The managers by identifier, in their entries' order. */
type Managers = Map<string, Manager>;

/** Who writes: the manager's name, the object's apiVersion, the subresource ("" for none). */
export interface Writer {
  readonly manager: string;
  readonly apiVersion: string;
  readonly subresource: string;
  /** metav1.Time of the write. */
  readonly time: string;
}

/** BuildManagerIdentifier: an Apply entry is one per manager whatever the version. */
function identifier(
  m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>,
): string {
  return JSON.stringify({
    manager: m.manager,
    operation: m.operation,
    ...(m.operation === 'Update' && m.apiVersion ? { apiVersion: m.apiVersion } : {}),
    ...(m.subresource ? { subresource: m.subresource } : {}),
  });
}

/** Fields no manager owns (stripMetaManager): identity and what the server sets. */
const STRIPPED_META = [
  'name',
  'namespace',
  'creationTimestamp',
  'selfLink',
  'uid',
  'clusterName',
  'generation',
  'managedFields',
  'resourceVersion',
];

function stripMeta(set: FieldSet): FieldSet {
  set.children.delete('f:apiVersion');
  set.children.delete('f:kind');
  const meta = set.children.get('f:metadata');
  if (meta !== undefined) {
    meta.member = false;
    for (const f of STRIPPED_META) meta.children.delete(`f:${f}`);
  }
  return set;
}

const decoded = new WeakMap<readonly ManagedFieldsEntry[], Managers>();

/** The managers recorded on an object; entries that do not decode are dropped, as upstream resets them. */
function decodeManagers(entries: readonly ManagedFieldsEntry[] | undefined): Managers {
  if (entries === undefined) return new Map();
  const hit = decoded.get(entries);
  if (hit !== undefined) return new Map(hit);
  const out: Managers = new Map();
  for (const e of entries) {
    if (e.operation !== 'Apply' && e.operation !== 'Update') return new Map();
    const m: Manager = {
      manager: e.manager ?? '',
      operation: e.operation,
      apiVersion: e.apiVersion ?? '',
      subresource: e.subresource ?? '',
      time: e.time,
      set: FieldSet.fromFieldsV1(e.fieldsV1 ?? {}),
    };
    out.set(identifier(m), m);
  }
  decoded.set(entries, out);
  return new Map(out);
}

/** The entries, sorted as upstream sorts them (operation, time, manager, version, subresource). */
function encodeManagers(managers: Managers): ManagedFieldsEntry[] {
  const list = [...managers.values()].filter((m) => !m.set.empty);
  list.sort(
    (a, b) =>
      cmp(a.operation, b.operation) ||
      cmp(a.time ?? '', b.time ?? '') ||
      cmp(a.manager, b.manager) ||
      cmp(a.apiVersion, b.apiVersion) ||
      cmp(a.subresource, b.subresource),
  );
  const entries = list.map((m) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    ...(m.time === undefined ? {} : { time: m.time }),
    fieldsType: 'FieldsV1' as const,
    fieldsV1: m.set.toFieldsV1() as FieldsV1,
    ...(m.subresource ? { subresource: m.subresource } : {}),
  }));
  decoded.set(entries, new Map(list.map((m) => [identifier(m), m])));
  return entries;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function managedOf(obj: JsonObject): readonly ManagedFieldsEntry[] | undefined {
  return (obj.metadata as ObjectMeta | undefined)?.managedFields;
}

function withManaged(
  obj: JsonObject,
  entries: readonly ManagedFieldsEntry[] | undefined,
): JsonObject {
  const meta: Record<string, unknown> = { ...(obj.metadata as ObjectMeta | undefined) };
  if (entries === undefined || entries.length === 0) delete meta.managedFields;
  else meta.managedFields = entries;
  return { ...obj, metadata: meta };
}

/**
 * decodeLiveOrNew: a request may replace managedFields (a valid non-empty list) or clear them
 * (`[]` or `[{}]`); otherwise, and always on a subresource, the live object's stand.
 */
function baseManagers(
  live: JsonObject | undefined,
  next: JsonObject,
  subresource: string,
): Managers | 'reset' {
  const liveEntries = live === undefined ? undefined : managedOf(live);
  if (subresource !== '') return decodeManagers(liveEntries);
  const sent = managedOf(next);
  if (sent !== undefined) {
    if (sent.length === 0) return 'reset';
    if (sent.length === 1 && Object.keys(sent[0] as object).length === 0) return 'reset';
    const m = decodeManagers(sent);
    if (m.size > 0) return m;
  }
  return decodeManagers(liveEntries);
}

/**
 * merge.Updater.update: managers other than `self` lose the fields the write removed, and the
 * fields it added or changed (only when forced; otherwise those are the conflicts).
 */
function takeFields(
  managers: Managers,
  c: { added: FieldSet; modified: FieldSet; removed: FieldSet },
  self: string,
  force: boolean,
): Map<string, FieldSet> {
  const changed = c.modified.union(c.added);
  const conflicts = new Map<string, FieldSet>();
  for (const [id, m] of managers) {
    if (id === self) continue;
    const conflict = m.set.intersection(changed);
    if (!conflict.empty) conflicts.set(id, conflict);
  }
  if (!force && conflicts.size > 0) return conflicts;
  for (const [id, m] of managers) {
    if (id === self) continue;
    let set = m.set.difference(c.removed);
    const conflict = conflicts.get(id);
    if (conflict !== undefined) set = set.difference(conflict);
    if (set.empty) managers.delete(id);
    else managers.set(id, { ...m, set });
  }
  return new Map();
}

/**
 * An Update (create, update, non-apply patch): `next` with managedFields that give `writer`
 * the fields it set. `live` is undefined for a create. An object whose managedFields were
 * emptied stays untracked until the next apply (skipNonAppliedManager).
 */
export function trackUpdate(
  model: TypeModel,
  live: JsonObject | undefined,
  next: JsonObject,
  writer: Writer,
): JsonObject {
  const base = baseManagers(live, next, writer.subresource);
  if (base === 'reset') return withManaged(next, undefined);
  if (live !== undefined && base.size === 0) return withManaged(next, undefined);
  try {
    const c = compare(model, stripForCompare(live), stripForCompare(next));
    for (const s of [c.added, c.modified, c.removed]) stripMeta(s);
    const self: Manager = { ...writer, operation: 'Update', set: new FieldSet() };
    const id = identifier(self);
    takeFields(base, c, id, true);
    const changes = c.modified.union(c.added);
    const previous = base.get(id);
    if (!changes.empty) {
      const set =
        previous === undefined ? changes : previous.set.difference(c.removed).union(changes);
      base.set(id, { ...self, time: writer.time, set });
    } else if (previous !== undefined) {
      base.set(id, { ...previous, set: previous.set.difference(c.removed) });
    }
    return withManaged(next, encodeManagers(base));
  } catch (e) {
    // UpdateNoErrors: managedFields that cannot be computed are dropped, not left stale.
    if (e instanceof TypeModelError) return withManaged(next, undefined);
    throw e;
  }
}

function stripForCompare(obj: JsonObject | undefined): JsonObject | undefined {
  if (obj === undefined) return undefined;
  const meta = obj.metadata as ObjectMeta | undefined;
  if (meta?.managedFields === undefined) return obj;
  const { managedFields: _, ...rest } = meta;
  return { ...obj, metadata: rest };
}

export type ApplyResult =
  | { readonly kind: 'applied'; readonly object: JsonObject }
  | { readonly kind: 'conflict'; readonly status: Status }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * An Apply of `config` by `writer` onto `live` (undefined: the object is created). The result
 * carries the merged object with its managedFields.
 */
export function apply(
  model: TypeModel,
  live: JsonObject | undefined,
  config: JsonObject,
  writer: Writer,
  force: boolean,
): ApplyResult {
  try {
    const base = live === undefined ? new Map<string, Manager>() : decodeManagers(managedOf(live));
    const liveObj = stripForCompare(live) ?? {};
    const configObj = stripForCompare(config) as JsonObject;
    const self: Manager = {
      ...writer,
      operation: 'Apply',
      apiVersion: writer.apiVersion,
      time: writer.time,
      set: stripMeta(toFieldSet(model, configObj)),
    };
    const id = identifier(self);
    const last = base.get(id);
    let merged = merge(model, liveObj, configObj) as JsonObject;
    base.set(id, self);
    if (last !== undefined) merged = prune(model, merged, base, last.set);
    const c = compare(model, liveObj, merged);
    for (const s of [c.added, c.modified, c.removed]) stripMeta(s);
    const conflicts = takeFields(base, c, id, force);
    if (conflicts.size > 0) return { kind: 'conflict', status: conflictStatus(base, conflicts) };
    const unchanged = live !== undefined && jsonEqual(liveObj, merged);
    // A no-op apply keeps the entry's time (upstream stamps the time only when the object changed).
    if (unchanged && last !== undefined) base.set(id, { ...self, time: last.time });
    return { kind: 'applied', object: withManaged(merged, encodeManagers(base)) };
  } catch (e) {
    if (e instanceof TypeModelError) return { kind: 'invalid', message: e.message };
    throw e;
  }
}

/** Fields `applier` applied last time and no longer does, and no one else owns, go. */
function prune(
  model: TypeModel,
  merged: JsonObject,
  managers: Managers,
  lastSet: FieldSet,
): JsonObject {
  let owned = new FieldSet();
  for (const m of managers.values()) owned = owned.union(m.set);
  const gone = lastSet.difference(owned);
  if (gone.empty) return merged;
  return removeItems(model, merged, gone, owned) as JsonObject;
}

/** internal.NewConflictError: a 409 whose message and causes name each manager and field. */
function conflictStatus(managers: Managers, conflicts: Map<string, FieldSet>): Status {
  const list: { manager: string; path: string }[] = [];
  for (const id of [...conflicts.keys()].sort()) {
    for (const p of (conflicts.get(id) as FieldSet).members()) {
      list.push({ manager: printManager(id, managers), path: pathString(p) });
    }
  }
  const causes: StatusCause[] = list.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${c.manager}`,
    field: c.path,
  }));
  let message: string;
  if (list.length === 1) {
    const only = list[0] as { manager: string; path: string };
    message = `Apply failed with 1 conflict: conflict with ${only.manager}: ${only.path}`;
  } else {
    const lines: string[] = [];
    let current = '';
    for (const c of list) {
      if (c.manager !== current) {
        lines.push(`conflicts with ${c.manager}:`);
        current = c.manager;
      }
      lines.push(`- ${c.path}`);
    }
    message = `Apply failed with ${list.length} conflicts: ${lines.join('\n')}`;
  }
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Conflict',
    details: { causes },
    code: 409,
  };
}

/** printManager: `"kubectl"`, or `"kube-controller-manager" using apps/v1` for an Update. */
function printManager(id: string, managers: Managers): string {
  const m = managers.get(id);
  const parsed = JSON.parse(id) as {
    manager: string;
    operation: Operation;
    apiVersion?: string;
    subresource?: string;
  };
  let s = JSON.stringify(parsed.manager);
  if (parsed.subresource) s += ` with subresource ${JSON.stringify(parsed.subresource)}`;
  if (parsed.operation === 'Update') {
    // The identifier carries no time, so upstream prints none (Time is nil there too).
    return `${s} using ${parsed.apiVersion ?? m?.apiVersion ?? ''}`;
  }
  return s;
}
