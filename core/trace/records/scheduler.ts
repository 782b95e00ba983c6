import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { nodeName, podKey } from '../fields.ts';

export const SCHEDULER_RECORDS = traceGroup(
  'Scheduler',
  'The scheduler (core/scheduler): placements, failures and preemptions. Emitted by `scheduler`.',
  [
    traceRecord('scheduler.bind', {
      level: 'info',
      doc: 'The scheduler bound a pod to a node (the binding was written).',
      fields: z.strictObject({ pod: podKey(), node: nodeName('The node it was bound to.') }),
    }),
    traceRecord('scheduler.unschedulable', {
      level: 'info',
      doc: 'A scheduling attempt failed; the pod goes back to the queue.',
      fields: z.strictObject({
        pod: podKey(),
        reason: z
          .enum(['Unschedulable', 'SchedulerError'])
          .describe(
            '`Unschedulable`: the plugins rejected every node; `SchedulerError`: something else failed.',
          ),
        message: z
          .string()
          .describe(
            'Why, as the FailedScheduling event says it (e.g. "0/3 nodes are available: ...").',
          ),
      }),
    }),
    traceRecord('scheduler.preempt', {
      level: 'info',
      doc: 'The scheduler evicted a lower-priority pod to make room for a pending one.',
      fields: z.strictObject({
        preemptor: z.string().describe('The pending pod that needs the room, as namespace/name.'),
        victim: z.string().describe('The pod deleted to make room, as namespace/name.'),
        node: nodeName('The node the preemptor is nominated to.'),
      }),
    }),
  ],
);
