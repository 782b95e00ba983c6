/**
 * Which pod to evict first under memory pressure (pkg/kubelet/eviction/helpers.go
 * rankMemoryPressure: orderedBy(exceedMemoryRequests, priority, memory)): pods using more memory
 * than they request before those within their requests, then lower priority first, then the
 * larger use above the request first.
 */
import type { Pod } from '../../api/pod-types.ts';
import { RESOURCE_MEMORY, resourceAmount } from '../../api/resource-list.ts';
import { podUsage } from '../admission.ts';

export interface EvictionCandidate {
  readonly uid: string;
  readonly pod: Pod;
  /** Working set now, in bytes. */
  readonly memoryBytes: number;
}

export function rankMemoryPressure(candidates: readonly EvictionCandidate[]): EvictionCandidate[] {
  const keyed = candidates.map((c) => {
    const request = podUsage(c.pod).memory;
    return {
      c,
      exceeds: c.memoryBytes > request,
      priority: c.pod.spec.priority ?? 0,
      above: c.memoryBytes - request,
    };
  });
  keyed.sort((a, b) => {
    if (a.exceeds !== b.exceeds) return a.exceeds ? -1 : 1;
    if (a.priority !== b.priority) return a.priority - b.priority;
    if (a.above !== b.above) return b.above - a.above;
    // A defined order for ties (upstream's sort is not stable either way).
    return a.c.uid < b.c.uid ? -1 : a.c.uid > b.c.uid ? 1 : 0;
  });
  return keyed.map((k) => k.c);
}

/** A container's memory request in bytes (0 when none). */
export function memoryRequest(requests: Readonly<Record<string, string>> | undefined): number {
  const q = requests?.[RESOURCE_MEMORY];
  return q === undefined ? 0 : resourceAmount(RESOURCE_MEMORY, q);
}
