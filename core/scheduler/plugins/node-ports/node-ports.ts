/**
 * Filter: the pod's host ports must be free on the node; 0.0.0.0 conflicts with every address
 * (pkg/scheduler/framework/plugins/nodeports/node_ports.go).
 */
import type { Pod } from '../../../api/pod-types.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState, StateData } from '../../framework/cycle-state.ts';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import { podInfoOf, type HostPort, type PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { NODE_PORTS } from '../names/names.ts';

export const NAME = NODE_PORTS;
export const ERR_REASON = "node(s) didn't have free ports for the requested pod ports";

const PRE_FILTER_KEY = `PreFilter${NAME}`;
const REJECT = Status.unschedulable(ERR_REASON).withPlugin(NAME);

interface PreFilterState extends StateData {
  readonly ports: readonly HostPort[];
}

function portsConflict(a: readonly HostPort[], b: readonly HostPort[]): boolean {
  for (const p of a)
    for (const q of b)
      if (
        p.port === q.port &&
        p.protocol === q.protocol &&
        (p.ip === q.ip || p.ip === '0.0.0.0' || q.ip === '0.0.0.0')
      )
        return true;
  return false;
}

export class NodePorts implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  preFilter(state: CycleState, pod: PodInfo): MaybeStatus {
    if (pod.hostPorts.length === 0) return SKIP;
    state.write<PreFilterState>(PRE_FILTER_KEY, { ports: pod.hostPorts });
    return undefined;
  }

  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    const ports = state.read<PreFilterState>(PRE_FILTER_KEY)?.ports ?? pod.hostPorts;
    if (nodeInfo.usedPorts.size === 0) return undefined;
    for (const p of ports) if (nodeInfo.usedPorts.conflicts(p)) return REJECT;
    return undefined;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        // Freed ports can only come from a deleted pod that used a conflicting one.
        event: { resource: 'AssignedPod', actionType: ActionType.Delete },
        hint: (pod: Pod, oldObj: unknown) =>
          portsConflict(podInfoOf(pod).hostPorts, podInfoOf(oldObj as Pod).hostPorts)
            ? 'Queue'
            : 'Skip',
      },
      { event: { resource: 'Node', actionType: ActionType.Add } },
    ];
  }
}

export function New(): NodePorts {
  return new NodePorts();
}
