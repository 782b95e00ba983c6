/**
 * create (upstream Store.Create with rest.BeforeCreate): the system fields, decoding defaults,
 * admission, PrepareForCreate, validation, then the namespace's existence.
 */
import * as errors from '../../api/errors.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedKind } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import { formatTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import { nameSuffix, uid } from '../../ports/random.ts';
import { checkNamespaceAdmits } from '../namespaces.ts';
import type { RequestInfo } from '../request-info.ts';
import { admitAmong } from './admit-among.ts';
import { checkBody } from './body.ts';
import { keyFor, storageFailure, type RegistryContext } from './context.ts';

type MutableMeta = { -readonly [K in keyof ObjectMeta]: ObjectMeta[K] };

export async function createObject(
  ctx: RegistryContext,
  info: RequestInfo,
  body: unknown,
): Promise<KObject | Status> {
  const def = info.definition;
  const shaped = checkBody(info, body, undefined);
  if (errors.isStatus(shaped)) return shaped;
  const meta: MutableMeta = { ...shaped.metadata };
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${nameSuffix(ctx.random)}`;
  // FillObjectMetaSystemFields runs before the strategy: a Job's generated selector names its uid.
  meta.uid = uid(ctx.random);
  meta.creationTimestamp = formatTime(ctx.clock.now());
  let obj = def.admit(def.defaults({ ...shaped, metadata: meta } as KObject));
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
  obj = def.prepareForCreate(obj);
  const name = obj.metadata.name ?? '';
  const errs = def.validate(obj);
  if (errs.length > 0) {
    txn?.rollback();
    return errors.invalid(qualifiedKind(info.resource), name, errs);
  }
  if (info.resource.namespaced) {
    const refused = await checkNamespaceAdmits(ctx, info, obj.metadata.namespace ?? '', name);
    if (refused !== undefined) {
      txn?.rollback();
      return refused;
    }
  }
  const forbidden = await admitAmong(ctx, info, obj, 'create');
  if (forbidden !== undefined) {
    txn?.rollback();
    return forbidden;
  }
  const stamped: MutableMeta = {
    ...obj.metadata,
    uid: meta.uid,
    creationTimestamp: meta.creationTimestamp,
  };
  delete stamped.resourceVersion;
  delete stamped.deletionTimestamp;
  delete stamped.deletionGracePeriodSeconds;
  if (def.tracksGeneration) stamped.generation = 1;
  const r = await ctx.storage.create(keyFor(info, name), { ...obj, metadata: stamped } as KObject);
  const result = r.ok ? r.value : storageFailure(info, name, r.failure);
  return txn === undefined ? result : txn.settle(result);
}
