import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count } from '../fields.ts';

const memberId = () => count("The member's Raft id.");
const storeRevision = () => count('The store revision of the applied state.');

export const STORE_RECORDS = traceGroup(
  'Store',
  'The members of the Raft-replicated store (core/store/member): start-up, roles, membership and snapshots. Emitted by the member process (`etcd-N`).',
  [
    traceRecord('store.member.start', {
      level: 'info',
      doc: 'A member started: it read its write-ahead log (or found none) and is about to serve.',
      fields: z.strictObject({
        id: memberId(),
        from: z
          .enum(['empty', 'recovered'])
          .describe(
            '`empty`: no log on disk (a new member, or one whose disk was lost); `recovered`: state rebuilt from the log.',
          ),
        snapshotIndex: count('Raft log index of the snapshot it started from (0: none).'),
        lastIndex: count('Raft log index of its last entry after recovery.'),
        commit: count('Commit index recovered from the hard state.'),
        term: count('Raft term recovered from the hard state.'),
        tornBytes: count(
          'Bytes of a torn final write cut off the log tail during recovery (0 when the log ended cleanly).',
        ),
      }),
    }),
    traceRecord('store.member.role', {
      level: 'info',
      doc: "A member's Raft role or known leader changed.",
      fields: z.strictObject({
        id: memberId(),
        role: z
          .enum(['follower', 'pre-candidate', 'candidate', 'leader'])
          .describe('Its new role.'),
        lead: count('Raft id of the leader it knows of, 0 when it knows none.'),
        term: count('Its current term.'),
      }),
    }),
    traceRecord('store.member.progress', {
      level: 'info',
      doc: "A member's Raft progress, sampled once a second (with the watch progress notifications) and written only when its term or commit index moved since its last record.",
      fields: z.strictObject({
        id: memberId(),
        term: count('Its current term.'),
        commit: count('Its commit index.'),
        applied: count('Raft log index of the last entry it applied.'),
        revision: storeRevision(),
      }),
    }),
    traceRecord('store.member.conf-change', {
      level: 'info',
      doc: 'A member applied a committed membership change.',
      fields: z.strictObject({
        id: memberId(),
        change: z.enum(['add-voter', 'add-learner', 'remove']).describe('What the change does.'),
        member: count('Raft id of the member added or removed.'),
        voters: z.array(z.int()).describe('Raft ids of the voters after the change, ascending.'),
        learners: z
          .array(z.int())
          .describe('Raft ids of the learners after the change, ascending.'),
      }),
    }),
    traceRecord('store.member.snapshot', {
      level: 'info',
      doc: 'A member took a snapshot of its applied state and compacted its log behind it.',
      fields: z.strictObject({
        id: memberId(),
        index: count('Raft log index of the last entry the snapshot covers.'),
        revision: storeRevision(),
      }),
    }),
    traceRecord('store.member.snapshot-installed', {
      level: 'info',
      doc: "A lagging member replaced its state with the leader's snapshot.",
      fields: z.strictObject({
        id: memberId(),
        index: count('Raft log index of the last entry the snapshot covers.'),
        revision: storeRevision(),
      }),
    }),
  ],
);
