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

export function admitAmong(
  ctx: RegistryContext,
  info: RequestInfo,
  obj: KObject,
  operation: 'create' | 'update',
): Status | undefined | Promise<Status | undefined> {
  const check = info.definition.admitAmong;
  // Most kinds have no such check: answered at once, without a promise.
  if (check === undefined) return undefined;
  return checkAmong(ctx, info, obj, operation, check);
}

async function checkAmong(
  ctx: RegistryContext,
  info: RequestInfo,
  obj: KObject,
  operation: 'create' | 'update',
  check: NonNullable<RequestInfo['definition']['admitAmong']>,
): Promise<Status | undefined> {
  const name = obj.metadata.name ?? '';
  const existing = await ctx.storage.list<KObject>(prefixFor(info));
  if (!existing.ok) return storageFailure(info, name, existing.failure);
  const reason = check(obj, existing.value.items, operation);
  return reason === undefined
    ? undefined
    : errors.forbidden(qualifiedResource(info.resource), name, reason);
}
