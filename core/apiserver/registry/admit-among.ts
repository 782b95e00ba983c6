/**
 * Validating admission that reads the collection (a definition's `admitAmong`): the request's
 * scope is listed, the definition names a reason, and the write is refused with 403 as
 * upstream's admission.NewForbidden refuses it. Like upstream's listers, the check reads a state
 * that a concurrent write may change before this one lands.
 */
import * as errors from '../../api/errors.ts';
import { qualifiedResource } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { prefixFor, storageFailure, type RegistryContext } from './context.ts';

export async function admitAmong(
  ctx: RegistryContext,
  info: RequestInfo,
  obj: KObject,
  operation: 'create' | 'update',
): Promise<Status | undefined> {
  const check = info.definition.admitAmong;
  if (check === undefined) return undefined;
  const name = obj.metadata.name ?? '';
  const existing = await ctx.storage.list<KObject>(prefixFor(info));
  if (!existing.ok) return storageFailure(info, name, existing.failure);
  const reason = check(obj, existing.value.items, operation);
  return reason === undefined
    ? undefined
    : errors.forbidden(qualifiedResource(info.resource), name, reason);
}
