/**
 * create (upstream's create handler and Store.Create with rest.BeforeCreate): decoding
 * defaults, mutating admission, PrepareForCreate, validation, validating admission (the
 * namespace's existence among it), then the system fields.
 */
import * as errors from '../../api/errors.ts';
import type { ObjectMeta } from '../../api/meta-types.ts';
import { qualifiedKind } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import { formatTime } from '../../api/time.ts';
import type { KObject } from '../../api/types.ts';
import { nameSuffix, uid } from '../../ports/random.ts';
import { admissionAttributes } from '../admission/request-attributes.ts';
import type { RequestInfo } from '../request-info.ts';
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
  const defaulted = def.defaults({ ...shaped, metadata: meta } as KObject);
  const mutated = await ctx.admission.admit(
    admissionAttributes(info, 'CREATE', meta.name ?? '', defaulted, undefined),
  );
  for (const w of mutated.warnings) info.context.warn(w);
  if (!mutated.ok) return mutated.status;
  const obj = def.prepareForCreate(def.admit(mutated.object as KObject));
  const name = obj.metadata.name ?? '';
  const errs = def.validate(obj);
  if (errs.length > 0) return errors.invalid(qualifiedKind(info.resource), name, errs);
  const validated = await ctx.admission.validate(
    admissionAttributes(info, 'CREATE', name, obj, undefined),
  );
  for (const w of validated.warnings) info.context.warn(w);
  if (!validated.ok) return validated.status;
  const stamped: MutableMeta = {
    ...obj.metadata,
    uid: uid(ctx.random),
    creationTimestamp: formatTime(ctx.clock.now()),
  };
  delete stamped.resourceVersion;
  delete stamped.deletionTimestamp;
  delete stamped.deletionGracePeriodSeconds;
  if (def.tracksGeneration) stamped.generation = 1;
  const r = await ctx.storage.create(keyFor(info, name), { ...obj, metadata: stamped } as KObject);
  return r.ok ? r.value : storageFailure(info, name, r.failure);
}
