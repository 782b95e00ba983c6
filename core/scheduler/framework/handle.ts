/**
 * What plugins get from the framework that built them (staging/src/k8s.io/kube-scheduler/
 * framework/interface.go Handle): the cycle's snapshot, cluster listers, the nominator, the
 * ports, the effects sink, and the framework's own runners (preemption needs them).
 */
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import type { CycleState } from './cycle-state.ts';
import type { SchedulerActions } from './interface.ts';
import type { ClusterListers, NodeInfoLister } from './listers.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import type { MaybeStatus } from './status.ts';

/** Pods nominated to nodes by preemption (pkg/scheduler/backend/queue nominator). */
export interface PodNominator {
  nominatedPodsForNode(nodeName: string): readonly PodInfo[];
}

export interface Handle {
  readonly profileName: string;
  readonly snapshot: NodeInfoLister;
  readonly listers: ClusterListers;
  readonly nominator: PodNominator;
  readonly clock: Clock;
  /** This profile's own stream (plugins fork it further). */
  readonly random: Random;
  readonly actions: SchedulerActions;
  runFilterPluginsWithNominatedPods(
    state: CycleState,
    pod: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus;
  runPreFilterExtensionAddPod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToAdd: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus;
  runPreFilterExtensionRemovePod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToRemove: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus;
  /** Rejects a pod waiting on Permit (preemption of a waiting pod); false if none waits. */
  rejectWaitingPod(podKey: string, plugin: string, message: string): boolean;
}
