/**
 * NodeResourcesFit (pkg/scheduler/framework/plugins/noderesources/fit.go):
 * - Filter: pod count first ("Too many pods"), then cpu, memory, ephemeral-storage and each
 *   requested scalar resource ("Insufficient <name>"), every shortfall reported; a request above
 *   the node's allocatable outright makes it UnschedulableAndUnresolvable (preemption cannot help);
 * - Score: LeastAllocated (default), MostAllocated or RequestedToCapacityRatio.
 */
import type { Node } from '../../../api/node-types.ts';
import type { Pod } from '../../../api/pod-types.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import { StateReader, type CycleState, type StateData } from '../../framework/cycle-state.ts';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../../framework/interface.ts';
import { NodeInfo } from '../../framework/node-info.ts';
import { podInfoOf, type PodInfo } from '../../framework/pod-info.ts';
import { isExtendedResourceName, type Resource } from '../../framework/resource.ts';
import { Status, type MaybeStatus } from '../../framework/status.ts';
import { NODE_RESOURCES_FIT } from '../names/names.ts';
import { DEFAULT_FIT_ARGS, type NodeResourcesFitArgs } from './args.ts';
import { leastResourceScorer } from './least-allocated.ts';
import { mostResourceScorer } from './most-allocated.ts';
import { requestedToCapacityRatioScorer } from './requested-to-capacity-ratio.ts';
import { podRequestList, ResourceAllocationScorer, type Scorer } from './resource-allocation.ts';

export const NAME = NODE_RESOURCES_FIT;
export const REASON_TOO_MANY_PODS = 'Too many pods';

export function reasonInsufficient(resource: string): string {
  return `Insufficient ${resource}`;
}

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;

export interface InsufficientResource {
  readonly resourceName: string;
  readonly reason: string;
  readonly requested: number;
  readonly used: number;
  readonly capacity: number;
  /**
   * The request exceeds the node's allocatable outright: evicting pods cannot make room, so
   * the Filter answers UnschedulableAndUnresolvable and preemption skips the node.
   */
  readonly unresolvable: boolean;
}

interface PreFilterState extends StateData {
  readonly request: Resource;
}

interface PreScoreState extends StateData {
  readonly podRequests: readonly number[];
}

/**
 * fitsRequest: every resource the node lacks for `req`. Zero requests only check the pod
 * count; ignored extended resources (by name or by domain) are not checked.
 */
export function fitsRequest(
  req: Resource,
  nodeInfo: NodeInfo,
  ignored: ReadonlySet<string> = EMPTY,
  ignoredGroups: ReadonlySet<string> = EMPTY,
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  const alloc = nodeInfo.allocatable;
  const used = nodeInfo.requested;
  if (nodeInfo.pods.length + 1 > alloc.allowedPodNumber)
    out.push({
      resourceName: 'pods',
      reason: REASON_TOO_MANY_PODS,
      requested: 1,
      used: nodeInfo.pods.length,
      capacity: alloc.allowedPodNumber,
      unresolvable: false,
    });
  if (req.isZero()) return out;
  if (req.milliCPU > 0 && req.milliCPU > alloc.milliCPU - used.milliCPU)
    out.push({
      resourceName: 'cpu',
      reason: REASONS.cpu,
      requested: req.milliCPU,
      used: used.milliCPU,
      capacity: alloc.milliCPU,
      unresolvable: req.milliCPU > alloc.milliCPU,
    });
  if (req.memory > 0 && req.memory > alloc.memory - used.memory)
    out.push({
      resourceName: 'memory',
      reason: REASONS.memory,
      requested: req.memory,
      used: used.memory,
      capacity: alloc.memory,
      unresolvable: req.memory > alloc.memory,
    });
  if (
    req.ephemeralStorage > 0 &&
    req.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage
  )
    out.push({
      resourceName: 'ephemeral-storage',
      reason: REASONS.ephemeralStorage,
      requested: req.ephemeralStorage,
      used: used.ephemeralStorage,
      capacity: alloc.ephemeralStorage,
      unresolvable: req.ephemeralStorage > alloc.ephemeralStorage,
    });
  if (req.scalar !== undefined)
    for (const [name, q] of req.scalar) {
      if (q === 0) continue;
      if (isExtendedResourceName(name)) {
        const group = name.slice(0, name.indexOf('/'));
        if (ignored.has(name) || ignoredGroups.has(group)) continue;
      }
      if (q > alloc.getScalar(name) - used.getScalar(name))
        out.push({
          resourceName: name,
          reason: reasonInsufficient(name),
          requested: q,
          used: used.getScalar(name),
          capacity: alloc.getScalar(name),
          unresolvable: q > alloc.getScalar(name),
        });
    }
  return out;
}

const EMPTY: ReadonlySet<string> = new Set();
const REASONS = {
  cpu: reasonInsufficient('cpu'),
  memory: reasonInsufficient('memory'),
  ephemeralStorage: reasonInsufficient('ephemeral-storage'),
};

/** Would the pod fit an empty node like this one? (isFit, for the queueing hint.) */
function fitsEmptyNode(pod: Pod, node: Node): boolean {
  const ni = new NodeInfo(node.metadata.name ?? '');
  ni.setNode(node);
  return fitsRequest(podInfoOf(pod).requests, ni).length === 0;
}

export function scorerFor(args: NodeResourcesFitArgs): Scorer {
  const s = args.scoringStrategy;
  switch (s.type) {
    case 'LeastAllocated':
      return leastResourceScorer(s.resources);
    case 'MostAllocated':
      return mostResourceScorer(s.resources);
    case 'RequestedToCapacityRatio':
      return requestedToCapacityRatioScorer(s.resources, s.requestedToCapacityRatio?.shape ?? []);
  }
}

export class Fit
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = NAME;
  private readonly ignored: ReadonlySet<string>;
  private readonly ignoredGroups: ReadonlySet<string>;
  private readonly scorer: ResourceAllocationScorer;
  private readonly preFilterState = new StateReader<PreFilterState>(PRE_FILTER_KEY);
  private readonly preScoreState = new StateReader<PreScoreState>(PRE_SCORE_KEY);

  constructor(private readonly args: NodeResourcesFitArgs) {
    this.ignored = new Set(args.ignoredResources);
    this.ignoredGroups = new Set(args.ignoredResourceGroups);
    this.scorer = new ResourceAllocationScorer(
      args.scoringStrategy.resources,
      false,
      scorerFor(args),
    );
  }

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus {
    state.write<PreFilterState>(PRE_FILTER_KEY, { request: pod.requests });
    this.preFilterState.reset();
    return undefined;
  }

  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const req = this.preFilterState.read(state)?.request ?? pod.requests;
    // Fast path: the common case passes without building the list of shortfalls.
    const alloc = nodeInfo.allocatable;
    const used = nodeInfo.requested;
    if (
      nodeInfo.pods.length + 1 <= alloc.allowedPodNumber &&
      req.milliCPU <= alloc.milliCPU - used.milliCPU &&
      req.memory <= alloc.memory - used.memory &&
      req.ephemeralStorage <= alloc.ephemeralStorage - used.ephemeralStorage &&
      req.scalar === undefined
    )
      return undefined;
    const insufficient = fitsRequest(req, nodeInfo, this.ignored, this.ignoredGroups);
    if (insufficient.length === 0) return undefined;
    return this.statusFor(insufficient);
  }

  /** One shared Status per combination of reasons: unschedulable pods fail on every node. */
  private readonly statuses = new Map<string, Status>();

  private statusFor(insufficient: readonly InsufficientResource[]): Status {
    const reasons = insufficient.map((r) => r.reason);
    const unresolvable = insufficient.some((r) => r.unresolvable);
    const key = (unresolvable ? 'U\n' : 'u\n') + reasons.join('\n');
    let s = this.statuses.get(key);
    if (s === undefined) {
      s = (
        unresolvable ? Status.unresolvable(...reasons) : Status.unschedulable(...reasons)
      ).withPlugin(NAME);
      if (this.statuses.size < 1024) this.statuses.set(key, s);
    }
    return s;
  }

  preScore(state: CycleState, pod: PodInfo): MaybeStatus {
    state.write<PreScoreState>(PRE_SCORE_KEY, {
      podRequests: podRequestList(pod, this.args.scoringStrategy.resources, false),
    });
    this.preScoreState.reset();
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    const reqs =
      this.preScoreState.read(state)?.podRequests ??
      podRequestList(pod, this.args.scoringStrategy.resources, false);
    return this.scorer.score(nodeInfo, reqs);
  }

  scoreAll(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void {
    const reqs =
      this.preScoreState.read(state)?.podRequests ??
      podRequestList(pod, this.args.scoringStrategy.resources, false);
    this.scorer.scoreAll(nodes, reqs, scores);
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      { event: { resource: 'AssignedPod', actionType: ActionType.Delete } },
      {
        event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeAllocatable },
        hint: (pod: Pod, _old: unknown, newObj: unknown) =>
          fitsEmptyNode(pod, newObj as Node) ? 'Queue' : 'Skip',
      },
    ];
  }
}

export function New(args: unknown): Fit {
  return new Fit((args as NodeResourcesFitArgs | undefined) ?? DEFAULT_FIT_ARGS);
}
