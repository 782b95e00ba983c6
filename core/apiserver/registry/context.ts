/**
 * What every part of the registry shares: its ports, the storage keys of a resource, and the
 * Status each storage failure becomes.
 */
import * as errors from '../../api/errors.ts';
import type { ApiResponse } from '../../api/http.ts';
import { qualifiedResource, type ResourceInfo } from '../../api/resources.ts';
import type { Status } from '../../api/status-types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import type { AdmissionChain } from '../admission/chain.ts';
import { collectionPrefix, objectKey } from '../keys.ts';
import type { RequestInfo } from '../request-info.ts';
import type { ObjectStorage, StorageFailure } from '../storage.ts';

export interface RegistryContext {
  readonly storage: ObjectStorage;
  readonly clock: Clock;
  readonly random: Random;
  readonly admission: AdmissionChain;
}

/** How many times a read-modify-write retries on a conflict it caused itself (GuaranteedUpdate). */
export const MAX_INTERNAL_RETRIES = 5;

export const reply = (status: number, body: unknown): ApiResponse => ({ status, body });
export const statusReply = (s: Status): ApiResponse => reply(s.code, s);

/** The object (or list), or the Status that stands in for it, as an HTTP answer. */
export function answer<T>(r: T | Status, okCode = 200): ApiResponse {
  return errors.isStatus(r) ? statusReply(r) : reply(okCode, r);
}

export function keyFor(info: RequestInfo, name: string): string {
  return objectKey(info.resource.resource, scopeOf(info.resource, info.namespace), name);
}

export function prefixFor(info: RequestInfo): string {
  return collectionPrefix(info.resource.resource, scopeOf(info.resource, info.namespace));
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
