/**
 * What one sync of a DaemonSet should do, computed from the cache (daemon_controller.go manage,
 * podsShouldBeOnNode, updateDaemonSetStatus; update.go rollingUpdate): pure functions the
 * controller turns into writes.
 */
import type { DaemonSet } from '../../api/kinds/daemon-set.ts';
import { isBeingDeleted } from '../../api/meta.ts';
import type { Node } from '../../api/node-types.ts';
import { isPodAvailable, isPodReady } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import { scaledValue } from '../../api/policy-types.ts';
import {
  compareByCreationAndPhase,
  isPodUpdated,
  nodeShouldRunDaemonPod,
  targetNodeName,
  templateGenerationOf,
} from './daemon-set-util.ts';

export type DaemonSetStatus = NonNullable<DaemonSet['status']>;

/** getNodesToDaemonPods: the DaemonSet's pods by the node they are for, nodes in name order. */
export function podsByNode(pods: readonly Pod[]): Map<string, Pod[]> {
  const byNode = new Map<string, Pod[]>();
  for (const pod of pods) {
    const node = targetNodeName(pod);
    if (node === undefined) continue;
    const list = byNode.get(node);
    if (list === undefined) byNode.set(node, [pod]);
    else list.push(pod);
  }
  return new Map([...byNode].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export interface NodePlan {
  /** Nodes that should get a daemon pod. */
  readonly create: string[];
  readonly delete: Pod[];
  /** Failed pods among `delete`, for the Warning event upstream records. */
  readonly failed: Pod[];
}

/**
 * manage's per-node decision (podsShouldBeOnNode): a node that should run the pod and has none
 * gets one; on a node that may keep it, finished pods go and of several live ones only the
 * oldest stays (with maxSurge: the oldest updated and the oldest old pod may both stay, while the
 * old one is ready and the updated one not yet available); a node that may not keep it loses all
 * of them. Pods whose node no longer exists and that were never scheduled are deleted too
 * (getUnscheduledPodsWithoutNode).
 */
export function planNodes(
  ds: DaemonSet,
  nodes: readonly Node[],
  byNode: ReadonlyMap<string, readonly Pod[]>,
  hash: string,
  nowUs: number,
): NodePlan {
  const surge = allowsSurge(ds);
  const create: string[] = [];
  const del: Pod[] = [];
  const failed: Pod[] = [];
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name);
    if (shouldRun && pods === undefined) {
      create.push(name);
      continue;
    }
    if (pods === undefined) continue;
    const live = pods.filter((p) => !isBeingDeleted(p));
    if (!shouldContinueRunning) {
      del.push(...live);
      continue;
    }
    const running: Pod[] = [];
    for (const pod of live) {
      const phase = pod.status?.phase;
      if (phase === 'Failed') failed.push(pod);
      if (phase === 'Failed' || phase === 'Succeeded') del.push(pod);
      else running.push(pod);
    }
    running.sort(compareByCreationAndPhase);
    if (!surge) del.push(...running.slice(1));
    else if (running.length > 1) del.push(...surgeExcess(ds, running, hash, nowUs));
  }
  const known = new Set(nodes.map((n) => n.metadata.name ?? ''));
  for (const [node, pods] of byNode) {
    if (known.has(node)) continue;
    del.push(...pods.filter((p) => !p.spec.nodeName && !isBeingDeleted(p)));
  }
  return { create, delete: del, failed };
}

/**
 * With surge, of a node's running pods (oldest first) the oldest updated and the oldest old pod
 * stay; the old one goes too once it is not ready, or once the updated one is available.
 */
function surgeExcess(ds: DaemonSet, running: readonly Pod[], hash: string, nowUs: number): Pod[] {
  const generation = templateGenerationOf(ds);
  const excess: Pod[] = [];
  let oldestNew: Pod | undefined;
  let oldestOld: Pod | undefined;
  for (const pod of running) {
    if (isPodUpdated(pod, hash, generation)) {
      if (oldestNew === undefined) oldestNew = pod;
      else excess.push(pod);
    } else if (oldestOld === undefined) oldestOld = pod;
    else excess.push(pod);
  }
  if (oldestNew !== undefined && oldestOld !== undefined) {
    if (!isPodReady(oldestOld)) excess.push(oldestOld);
    else if (isPodAvailable(oldestNew, ds.spec.minReadySeconds ?? 0, nowUs)) excess.push(oldestOld);
  }
  return excess;
}

/** What a rolling update step does: old pods to delete, nodes to give an updated pod. */
export interface RollingPlan {
  readonly delete: Pod[];
  readonly create: string[];
}

/**
 * rollingUpdate (update.go): without surge, count the desired nodes whose pod is missing,
 * doubled, or updated but not yet available as unavailable; old pods that are not available are
 * replaced at once; available old pods are replaced while fewer than maxUnavailable are
 * unavailable, and manage makes their replacements. With maxSurge, updated pods are created
 * beside old ones (at once where the old one is unavailable, else up to maxSurge at a time) and
 * an old pod is deleted once its node's updated pod is available.
 */
export function planRollingUpdate(
  ds: DaemonSet,
  nodes: readonly Node[],
  byNode: ReadonlyMap<string, readonly Pod[]>,
  hash: string,
  nowUs: number,
): RollingPlan {
  const desired = new Map<string, readonly Pod[]>(byNode);
  const shouldRun = new Map<string, boolean>();
  let desiredCount = 0;
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    const run = nodeShouldRunDaemonPod(node, ds).shouldRun;
    shouldRun.set(name, run);
    if (!run) continue;
    desiredCount++;
    if (!desired.has(name)) desired.set(name, []);
  }
  const maxSurge = surgeCount(ds, desiredCount);
  if (maxSurge > 0) {
    return surgingUpdate(ds, byNode, shouldRun, desiredCount, maxSurge, hash, nowUs);
  }
  return { delete: replacementsWithoutSurge(ds, desired, desiredCount, hash, nowUs), create: [] };
}

function replacementsWithoutSurge(
  ds: DaemonSet,
  desired: ReadonlyMap<string, readonly Pod[]>,
  desiredCount: number,
  hash: string,
  nowUs: number,
): Pod[] {
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  const maxUnavailable = maxUnavailableOf(ds, desiredCount);
  let unavailable = 0;
  const replaceNow: Pod[] = [];
  const candidates: Pod[] = [];
  for (const [, pods] of [...desired].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const found = updatedAndOld(pods, hash, ds);
    if (found === undefined) {
      unavailable++;
      continue;
    }
    const { updated, old } = found;
    if ((old === undefined) === (updated === undefined)) {
      unavailable++;
    } else if (updated !== undefined) {
      if (!isPodAvailable(updated, minReadySeconds, nowUs)) unavailable++;
    } else if (old !== undefined) {
      if (!isPodAvailable(old, minReadySeconds, nowUs)) replaceNow.push(old);
      else if (unavailable < maxUnavailable) candidates.push(old);
    }
  }
  const room = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
  return [...replaceNow, ...candidates.slice(0, room)];
}

/**
 * rollingUpdate's surge half. Nodes are taken in name order (upstream walks a Go map), so which
 * candidates surge first is deterministic. A node whose old pod no longer fits the DaemonSet's
 * scheduling constraints keeps it until enough pods elsewhere are available.
 */
function surgingUpdate(
  ds: DaemonSet,
  byNode: ReadonlyMap<string, readonly Pod[]>,
  shouldRun: ReadonlyMap<string, boolean>,
  desiredCount: number,
  maxSurge: number,
  hash: string,
  nowUs: number,
): RollingPlan {
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  const oldToDelete: Pod[] = [];
  const shouldNotRunToDelete: Pod[] = [];
  const allowedNew: string[] = [];
  const candidateNew: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const [node, pods] of byNode) {
    const found = updatedAndOld(pods, hash, ds);
    if (found === undefined) {
      // manage prunes the extra pods first; the node counts as surging meanwhile.
      numSurge++;
      continue;
    }
    const { updated, old } = found;
    const counted = old ?? updated;
    if (counted !== undefined && isPodAvailable(counted, minReadySeconds, nowUs)) numAvailable++;
    if (old === undefined) continue;
    const fits = shouldRun.get(node) === true;
    if (updated === undefined) {
      if (!isPodAvailable(old, minReadySeconds, nowUs)) {
        if (fits) allowedNew.push(node);
        else oldToDelete.push(old);
      } else if (!fits) {
        shouldNotRunToDelete.push(old);
      } else if (numSurge < maxSurge) {
        candidateNew.push(node);
      }
    } else if (!isPodAvailable(updated, minReadySeconds, nowUs)) {
      numSurge++;
    } else {
      oldToDelete.push(old);
    }
  }
  // Pods on nodes the DaemonSet left go only once as many pods elsewhere are available.
  const deletable = Math.min(numAvailable - desiredCount, shouldNotRunToDelete.length);
  if (deletable > 0) oldToDelete.push(...shouldNotRunToDelete.slice(0, deletable));
  const remaining = Math.min(Math.max(0, maxSurge - numSurge), candidateNew.length);
  return { delete: oldToDelete, create: [...allowedNew, ...candidateNew.slice(0, remaining)] };
}

/** util.SurgeCount: maxSurge of a RollingUpdate that sets it, else 0. */
export function surgeCount(ds: DaemonSet, desiredCount: number): number {
  const strategy = ds.spec.updateStrategy;
  const maxSurge = strategy?.rollingUpdate?.maxSurge;
  if ((strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate' || maxSurge === undefined) return 0;
  return scaledValue(maxSurge, desiredCount, true) ?? 0;
}

/** util.AllowsSurge. */
export function allowsSurge(ds: DaemonSet): boolean {
  return surgeCount(ds, 1) !== 0;
}

/**
 * findUpdatedPodsOnNode: the node's one live updated pod and one live old pod; undefined when
 * there are several of either (manage removes the extras first).
 */
function updatedAndOld(
  pods: readonly Pod[],
  hash: string,
  ds: DaemonSet,
): { updated: Pod | undefined; old: Pod | undefined } | undefined {
  let updated: Pod | undefined;
  let old: Pod | undefined;
  const generation = templateGenerationOf(ds);
  for (const pod of pods) {
    if (isBeingDeleted(pod)) continue;
    if (isPodUpdated(pod, hash, generation)) {
      if (updated !== undefined) return undefined;
      updated = pod;
    } else {
      if (old !== undefined) return undefined;
      old = pod;
    }
  }
  return { updated, old };
}

/**
 * updatedDesiredNodeCounts' maxUnavailable: a number, or a percentage of the desired nodes
 * rounded up; at least 1 when maxSurge is 0 too, so an update can start.
 */
export function maxUnavailableOf(ds: DaemonSet, desiredCount: number): number {
  const rolling = ds.spec.updateStrategy?.rollingUpdate;
  const unavailable = scaledValue(rolling?.maxUnavailable ?? 1, desiredCount, true) ?? 1;
  return desiredCount > 0 && unavailable === 0 && surgeCount(ds, desiredCount) === 0
    ? 1
    : unavailable;
}

/**
 * updateDaemonSetStatus's counts over the nodes: desired (should run), current (should run and
 * has a pod), misscheduled (has a pod but should not), and of the oldest pod on each desired
 * node whether it is ready, available and updated.
 */
export function computeDaemonStatus(
  ds: DaemonSet,
  nodes: readonly Node[],
  byNode: ReadonlyMap<string, readonly Pod[]>,
  hash: string,
  nowUs: number,
): DaemonSetStatus {
  const minReadySeconds = ds.spec.minReadySeconds ?? 0;
  const generation = templateGenerationOf(ds);
  let desired = 0;
  let current = 0;
  let misscheduled = 0;
  let ready = 0;
  let available = 0;
  let updated = 0;
  for (const node of nodes) {
    const pods = byNode.get(node.metadata.name ?? '') ?? [];
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) {
      if (pods.length > 0) misscheduled++;
      continue;
    }
    desired++;
    const oldest = [...pods].sort(compareByCreationAndPhase)[0];
    if (oldest === undefined) continue;
    current++;
    if (isPodReady(oldest)) {
      ready++;
      if (isPodAvailable(oldest, minReadySeconds, nowUs)) available++;
    }
    if (isPodUpdated(oldest, hash, generation)) updated++;
  }
  return {
    ...ds.status,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    numberAvailable: available,
    updatedNumberScheduled: updated,
    numberUnavailable: desired - available,
  };
}
