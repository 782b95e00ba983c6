/**
 * The pod columns of `kubectl get pods` (upstream printPod in pkg/printers/internalversion):
 * READY counts ready containers (and started sidecars), STATUS is the most telling reason among
 * init containers, containers and deletion, RESTARTS adds when the last restart was.
 */
import { isConditionTrue } from '../conditions.ts';
import type { Container, ContainerStatus, Pod } from '../pod-types.ts';
import { parseTime } from '../time.ts';
import { AGE_COLUMN, NAME_COLUMN, orNone } from './common.ts';
import type { TableColumn } from './definition.ts';
import { humanDuration } from './duration.ts';

/** NodeUnreachablePodReason: the node lifecycle controller's reason for pods of a lost node. */
const NODE_LOST_REASON = 'NodeLost';

interface PodRow {
  readonly ready: string;
  readonly reason: string;
  readonly restarts: number;
  /** Virtual time of the last restart, if a terminated state says when. */
  readonly lastRestartUs: number | undefined;
}

const isSidecar = (c: Container | undefined): boolean => c?.restartPolicy === 'Always';

function finishedAtUs(s: ContainerStatus): number | undefined {
  const at = s.lastState?.terminated?.finishedAt;
  return at === undefined ? undefined : parseTime(at);
}

function later(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined || b <= a ? a : b;
}

function terminatedReason(exitCode: number, signal: number | undefined): string {
  return signal ? `Signal:${signal}` : `ExitCode:${exitCode}`;
}

function podRow(pod: Pod): PodRow {
  const status = pod.status ?? {};
  let reason: string = status.reason || status.phase || '';
  if (
    (status.conditions ?? []).some(
      (c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated',
    )
  ) {
    reason = 'SchedulingGated';
  }
  const initSpecs = new Map((pod.spec.initContainers ?? []).map((c) => [c.name, c]));
  let total = pod.spec.containers.length;
  for (const c of initSpecs.values()) if (isSidecar(c)) total++;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestartUs: number | undefined;
  let lastSidecarRestartUs: number | undefined;
  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [i, c] of initStatuses.entries()) {
    restarts += c.restartCount;
    lastRestartUs = later(lastRestartUs, finishedAtUs(c));
    const sidecar = isSidecar(initSpecs.get(c.name));
    if (sidecar) {
      sidecarRestarts += c.restartCount;
      lastSidecarRestartUs = later(lastSidecarRestartUs, finishedAtUs(c));
    }
    const terminated = c.state?.terminated;
    const waiting = c.state?.waiting;
    if (terminated !== undefined && terminated.exitCode === 0) continue;
    if (sidecar && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (terminated !== undefined) {
      reason = `Init:${terminated.reason || terminatedReason(terminated.exitCode, terminated.signal)}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${i}/${initSpecs.size}`;
    }
    initializing = true;
    break;
  }
  if (!initializing || isConditionTrue(status.conditions, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestartUs = lastSidecarRestartUs;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] as ContainerStatus;
      restarts += c.restartCount;
      lastRestartUs = later(lastRestartUs, finishedAtUs(c));
      const { waiting, terminated, running } = c.state ?? {};
      if (waiting?.reason) reason = waiting.reason;
      else if (terminated?.reason) reason = terminated.reason;
      else if (terminated !== undefined)
        reason = terminatedReason(terminated.exitCode, terminated.signal);
      else if (c.ready && running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      reason = isConditionTrue(status.conditions, 'Ready') ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp !== undefined) {
    if (status.reason === NODE_LOST_REASON) reason = 'Unknown';
    else if (status.phase !== 'Succeeded' && status.phase !== 'Failed') reason = 'Terminating';
  }
  return { ready: `${ready}/${total}`, reason, restarts, lastRestartUs };
}

function restartsCell(pod: Pod, nowUs: number): string {
  const { restarts, lastRestartUs } = podRow(pod);
  if (restarts === 0 || lastRestartUs === undefined) return String(restarts);
  return `${restarts} (${humanDuration(nowUs - lastRestartUs)} ago)`;
}

function readinessGatesCell(pod: Pod): string {
  const gates = pod.spec.readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions = pod.status?.conditions ?? [];
  const met = gates.filter(
    (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
  ).length;
  return `${met}/${gates.length}`;
}

export const POD_TABLE: readonly TableColumn<Pod>[] = [
  NAME_COLUMN,
  {
    name: 'Ready',
    type: 'string',
    priority: 0,
    description: 'The aggregate readiness state of this pod for accepting traffic.',
    cell: (pod) => podRow(pod).ready,
  },
  {
    name: 'Status',
    type: 'string',
    priority: 0,
    description: 'The aggregate status of the containers in this pod.',
    cell: (pod) => podRow(pod).reason,
  },
  {
    name: 'Restarts',
    type: 'string',
    priority: 0,
    description:
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    cell: restartsCell,
  },
  AGE_COLUMN,
  {
    name: 'IP',
    type: 'string',
    priority: 1,
    description:
      'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
    cell: (pod) => orNone(pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP),
  },
  {
    name: 'Node',
    type: 'string',
    priority: 1,
    description:
      'NodeName indicates in which node this pod is scheduled. If empty, this pod is a candidate for scheduling by the scheduler defined in schedulerName.',
    cell: (pod) => orNone(pod.spec.nodeName),
  },
  {
    name: 'Nominated Node',
    type: 'string',
    priority: 1,
    description:
      'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.',
    cell: (pod) => orNone(pod.status?.nominatedNodeName),
  },
  {
    name: 'Readiness Gates',
    type: 'string',
    priority: 1,
    description:
      'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True"',
    cell: readinessGatesCell,
  },
];
