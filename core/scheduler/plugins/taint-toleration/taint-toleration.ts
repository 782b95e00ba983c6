/**
 * Taints and tolerations (pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go):
 * - Filter: an untolerated NoSchedule/NoExecute taint rejects the node;
 * - Score: fewer untolerated PreferNoSchedule taints is better (normalized reversed).
 */
import type { Node, Taint } from '../../../api/node-types.ts';
import { findUntoleratedTaint, taintToleratedBy } from '../../../api/node-affinity.ts';
import type { Pod, Toleration } from '../../../api/pod-types.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState, StateData } from '../../framework/cycle-state.ts';
import {
  MAX_NODE_SCORE,
  type EnqueueExtensions,
  type FilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { Status, type MaybeStatus } from '../../framework/status.ts';
import { defaultNormalizeScore } from '../helper/normalize-score.ts';
import { TAINT_TOLERATION } from '../names/names.ts';

export const NAME = TAINT_TOLERATION;
const PRE_SCORE_KEY = `PreScore${NAME}`;

/**
 * One reason for every untolerated taint (upstream's ErrReasonNotMatch), so FailedScheduling
 * messages count all tainted nodes together instead of one entry per taint key and value.
 */
export const ERR_REASON_NOT_MATCH = 'node(s) had untolerated taint(s)';
const UNTOLERATED: Status = Status.unresolvable(ERR_REASON_NOT_MATCH).withPlugin(NAME);

function isDoNotSchedule(t: Taint): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}

/** Tolerations that can tolerate PreferNoSchedule taints (empty effect or PreferNoSchedule). */
export function preferNoScheduleTolerations(tolerations: readonly Toleration[]): Toleration[] {
  return tolerations.filter((t) => t.effect === undefined || t.effect === 'PreferNoSchedule');
}

export function countIntolerableTaintsPreferNoSchedule(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
): number {
  let n = 0;
  for (const t of taints) {
    if (t.effect !== 'PreferNoSchedule') continue;
    if (!taintToleratedBy(t, tolerations)) n++;
  }
  return n;
}

interface PreScoreState extends StateData {
  readonly tolerations: readonly Toleration[];
}

export class TaintToleration
  implements FilterPlugin, PreScorePlugin, ScorePlugin, EnqueueExtensions
{
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const taints = nodeInfo.hardTaints;
    if (taints.length === 0) return undefined;
    const taint = findUntoleratedTaint(taints, pod.tolerations, isDoNotSchedule);
    return taint === undefined ? undefined : UNTOLERATED;
  }

  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): MaybeStatus {
    if (nodes.length === 0) return undefined;
    state.write<PreScoreState>(PRE_SCORE_KEY, {
      tolerations: preferNoScheduleTolerations(pod.tolerations),
    });
    return undefined;
  }

  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number {
    if (nodeInfo.taints.length === 0) return 0;
    const tolerations =
      state.read<PreScoreState>(PRE_SCORE_KEY)?.tolerations ??
      preferNoScheduleTolerations(pod.tolerations);
    return countIntolerableTaintsPreferNoSchedule(nodeInfo.taints, tolerations);
  }

  scoreAll(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void {
    for (let i = 0; i < nodes.length; i++) {
      const ni = nodes[i] as NodeInfo;
      scores[i] = ni.taints.length === 0 ? 0 : this.score(state, pod, ni);
    }
  }

  normalizeScore(
    _state: CycleState,
    _pod: PodInfo,
    _nodes: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus {
    defaultNormalizeScore(MAX_NODE_SCORE, true, scores);
    return undefined;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeTaint },
        hint: (pod: Pod, _old: unknown, newObj: unknown) =>
          findUntoleratedTaint(
            (newObj as Node).spec?.taints,
            pod.spec.tolerations,
            isDoNotSchedule,
          ) === undefined
            ? 'Queue'
            : 'Skip',
      },
      { event: { resource: 'UnscheduledPod', actionType: ActionType.UpdatePodTolerations } },
    ];
  }
}

export function New(): TaintToleration {
  return new TaintToleration();
}
