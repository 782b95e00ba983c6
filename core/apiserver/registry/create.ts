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
import { admissionAttributes } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
import { admitAmong } from './admit-among.ts';
import { checkEnvelope, decodeObject, storedBody } from './body.ts';
import { keyFor, storageFailure, ttlOf, type RequestContext } from './context.ts';
import { checkFields, trackWrite } from './fields.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

/**
 * How many names a create with generateName tries before giving up (upstream's
 * RetryGenerateName, GA in 1.32: eight attempts, then a 500 ServerTimeout).
 */
const GENERATE_NAME_ATTEMPTS = 8;

/**
 * Creates `body`. `managed`: the body already carries the managedFields of the write (a
 * server-side apply that creates), so the Update tracking is skipped.
 */
export async function createObject(
  ctx: RequestContext,
  info: RequestInfo,
  body: unknown,
  managed = false,
): Promise<KObject | Status> {
  const shaped = checkEnvelope(info, body, undefined);
  if (errors.isStatus(shaped)) return shaped;
  const fielded = checkFields(ctx, info, shaped);
  if (errors.isStatus(fielded)) return fielded;
  const decoded = decodeObject(info, storedBody(info, fielded));
  if (errors.isStatus(decoded)) return decoded;
  const generated = !decoded.metadata.name && !!decoded.metadata.generateName;
  for (let attempt = 0; attempt < GENERATE_NAME_ATTEMPTS; attempt++) {
    const r = await createOnce(ctx, info, decoded, managed, generated);
    if (!generated || !errors.hasReason(r, 'AlreadyExists')) return r;
  }
  return errors.serverTimeout(qualifiedResource(info.resource), 'POST', 0);
}

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
  const mutated = await ctx.admission.admit(
    admissionAttributes(ctx, info, 'CREATE', meta.name ?? '', defaulted, undefined),
  );
  for (const w of mutated.warnings) ctx.warn(w);
  if (!mutated.ok) return mutated.status;
  const guarded = ctx.guard(
    admissionAttributes(ctx, info, 'CREATE', meta.name ?? '', mutated.object, undefined),
  );
  const refused = guarded instanceof Promise ? await guarded : guarded;
  if (refused !== undefined) return refused;
  // FillObjectMetaSystemFields runs before the strategy: a Job's generated selector names its uid.
  const admitted = mutated.object as KObject;
  const system = { uid: uid(ctx.random), creationTimestamp: formatTime(ctx.clock.now()) };
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
  const validated = await ctx.admission.validate(
    admissionAttributes(ctx, info, 'CREATE', name, obj, undefined),
  );
  for (const w of validated.warnings) ctx.warn(w);
  const forbidden = validated.ok ? await admitAmong(ctx, info, obj, 'create') : validated.status;
  if (forbidden !== undefined) {
    txn?.rollback();
    return forbidden;
  }
  const stamped: MutableMeta = { ...obj.metadata, ...system };
  delete stamped.resourceVersion;
  delete stamped.deletionTimestamp;
  delete stamped.deletionGracePeriodSeconds;
  if (def.tracksGeneration) stamped.generation = 1;
  let created = { ...obj, metadata: stamped } as KObject;
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
