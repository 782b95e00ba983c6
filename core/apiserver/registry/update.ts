/**
 * update (upstream Store.Update with rest.BeforeUpdate) and the read-modify-write under every
 * write to an existing object (GuaranteedUpdate).
 */
import * as errors from '../../api/errors.ts';
import type { ResourceDefinition, UpdateStrategy } from '../../api/kinds/index.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { deepEqual } from '../../api/meta-validation.ts';
import { qualifiedKind, qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import { admissionAttributes } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion } from '../storage.ts';
import { checkBody } from './body.ts';
import { keyFor, MAX_INTERNAL_RETRIES, storageFailure, type RegistryContext } from './context.ts';
import { isReadyToDelete } from './deletion.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/** How a write reaches an object: the main resource or a subresource with its own strategy. */
export interface WritePath {
  readonly strategy: UpdateStrategy<KObject>;
  /** Built-in mutating admission runs only for the main resource. */
  readonly admit: boolean;
}

export function mainPath(definition: ResourceDefinition): WritePath {
  return { strategy: definition.update, admit: true };
}

/** PUT of a whole object through `path`. */
export async function updateObject(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  body: unknown,
  path: WritePath,
): Promise<KObject | Status> {
  const shaped = checkBody(info, body, name);
  if (errors.isStatus(shaped)) return shaped;
  const requestedRv = parseResourceVersion(shaped.metadata.resourceVersion);
  if (Number.isNaN(requestedRv)) {
    return errors.badRequest(
      `invalid resourceVersion ${JSON.stringify(shaped.metadata.resourceVersion)}`,
    );
  }
  if (requestedRv === undefined && !info.definition.allowUnconditionalUpdate) {
    return errors.invalid(qualifiedKind(info.resource), name, [
      {
        type: 'FieldValueRequired',
        field: 'metadata.resourceVersion',
        detail: 'must be specified for an update',
      },
    ]);
  }
  return guaranteedUpdate(ctx, info, name, requestedRv, () => shaped, path);
}

/**
 * Reads, transforms, prepares and validates through `path`, and writes with the read version as
 * precondition. A conflict caused by a concurrent writer is retried unless the client pinned a
 * resourceVersion (then the 409 is the client's to handle). An update that leaves a deleted
 * object with nothing holding it deletes it (ShouldDeleteDuringUpdate).
 */
export async function guaranteedUpdate(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  requestedRv: number | undefined,
  transform: (old: KObject) => KObject | Status,
  path: WritePath,
): Promise<KObject | Status> {
  const def = info.definition;
  const key = keyFor(info, name);
  for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
    const current = await ctx.storage.get<KObject>(key);
    if (!current.ok) return storageFailure(info, name, current.failure);
    const old = current.value;
    const oldRv = Number(old.metadata.resourceVersion);
    if (requestedRv !== undefined && requestedRv !== oldRv) {
      return errors.conflict(qualifiedResource(info.resource), name);
    }
    const next = transform(old);
    if (errors.isStatus(next)) return next;
    const mutated = await ctx.admission.admit(admissionAttributes(info, 'UPDATE', name, next, old));
    for (const w of mutated.warnings) info.context.warn(w);
    if (!mutated.ok) return mutated.status;
    const updated = prepareForUpdate(def, path, mutated.object as KObject, old);
    const errs = path.strategy.validateUpdate(updated, old);
    if (errs.length > 0) return errors.invalid(qualifiedKind(info.resource), name, errs);
    const validated = await ctx.admission.validate(
      admissionAttributes(info, 'UPDATE', name, updated, old),
    );
    for (const w of validated.warnings) info.context.warn(w);
    if (!validated.ok) return validated.status;
    const r = isReadyToDelete(def, updated)
      ? await ctx.storage.delete<KObject>(key, oldRv)
      : await ctx.storage.update(key, updated, oldRv);
    if (!r.ok && r.failure.kind === 'conflict' && requestedRv === undefined) continue;
    return r.ok ? r.value : storageFailure(info, name, r.failure);
  }
  return errors.conflict(qualifiedResource(info.resource), name);
}

/**
 * A system write of the subject (upstream's storage-level GuaranteedUpdate, as pod binding
 * uses it): no defaulting, strategy or validation, retried on conflicts.
 */
export async function storageUpdate(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  transform: (current: KObject) => KObject | Status,
): Promise<KObject | Status> {
  const key = keyFor(info, name);
  for (let attempt = 0; attempt < MAX_INTERNAL_RETRIES; attempt++) {
    const current = await ctx.storage.get<KObject>(key);
    if (!current.ok) return storageFailure(info, name, current.failure);
    const next = transform(current.value);
    if (errors.isStatus(next)) return next;
    const r = await ctx.storage.update(key, next, Number(current.value.metadata.resourceVersion));
    if (!r.ok && r.failure.kind === 'conflict') continue;
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
  def: ResourceDefinition,
  path: WritePath,
  next: KObject,
  old: KObject,
): KObject {
  let obj = def.defaults(next);
  if (path.admit) obj = def.admit(obj);
  obj = path.strategy.prepareForUpdate(obj, old);
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
    const spec = (x: KObject): unknown => (x as { spec?: unknown }).spec;
    meta.generation = (o.generation ?? 1) + (deepEqual(spec(obj), spec(old)) ? 0 : 1);
  }
  for (const k of Object.keys(meta) as (keyof MutableMeta)[]) {
    if (meta[k] === undefined) delete meta[k];
  }
  return { ...obj, metadata: meta } as KObject;
}
