/**
 * The resource-allocation scorers shared by NodeResourcesFit and NodeResourcesBalancedAllocation
 * (pkg/scheduler/framework/plugins/noderesources/resource_allocation.go).
 *
 * `useRequested` false (Fit) scores cpu/memory with the non-zero requests (a container without
 * a request counts 100m / 200Mi, so empty pods still spread); true (BalancedAllocation) uses
 * the real requests. An extended resource the pod does not request is left out.
 */
import {
  RESOURCE_CPU,
  RESOURCE_EPHEMERAL_STORAGE,
  RESOURCE_MEMORY,
} from '../../../api/resource-list.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { isScalarResourceName } from '../../framework/resource.ts';
import type { ResourceSpec } from './args.ts';

/** (requested, allocatable) arrays parallel to the configured resources. */
export type Scorer = (requested: readonly number[], allocatable: readonly number[]) => number;

/**
 * The weighted mean of a per-resource score over the resources the node has, with integer
 * division as upstream's least/most allocated scorers do.
 */
export function weightedMeanScorer(
  resources: readonly ResourceSpec[],
  perResource: (requested: number, allocatable: number) => number,
): Scorer {
  return (requested, allocatable) => {
    let score = 0;
    let weightSum = 0;
    for (let i = 0; i < requested.length; i++) {
      const alloc = allocatable[i] as number;
      if (alloc === 0) continue;
      const w = (resources[i] as ResourceSpec).weight;
      score += perResource(requested[i] as number, alloc) * w;
      weightSum += w;
    }
    return weightSum === 0 ? 0 : Math.trunc(score / weightSum);
  };
}

/** calculatePodResourceRequest for each configured resource. */
export function podRequestList(
  pod: PodInfo,
  resources: readonly ResourceSpec[],
  useRequested: boolean,
): number[] {
  return resources.map((r) => {
    if (!useRequested) {
      if (r.name === RESOURCE_CPU) return pod.nonZeroMilliCPU;
      if (r.name === RESOURCE_MEMORY) return pod.nonZeroMemory;
    }
    return pod.requests.get(r.name);
  });
}

const KIND_CPU = 0;
const KIND_MEMORY = 1;
const KIND_EPHEMERAL = 2;
const KIND_SCALAR = 3;
const KIND_OTHER = 4;

function kindOf(name: string): number {
  if (name === RESOURCE_CPU) return KIND_CPU;
  if (name === RESOURCE_MEMORY) return KIND_MEMORY;
  if (name === RESOURCE_EPHEMERAL_STORAGE) return KIND_EPHEMERAL;
  return isScalarResourceName(name) ? KIND_SCALAR : KIND_OTHER;
}

export class ResourceAllocationScorer {
  private readonly requested: number[];
  private readonly allocatable: number[];
  private readonly kinds: readonly number[];
  private readonly names: readonly string[];

  constructor(
    resources: readonly ResourceSpec[],
    private readonly useRequested: boolean,
    private readonly scorer: Scorer,
  ) {
    this.requested = new Array<number>(resources.length).fill(0);
    this.allocatable = new Array<number>(resources.length).fill(0);
    this.kinds = resources.map((r) => kindOf(r.name));
    this.names = resources.map((r) => r.name);
  }

  /** Reuses two scratch arrays: no allocation per node. */
  score(nodeInfo: NodeInfo, podRequests: readonly number[]): number {
    const n = this.kinds.length;
    const used = this.useRequested ? nodeInfo.requested : nodeInfo.nonZeroRequested;
    const nodeAlloc = nodeInfo.allocatable;
    for (let i = 0; i < n; i++) {
      const kind = this.kinds[i] as number;
      const podRequest = podRequests[i] as number;
      let alloc = 0;
      let req = 0;
      if (kind === KIND_CPU) {
        alloc = nodeAlloc.milliCPU;
        req = used.milliCPU + podRequest;
      } else if (kind === KIND_MEMORY) {
        alloc = nodeAlloc.memory;
        req = used.memory + podRequest;
      } else if (kind === KIND_EPHEMERAL) {
        alloc = nodeAlloc.ephemeralStorage;
        req = nodeInfo.requested.ephemeralStorage + podRequest;
      } else if (kind === KIND_SCALAR && podRequest !== 0) {
        const name = this.names[i] as string;
        if (nodeAlloc.scalar?.has(name) === true) {
          alloc = nodeAlloc.getScalar(name);
          req = nodeInfo.requested.getScalar(name) + podRequest;
        }
      }
      // Only resources with allocatable count; the scorers skip zeros.
      this.allocatable[i] = alloc;
      this.requested[i] = alloc === 0 ? 0 : req;
    }
    return this.scorer(this.requested, this.allocatable);
  }
}
