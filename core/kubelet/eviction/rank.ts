/**
 * Which pod to evict first (pkg/kubelet/eviction/helpers.go):
 * - memory (rankMemoryPressure: orderedBy(exceedMemoryRequests, priority, memory)) and disk
 *   (rankDiskPressureFunc: orderedBy(exceedDiskRequests, priority, disk)): pods using more than
 *   they request before those within their requests, then lower priority first, then the larger
 *   use above the request first;
 * - inodes (rankDiskPressureFunc with resourceInodes): the same order on inodes; no pod
 *   requests inodes, so every pod using any exceeds its request;
 * - process ids (rankPIDPressure: orderedBy(priority, process)): lower priority first, then the
 *   pod with more processes.
 */
import type { Pod } from '../../api/pod-types.ts';
import { RESOURCE_EPHEMERAL_STORAGE, resourceAmount } from '../../api/resource-list.ts';
import { podUsage } from '../admission.ts';
import type { PodUsage } from '../resource-usage.ts';

export interface EvictionCandidate {
  readonly uid: string;
  readonly pod: Pod;
  /** What the pod uses now; undefined when the runtime reported nothing for it. */
  readonly usage: PodUsage | undefined;
}

type Key = (c: EvictionCandidate) => { exceeds: boolean; above: number };

function rankByRequest(candidates: readonly EvictionCandidate[], key: Key): EvictionCandidate[] {
  const keyed = candidates.map((c) => ({ c, priority: c.pod.spec.priority ?? 0, ...key(c) }));
  keyed.sort((a, b) => {
    if (a.exceeds !== b.exceeds) return a.exceeds ? -1 : 1;
    if (a.priority !== b.priority) return a.priority - b.priority;
    if (a.above !== b.above) return b.above - a.above;
    return byUid(a.c, b.c);
  });
  return keyed.map((k) => k.c);
}

export function rankMemoryPressure(candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  return rankByRequest(candidates, (c) => {
    const used = c.usage?.memoryBytes ?? 0;
    const request = podUsage(c.pod).memory;
    return { exceeds: used > request, above: used - request };
  });
}

export function rankDiskPressure(candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  return rankByRequest(candidates, (c) => {
    const used = c.usage?.rootfsBytes ?? 0;
    const request = c.pod.spec.containers.reduce(
      (n, x) => n + resourceRequest(x.resources?.requests, RESOURCE_EPHEMERAL_STORAGE),
      0,
    );
    return { exceeds: used > request, above: used - request };
  });
}

export function rankInodePressure(candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  return rankByRequest(candidates, (c) => {
    const used = c.usage?.inodesUsed ?? 0;
    return { exceeds: used > 0, above: used };
  });
}

export function rankPidPressure(candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  return [...candidates].sort((a, b) => {
    const pa = a.pod.spec.priority ?? 0;
    const pb = b.pod.spec.priority ?? 0;
    if (pa !== pb) return pa - pb;
    const na = a.usage?.processes ?? 0;
    const nb = b.usage?.processes ?? 0;
    if (na !== nb) return nb - na;
    return byUid(a, b);
  });
}

/** A defined order for ties (upstream's sort is not stable either way). */
function byUid(a: EvictionCandidate, b: EvictionCandidate): number {
  return a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0;
}

/** A container's request of `resource` in its unit (0 when none). */
export function resourceRequest(
  requests: Readonly<Record<string, string>> | undefined,
  resource: string,
): number {
  const q = requests?.[resource];
  return q === undefined ? 0 : resourceAmount(resource, q);
}
