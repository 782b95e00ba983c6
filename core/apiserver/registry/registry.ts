/**
 * The generic REST registry (upstream registry/generic/registry.Store) for every resource the
 * kind definitions describe. It reads definitions only: what differs between kinds is in
 * core/api/kinds, and each verb's logic is in this folder (create, read, update, patch,
 * deletion, subresources). Each call takes the request's context (its options and warnings);
 * without one it runs with the defaults, as the server's own requests do.
 */
import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../../api/feature-gates.ts';
import * as errors from '../../api/errors.ts';
import type { ApiResponse } from '../../api/http.ts';
import type { DeleteOptions } from '../../api/meta-types.ts';
import type { RangeConfig, TokenIssuer } from '../../api/kinds/index.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { AdmissionChain } from '../admission/chain.ts';
import type { RequestInfo } from '../request-info.ts';
import type { ObjectStorage } from '../storage.ts';
import { createAs } from './actions.ts';
import { RangeAllocations } from './allocations.ts';
import {
  ALLOW_WRITES,
  answer,
  NO_CACHED_OBJECTS,
  requestContext,
  statusReply,
  type CachedObjects,
  type RegistryContext,
  type RequestContext,
  type WriteGuard,
} from './context.ts';
import { createObject } from './create.ts';
import { deleteCollection, deleteObject } from './deletion.ts';
import { DEFAULT_READ_OPTIONS, type ReadOptions, type WriteOptions } from './options.ts';
import { patchObject } from './patch.ts';
import { getObject, getObjectThen, listObjects } from './read.ts';
import type { Selectors } from './selectors.ts';
import { serveSubresource } from './subresources.ts';
import { mainPath, updateObject } from './update.ts';

/** kube-apiserver's --event-ttl default: one hour. */
export const DEFAULT_EVENT_TTL_SECONDS = 3_600;

export class Registry {
  private readonly base: RegistryContext;

  constructor(
    storage: ObjectStorage,
    clock: Clock,
    random: Random,
    options: {
      readonly ranges?: RangeConfig;
      readonly admission?: AdmissionChain;
      readonly guard?: WriteGuard;
      readonly tokens?: TokenIssuer;
      readonly featureGates?: FeatureGates;
      readonly cached?: CachedObjects;
      /** --event-ttl in seconds (DEFAULT_EVENT_TTL_SECONDS). */
      readonly eventTtlSeconds?: number;
    } = {},
  ) {
    const allocations = new RangeAllocations(
      storage,
      clock,
      random.fork('ranges'),
      options.ranges ?? {},
    );
    const admission = options.admission ?? new AdmissionChain([]);
    const guard = options.guard ?? ALLOW_WRITES;
    this.base = {
      storage,
      clock,
      random,
      allocations,
      admission,
      guard,
      tokens: options.tokens,
      featureGates: options.featureGates ?? DEFAULT_FEATURE_GATES,
      cached: options.cached ?? NO_CACHED_OBJECTS,
      eventTtlSeconds: options.eventTtlSeconds ?? DEFAULT_EVENT_TTL_SECONDS,
    };
  }

  /** The ranges allocating kinds take values from; rebuilt from the store by `repair`. */
  get allocations(): RangeAllocations {
    return this.base.allocations;
  }

  /** A request's context: its write options, raw body and user. */
  context(
    options?: WriteOptions,
    request?: { readonly rawBody?: string | undefined; readonly user?: string | undefined },
  ): RequestContext {
    return requestContext(this.base, options, request);
  }

  get(
    info: RequestInfo,
    name: string,
    read: ReadOptions = DEFAULT_READ_OPTIONS,
  ): Promise<ApiResponse> {
    return getObject(this.base, info, name, read).then((r) => answer(r));
  }

  /** `get`, with `then` applied to the response in the same callback (getObjectThen). */
  getThen<R>(
    info: RequestInfo,
    name: string,
    read: ReadOptions,
    then: (response: ApiResponse) => R,
  ): Promise<R> {
    return getObjectThen(this.base, info, name, read, (r) => then(answer(r)));
  }

  async list(
    info: RequestInfo,
    sel: Selectors,
    read: ReadOptions = DEFAULT_READ_OPTIONS,
  ): Promise<ApiResponse> {
    return answer(await listObjects(this.base, info, sel, read));
  }

  /** Answers at once when the create did (a refusal before any store request). */
  create(
    info: RequestInfo,
    body: unknown,
    ctx = this.context(),
  ): ApiResponse | Promise<ApiResponse> {
    if (info.definition.createAs !== undefined) {
      return createAs(ctx, info, body).then((r) =>
        errors.isStatus(r) ? statusReply(r) : answer(r, 201, ctx),
      );
    }
    const r = createObject(ctx, info, body);
    return r instanceof Promise ? r.then((v) => answer(v, 201, ctx)) : answer(r, 201, ctx);
  }

  async update(
    info: RequestInfo,
    name: string,
    body: unknown,
    ctx = this.context(),
  ): Promise<ApiResponse> {
    return answer(await updateObject(ctx, info, name, body, mainPath(info.definition)), 200, ctx);
  }

  /**
   * A patch of the main resource in `contentType` (PATCH_CONTENT_TYPES). An apply that
   * creates the object answers 201, as upstream's.
   */
  async patch(
    info: RequestInfo,
    name: string,
    body: unknown,
    contentType: string | undefined,
    ctx = this.context(),
  ): Promise<ApiResponse> {
    const path = mainPath(info.definition);
    const r = await patchObject(ctx, info, name, body, contentType, path);
    return answer(r.result, r.created ? 201 : 200, ctx);
  }

  async delete(
    info: RequestInfo,
    name: string,
    options: DeleteOptions,
    ctx = this.context(),
  ): Promise<ApiResponse> {
    return answer(await deleteObject(ctx, info, name, options), 200, ctx);
  }

  async deleteCollection(
    info: RequestInfo,
    sel: Selectors,
    options: DeleteOptions,
    ctx = this.context(),
  ): Promise<ApiResponse> {
    return answer(await deleteCollection(ctx, info, sel, options), 200, ctx);
  }

  /** Any verb on `{resource}/{name}/{subresource}`. */
  subresource(
    info: RequestInfo,
    name: string,
    body: unknown,
    contentType: string | undefined,
    ctx = this.context(),
  ): Promise<ApiResponse> {
    return serveSubresource(ctx, info, name, body, contentType);
  }
}
