/**
 * update (upstream Store.Update with rest.BeforeUpdate) and the read-modify-write under every
 * write to an existing object (GuaranteedUpdate).
 */
import * as errors from '../../api/errors.ts';
import type { ResourceDefinition, UpdateStrategy } from '../../api/kinds/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedKind, qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import { admissionAttributes, withObject } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion, type StorageFailure } from '../storage.ts';
import { admitAmong } from './admit-among.ts';
import { afterDelete, type AllocationTxn } from './allocations.ts';
import { checkEnvelope, decodeObject, storedBody } from './body.ts';
import {
  keyFor,
  MAX_INTERNAL_RETRIES,
  storageFailure,
  ttlOf,
  warnAll,
  type RegistryContext,
  type RequestContext,
} from './context.ts';
import { isReadyToDelete } from './deletion.ts';
import { checkFields, trackWrite } from './fields.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/** How a write reaches an object: the main resource or a subresource with its own strategy. */
export interface WritePath {
  readonly strategy: UpdateStrategy<KObject>;
  /** Built-in mutating admission runs only for the main resource. */
  readonly admit: boolean;
  /**
   * The transform sets managedFields itself (server-side apply), so the Update tracking of
   * every other write is skipped.
   */
  readonly managed?: boolean;
}

export function mainPath(definition: ResourceDefinition): WritePath {
  return { strategy: definition.update, admit: true };
}

/** PUT of a whole object through `path`. */
export async function updateObject(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  body: unknown,
  path: WritePath,
): Promise<KObject | Status> {
  const checked = checkEnvelope(info, body, name);
  if (errors.isStatus(checked)) return checked;
  const fielded = checkFields(ctx, info, checked);
  if (errors.isStatus(fielded)) return fielded;
  const shaped = storedBody(info, fielded);
  const requestedRv = parseResourceVersion(shaped.metadata.resourceVersion);
  if (Number.isNaN(requestedRv)) {
    return errors.badRequest(
      `invalid resourceVersion ${JSON.stringify(shaped.metadata.resourceVersion)}`,
    );
  }
  // store.go Update: a missing object is a 404 before a missing resourceVersion is a 422.
  const unconditional = requestedRv === undefined && !info.definition.allowUnconditionalUpdate;
  const transform = (): KObject | Status =>
    unconditional
      ? errors.invalid(qualifiedKind(info.resource), name, [
          {
            type: 'FieldValueRequired',
            field: 'metadata.resourceVersion',
            detail: 'must be specified for an update',
          },
        ])
      : shaped;
  return guaranteedUpdate(ctx, info, name, requestedRv, transform, path);
}

/**
 * Reads, transforms, prepares and validates through `path`, and writes with the read version as
 * precondition. A conflict caused by a concurrent writer is retried unless the client pinned a
 * resourceVersion (then the 409 is the client's to handle). An update that leaves a deleted
 * object with nothing holding it deletes it (ShouldDeleteDuringUpdate). A dry run stops before
 * the write and answers with what would have been written.
 *
 * The first attempt starts from the watch cache's copy when there is one, as upstream's
 * Cacher.GuaranteedUpdate does, which saves a store read per write. That copy may be stale, so
 * any failure computed from it (a version older than the pinned one, a refused transform or
 * validation, a conflicting write) sends the request back to the store for the live object:
 * only what the live object gives is answered. A cached version newer than the pinned one is a
 * conflict for certain, since the cache never runs ahead of the store. Dry runs read the store.
 * A write that loses its compare gets the current object back from its txn's failure branch,
 * and the next attempt starts from that, as upstream's etcd3 store does (origStateIsCurrent),
 * without another read.
 */
export async function guaranteedUpdate(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  requestedRv: number | undefined,
  transform: (old: KObject) => KObject | Status,
  path: WritePath,
): Promise<KObject | Status> {
  const def = info.definition;
  const key = keyFor(info, name);
  let known = ctx.dryRun ? undefined : cachedState(ctx, info, name);
  for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
    const state = known ?? (await liveState(ctx, key));
    known = undefined;
    if ('failure' in state) return storageFailure(info, name, state.failure);
    const { object: old, live } = state;
    const oldRv = Number(old.metadata.resourceVersion);
    if (requestedRv !== undefined && requestedRv !== oldRv) {
      if (!live && requestedRv > oldRv) continue;
      return errors.conflict(qualifiedResource(info.resource), name);
    }
    const prepared = await prepareWrite(ctx, info, name, transform, path, old);
    if (prepared.kind === 'refused') {
      if (!live) continue;
      return prepared.status;
    }
    const { updated, txn } = prepared;
    if (ctx.dryRun) {
      txn?.rollback();
      return updated;
    }
    const deleting = isReadyToDelete(def, updated);
    if (deleting) txn?.rollback();
    const r = deleting
      ? await ctx.storage.delete<KObject>(key, oldRv)
      : await ctx.storage.update(key, updated, oldRv, ttlOf(ctx, info));
    if (!r.ok && r.failure.kind === 'conflict' && (requestedRv === undefined || !live)) {
      if (!deleting) txn?.rollback();
      known = conflictState(r.failure);
      continue;
    }
    const result = r.ok ? r.value : storageFailure(info, name, r.failure);
    if (deleting) await afterDelete(ctx.allocations, def, old, result);
    else txn?.settle(result);
    return result;
  }
  return errors.conflict(qualifiedResource(info.resource), name);
}

/**
 * What a read-modify-write attempt starts from: `live` when the store gave it (a read, or the
 * current object a conflicting write's txn read back, as upstream's origStateIsCurrent), not
 * when it is the watch cache's copy, which may be stale.
 */
interface KnownState {
  readonly object: KObject;
  readonly live: boolean;
}

function cachedState(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
): KnownState | undefined {
  const object = ctx.cached(info, name);
  return object === undefined || object === null ? undefined : { object, live: false };
}

async function liveState(
  ctx: RegistryContext,
  key: string,
): Promise<KnownState | { readonly failure: StorageFailure }> {
  const read = await ctx.storage.get<KObject>(key);
  return read.ok ? { object: read.value, live: true } : { failure: read.failure };
}

/** The object a conflicting write found, when the store sent it back: the next attempt's. */
function conflictState(failure: StorageFailure): KnownState | undefined {
  if (failure.kind !== 'conflict' || failure.current === undefined) return undefined;
  return { object: failure.current as KObject, live: true };
}

type PreparedWrite =
  | { readonly kind: 'refused'; readonly status: Status }
  | {
      readonly kind: 'ready';
      readonly updated: KObject;
      readonly txn: AllocationTxn | undefined;
    };

/**
 * One attempt's object to write, from `old`: transformed, decoded, admitted (mutating), guarded,
 * prepared, validated, tracked and admitted (validating); or the Status that refuses it.
 */
async function prepareWrite(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  transform: (old: KObject) => KObject | Status,
  path: WritePath,
  old: KObject,
): Promise<PreparedWrite> {
  const def = info.definition;
  const refused = (status: Status): PreparedWrite => ({ kind: 'refused', status });
  const transformed = transform(old);
  if (errors.isStatus(transformed)) return refused(transformed);
  const next = decodeObject(info, transformed);
  if (errors.isStatus(next)) return refused(next);
  const attributes = admissionAttributes(ctx, info, 'UPDATE', name, next, old);
  const admitting = ctx.admission.admit(attributes);
  const mutated = admitting instanceof Promise ? await admitting : admitting;
  warnAll(ctx, mutated.warnings);
  if (!mutated.ok) return refused(mutated.status);
  const guarded = ctx.guard(withObject(attributes, mutated.object));
  const guard = guarded instanceof Promise ? await guarded : guarded;
  if (guard !== undefined) return refused(guard);
  // Upstream's BeginUpdate runs for the main resource only.
  const txn = path.admit && def.allocation ? await ctx.allocations.begin() : undefined;
  const prepared = prepareForUpdate(ctx, def, path, mutated.object as KObject, old, txn);
  if (errors.isStatus(prepared)) {
    txn?.rollback();
    return refused(prepared);
  }
  const errs = path.strategy.validateUpdate(prepared, old);
  if (errs.length > 0) {
    txn?.rollback();
    return refused(errors.invalid(qualifiedKind(info.resource), name, errs));
  }
  const updated = path.managed === true ? prepared : trackWrite(ctx, info, old, prepared);
  const validating = ctx.admission.validate(withObject(attributes, updated));
  const validated = validating instanceof Promise ? await validating : validating;
  warnAll(ctx, validated.warnings);
  const among = !validated.ok
    ? validated.status
    : path.admit
      ? admitAmong(ctx, info, updated, 'update')
      : undefined;
  const forbidden = among instanceof Promise ? await among : among;
  if (forbidden !== undefined) {
    txn?.rollback();
    return refused(forbidden);
  }
  return { kind: 'ready', updated, txn };
}

/**
 * A system write of the subject (upstream's storage-level GuaranteedUpdate, as pod binding
 * uses it): no defaulting, strategy or validation, retried on conflicts. Like guaranteedUpdate
 * it starts from the watch cache's copy and answers a failure only from the live object.
 */
export async function storageUpdate(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  transform: (current: KObject) => KObject | Status,
): Promise<KObject | Status> {
  const key = keyFor(info, name);
  let known = cachedState(ctx, info, name);
  for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
    const state = known ?? (await liveState(ctx, key));
    known = undefined;
    if ('failure' in state) return storageFailure(info, name, state.failure);
    const { object: current, live } = state;
    const next = transform(current);
    if (errors.isStatus(next)) {
      if (!live) continue;
      return next;
    }
    const r = await ctx.storage.update(
      key,
      next,
      Number(current.metadata.resourceVersion),
      ttlOf(ctx, info),
    );
    if (!r.ok && r.failure.kind === 'conflict') {
      known = conflictState(r.failure);
      continue;
    }
    return r.ok ? r.value : storageFailure(info, name, r.failure);
  }
  return errors.conflict(qualifiedResource(info.resource), name);
}

/**
 * Decoding defaults, admission (main resource only), the path's PrepareForUpdate, then what no
 * client may change (upstream rest.BeforeUpdate): identity, creation and deletion stamps, and
 * generation, which grows by one when spec changed for kinds that track it.
 */
function prepareForUpdate(
  ctx: RequestContext,
  def: ResourceDefinition,
  path: WritePath,
  next: KObject,
  old: KObject,
  txn: AllocationTxn | undefined,
): KObject | Status {
  let obj = def.defaults(next);
  if (path.admit) obj = def.admit(obj);
  if (txn !== undefined && def.allocation !== undefined) {
    const allocated = def.allocation.update(txn, obj, old);
    if (errors.isStatus(allocated)) return allocated;
    obj = allocated;
  }
  obj = path.strategy.prepareForUpdate(obj, old, ctx.featureGates);
  const o = old.metadata;
  const meta: MutableMeta = {
    ...obj.metadata,
    name: o.name,
    namespace: o.namespace,
    uid: o.uid,
    creationTimestamp: o.creationTimestamp,
    deletionTimestamp: o.deletionTimestamp,
    deletionGracePeriodSeconds: o.deletionGracePeriodSeconds,
    generation: o.generation,
  };
  if (def.tracksGeneration) {
    meta.generation = (o.generation ?? 1) + (def.generationChanged(obj, old) ? 1 : 0);
  }
  for (const k of Object.keys(meta) as (keyof MutableMeta)[]) {
    if (meta[k] === undefined) delete meta[k];
  }
  return { ...obj, metadata: meta } as KObject;
}
