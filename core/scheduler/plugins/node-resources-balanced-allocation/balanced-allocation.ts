/**
 * NodeResourcesBalancedAllocation (noderesources/balanced_allocation.go): prefers nodes whose
 * resource utilizations (after placing the pod, real requests) are close to each other:
 * score = (1 - std(fractions)) * 100, truncated; with two resources std = |f1 - f2| / 2.
 * Best-effort pods (no requests) skip it, so they do not pile onto one node.
 */
import { StateReader, type CycleState, type StateData } from '../../framework/cycle-state.ts';
import {
  MAX_NODE_SCORE,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, type MaybeStatus } from '../../framework/status.ts';
import { NODE_RESOURCES_BALANCED_ALLOCATION } from '../names/names.ts';
import {
  DEFAULT_BALANCED_ALLOCATION_ARGS,
  type NodeResourcesBalancedAllocationArgs,
} from '../node-resources-fit/args.ts';
import {
  podRequestList,
  ResourceAllocationScorer,
  type CpuMemoryScoreAll,
} from '../node-resources-fit/resource-allocation.ts';

export const NAME = NODE_RESOURCES_BALANCED_ALLOCATION;
const PRE_SCORE_KEY = `PreScore${NAME}`;

interface PreScoreState extends StateData {
  readonly podRequests: readonly number[];
}

export function balancedResourceScorer(
  requested: readonly number[],
  allocatable: readonly number[],
): number {
  let total = 0;
  let n = 0;
  let f0 = 0;
  let f1 = 0;
  for (let i = 0; i < requested.length; i++) {
    const f = fraction(requested, allocatable, i);
    if (f < 0) continue;
    total += f;
    if (n === 0) f0 = f;
    else if (n === 1) f1 = f;
    n++;
  }
  let std = 0;
  if (n === 2) std = Math.abs((f0 - f1) / 2);
  else if (n > 2) {
    const mean = total / n;
    let sum = 0;
    for (let i = 0; i < requested.length; i++) {
      const f = fraction(requested, allocatable, i);
      if (f >= 0) sum += (f - mean) * (f - mean);
    }
    std = Math.sqrt(sum / n);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

/** balancedResourceScorer for cpu + memory over all nodes (see Scorer.cpuMemory). */
balancedResourceScorer.cpuMemory = ((nodes, useRequested, podCpu, podMemory, scores) => {
  for (let i = 0; i < nodes.length; i++) {
    const ni = nodes[i] as NodeInfo;
    const used = useRequested ? ni.requested : ni.nonZeroRequested;
    const cpu = ni.allocatable.milliCPU;
    const memory = ni.allocatable.memory;
    let std = 0;
    if (cpu !== 0 && memory !== 0) {
      const f0 = (used.milliCPU + podCpu) / cpu;
      const f1 = (used.memory + podMemory) / memory;
      std = Math.abs(((f0 > 1 ? 1 : f0) - (f1 > 1 ? 1 : f1)) / 2);
    }
    scores[i] = Math.trunc((1 - std) * MAX_NODE_SCORE);
  }
}) satisfies CpuMemoryScoreAll;

/** requested/allocatable capped at 1, or -1 for a resource without allocatable. */
function fraction(requested: readonly number[], allocatable: readonly number[], i: number): number {
  const alloc = allocatable[i] as number;
  if (alloc === 0) return -1;
  const f = (requested[i] as number) / alloc;
  return f > 1 ? 1 : f;
}

export class BalancedAllocation implements PreScorePlugin, ScorePlugin {
  readonly name = NAME;
  private readonly scorer: ResourceAllocationScorer;
  private readonly preScoreState = new StateReader<PreScoreState>(PRE_SCORE_KEY);

  constructor(private readonly args: NodeResourcesBalancedAllocationArgs) {
    this.scorer = new ResourceAllocationScorer(args.resources, true, balancedResourceScorer);
  }

  preScore(state: CycleState, pod: PodInfo): MaybeStatus {
    const podRequests = podRequestList(pod, this.args.resources, true);
    if (podRequests.every((r) => r === 0)) return SKIP;
    state.write<PreScoreState>(PRE_SCORE_KEY, { podRequests });
    this.preScoreState.reset();
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    const s = this.preScoreState.read(state);
    const reqs = s?.podRequests ?? podRequestList(pod, this.args.resources, true);
    if (s === undefined && reqs.every((r) => r === 0)) return 0;
    return this.scorer.score(nodeInfo, reqs);
  }

  scoreAll(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void {
    const s = this.preScoreState.read(state);
    const reqs = s?.podRequests ?? podRequestList(pod, this.args.resources, true);
    if (s === undefined && reqs.every((r) => r === 0)) scores.fill(0, 0, nodes.length);
    else this.scorer.scoreAll(nodes, reqs, scores);
  }
}

export function New(args: unknown): BalancedAllocation {
  return new BalancedAllocation(
    (args as NodeResourcesBalancedAllocationArgs | undefined) ?? DEFAULT_BALANCED_ALLOCATION_ARGS,
  );
}
