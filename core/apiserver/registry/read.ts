/** get and list (upstream Store.Get and Store.List). */
import type { KList } from '../../api/meta-types.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { keyFor, prefixFor, storageFailure, type RegistryContext } from './context.ts';
import { matches, type Selectors } from './selectors.ts';

export async function getObject(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
): Promise<KObject | Status> {
  const r = await ctx.storage.get<KObject>(keyFor(info, name));
  return r.ok ? r.value : storageFailure(info, name, r.failure);
}

/** The matching objects of the request's namespace (or all), at `atRv` if given. */
export async function listObjects(
  ctx: RegistryContext,
  info: RequestInfo,
  sel: Selectors,
  atRv: number | undefined,
): Promise<KList<KObject> | Status> {
  const r = await ctx.storage.list<KObject>(prefixFor(info), atRv);
  if (!r.ok) return storageFailure(info, '', r.failure);
  return {
    apiVersion: info.resource.apiVersion,
    kind: info.resource.listKind,
    metadata: { resourceVersion: r.value.resourceVersion },
    items: r.value.items.filter((o) => matches(info.definition, o, sel)),
  };
}
