/**
 * Filter: a cordoned node (spec.unschedulable) takes only pods tolerating the
 * node.kubernetes.io/unschedulable:NoSchedule taint
 * (pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go).
 */
import type { Node, Taint } from '../../../api/node-types.ts';
import { taintToleratedBy } from '../../../api/node-affinity.ts';
import type { Pod } from '../../../api/pod-types.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState } from '../../framework/cycle-state.ts';
import type { EnqueueExtensions, FilterPlugin } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { Status, type MaybeStatus } from '../../framework/status.ts';
import { NODE_UNSCHEDULABLE } from '../names/names.ts';

export const NAME = NODE_UNSCHEDULABLE;
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

const UNSCHEDULABLE_TAINT: Taint = { key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' };
const REJECT = Status.unresolvable(ERR_REASON_UNSCHEDULABLE).withPlugin(NAME);

export class NodeUnschedulable implements FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  filter(_state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    if (!nodeInfo.unschedulable) return undefined;
    return taintToleratedBy(UNSCHEDULABLE_TAINT, pod.tolerations) ? undefined : REJECT;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actionType: ActionType.Add | ActionType.UpdateNodeTaint },
        hint: (_pod: Pod, _old: unknown, newObj: unknown) =>
          (newObj as Node | undefined)?.spec?.unschedulable === true ? 'Skip' : 'Queue',
      },
    ];
  }
}

export function New(): NodeUnschedulable {
  return new NodeUnschedulable();
}
