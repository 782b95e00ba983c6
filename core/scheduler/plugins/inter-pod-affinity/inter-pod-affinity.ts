/**
 * InterPodAffinity (pkg/scheduler/framework/plugins/interpodaffinity/plugin.go): required pod
 * affinity and anti-affinity filter (filtering.ts), including the symmetry of existing pods'
 * anti-affinity; preferred terms (both ways) and existing pods' required affinity score
 * (scoring.ts).
 */
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState } from '../../framework/cycle-state.ts';
import type { Handle } from '../../framework/handle.ts';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterExtensions,
  PreFilterPlugin,
  PreScorePlugin,
  ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { INTER_POD_AFFINITY } from '../names/names.ts';
import { DEFAULT_INTER_POD_AFFINITY_ARGS, type InterPodAffinityArgs } from './args.ts';
import {
  calPreFilterState,
  FilterCaches,
  PreFilterState,
  satisfyExistingPodsAntiAffinity,
  satisfyPodAffinity,
  satisfyPodAntiAffinity,
} from './filtering.ts';
import { calPreScoreState, normalize, PreScoreState, ScoreCaches, scoreNode } from './scoring.ts';
import { PodCountCache } from './term-cache.ts';

export const NAME = INTER_POD_AFFINITY;
export const ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH =
  "node(s) didn't satisfy existing pods anti-affinity rules";
export const ERR_REASON_AFFINITY_RULES_NOT_MATCH = "node(s) didn't match pod affinity rules";
export const ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH =
  "node(s) didn't match pod anti-affinity rules";

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;
const REJECT_AFFINITY = Status.unresolvable(ERR_REASON_AFFINITY_RULES_NOT_MATCH).withPlugin(NAME);
const REJECT_ANTI = Status.unschedulable(ERR_REASON_ANTI_AFFINITY_RULES_NOT_MATCH).withPlugin(NAME);
const REJECT_EXISTING = Status.unschedulable(
  ERR_REASON_EXISTING_ANTI_AFFINITY_RULES_NOT_MATCH,
).withPlugin(NAME);

export class InterPodAffinity
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = NAME;
  readonly preFilterExtensions: PreFilterExtensions;
  private readonly filterCaches: FilterCaches;
  private readonly scoreCaches: ScoreCaches;

  constructor(
    private readonly args: InterPodAffinityArgs,
    private readonly handle: Handle,
  ) {
    const counts = new PodCountCache();
    this.filterCaches = new FilterCaches(counts);
    this.scoreCaches = new ScoreCaches(args, counts);
    const update = (state: CycleState, other: PodInfo, ni: NodeInfo, m: number): MaybeStatus => {
      state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(other, ni.node, m);
      return undefined;
    };
    this.preFilterExtensions = {
      addPod: (state, _pod, other, ni) => update(state, other, ni, 1),
      removePod: (state, _pod, other, ni) => update(state, other, ni, -1),
    };
  }

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus {
    // A selector that does not parse will not parse on any node, nor after any cluster event.
    if (pod.parseError !== undefined) return Status.unresolvable(pod.parseError).withPlugin(NAME);
    const snap = this.handle.snapshot;
    const s = calPreFilterState(
      pod,
      this.handle.listers,
      snap.list(),
      snap.havePodsWithRequiredAntiAffinity(),
      this.filterCaches,
    );
    if (
      s.existingAntiAffinityCounts.isEmpty &&
      pod.requiredAffinityTerms.length === 0 &&
      pod.requiredAntiAffinityTerms.length === 0
    )
      return SKIP;
    state.write(PRE_FILTER_KEY, s);
    return undefined;
  }

  filter(state: CycleState, _pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (s === undefined)
      return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    if (!satisfyPodAffinity(s, nodeInfo)) return REJECT_AFFINITY;
    if (!satisfyPodAntiAffinity(s, nodeInfo)) return REJECT_ANTI;
    if (!satisfyExistingPodsAntiAffinity(s, nodeInfo)) return REJECT_EXISTING;
    return undefined;
  }

  preScore(state: CycleState, pod: PodInfo): MaybeStatus {
    if (pod.parseError !== undefined) return Status.error(pod.parseError);
    const snap = this.handle.snapshot;
    const s = calPreScoreState(
      pod,
      this.args,
      this.handle.listers,
      snap.list(),
      snap.havePodsWithAffinity(),
      this.scoreCaches,
    );
    if (s === undefined) return SKIP;
    state.write(PRE_SCORE_KEY, s);
    return undefined;
  }

  score(state: CycleState, _pod: PodInfo, nodeInfo: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    return s === undefined ? 0 : scoreNode(s, nodeInfo);
  }

  normalizeScore(
    state: CycleState,
    _pod: PodInfo,
    _nodes: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (s !== undefined) normalize(s, scores);
    return undefined;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: {
          resource: 'AssignedPod',
          actionType: ActionType.Add | ActionType.UpdatePodLabel | ActionType.Delete,
        },
      },
      { event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeLabel } },
    ];
  }
}

export function New(args: unknown, handle: Handle): InterPodAffinity {
  return new InterPodAffinity(
    (args as InterPodAffinityArgs | undefined) ?? DEFAULT_INTER_POD_AFFINITY_ARGS,
    handle,
  );
}
