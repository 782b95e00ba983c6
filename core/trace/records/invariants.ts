import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';

export const INVARIANT_RECORDS = traceGroup(
  'Invariants',
  "The always-on invariants of a simulated run (sim/invariants): a record is written when one is broken, at the moment it is found, and the run fails naming it. A scenario's `invariants:` field turns single ones off. Emitted by `sim`.",
  [
    traceRecord('invariant.violation', {
      level: 'info',
      doc: 'An invariant was broken (the first few of each invariant are recorded).',
      fields: z.strictObject({
        invariant: z
          .string()
          .describe(
            'Its name: `raft-safety`, `pod-bound-once`, `node-overcommit`, `one-leader-per-lease`, `owner-outlived`, `service-live-endpoints`, `gc-live-owner`, `store-linearizable`, `watch-gap-free`, `rolling-update-bounds` or `container-runs-once` (README, "Invariants").',
          ),
        message: z.string().describe('What broke, naming the objects and processes involved.'),
      }),
    }),
  ],
);
