import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';

const lease = () => z.string().describe('The Lease used as the lock, as namespace/name.');
const identity = () =>
  z.string().describe("The candidate's identity (its process name and a random suffix).");

export const LEADER_ELECTION_RECORDS = traceGroup(
  'Leader election',
  'Leader election over a Lease (core/client/leader-election.ts), as kube-scheduler and kube-controller-manager run it. Emitted by the candidate process.',
  [
    traceRecord('leader-election.acquired', {
      level: 'info',
      doc: 'A candidate acquired the lease and starts its work (it became the leader).',
      fields: z.strictObject({ lease: lease(), identity: identity() }),
    }),
    traceRecord('leader-election.lost', {
      level: 'info',
      doc: 'The leader could not renew the lease within the renew deadline and stopped its work; it campaigns again.',
      fields: z.strictObject({ lease: lease(), identity: identity() }),
    }),
  ],
);
