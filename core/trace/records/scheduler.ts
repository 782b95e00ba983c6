import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros, nodeName, podKey } from '../fields.ts';

export const SCHEDULER_RECORDS = traceGroup(
  'Scheduler',
  'The scheduler (core/scheduler): placements, failures and preemptions. Emitted by `scheduler`.',
  [
    traceRecord('scheduler.bind', {
      level: 'info',
      doc: 'The scheduler bound a pod to a node (the binding was written).',
      fields: z.strictObject({
        pod: podKey(),
        node: nodeName('The node it was bound to.'),
        attempts: z.int().positive().describe('Scheduling attempts it took, this one included.'),
        latencyUs: micros(
          "From the pod's first scheduling attempt to the binding, in microseconds (upstream's scheduler_pod_scheduling_sli_duration_seconds).",
        ),
      }),
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
    traceRecord('scheduler.queue', {
      level: 'info',
      doc: "The scheduling queue's lengths changed. Sampled once a second (when the backoff queue is flushed) and written only when they differ from the last record.",
      fields: z.strictObject({
        active: count('Pods ready to be tried (activeQ).'),
        backoff: count('Pods waiting out their backoff after a failed attempt (backoffQ).'),
        unschedulable: count(
          'Pods rejected by some plugins, waiting for a cluster event (the unschedulable pool, gated pods excluded).',
        ),
        gated: count('Pods held back by a PreEnqueue plugin (scheduling gates).'),
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
