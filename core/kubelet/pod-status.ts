/**
 * The API pod status the kubelet reports, as pure functions of what it knows about the pod
 * (pkg/kubelet/kubelet_pods.go getPhase / generateAPIPodStatus, pkg/kubelet/status/generate.go).
 */
import { setCondition } from '../api/conditions.ts';
import type { Time } from '../api/meta-types.ts';
import type {
  Container,
  ContainerStatus,
  Pod,
  PodCondition,
  PodPhase,
  PodSpec,
  PodStatus,
} from '../api/pod-types.ts';
import { computePodQOS } from '../api/pod-helpers.ts';

export interface PodStatusInput {
  readonly hostIP: string;
  readonly podIP: string | undefined;
  readonly startTime: Time | undefined;
  readonly sandboxReady: boolean;
  readonly initContainerStatuses: readonly ContainerStatus[];
  readonly containerStatuses: readonly ContainerStatus[];
  /** The pod is done for good (deleted, or ran to completion): phase must be terminal. */
  readonly terminal: boolean;
}

/** Conditions the kubelet owns; anything else on the pod (PodScheduled, DisruptionTarget) is kept. */
export const KUBELET_CONDITIONS = [
  'PodReadyToStartContainers',
  'Initialized',
  'ContainersReady',
  'Ready',
];

export function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

function statusOf(statuses: readonly ContainerStatus[], name: string): ContainerStatus | undefined {
  return statuses.find((s) => s.name === name);
}

/** Upstream getPhase, including the terminal-pod rule of 1.27+ (podIsTerminal). */
export function getPhase(
  spec: PodSpec,
  initStatuses: readonly ContainerStatus[],
  statuses: readonly ContainerStatus[],
  podIsTerminal: boolean,
): PodPhase {
  let pendingInitialization = 0;
  let failedInitialization = 0;
  for (const c of spec.initContainers ?? []) {
    const s = statusOf(initStatuses, c.name);
    if (isSidecar(c)) {
      if (s?.state?.running === undefined || s.started !== true) pendingInitialization++;
      continue;
    }
    if (s === undefined || s.state?.running !== undefined) pendingInitialization++;
    else if (s.state?.terminated !== undefined) {
      if (s.state.terminated.exitCode !== 0) failedInitialization++;
    } else if (s.state?.waiting !== undefined && s.lastState?.terminated !== undefined) {
      if (s.lastState.terminated.exitCode !== 0) failedInitialization++;
    } else pendingInitialization++;
  }
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of spec.containers) {
    const s = statusOf(statuses, c.name);
    if (s === undefined) unknown++;
    else if (s.state?.running !== undefined) running++;
    else if (s.state?.terminated !== undefined) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting !== undefined) {
      if (s.lastState?.terminated !== undefined) stopped++;
      else waiting++;
    } else unknown++;
  }
  const restartPolicy = spec.restartPolicy ?? 'Always';
  if (failedInitialization > 0 && restartPolicy === 'Never') return 'Failed';
  // A sidecar restarting after the regular containers have run does not make the pod Pending
  // again (HasAnyRegularContainerStarted).
  const regularStarted = statuses.some(
    (s) =>
      spec.containers.some((c) => c.name === s.name) &&
      (s.state?.running !== undefined || s.state?.terminated !== undefined),
  );
  if ((pendingInitialization > 0 && !regularStarted) || waiting > 0) {
    return podIsTerminal ? 'Failed' : 'Pending';
  }
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (podIsTerminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function namesWhere(
  containers: readonly Container[],
  statuses: readonly ContainerStatus[],
  bad: (s: ContainerStatus | undefined, c: Container) => boolean,
): string[] {
  return containers.filter((c) => bad(statusOf(statuses, c.name), c)).map((c) => c.name);
}

function kubeletConditions(pod: Pod, input: PodStatusInput, phase: PodPhase): PodCondition[] {
  const incompleteInit = namesWhere(
    pod.spec.initContainers ?? [],
    input.initContainerStatuses,
    (s, c) => (isSidecar(c) ? s?.started !== true : s?.state?.terminated?.exitCode !== 0),
  );
  const unready = namesWhere(
    pod.spec.containers,
    input.containerStatuses,
    (s) => s?.ready !== true,
  );
  const sandbox: PodCondition = {
    type: 'PodReadyToStartContainers',
    status: input.sandboxReady ? 'True' : 'False',
  };
  const initialized: PodCondition =
    incompleteInit.length === 0 || phase === 'Succeeded'
      ? { type: 'Initialized', status: 'True' }
      : {
          type: 'Initialized',
          status: 'False',
          reason: 'ContainersNotInitialized',
          message: `containers with incomplete status: [${incompleteInit.join(' ')}]`,
        };
  const ready = (type: string): PodCondition => {
    if (unready.length === 0 && phase === 'Running') return { type, status: 'True' };
    if (phase === 'Succeeded') return { type, status: 'False', reason: 'PodCompleted' };
    if (
      incompleteInit.length > 0 &&
      unready.length === pod.spec.containers.length &&
      type === 'Ready'
    ) {
      return {
        type,
        status: 'False',
        reason: 'ContainersNotInitialized',
        message: `containers with incomplete status: [${incompleteInit.join(' ')}]`,
      };
    }
    const names = unready.length > 0 ? unready : pod.spec.containers.map((c) => c.name);
    return {
      type,
      status: 'False',
      reason: 'ContainersNotReady',
      message: `containers with unready status: [${names.join(' ')}]`,
    };
  };
  const containersReady = ready('ContainersReady');
  const podReady =
    containersReady.status === 'True' ? readinessGatesCondition(pod) : ready('Ready');
  return [sandbox, initialized, containersReady, podReady];
}

/**
 * generate.go GeneratePodReadyCondition once the containers are ready: every readiness gate's
 * condition (set by someone else on the pod's status) must be True.
 */
function readinessGatesCondition(pod: Pod): PodCondition {
  const conditions = pod.status?.conditions ?? [];
  const unready: string[] = [];
  for (const gate of pod.spec.readinessGates ?? []) {
    const c = conditions.find((x) => x.type === gate.conditionType);
    if (c === undefined)
      unready.push(
        `corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`,
      );
    else if (c.status !== 'True')
      unready.push(
        `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${c.status}`,
      );
  }
  if (unready.length === 0) return { type: 'Ready', status: 'True' };
  return {
    type: 'Ready',
    status: 'False',
    reason: 'ReadinessGatesNotReady',
    message: unready.join(', '),
  };
}

/**
 * The status to report: kubelet-owned fields recomputed, everything else on the API status
 * (PodScheduled, nominatedNodeName, conditions of other controllers) carried over. Condition
 * transition times only move when a condition's status changes.
 */
export function generatePodStatus(pod: Pod, input: PodStatusInput, nowIso: Time): PodStatus {
  const old = pod.status ?? {};
  const phase = getPhase(
    pod.spec,
    input.initContainerStatuses,
    input.containerStatuses,
    input.terminal,
  );
  let conditions: readonly PodCondition[] = old.conditions ?? [];
  if (conditions.every((c) => c.type !== 'PodScheduled')) {
    conditions = setCondition(conditions, { type: 'PodScheduled', status: 'True' }, nowIso);
  }
  for (const c of kubeletConditions(pod, input, phase))
    conditions = setCondition(conditions, c, nowIso);
  const status: Record<string, unknown> = {
    ...old,
    phase,
    conditions,
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIP === undefined ? {} : { podIP: input.podIP, podIPs: [{ ip: input.podIP }] }),
    ...(input.startTime === undefined ? {} : { startTime: input.startTime }),
    ...((pod.spec.initContainers?.length ?? 0) > 0
      ? { initContainerStatuses: input.initContainerStatuses }
      : {}),
    containerStatuses: input.containerStatuses,
    qosClass: old.qosClass ?? computePodQOS(pod),
  };
  delete status.reason;
  delete status.message;
  return status as PodStatus;
}

/**
 * A terminal pod's statuses: any container that did not end with a known exit is reported as
 * terminated with ContainerStatusUnknown, as upstream does for containers it cannot find.
 */
export function terminalContainerStatus(s: ContainerStatus): ContainerStatus {
  if (s.state?.terminated !== undefined) return s;
  return {
    ...s,
    ready: false,
    started: false,
    state: {
      terminated: {
        exitCode: 137,
        reason: 'ContainerStatusUnknown',
        message: 'The container could not be located when the pod was terminated',
      },
    },
  };
}
