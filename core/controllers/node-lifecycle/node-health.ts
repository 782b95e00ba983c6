/**
 * Node health bookkeeping of the node lifecycle controller: tryUpdateNodeHealth
 * (pkg/controller/nodelifecycle/node_lifecycle_controller.go) as a pure function.
 *
 * The controller never compares the kubelet's timestamps with its own clock. It remembers when
 * *it* last saw the Ready heartbeat or the Lease's renewTime change (the probe timestamp), so
 * clock skew between machines cannot make a node look dead or alive.
 */
import { getCondition } from '../../api/conditions.ts';
import type { Lease } from '../../api/cluster-types.ts';
import type { Node, NodeCondition, NodeStatus } from '../../api/node-types.ts';
import { formatTime, parseTime } from '../../api/time.ts';

export interface NodeHealth {
  /** The status as last recorded (upstream keeps the old one while heartbeats do not change). */
  readonly status: NodeStatus | undefined;
  readonly probeTimestampUs: number;
  readonly readyTransitionTimestampUs: number;
  /** renewTime of the Lease last seen renewed, in virtual µs. */
  readonly leaseRenewUs: number | undefined;
  /** That renewTime as the Lease wrote it, so an unchanged Lease is not parsed again. */
  readonly leaseRenewTime?: string;
}

export interface HealthOptions {
  readonly nodeMonitorGracePeriodUs: number;
  readonly nodeStartupGracePeriodUs: number;
}

export interface HealthEvaluation {
  /** What to remember if no status write follows (or it fails). */
  readonly health: NodeHealth;
  /** Ready as the node had it when this pass started. */
  readonly observedReady: NodeCondition;
  /** Ready after this pass (after `write`, if any). */
  readonly currentReady: NodeCondition | undefined;
  /** Conditions to write through nodes/status, and what to remember once that succeeded. */
  readonly write:
    { readonly conditions: readonly NodeCondition[]; readonly health: NodeHealth } | undefined;
}

/** The conditions the controller turns Unknown (NetworkUnavailable is the network plugin's). */
const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export function evaluateNodeHealth(
  node: Node,
  saved: NodeHealth | undefined,
  lease: Lease | undefined,
  nowUs: number,
  options: HealthOptions,
): HealthEvaluation {
  const status = node.status;
  const createdIso = node.metadata.creationTimestamp ?? formatTime(0);
  const currentReady = getCondition(status?.conditions, 'Ready');
  let health = saved;
  let observedReady: NodeCondition;
  let gracePeriodUs: number;
  if (currentReady === undefined) {
    observedReady = {
      type: 'Ready',
      status: 'Unknown',
      lastHeartbeatTime: createdIso,
      lastTransitionTime: createdIso,
    };
    gracePeriodUs = options.nodeStartupGracePeriodUs;
    const createdUs = parseTime(createdIso) ?? 0;
    health =
      health === undefined
        ? {
            status,
            probeTimestampUs: createdUs,
            readyTransitionTimestampUs: createdUs,
            leaseRenewUs: undefined,
          }
        : { ...health, status };
  } else {
    observedReady = currentReady;
    gracePeriodUs = options.nodeMonitorGracePeriodUs;
  }
  const savedReady = getCondition(health?.status?.conditions, 'Ready');
  const fresh = (readyTransitionTimestampUs: number): NodeHealth => ({
    status,
    probeTimestampUs: nowUs,
    readyTransitionTimestampUs,
    leaseRenewUs: undefined,
  });
  if (health === undefined) {
    health = {
      status,
      probeTimestampUs: nowUs,
      readyTransitionTimestampUs: nowUs,
      leaseRenewUs: undefined,
    };
  } else if ((savedReady === undefined) !== (currentReady === undefined)) {
    health = fresh(nowUs);
  } else if (
    savedReady !== undefined &&
    currentReady !== undefined &&
    savedReady.lastHeartbeatTime !== currentReady.lastHeartbeatTime
  ) {
    health = fresh(
      savedReady.lastTransitionTime !== currentReady.lastTransitionTime
        ? nowUs
        : health.readyTransitionTimestampUs,
    );
  }
  const renewTime = lease?.spec?.renewTime;
  // Every node is evaluated every 5 s and its Lease renewed every 10 s: half the passes see
  // the renewTime they saw before.
  const renewUs =
    renewTime === undefined
      ? undefined
      : renewTime === saved?.leaseRenewTime
        ? saved.leaseRenewUs
        : parseTime(renewTime);
  if (
    renewUs !== undefined &&
    (health.leaseRenewUs === undefined || health.leaseRenewUs < renewUs)
  ) {
    health = {
      ...health,
      leaseRenewUs: renewUs,
      leaseRenewTime: renewTime,
      probeTimestampUs: nowUs,
    };
  }
  // Upstream asks now.After(probe + grace). Its passes drift by their own run time, so the pass
  // 40 s after the probe is a few ms late and fires; our passes are exactly 5 s apart and would
  // land exactly on the boundary and wait another period, hence >=.
  if (nowUs - health.probeTimestampUs < gracePeriodUs)
    return { health, observedReady, currentReady, write: undefined };
  const conditions = markUnknown(status?.conditions ?? [], createdIso, formatTime(nowUs));
  const newReady = getCondition(conditions, 'Ready');
  if (JSON.stringify(newReady) === JSON.stringify(observedReady))
    return { health, observedReady, currentReady: newReady, write: undefined };
  const written: NodeHealth = {
    status: { ...status, conditions },
    probeTimestampUs: health.probeTimestampUs,
    readyTransitionTimestampUs: nowUs,
    leaseRenewUs: renewUs,
    ...(renewTime === undefined ? {} : { leaseRenewTime: renewTime }),
  };
  return { health, observedReady, currentReady: newReady, write: { conditions, health: written } };
}

function markUnknown(
  conditions: readonly NodeCondition[],
  createdIso: string,
  nowIso: string,
): NodeCondition[] {
  const out = [...conditions];
  for (const type of MONITORED_CONDITIONS) {
    const i = out.findIndex((c) => c.type === type);
    const c = out[i];
    if (c === undefined) {
      out.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: createdIso,
        lastTransitionTime: nowIso,
      });
    } else if (c.status !== 'Unknown') {
      out[i] = {
        ...c,
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
        message: 'Kubelet stopped posting node status.',
        lastTransitionTime: nowIso,
      };
    }
  }
  return out;
}
