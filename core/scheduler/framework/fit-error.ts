/**
 * Why a pod fits nowhere, and the message users see in the PodScheduled condition and the
 * FailedScheduling event (pkg/scheduler/framework/types.go Diagnosis, FitError.Error):
 * "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint(s)."
 */
import { NodeToStatus } from './node-to-status.ts';
import type { Status } from './status.ts';

export interface Diagnosis {
  readonly nodeToStatus: NodeToStatus;
  /** Plugins that rejected the pod on some node (or in PreFilter). */
  readonly unschedulablePlugins: Set<string>;
  preFilterMsg: string;
  postFilterMsg: string;
}

export function newDiagnosis(): Diagnosis {
  return {
    nodeToStatus: new NodeToStatus(),
    unschedulablePlugins: new Set(),
    preFilterMsg: '',
    postFilterMsg: '',
  };
}

export const NO_NODE_AVAILABLE_MSG = 'no nodes available to schedule pods';

export class FitError {
  constructor(
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
  ) {}

  /** "0/X nodes are available: <PreFilterMsg>. <FilterMsg>. <PostFilterMsg>" */
  message(): string {
    const d = this.diagnosis;
    let msg = `0/${this.numAllNodes} nodes are available:`;
    if (d.preFilterMsg !== '') {
      msg += ` ${d.preFilterMsg}.`;
    } else {
      // Plugins mostly return shared Status constants: count those first, then their reasons.
      const byStatus = new Map<Status, number>();
      d.nodeToStatus.forEach((_n, s) => byStatus.set(s, (byStatus.get(s) ?? 0) + 1));
      const counts = new Map<string, number>();
      for (const [status, n] of byStatus)
        for (const r of status.reasons) counts.set(r, (counts.get(r) ?? 0) + n);
      const absent = this.numAllNodes - d.nodeToStatus.size;
      if (absent > 0)
        for (const r of d.nodeToStatus.absentStatus.reasons)
          counts.set(r, (counts.get(r) ?? 0) + absent);
      // Upstream sorts the "<count> <reason>" strings themselves (Go sort.Strings).
      const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort(byCodeUnits);
      if (parts.length > 0) msg += ` ${parts.join(', ')}.`;
    }
    if (d.postFilterMsg !== '') msg += ` ${d.postFilterMsg}`;
    return msg;
  }
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
