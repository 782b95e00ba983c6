/** A point-in-time view of a Raft node, for hosts, tests and traces (etcd-io/raft status.go). */
import type { ProgressState } from './progress.ts';
import type { Raft } from './raft.ts';
import type { ConfState, HardState, Index, NodeId, SoftState } from './types.ts';

export interface ProgressStatus {
  readonly id: NodeId;
  readonly match: Index;
  readonly next: Index;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  readonly paused: boolean;
  readonly recentActive: boolean;
  readonly inflightMsgs: number;
  readonly pendingSnapshot: Index;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly hardState: HardState;
  readonly softState: SoftState;
  readonly applied: Index;
  readonly firstIndex: Index;
  readonly lastIndex: Index;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId;
  /** Per-member replication progress; only a leader has it (empty otherwise). */
  readonly progress: readonly ProgressStatus[];
}

export function raftStatus(r: Raft): RaftStatus {
  const progress: ProgressStatus[] = [];
  if (r.role === 'leader') {
    for (const id of r.tracker.ids) {
      const pr = r.tracker.progress.get(id);
      if (pr === undefined) continue;
      progress.push({
        id,
        match: pr.match,
        next: pr.next,
        state: pr.state,
        isLearner: pr.isLearner,
        paused: pr.isPaused(),
        recentActive: pr.recentActive,
        inflightMsgs: pr.inflights.size(),
        pendingSnapshot: pr.pendingSnapshot,
      });
    }
  }
  return {
    id: r.id,
    hardState: r.hardState(),
    softState: r.softState(),
    applied: r.log.applied,
    firstIndex: r.log.firstIndex(),
    lastIndex: r.log.lastIndex(),
    confState: r.tracker.confState(),
    leadTransferee: r.leadTransferee,
    progress,
  };
}
