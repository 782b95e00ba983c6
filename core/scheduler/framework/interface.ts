/**
 * One small interface per extension point (staging/src/k8s.io/kube-scheduler/framework/
 * interface.go). Plugins receive the pod as a PodInfo (the pod plus everything derived from
 * it once) and nodes as NodeInfo. `undefined` in place of a Status means Success.
 */
import type { Pod } from '../../api/pod-types.ts';
import type { PersistentVolume } from '../../api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../api/kinds/persistent-volume-claim.ts';
import type { ClusterEventWithHint } from './cluster-event.ts';
import type { CycleState } from './cycle-state.ts';
import type { NodeInfo } from './node-info.ts';
import type { PodInfo } from './pod-info.ts';
import type { QueuedPodInfo } from './queued-pod-info.ts';
import type { MaybeStatus, Status } from './status.ts';
import type { NodeToStatus } from './node-to-status.ts';

export const MAX_NODE_SCORE = 100;
export const MIN_NODE_SCORE = 0;

export interface Plugin {
  readonly name: string;
}

/** Gates a pod before it enters the active queue (spec.schedulingGates). */
export interface PreEnqueuePlugin extends Plugin {
  preEnqueue(pod: PodInfo): MaybeStatus;
}

/** Orders the active queue; exactly one per profile. */
export interface QueueSortPlugin extends Plugin {
  less(a: QueuedPodInfo, b: QueuedPodInfo): boolean;
}

/** A PreFilter may narrow the candidate nodes (e.g. NodeAffinity on metadata.name). */
export class PreFilterResult {
  constructor(readonly nodeNames: ReadonlySet<string>) {}
}

/** Keeps PreFilter state right when preemption or nominated pods add/remove pods hypothetically. */
export interface PreFilterExtensions {
  addPod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToAdd: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus;
  removePod(
    state: CycleState,
    podToSchedule: PodInfo,
    podToRemove: PodInfo,
    nodeInfo: NodeInfo,
  ): MaybeStatus;
}

export interface PreFilterPlugin extends Plugin {
  /** Skip disables this plugin's Filter for the cycle; a rejection fails the whole cycle. */
  preFilter(state: CycleState, pod: PodInfo): MaybeStatus | PreFilterResult;
  readonly preFilterExtensions?: PreFilterExtensions;
}

export interface FilterPlugin extends Plugin {
  filter(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): MaybeStatus;
}

export type NominatingMode = 'Noop' | 'Override';

export interface PostFilterResult {
  readonly nominatedNodeName: string;
  readonly mode: NominatingMode;
}

export interface PostFilterOutcome {
  readonly result?: PostFilterResult;
  readonly status: MaybeStatus;
}

/** Runs when no node fits (preemption). */
export interface PostFilterPlugin extends Plugin {
  postFilter(
    state: CycleState,
    pod: PodInfo,
    filteredNodeStatuses: NodeToStatus,
  ): PostFilterOutcome;
}

export interface PreScorePlugin extends Plugin {
  /** Skip disables this plugin's Score for the cycle. */
  preScore(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): MaybeStatus;
}

export interface ScorePlugin extends Plugin {
  /** Raw score of one feasible node. */
  score(state: CycleState, pod: PodInfo, nodeInfo: NodeInfo): number;
  /**
   * Optional batch form of `score` (same results): writes every node's raw score into
   * `scores`. It keeps the per-node loop inside the plugin, where calls are monomorphic.
   */
  scoreAll?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void;
  /** Rescales `scores` (parallel to `nodes`) in place to [0, MAX_NODE_SCORE]. */
  normalizeScore?(
    state: CycleState,
    pod: PodInfo,
    nodes: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus;
}

export interface ReservePlugin extends Plugin {
  reserve(state: CycleState, pod: PodInfo, nodeName: string): MaybeStatus;
  unreserve(state: CycleState, pod: PodInfo, nodeName: string): void;
}

export interface PermitOutcome {
  /** Success, a rejection, or Wait (then `timeoutUs` bounds the wait). */
  readonly status: MaybeStatus;
  readonly timeoutUs: number;
}

export interface PermitPlugin extends Plugin {
  permit(state: CycleState, pod: PodInfo, nodeName: string): PermitOutcome;
}

export interface PreBindPlugin extends Plugin {
  /**
   * PreBindPreFlight: Skip when PreBind has nothing to do for this pod, so a binding cycle in
   * which no plugin needs PreBind goes straight to Bind (no await). Absent: always needed.
   */
  preBindPreFlight?(state: CycleState, pod: PodInfo, nodeName: string): MaybeStatus;
  preBind(state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus>;
}

/** Skip passes the pod to the next binder. */
export interface BindPlugin extends Plugin {
  bind(state: CycleState, pod: PodInfo, nodeName: string): Promise<MaybeStatus>;
}

export interface PostBindPlugin extends Plugin {
  postBind(state: CycleState, pod: PodInfo, nodeName: string): void;
}

/** Events that may turn this plugin's rejections into acceptances (queue requeueing). */
export interface EnqueueExtensions {
  eventsToRegister(): readonly ClusterEventWithHint[];
}

/** Effects leaving the scheduling algorithm; the Scheduler process sends them to the API server. */
export interface SchedulerActions {
  /** POST pods/{name}/binding. */
  bind(pod: Pod, nodeName: string): Promise<MaybeStatus>;
  /** Marks the victim DisruptionTarget and deletes it gracefully; fire and forget. */
  preemptVictim(preemptor: Pod, victim: Pod, nodeName: string): void;
  /** Clears status.nominatedNodeName of a pod nominated elsewhere; fire and forget. */
  clearNominatedNodeName(pod: Pod): void;
  /**
   * VolumeBinding's PreBind writes: a volume's claimRef, a claim's selected-node annotation
   * (an update at the object's resourceVersion). Absent where no API server is behind.
   */
  updateVolumeObject?(obj: PersistentVolume | PersistentVolumeClaim): Promise<MaybeStatus>;
}

export type { Status };
