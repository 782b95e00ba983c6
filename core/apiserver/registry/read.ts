/**
 * get and list (upstream Store.Get and Store.List over the etcd3 storage): resourceVersion and
 * resourceVersionMatch as upstream reads them, and list paging with limit and continue.
 *
 * A get with resourceVersion "0" (any version) is answered by the resource's watch cache when
 * it runs, as upstream's Cacher.Get does, and by the store when it does not (upstream delegates
 * while its cache is not ready, ResilientWatchCacheInitialization). Every other read is served
 * by the store; a list at "0" gets the newest, as a whole list, as the watch cache would give it.
 */
import * as errors from '../../api/errors.ts';
import type { KList } from '../../api/meta-types.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { RequestInfo } from '../request-info.ts';
import { parseResourceVersion } from '../storage.ts';
import { decodeContinue, encodeContinue } from './continue-token.ts';
import { keyFor, prefixFor, storageFailure, type RegistryContext } from './context.ts';
import { DEFAULT_READ_OPTIONS, type ReadOptions } from './options.ts';
import { matches, type Selectors } from './selectors.ts';

export function getObject(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  read: ReadOptions = DEFAULT_READ_OPTIONS,
): Promise<KObject | Status> {
  return getObjectThen(ctx, info, name, read, (r) => r);
}

/**
 * `getObject`, with `then` applied to its answer in the same callback (the API server presents
 * a get's answer there): no promise and no microtask hop of its own per step.
 */
export function getObjectThen<R>(
  ctx: RegistryContext,
  info: RequestInfo,
  name: string,
  read: ReadOptions,
  then: (r: KObject | Status) => R,
): Promise<R> {
  const minRv = parseResourceVersion(read.resourceVersion);
  if (Number.isNaN(minRv)) return Promise.resolve(then(invalidVersion(read.resourceVersion)));
  if (minRv === 0) {
    const cached = ctx.cached(info, name);
    if (cached === null) {
      return Promise.resolve(then(storageFailure(info, name, { kind: 'not-found' })));
    }
    if (cached !== undefined) return Promise.resolve(then(cached));
  }
  return ctx.storage.getThen<KObject, R | Promise<R>>(keyFor(info, name), (r) => {
    if (!r.ok) return then(storageFailure(info, name, r.failure));
    const readRv = r.value.metadata.resourceVersion;
    // Checked here first: a get without a version (nearly all) then pays no async call.
    if (minRv === undefined || minRv <= Number(readRv)) return then(r.value);
    return checkNotOlderThan(ctx, info, minRv, readRv).then((tooLarge) =>
      then(tooLarge ?? r.value),
    );
  }) as Promise<R>;
}

function invalidVersion(rv: string | undefined): Status {
  return errors.badRequest(`invalid resourceVersion ${JSON.stringify(rv)}`);
}

/** A read at least as new as `minRv`: the store must have reached it (a 504 otherwise). */
async function checkNotOlderThan(
  ctx: RegistryContext,
  info: RequestInfo,
  minRv: number | undefined,
  readRv: string | undefined,
): Promise<Status | undefined> {
  if (minRv === undefined || minRv <= Number(readRv)) return undefined;
  const current = await ctx.storage.revision();
  if (!current.ok) return storageFailure(info, '', current.failure);
  return minRv > current.value ? errors.tooLargeResourceVersion(minRv, current.value) : undefined;
}

/** Where a list reads: at a version (Exact, a continue) or the newest, and from which key. */
interface ListPlan {
  readonly atRv: number | undefined;
  readonly minRv: number | undefined;
  readonly startKey: string | undefined;
  readonly limit: number;
}

function planList(info: RequestInfo, read: ReadOptions): ListPlan | Status {
  const rv = parseResourceVersion(read.resourceVersion);
  if (Number.isNaN(rv)) return invalidVersion(read.resourceVersion);
  if (read.continue !== undefined) {
    if (rv !== undefined && rv !== 0) {
      return errors.badRequest('specifying resource version is not allowed when using continue');
    }
    const token = decodeContinue(read.continue, prefixFor(info));
    if (errors.isStatus(token)) return token;
    return { atRv: token.rv, minRv: undefined, startKey: token.startKey, limit: read.limit };
  }
  if (rv === undefined)
    return { atRv: undefined, minRv: undefined, startKey: undefined, limit: read.limit };
  // Any version: the whole list, as the watch cache serves it (limit ignored).
  if (rv === 0) return { atRv: undefined, minRv: undefined, startKey: undefined, limit: 0 };
  // A version without a match is Exact when paging (the first page pins the snapshot).
  const exact =
    read.resourceVersionMatch === 'Exact' ||
    (read.resourceVersionMatch === undefined && read.limit > 0);
  return exact
    ? { atRv: rv, minRv: undefined, startKey: undefined, limit: read.limit }
    : { atRv: undefined, minRv: rv, startKey: undefined, limit: read.limit };
}

/**
 * The matching objects of the request's namespace (or all): a page of at most `limit` when
 * asked, with a continue token for the rest that reads the same snapshot. Selectors filter
 * inside the page, so the store is read on until the page is full or the range ends.
 */
export async function listObjects(
  ctx: RegistryContext,
  info: RequestInfo,
  sel: Selectors,
  read: ReadOptions = DEFAULT_READ_OPTIONS,
): Promise<KList<KObject> | Status> {
  const plan = planList(info, read);
  if (errors.isStatus(plan)) return plan;
  const prefix = prefixFor(info);
  const items: KObject[] = [];
  let atRv = plan.atRv;
  let startKey = plan.startKey;
  let listRv: string | undefined;
  let next: string | undefined;
  let remaining: number | undefined;
  for (;;) {
    const want = plan.limit === 0 ? 0 : plan.limit - items.length;
    const r = await ctx.storage.list<KObject>(prefix, { atRv, startKey, limit: want });
    if (!r.ok) return listFailure(info, r.failure, plan, read);
    // The snapshot of the first read is the list's version; later pages read at it.
    listRv ??= atRv === undefined ? r.value.resourceVersion : String(atRv);
    atRv ??= Number(listRv);
    const page = r.value;
    let last: string | undefined;
    for (let i = 0; i < page.items.length; i++) {
      const obj = page.items[i] as KObject;
      last = page.keys[i];
      if (matches(info.definition, obj, sel)) items.push(obj);
    }
    if (!page.more || last === undefined) break;
    startKey = `${last}\0`;
    if (items.length >= plan.limit) {
      next = startKey;
      // Upstream counts what is left only when nothing is filtered.
      if (sel.labels === undefined && sel.fields === undefined) {
        remaining = page.count - page.items.length;
      }
      break;
    }
  }
  const tooLarge = await checkNotOlderThan(ctx, info, plan.minRv, listRv);
  if (tooLarge !== undefined) return tooLarge;
  return {
    apiVersion: info.resource.apiVersion,
    kind: info.resource.listKind,
    metadata: {
      resourceVersion: listRv,
      ...(next === undefined ? {} : { continue: encodeContinue(Number(listRv), next, prefix) }),
      ...(remaining === undefined ? {} : { remainingItemCount: remaining }),
    },
    items,
  };
}

/** A version compacted away: the list's own 410 wording, or the continue token's. */
function listFailure(
  info: RequestInfo,
  failure: Parameters<typeof storageFailure>[2],
  plan: ListPlan,
  read: ReadOptions,
): Status {
  if (failure.kind !== 'compacted') return storageFailure(info, '', failure);
  if (read.continue !== undefined) {
    return errors.expired(
      'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
    );
  }
  return plan.atRv === undefined
    ? storageFailure(info, '', failure)
    : errors.expired('The resourceVersion for the provided list is too old.');
}
