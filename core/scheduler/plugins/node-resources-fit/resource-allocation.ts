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

/**
 * Scores every node for a pod's cpu and memory requests (the default two-resource
 * configuration, cpu then memory), into `scores`: the same numbers as the scorer itself.
 * `useRequested` as for ResourceAllocationScorer.
 */
export type CpuMemoryScoreAll = (
  nodes: readonly NodeInfo[],
  useRequested: boolean,
  podCpu: number,
  podMemory: number,
  scores: number[],
) => void;

/**
 * (requested, allocatable) arrays parallel to the configured resources. `cpuMemory`, when
 * present, is the hot path for exactly cpu + memory: a loop over the nodes in the scorer's own
 * code, because a call per node through a shared call site is not inlined and boxes its
 * arguments (memory amounts are beyond the small-integer range), two heap numbers per node.
 */
export type Scorer = ((requested: readonly number[], allocatable: readonly number[]) => number) & {
  cpuMemory?: CpuMemoryScoreAll;
};

/**
 * The weighted mean of a per-resource score over the resources the node has, with integer
 * division as upstream's least/most allocated scorers do.
 */
export function weightedMeanScorer(
  resources: readonly ResourceSpec[],
  perResource: (requested: number, allocatable: number) => number,
): Scorer {
  const scorer: Scorer = (requested, allocatable) => {
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
  if (resources.length === 2) {
    const w0 = (resources[0] as ResourceSpec).weight;
    const w1 = (resources[1] as ResourceSpec).weight;
    scorer.cpuMemory = (nodes, useRequested, podCpu, podMemory, scores) => {
      for (let i = 0; i < nodes.length; i++) {
        const ni = nodes[i] as NodeInfo;
        const used = useRequested ? ni.requested : ni.nonZeroRequested;
        const cpu = ni.allocatable.milliCPU;
        const memory = ni.allocatable.memory;
        let score = 0;
        let weightSum = 0;
        if (cpu !== 0) {
          score += perResource(used.milliCPU + podCpu, cpu) * w0;
          weightSum += w0;
        }
        if (memory !== 0) {
          score += perResource(used.memory + podMemory, memory) * w1;
          weightSum += w1;
        }
        scores[i] = weightSum === 0 ? 0 : Math.trunc(score / weightSum);
      }
    };
  }
  return scorer;
}

/** calculatePodResourceRequest for each configured resource. */
export function podRequestList(
  pod: PodInfo,
  resources: readonly ResourceSpec[],
  useRequested: boolean,
): number[] {
  // Once per plugin per attempt: a plain loop, no closure.
  const out: number[] = [];
  for (let i = 0; i < resources.length; i++) {
    const name = (resources[i] as ResourceSpec).name;
    if (!useRequested && name === RESOURCE_CPU) out.push(pod.nonZeroMilliCPU);
    else if (!useRequested && name === RESOURCE_MEMORY) out.push(pod.nonZeroMemory);
    else out.push(pod.requests.get(name));
  }
  return out;
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
  /** The resources are cpu then memory and the scorer has a two-resource form. */
  private readonly cpuMemory: boolean;

  constructor(
    resources: readonly ResourceSpec[],
    private readonly useRequested: boolean,
    private readonly scorer: Scorer,
  ) {
    this.requested = new Array<number>(resources.length).fill(0);
    this.allocatable = new Array<number>(resources.length).fill(0);
    this.kinds = resources.map((r) => kindOf(r.name));
    this.names = resources.map((r) => r.name);
    this.cpuMemory =
      scorer.cpuMemory !== undefined &&
      this.kinds.length === 2 &&
      this.kinds[0] === KIND_CPU &&
      this.kinds[1] === KIND_MEMORY;
  }

  /** score() for each node into `scores`, with the cpu + memory case unrolled. */
  scoreAll(nodes: readonly NodeInfo[], podRequests: readonly number[], scores: number[]): void {
    const cpuMemory = this.scorer.cpuMemory;
    if (!this.cpuMemory || cpuMemory === undefined) {
      for (let i = 0; i < nodes.length; i++)
        scores[i] = this.score(nodes[i] as NodeInfo, podRequests);
      return;
    }
    cpuMemory(nodes, this.useRequested, podRequests[0] as number, podRequests[1] as number, scores);
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
