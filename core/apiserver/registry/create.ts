/**
 * create (upstream's create handler and Store.Create with rest.BeforeCreate): decoding
 * defaults, mutating admission, the system fields, range allocation (BeginCreate),
 * PrepareForCreate, validation, validating admission (the namespace's existence among it).
 */
import * as errors from '../../api/errors.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedKind, qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import { formatTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import { nameSuffix, uid } from '../../ports/random.ts';
import { admissionAttributes, withObject } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
import { admitAmong } from './admit-among.ts';
import { checkEnvelope, decodeObject, storedBody } from './body.ts';
import { keyFor, storageFailure, ttlOf, warnAll, type RequestContext } from './context.ts';
import { checkFields, trackWrite } from './fields.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/**
 * The creationTimestamp of a create at `nowUs`: RFC3339 to the second, so every create in the
 * same virtual second has the same text; the last one is kept rather than formatted again.
 */
let lastSecond = Number.NaN;
let lastTimestamp = '';
function creationTimestamp(nowUs: number): string {
  const second = Math.floor(nowUs / 1_000_000);
  if (second !== lastSecond) {
    lastTimestamp = formatTime(nowUs);
    lastSecond = second;
  }
  return lastTimestamp;
}

/**
 * How many names a create with generateName tries before giving up (upstream's
 * RetryGenerateName, GA in 1.32: eight attempts, then a 500 ServerTimeout).
 */
const GENERATE_NAME_ATTEMPTS = 8;

/**
 * Creates `body`. `managed`: the body already carries the managedFields of the write (a
 * server-side apply that creates), so the Update tracking is skipped.
 */
export function createObject(
  ctx: RequestContext,
  info: RequestInfo,
  body: unknown,
  managed = false,
): KObject | Status | Promise<KObject | Status> {
  const shaped = checkEnvelope(info, body, undefined);
  if (errors.isStatus(shaped)) return shaped;
  const fielded = checkFields(ctx, info, shaped);
  if (errors.isStatus(fielded)) return fielded;
  const decoded = decodeObject(info, storedBody(info, fielded));
  if (errors.isStatus(decoded)) return decoded;
  const generated = !decoded.metadata.name && !!decoded.metadata.generateName;
  // A named create is tried once: its answer is createOnce's, with no step of its own between.
  if (!generated) return createOnce(ctx, info, decoded, managed, false);
  return createGenerated(ctx, info, decoded, managed);
}

/**
 * The object to store: the system fields win; the version and deletion fields are the store's
 * to set; a kind that tracks its generation starts at 1. The object itself when it already is
 * that (as it is unless a strategy or hook set one of those fields): a copy changes nothing
 * then, not even the order of its members.
 */
function stamp(
  obj: KObject,
  system: { readonly uid: string; readonly creationTimestamp: string },
  tracksGeneration: boolean,
): KObject {
  const m = obj.metadata;
  if (
    !('resourceVersion' in m) &&
    !('deletionTimestamp' in m) &&
    !('deletionGracePeriodSeconds' in m) &&
    m.uid === system.uid &&
    m.creationTimestamp === system.creationTimestamp &&
    (!tracksGeneration || m.generation === 1)
  ) {
    return obj;
  }
  const {
    resourceVersion: _version,
    deletionTimestamp: _deleted,
    deletionGracePeriodSeconds: _grace,
    ...kept
  } = m;
  const stamped: MutableMeta = { ...kept, ...system };
  if (tracksGeneration) stamped.generation = 1;
  return { ...obj, metadata: stamped } as KObject;
}

/** A create with generateName: another name while the one drawn exists. */
async function createGenerated(
  ctx: RequestContext,
  info: RequestInfo,
  decoded: KObject,
  managed: boolean,
): Promise<KObject | Status> {
  for (let attempt = 0; attempt < GENERATE_NAME_ATTEMPTS; attempt++) {
    const r = await createOnce(ctx, info, decoded, managed, true);
    if (!errors.hasReason(r, 'AlreadyExists')) return r;
  }
  return errors.serverTimeout(qualifiedResource(info.resource), 'POST', 0);
}

/**
 * One attempt. Every step that may answer later (admission, the write guard, range allocation,
 * the collection check) is awaited only when it did not answer at once: an `await` of a value
 * still costs a microtask hop, and most creates wait for nothing but the store.
 */
async function createOnce(
  ctx: RequestContext,
  info: RequestInfo,
  shaped: KObject,
  managed: boolean,
  generated: boolean,
): Promise<KObject | Status> {
  const def = info.definition;
  const meta: MutableMeta = { ...shaped.metadata };
  if (generated) meta.name = `${meta.generateName}${nameSuffix(ctx.random)}`;
  const defaulted = def.defaults({ ...shaped, metadata: meta } as KObject);
  const attributes = admissionAttributes(
    ctx,
    info,
    'CREATE',
    meta.name ?? '',
    defaulted,
    undefined,
  );
  const admitting = ctx.admission.admit(attributes);
  const mutated = admitting instanceof Promise ? await admitting : admitting;
  warnAll(ctx, mutated.warnings);
  if (!mutated.ok) return mutated.status;
  const guarded = ctx.guard(withObject(attributes, mutated.object));
  const refused = guarded instanceof Promise ? await guarded : guarded;
  if (refused !== undefined) return refused;
  // FillObjectMetaSystemFields runs before the strategy: a Job's generated selector names its uid.
  const admitted = mutated.object as KObject;
  const system = { uid: uid(ctx.random), creationTimestamp: creationTimestamp(ctx.clock.now()) };
  let obj = def.admit({ ...admitted, metadata: { ...admitted.metadata, ...system } } as KObject);
  // Upstream's BeginCreate: values from the kind's ranges, before PrepareForCreate.
  const txn = def.allocation === undefined ? undefined : await ctx.allocations.begin();
  if (txn !== undefined && def.allocation !== undefined) {
    const allocated = def.allocation.create(txn, obj);
    if (errors.isStatus(allocated)) {
      txn.rollback();
      return allocated;
    }
    obj = allocated;
  }
  obj = def.prepareForCreate(obj, ctx.featureGates, info.user);
  const name = obj.metadata.name ?? '';
  const errs = def.validate(obj);
  if (errs.length > 0) {
    txn?.rollback();
    return errors.invalid(qualifiedKind(info.resource), name, errs);
  }
  const validating = ctx.admission.validate({ ...attributes, name, object: obj });
  const validated = validating instanceof Promise ? await validating : validating;
  warnAll(ctx, validated.warnings);
  const among = validated.ok ? admitAmong(ctx, info, obj, 'create') : validated.status;
  const forbidden = among instanceof Promise ? await among : among;
  if (forbidden !== undefined) {
    txn?.rollback();
    return forbidden;
  }
  let created = stamp(obj, system, def.tracksGeneration === true);
  if (!managed) created = trackWrite(ctx, info, undefined, created);
  const key = keyFor(info, name);
  if (ctx.dryRun) {
    // Upstream's DryRunnableStorage: the existence check is all that touches the store, and
    // the values allocated for the answer go back to their ranges.
    txn?.rollback();
    const existing = await ctx.storage.get<KObject>(key);
    if (existing.ok) return errors.alreadyExists(qualifiedResource(info.resource), name);
    if (existing.failure.kind !== 'not-found') return storageFailure(info, name, existing.failure);
    return created;
  }
  const r = await ctx.storage.create(key, created, ttlOf(ctx, info));
  const result = r.ok ? r.value : storageFailure(info, name, r.failure);
  return txn === undefined ? result : txn.settle(result);
}
