/**
 * Node-side pod admission on resources (pkg/kubelet/lifecycle/predicate.go generalFilter with
 * the scheduler's noderesources fit check): the requests of every admitted, not yet terminated
 * pod plus the new pod must fit allocatable. Checked in fit's order — pods, cpu, memory,
 * ephemeral-storage — and, as upstream, only the first shortfall is reported.
 */
import type { Pod, ResourceList } from '../api/pod-types.ts';
import { podRequestsMillis } from '../api/pod-helpers.ts';
import {
  RESOURCE_CPU,
  RESOURCE_EPHEMERAL_STORAGE,
  RESOURCE_MEMORY,
  RESOURCE_PODS,
  resourceAmount,
} from '../api/resource-list.ts';

/** Summed requests in accounting units: millicores, bytes, bytes, pod count. */
export interface ResourceUsage {
  cpu: number;
  memory: number;
  ephemeralStorage: number;
  pods: number;
}

export type AdmitResult =
  | { readonly admit: true }
  | { readonly admit: false; readonly reason: string; readonly message: string };

export function emptyUsage(): ResourceUsage {
  return { cpu: 0, memory: 0, ephemeralStorage: 0, pods: 0 };
}

export function podUsage(pod: Pod): ResourceUsage {
  const r = podRequestsMillis(pod);
  return {
    cpu: r[RESOURCE_CPU] ?? 0,
    memory: r[RESOURCE_MEMORY] ?? 0,
    ephemeralStorage: r[RESOURCE_EPHEMERAL_STORAGE] ?? 0,
    pods: 1,
  };
}

export function usageOf(list: ResourceList): ResourceUsage {
  const amount = (name: string): number => {
    const q = list[name];
    return q === undefined ? 0 : resourceAmount(name, q);
  };
  return {
    cpu: amount(RESOURCE_CPU),
    memory: amount(RESOURCE_MEMORY),
    ephemeralStorage: amount(RESOURCE_EPHEMERAL_STORAGE),
    pods: amount(RESOURCE_PODS),
  };
}

export function addUsage(into: ResourceUsage, u: ResourceUsage, sign: 1 | -1): void {
  into.cpu += sign * u.cpu;
  into.memory += sign * u.memory;
  into.ephemeralStorage += sign * u.ephemeralStorage;
  into.pods += sign * u.pods;
}

const CHECKS: readonly (readonly [keyof ResourceUsage, string])[] = [
  ['pods', RESOURCE_PODS],
  ['cpu', RESOURCE_CPU],
  ['memory', RESOURCE_MEMORY],
  ['ephemeralStorage', RESOURCE_EPHEMERAL_STORAGE],
];

export function admitPod(
  request: ResourceUsage,
  used: ResourceUsage,
  allocatable: ResourceUsage,
): AdmitResult {
  for (const [field, resource] of CHECKS) {
    const requested = request[field];
    if (requested > 0 && requested > allocatable[field] - used[field]) {
      return {
        admit: false,
        reason: `OutOf${resource}`,
        message:
          `Pod was rejected: Node didn't have enough resource: ${resource}, ` +
          `requested: ${requested}, used: ${used[field]}, capacity: ${allocatable[field]}`,
      };
    }
  }
  return { admit: true };
}
