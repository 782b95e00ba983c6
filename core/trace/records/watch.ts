import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count } from '../fields.ts';

const revision = () =>
  count(
    'The store revision of the write (the resourceVersion of the object it wrote); only revisions the run samples are recorded.',
  );

export const WATCH_RECORDS = traceGroup(
  'Watch latency',
  "The raw material of the watch latency SLI: when a write was committed, and when each watcher received its event. Recorded for a deterministic sample of revisions (those divisible by the run's sampling interval, `spec.slos.watchLatencySample`), so both ends agree on the sample without talking.",
  [
    traceRecord('watch.committed', {
      level: 'info',
      doc: 'The first store member applied the entry that made this revision: the write is committed. Emitted by `sim` (the Raft store only).',
      fields: z.strictObject({ revision: revision() }),
    }),
    traceRecord('watch.delivered', {
      level: 'info',
      doc: "A watcher (an informer of the emitting process) received the watch event of a sampled revision; its latency is this record's time minus the revision's `watch.committed`.",
      fields: z.strictObject({
        resource: z.string().describe('The watched resource (pods, nodes, leases, ...).'),
        revision: revision(),
        type: z.enum(['ADDED', 'MODIFIED', 'DELETED']).describe('The watch event type.'),
      }),
    }),
  ],
);
