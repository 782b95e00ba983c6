/**
 * What every part of the registry shares: its ports, the request's context (dry run, field
 * validation and manager, warnings), the storage keys of a resource, and the Status each
 * storage failure becomes.
 */
import type { FeatureGates } from '../../api/feature-gates.ts';
import * as errors from '../../api/errors.ts';
import type { ApiResponse } from '../../api/http.ts';
import { qualifiedResource, type ResourceInfo } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import type { AdmissionAttributes } from '../admission/attributes.ts';
import type { AdmissionChain } from '../admission/chain.ts';
import type { ResourceDefinition, TokenIssuer } from '../../api/kinds/index.ts';
import { collectionPrefix, objectKey } from '../keys.ts';
import type { RangeAllocations } from './allocations.ts';
import type { RequestInfo } from '../request-info.ts';
import type { ObjectStorage, StorageFailure } from '../storage.ts';
import { DEFAULT_WRITE_OPTIONS, type WriteOptions } from './options.ts';

/** The server's own: the same for every request. */
export interface RegistryContext {
  readonly storage: ObjectStorage;
  readonly clock: Clock;
  readonly random: Random;
  readonly allocations: RangeAllocations;
  readonly admission: AdmissionChain;
  readonly guard: WriteGuard;
  /** What the token subresource signs with; undefined when the server signs no tokens. */
  readonly tokens: TokenIssuer | undefined;
  /** The server's --feature-gates: kinds drop the fields of gates that are off. */
  readonly featureGates: FeatureGates;
  readonly cached: CachedObjects;
  /** --event-ttl in seconds: how long kinds that expire after it live after their last write. */
  readonly eventTtlSeconds: number;
}

/** The TTL a write of the resource is stored with (upstream's Store.TTLFunc), if any. */
export function ttlOf(ctx: RegistryContext, info: RequestInfo): number | undefined {
  return info.definition.expiresAfterEventTtl === true ? ctx.eventTtlSeconds : undefined;
}

/**
 * The watch cache's copy of an object, which is never newer than the store but may be older:
 * what a read-modify-write may start from instead of reading the store (upstream's
 * Cacher.GuaranteedUpdate passes it down as the suggested current state), and what a get with
 * resourceVersion "0" answers (upstream's Cacher.Get). Null when the resource's cache runs and
 * does not hold the object; undefined when the resource has no running cache.
 */
export type CachedObjects = (info: RequestInfo, name: string) => KObject | null | undefined;

export const NO_CACHED_OBJECTS: CachedObjects = () => undefined;

/**
 * What a kind's storage checks before a create or update, after mutating admission and before
 * validation (upstream's policy-based RBAC storage, the escalation check): undefined, or the
 * Status that refuses the write. `a.object` is the object as mutating admission left it.
 */
export type WriteGuard = (
  a: AdmissionAttributes,
) => Status | undefined | Promise<Status | undefined>;

export const ALLOW_WRITES: WriteGuard = () => undefined;

/**
 * One request's context, passed to every step of its verb. Hooks that act outside the object
 * (allocating a Service's cluster IP, admission plugins with side effects) must read `dryRun`
 * and do nothing lasting when it is set: a dry run answers with what would be stored.
 */
export interface RequestContext extends RegistryContext {
  readonly dryRun: boolean;
  readonly options: WriteOptions;
  /** The body as it arrived (ApiRequest.rawBody), for duplicate fields. */
  readonly rawBody: string | undefined;
  /** The authenticated user: the field manager when the request names none. */
  readonly user: string | undefined;
  /** Adds a `Warning` header to the answer (upstream warning.AddWarning). */
  warn(message: string): void;
  readonly warnings: readonly string[];
}

/** A context for `options`, collecting its warnings. */
export function requestContext(
  base: RegistryContext,
  options: WriteOptions = DEFAULT_WRITE_OPTIONS,
  request: { readonly rawBody?: string | undefined; readonly user?: string | undefined } = {},
): RequestContext {
  const warnings: string[] = [];
  return {
    storage: base.storage,
    clock: base.clock,
    random: base.random,
    allocations: base.allocations,
    admission: base.admission,
    guard: base.guard,
    tokens: base.tokens,
    featureGates: base.featureGates,
    cached: base.cached,
    eventTtlSeconds: base.eventTtlSeconds,
    dryRun: options.dryRun,
    options,
    rawBody: request.rawBody,
    user: request.user,
    warnings,
    // Upstream's recorder drops a warning it already holds.
    warn: (message) => {
      if (!warnings.includes(message)) warnings.push(message);
    },
  };
}

/** Adds each of `messages` to the request's warnings (nearly always none). */
export function warnAll(ctx: RequestContext, messages: readonly string[]): void {
  for (let i = 0; i < messages.length; i++) ctx.warn(messages[i]!);
}

/**
 * How many times a read-modify-write retries when a concurrent writer changed the object
 * between its read and its write (GuaranteedUpdate). Upstream retries until the request times
 * out: every retry follows another writer's success, so only more concurrent writers than this
 * on one object turn an unpinned write into a 409 (the request-model property test found 5
 * too few for 6 concurrent patches).
 */
export const MAX_INTERNAL_RETRIES = 64;

export const reply = (status: number, body: unknown): ApiResponse => ({ status, body });
export const statusReply = (s: Status): ApiResponse => reply(s.code, s);

/**
 * The object (or list), or the Status that stands in for it, as an HTTP answer, with the
 * request's warnings (upstream sends them on failures too).
 */
export function answer<T>(r: T | Status, okCode = 200, ctx?: RequestContext): ApiResponse {
  const base = errors.isStatus(r) ? statusReply(r) : reply(okCode, r);
  return ctx === undefined || ctx.warnings.length === 0
    ? base
    : { ...base, warnings: [...ctx.warnings] };
}

export function keyFor(info: RequestInfo, name: string): string {
  return objectKey(
    storageResourceOf(info.definition),
    scopeOf(info.resource, info.namespace),
    name,
  );
}

export function prefixFor(info: RequestInfo): string {
  return collectionPrefix(
    storageResourceOf(info.definition),
    scopeOf(info.resource, info.namespace),
  );
}

/** The store folder of a definition's objects. */
export function storageResourceOf(def: ResourceDefinition): string {
  return def.storageResource ?? def.resource.resource;
}

function scopeOf(resource: ResourceInfo, namespace: string | undefined): string | undefined {
  return resource.namespaced ? namespace : undefined;
}

export function storageFailure(info: RequestInfo, name: string, f: StorageFailure): Status {
  const resource = qualifiedResource(info.resource);
  switch (f.kind) {
    case 'not-found':
      return errors.notFound(resource, name);
    case 'exists':
      return errors.alreadyExists(resource, name);
    case 'conflict':
      return errors.conflict(resource, name);
    case 'compacted':
      return errors.expired(`too old resource version: ${f.requestedRv} (${f.compactedRv})`);
    case 'unavailable':
      return errors.serverTimeout(resource, 'request', 1);
  }
}
