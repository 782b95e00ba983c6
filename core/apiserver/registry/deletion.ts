/**
 * delete and deletecollection (upstream Store.Delete with rest.BeforeDelete, and
 * Store.DeleteCollection): preconditions, graceful deletion as the kind's rules say, and
 * finalizers, which hold a deleted object until an update removes the last of them. The
 * propagation policy is recorded for the garbage collector as upstream records it: Orphan adds
 * the `orphan` finalizer, Foreground `foregroundDeletion`, Background neither.
 */
import * as errors from '../../api/errors.ts';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../api/meta.ts';
import type { ResourceDefinition } from '../../api/kinds/index.ts';
import type { DeleteOptions, KList, ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import { assert } from '../../util/assert.ts';
import { admissionAttributes } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
import { afterDelete } from './allocations.ts';
import {
  keyFor,
  MAX_INTERNAL_RETRIES,
  storageFailure,
  ttlOf,
  warnAll,
  type RequestContext,
} from './context.ts';
import { listObjects } from './read.ts';
import type { Selectors } from './selectors.ts';

const US_PER_SECOND = 1_000_000;

type DeletionPlan =
  | { readonly action: 'delete' }
  | { readonly action: 'none' }
  | { readonly action: 'mark'; readonly obj: KObject };

/** Deletes, marks for deletion, or leaves alone; answers with the object as it now is. */
export async function deleteObject(
  ctx: RequestContext,
  info: RequestInfo,
  name: string,
  options: DeleteOptions,
): Promise<KObject | Status> {
  const key = keyFor(info, name);
  for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
    const current = await ctx.storage.get<KObject>(key);
    if (!current.ok) return storageFailure(info, name, current.failure);
    const obj = current.value;
    const precondition = checkPreconditions(info, name, obj, options);
    if (precondition !== undefined) return precondition;
    const validating = ctx.admission.validate(
      admissionAttributes(ctx, info, 'DELETE', name, undefined, obj),
    );
    const validated = validating instanceof Promise ? await validating : validating;
    warnAll(ctx, validated.warnings);
    if (!validated.ok) return validated.status;
    const rv = Number(obj.metadata.resourceVersion);
    const plan = deletionPlan(info.definition, obj, options, ctx.clock.now());
    if (plan.action === 'none') return obj;
    if (ctx.dryRun) return plan.action === 'mark' ? plan.obj : obj;
    const r =
      plan.action === 'mark'
        ? await ctx.storage.update(key, plan.obj, rv, ttlOf(ctx, info))
        : await ctx.storage.delete<KObject>(key, rv);
    if (!r.ok && r.failure.kind === 'conflict') continue;
    const result = r.ok ? r.value : storageFailure(info, name, r.failure);
    if (plan.action === 'delete') await afterDelete(ctx.allocations, info.definition, obj, result);
    return result;
  }
  return errors.conflict(qualifiedResource(info.resource), name);
}

/**
 * Deletes every object the selectors match, one by one with the normal delete and the same
 * options; an object gone meanwhile is skipped, any other failure ends the request. Answers
 * with the list as it was read, as upstream does.
 */
export async function deleteCollection(
  ctx: RequestContext,
  info: RequestInfo,
  sel: Selectors,
  options: DeleteOptions,
): Promise<KList<KObject> | Status> {
  const list = await listObjects(ctx, info, sel);
  if (errors.isStatus(list)) return list;
  for (const item of list.items) {
    const name = item.metadata.name ?? '';
    const itemInfo = { ...info, namespace: item.metadata.namespace, name };
    const r = await deleteObject(ctx, itemInfo, name, options);
    if (errors.isStatus(r) && r.reason !== 'NotFound') return r;
  }
  return list;
}

/**
 * An object whose deletion waited only for finalizers (or a grace period of 0) and has nothing
 * holding it any more (upstream ShouldDeleteDuringUpdate).
 */
export function isReadyToDelete(def: ResourceDefinition, obj: KObject): boolean {
  return (
    obj.metadata.deletionTimestamp !== undefined &&
    (obj.metadata.deletionGracePeriodSeconds ?? 0) === 0 &&
    !isHeld(def, obj)
  );
}

function isHeld(def: ResourceDefinition, obj: KObject): boolean {
  return (
    (obj.metadata.finalizers?.length ?? 0) > 0 || def.deletion.pendingFinalizers(obj).length > 0
  );
}

/**
 * rest.BeforeDelete: a first delete marks the object when it gets a grace period or something
 * holds it, and deletes it otherwise; a repeated delete may only shorten a pending grace period.
 */
function deletionPlan(
  def: ResourceDefinition,
  stored: KObject,
  options: DeleteOptions,
  nowUs: number,
): DeletionPlan {
  const gcFinalizers = finalizersForGarbageCollection(stored.metadata, options);
  const obj =
    gcFinalizers === undefined
      ? stored
      : ({ ...stored, metadata: { ...stored.metadata, finalizers: gcFinalizers } } as KObject);
  const held = isHeld(def, obj);
  const meta = obj.metadata;
  if (meta.deletionTimestamp === undefined) {
    const grace = def.deletion.gracePeriodSeconds(obj, options.gracePeriodSeconds);
    if (grace === 0 && !held) return { action: 'delete' };
    const marked = withDeletion(obj, nowUs + grace * US_PER_SECOND, grace);
    return { action: 'mark', obj: def.deletion.markDeleting(marked) };
  }
  // Already deleting: a new policy still changes the finalizers (updateForGracefulDeletion...).
  const changed: DeletionPlan =
    gcFinalizers === undefined ? { action: 'none' } : { action: 'mark', obj };
  const pending = meta.deletionGracePeriodSeconds ?? 0;
  if (pending === 0) return held ? changed : { action: 'delete' };
  const requested = options.gracePeriodSeconds;
  if (requested === undefined || requested >= pending) return changed;
  if (requested <= 0 && !held) return { action: 'delete' };
  const since = parseTime(meta.deletionTimestamp);
  assert(since !== undefined, `stored deletionTimestamp ${meta.deletionTimestamp} is malformed`);
  const grace = Math.max(requested, 0);
  const startUs = since - pending * US_PER_SECOND;
  return { action: 'mark', obj: withDeletion(obj, startUs + grace * US_PER_SECOND, grace) };
}

/**
 * Marks `obj` deleted at `atUs`. The first mark bumps a tracked generation, since the
 * object's controllers must now stop acting on it (rest.BeforeDelete, markAsDeleting).
 */
function withDeletion(obj: KObject, atUs: number, graceSeconds: number): KObject {
  const meta = obj.metadata;
  const generation = meta.generation;
  const bump = meta.deletionTimestamp === undefined && generation !== undefined && generation > 0;
  return {
    ...obj,
    metadata: {
      ...meta,
      deletionTimestamp: formatTime(atUs),
      deletionGracePeriodSeconds: graceSeconds,
      ...(bump ? { generation: generation + 1 } : {}),
    },
  } as KObject;
}

export { FINALIZER_FOREGROUND, FINALIZER_ORPHAN };

/**
 * deletionFinalizersForGarbageCollection: the finalizers `options` ask for, or undefined when
 * they stay as they are. An explicit policy (or orphanDependents) wins over a finalizer the
 * object already has; without either, the object's own finalizer stands (every kind here
 * defaults to Background, upstream's default for the stable API versions).
 */
export function finalizersForGarbageCollection(
  meta: ObjectMeta,
  options: DeleteOptions,
): readonly string[] | undefined {
  const current = meta.finalizers ?? [];
  let orphan = current.includes(FINALIZER_ORPHAN);
  let foreground = current.includes(FINALIZER_FOREGROUND) && !orphan;
  if (options.orphanDependents !== undefined) {
    orphan = options.orphanDependents;
    foreground = false;
  } else if (options.propagationPolicy !== undefined) {
    orphan = options.propagationPolicy === 'Orphan';
    foreground = options.propagationPolicy === 'Foreground';
  } else return undefined;
  const next = current.filter((f) => f !== FINALIZER_ORPHAN && f !== FINALIZER_FOREGROUND);
  if (orphan) next.push(FINALIZER_ORPHAN);
  if (foreground) next.push(FINALIZER_FOREGROUND);
  const same = next.length === current.length && next.every((f) => current.includes(f));
  return same ? undefined : next;
}

function checkPreconditions(
  info: RequestInfo,
  name: string,
  obj: KObject,
  options: DeleteOptions,
): Status | undefined {
  const p = options.preconditions;
  const resource = qualifiedResource(info.resource);
  if (p?.uid !== undefined && p.uid !== obj.metadata.uid) {
    return errors.conflict(
      resource,
      name,
      `Precondition failed: UID in precondition: ${p.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`,
    );
  }
  if (p?.resourceVersion !== undefined && p.resourceVersion !== obj.metadata.resourceVersion) {
    return errors.conflict(
      resource,
      name,
      `Precondition failed: ResourceVersion in precondition: ${p.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
  }
  return undefined;
}
