/**
 * PodTopologySpread (pkg/scheduler/framework/plugins/podtopologyspread/plugin.go): spreads
 * matching pods across topology domains. DoNotSchedule constraints filter (filtering.ts),
 * ScheduleAnyway constraints score (scoring.ts). Pods without constraints get the profile's
 * default constraints (System: hostname maxSkew 3, zone maxSkew 5, soft) over the selector of
 * the Services/ReplicaSets/... that select them.
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
import { POD_TOPOLOGY_SPREAD } from '../names/names.ts';
import {
  DEFAULT_POD_TOPOLOGY_SPREAD_ARGS,
  SYSTEM_DEFAULT_CONSTRAINTS,
  type PodTopologySpreadArgs,
} from './args.ts';
import {
  buildDefaultConstraints,
  ConstraintError,
  filterConstraints,
  type Constraint,
} from './common.ts';
import { DomainCache } from './domain-cache.ts';
import { calPreFilterState, filterNode, PreFilterState } from './filtering.ts';
import { calPreScoreState, normalize, PreScoreState, scoreNode } from './scoring.ts';

export const NAME = POD_TOPOLOGY_SPREAD;
export const ERR_REASON_CONSTRAINTS_NOT_MATCH =
  "node(s) didn't match pod topology spread constraints";
export const ERR_REASON_NODE_LABEL_NOT_MATCH = `${ERR_REASON_CONSTRAINTS_NOT_MATCH} (missing required label)`;

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const PRE_SCORE_KEY = `PreScore${NAME}`;
const REJECT_SKEW = Status.unschedulable(ERR_REASON_CONSTRAINTS_NOT_MATCH).withPlugin(NAME);
const REJECT_LABEL = Status.unresolvable(ERR_REASON_NODE_LABEL_NOT_MATCH).withPlugin(NAME);

export class PodTopologySpread
  implements PreFilterPlugin, FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = NAME;
  private readonly defaults: PodTopologySpreadArgs['defaultConstraints'];
  private readonly systemDefaulted: boolean;
  readonly preFilterExtensions: PreFilterExtensions;
  /** PreFilter's and PreScore's per-domain counts, kept across cycles (domain-cache.ts). */
  private readonly domainCache = new DomainCache();

  constructor(
    args: PodTopologySpreadArgs,
    private readonly handle: Handle,
  ) {
    this.systemDefaulted = args.defaultingType === 'System';
    this.defaults = this.systemDefaulted ? SYSTEM_DEFAULT_CONSTRAINTS : args.defaultConstraints;
    const update = (
      state: CycleState,
      pod: PodInfo,
      other: PodInfo,
      ni: NodeInfo,
      delta: number,
    ): MaybeStatus => {
      state.read<PreFilterState>(PRE_FILTER_KEY)?.updateWithPod(other, pod, ni.node, delta);
      return undefined;
    };
    this.preFilterExtensions = {
      addPod: (state, pod, other, ni) => update(state, pod, other, ni, 1),
      removePod: (state, pod, other, ni) => update(state, pod, other, ni, -1),
    };
  }

  private constraintsFor(pod: PodInfo, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    const own = pod.pod.spec.topologySpreadConstraints ?? [];
    if (own.length > 0) return filterConstraints(own, pod.labels, action);
    return buildDefaultConstraints(this.defaults, pod, this.handle.listers, action);
  }

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus {
    let constraints: Constraint[];
    try {
      constraints = this.constraintsFor(pod, 'DoNotSchedule');
    } catch (e) {
      if (e instanceof ConstraintError)
        return Status.error(`obtaining pod's hard topology spread constraints: ${e.message}`);
      throw e;
    }
    if (constraints.length === 0) return SKIP;
    state.write(
      PRE_FILTER_KEY,
      calPreFilterState(pod, constraints, this.handle.snapshot.list(), this.domainCache),
    );
    return undefined;
  }

  filter(state: CycleState, _pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const s = state.read<PreFilterState>(PRE_FILTER_KEY);
    if (s === undefined)
      return Status.error(`reading "${PRE_FILTER_KEY}" from cycleState: not found`);
    switch (filterNode(s, nodeInfo)) {
      case 'ok':
        return undefined;
      case 'missingLabel':
        return REJECT_LABEL;
      case 'skew':
        return REJECT_SKEW;
    }
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): MaybeStatus {
    const all = this.handle.snapshot.list();
    if (all.length === 0) return SKIP;
    let constraints: Constraint[];
    try {
      constraints = this.constraintsFor(pod, 'ScheduleAnyway');
    } catch (e) {
      if (e instanceof ConstraintError)
        return Status.error(`obtaining pod's soft topology spread constraints: ${e.message}`);
      throw e;
    }
    if (constraints.length === 0) return SKIP;
    // Only non-default constraints require every topology label, so zone-less nodes still get
    // hostname spreading from the system defaults.
    const requireAll =
      (pod.pod.spec.topologySpreadConstraints ?? []).length > 0 || !this.systemDefaulted;
    state.write(
      PRE_SCORE_KEY,
      calPreScoreState(pod, constraints, nodes, all, requireAll, this.domainCache),
    );
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    return s === undefined ? 0 : scoreNode(s, pod, nodeInfo);
  }

  normalizeScore(
    state: CycleState,
    _pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus {
    const s = state.read<PreScoreState>(PRE_SCORE_KEY);
    if (s !== undefined) normalize(s, nodes, scores);
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
      {
        event: {
          resource: 'Node',
          actionType:
            ActionType.Add |
            ActionType.Delete |
            ActionType.UpdateNodeLabel |
            ActionType.UpdateNodeTaint,
        },
      },
    ];
  }
}

export function New(args: unknown, handle: Handle): PodTopologySpread {
  return new PodTopologySpread(
    (args as PodTopologySpreadArgs | undefined) ?? DEFAULT_POD_TOPOLOGY_SPREAD_ARGS,
    handle,
  );
}
