/** The taints the node controllers own (pkg/controller/nodelifecycle, pkg/util/taints). */
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../../api/defaults.ts';
import type { Node, Taint } from '../../api/node-types.ts';
import type { TaintEffect } from '../../api/pod-types.ts';

export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';
export const TAINT_NODE_MEMORY_PRESSURE = 'node.kubernetes.io/memory-pressure';
export const TAINT_NODE_DISK_PRESSURE = 'node.kubernetes.io/disk-pressure';
export const TAINT_NODE_NETWORK_UNAVAILABLE = 'node.kubernetes.io/network-unavailable';
export const TAINT_NODE_PID_PRESSURE = 'node.kubernetes.io/pid-pressure';

export const UNREACHABLE_NO_EXECUTE: Taint = { key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' };
export const NOT_READY_NO_EXECUTE: Taint = { key: TAINT_NODE_NOT_READY, effect: 'NoExecute' };

/** nodeConditionToTaintKeyStatusMap: which condition status puts which NoSchedule taint. */
const CONDITION_TAINTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: TAINT_NODE_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_NODE_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NODE_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_NODE_PID_PRESSURE },
};

const CONDITION_TAINT_KEYS: ReadonlySet<string> = new Set(
  Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)),
);

/** Same key and effect (Taint.MatchTaint): value and timeAdded do not matter. */
export function matchTaint(a: Taint, b: Taint): boolean {
  return a.key === b.key && a.effect === b.effect;
}

export function taintExists(taints: readonly Taint[] | undefined, t: Taint): boolean {
  return (taints ?? []).some((x) => matchTaint(x, t));
}

export function taintsWithEffect(
  taints: readonly Taint[] | undefined,
  effect: TaintEffect,
): Taint[] {
  return (taints ?? []).filter((t) => t.effect === effect);
}

export interface TaintDiff {
  readonly add: readonly Taint[];
  readonly remove: readonly Taint[];
}

/**
 * doNoScheduleTaintingPass's diff: NoSchedule taints the node's conditions and
 * spec.unschedulable call for, against the controller-owned NoSchedule taints it has.
 */
export function noScheduleTaintDiff(node: Node): TaintDiff {
  const want: Taint[] = [];
  for (const c of node.status?.conditions ?? []) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key !== undefined) want.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable) want.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  const have = taintsWithEffect(node.spec?.taints, 'NoSchedule').filter(
    (t) => t.key === TAINT_NODE_UNSCHEDULABLE || CONDITION_TAINT_KEYS.has(t.key),
  );
  return {
    add: want.filter((w) => !have.some((h) => matchTaint(h, w))),
    remove: have.filter((h) => !want.some((w) => matchTaint(h, w))),
  };
}

/**
 * The node's taints after adding `add` (stamped with timeAdded, skipped when a taint with the
 * same key and effect is there) and removing `remove`; undefined when nothing changes.
 */
export function applyTaintDiff(
  taints: readonly Taint[] | undefined,
  diff: TaintDiff,
  nowIso: string,
): Taint[] | undefined {
  const current = taints ?? [];
  const kept = current.filter((t) => !diff.remove.some((r) => matchTaint(t, r)));
  const added = diff.add
    .filter((a) => !kept.some((t) => matchTaint(t, a)))
    .map((a) => ({ ...a, timeAdded: nowIso }));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

export function describeTaint(t: Taint): string {
  return `${t.key}:${t.effect}`;
}
