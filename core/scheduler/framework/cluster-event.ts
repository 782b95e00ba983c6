/**
 * Cluster events that may make an unschedulable pod schedulable
 * (staging/src/k8s.io/kube-scheduler/framework/types.go ClusterEvent, ActionType). Plugins
 * register the events that can undo their rejections; the queue moves a pod out of the
 * unschedulable pool only on an event one of its rejecting plugins registered.
 */
import type { Node } from '../../api/node-types.ts';
import type { Pod } from '../../api/pod-types.ts';

export type EventResource =
  | 'Node'
  | 'AssignedPod'
  | 'UnscheduledPod'
  | 'PodDisruptionBudget'
  | 'Namespace'
  | 'PersistentVolumeClaim'
  | 'PersistentVolume'
  | 'StorageClass'
  | 'WildCard';

/** Resources whose events reach the queue through SchedulingEngine.onOtherEvent. */
export type OtherEventResource = Exclude<
  EventResource,
  'Node' | 'AssignedPod' | 'UnscheduledPod' | 'WildCard'
>;

/** Bit flags, as upstream's ActionType. */
export const ActionType = {
  Add: 1,
  Delete: 2,
  UpdateNodeAllocatable: 4,
  UpdateNodeLabel: 8,
  UpdateNodeTaint: 16,
  UpdateNodeCondition: 32,
  UpdateNodeAnnotation: 64,
  UpdatePodLabel: 128,
  UpdatePodScaleDown: 256,
  UpdatePodTolerations: 512,
  UpdatePodSchedulingGatesEliminated: 1024,
  /** Any other change (the catch-all for objects without fine-grained update types). */
  UpdateOther: 2048,
} as const;

/** Every update type: register it to react to any change of an object. */
export const UPDATE =
  ActionType.UpdateNodeAllocatable |
  ActionType.UpdateNodeLabel |
  ActionType.UpdateNodeTaint |
  ActionType.UpdateNodeCondition |
  ActionType.UpdateNodeAnnotation |
  ActionType.UpdatePodLabel |
  ActionType.UpdatePodScaleDown |
  ActionType.UpdatePodTolerations |
  ActionType.UpdatePodSchedulingGatesEliminated |
  ActionType.UpdateOther;
export const ALL_ACTIONS = ActionType.Add | ActionType.Delete | UPDATE;

export interface ClusterEvent {
  readonly resource: EventResource;
  /** One or more ActionType bits. */
  readonly actionType: number;
  readonly label?: string;
}

export type QueueingHint = 'Queue' | 'Skip';

/**
 * Decides whether an event (old/new objects of the event's resource) may make `pod`
 * schedulable; absent means "always Queue".
 */
export type QueueingHintFn = (pod: Pod, oldObj: unknown, newObj: unknown) => QueueingHint;

export interface ClusterEventWithHint {
  readonly event: ClusterEvent;
  readonly hint?: QueueingHintFn;
}

export function eventMatches(registered: ClusterEvent, happened: ClusterEvent): boolean {
  return (
    (registered.resource === 'WildCard' || registered.resource === happened.resource) &&
    (registered.actionType & happened.actionType) !== 0
  );
}

export const EVENT_ASSIGNED_POD_DELETE: ClusterEvent = {
  resource: 'AssignedPod',
  actionType: ActionType.Delete,
};

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Which fine-grained update types a node update carries (eventhandlers.go nodeSchedulingPropertiesChange). */
export function nodeUpdateActions(oldNode: Node, newNode: Node): number {
  let a = 0;
  if (!sameJson(oldNode.status?.allocatable, newNode.status?.allocatable))
    a |= ActionType.UpdateNodeAllocatable;
  if (!sameJson(oldNode.metadata.labels, newNode.metadata.labels)) a |= ActionType.UpdateNodeLabel;
  if (
    !sameJson(oldNode.spec?.taints, newNode.spec?.taints) ||
    (oldNode.spec?.unschedulable ?? false) !== (newNode.spec?.unschedulable ?? false)
  )
    a |= ActionType.UpdateNodeTaint;
  if (!sameJson(conditionStatuses(oldNode), conditionStatuses(newNode)))
    a |= ActionType.UpdateNodeCondition;
  if (!sameJson(oldNode.metadata.annotations, newNode.metadata.annotations))
    a |= ActionType.UpdateNodeAnnotation;
  return a;
}

function conditionStatuses(n: Node): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of n.status?.conditions ?? []) out[c.type] = c.status;
  return out;
}

/** Which update types a pod update carries (framework/events.go extractPodLabelsChange etc.). */
export function podUpdateActions(oldPod: Pod, newPod: Pod): number {
  let a = 0;
  if (!sameJson(oldPod.metadata.labels, newPod.metadata.labels)) a |= ActionType.UpdatePodLabel;
  if (!sameJson(oldPod.spec.tolerations, newPod.spec.tolerations))
    a |= ActionType.UpdatePodTolerations;
  if (
    (oldPod.spec.schedulingGates ?? []).length > 0 &&
    (newPod.spec.schedulingGates ?? []).length === 0
  )
    a |= ActionType.UpdatePodSchedulingGatesEliminated;
  if (
    !sameJson(
      oldPod.spec.containers.map((c) => c.resources),
      newPod.spec.containers.map((c) => c.resources),
    )
  )
    a |= ActionType.UpdatePodScaleDown;
  return a === 0 ? ActionType.UpdateOther : a;
}
