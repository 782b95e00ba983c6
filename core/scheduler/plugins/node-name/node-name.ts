/**
 * Filter: a pod that names a node (spec.nodeName) fits only that node
 * (pkg/scheduler/framework/plugins/nodename/node_name.go).
 */
import type { Node } from '../../../api/node-types.ts';
import type { Pod } from '../../../api/pod-types.ts';
import { ActionType, type ClusterEventWithHint } from '../../framework/cluster-event.ts';
import type { CycleState } from '../../framework/cycle-state.ts';
import type {
  EnqueueExtensions,
  FilterPlugin,
  PreFilterPlugin,
} from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { SKIP, Status, type MaybeStatus } from '../../framework/status.ts';
import { NODE_NAME } from '../names/names.ts';

export const NAME = NODE_NAME;
export const ERR_REASON = "node(s) didn't match the requested node name";

const REJECT = Status.unresolvable(ERR_REASON).withPlugin(NAME);

export function fits(pod: Pod, nodeName: string): boolean {
  const want = pod.spec.nodeName;
  return want === undefined || want === '' || want === nodeName;
}

export class NodeName implements PreFilterPlugin, FilterPlugin, EnqueueExtensions {
  readonly name = NAME;

  /**
   * Not in upstream, which runs this Filter on every node: a pod without spec.nodeName passes
   * it everywhere, so skipping it changes no decision and saves a call per node.
   */
  preFilter(_state: CycleState, pod: PodInfo): MaybeStatus {
    const want = pod.pod.spec.nodeName;
    return want === undefined || want === '' ? SKIP : undefined;
  }

  filter(_state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus {
    return fits(pod.pod, nodeInfo.name) ? undefined : REJECT;
  }

  eventsToRegister(): readonly ClusterEventWithHint[] {
    return [
      {
        event: { resource: 'Node', actionType: ActionType.Add },
        hint: (pod: Pod, _old: unknown, newObj: unknown) =>
          fits(pod, (newObj as Node).metadata.name ?? '') ? 'Queue' : 'Skip',
      },
    ];
  }
}

export function New(): NodeName {
  return new NodeName();
}
