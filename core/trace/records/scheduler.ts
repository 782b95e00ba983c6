import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros, nodeName, podKey } from '../fields.ts';

const statusCode = (what: string) =>
  z
    .enum([
      'Success',
      'Error',
      'Unschedulable',
      'UnschedulableAndUnresolvable',
      'Wait',
      'Skip',
      'Pending',
    ])
    .describe(`${what}: a framework status code.`);

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
    traceRecord('scheduler.explain', {
      level: 'info',
      doc: "Why a scheduling attempt chose the node it chose (or none): every PreFilter plugin's result, every evaluated node's Filter verdict, and each Score plugin's raw and normalized scores with the weighted total for the best nodes. Written for every attempt when the trace level is `debug`, and for the pods named by `ksim run --explain` at any level; `ksim explain` prints it as a table.",
      fields: z.strictObject({
        pod: podKey(),
        attempt: z
          .int()
          .positive()
          .describe('Which scheduling attempt of the pod this is (1 for the first).'),
        nodes: count("Nodes in the scheduler's snapshot for this attempt."),
        preFilter: z
          .array(
            z.strictObject({
              plugin: z.string().describe('The PreFilter plugin.'),
              code: statusCode('What it returned'),
              reason: z.string().optional().describe('Its message, when it rejected or failed.'),
              nodes: z
                .int()
                .nonnegative()
                .optional()
                .describe(
                  'The nodes it narrowed the candidates to (a PreFilterResult), when it did.',
                ),
            }),
          )
          .describe(
            "PreFilter plugins in the order they ran. `UnschedulableAndUnresolvable` or `Error` stops PreFilter (the plugins after it did not run); after any rejection no node is filtered. `Skip`: the plugin's Filter is skipped this attempt.",
          ),
        filter: z
          .array(
            z.strictObject({
              node: nodeName(),
              code: statusCode('The verdict: `Success` when every Filter plugin passed it'),
              plugin: z.string().optional().describe('The Filter plugin that rejected the node.'),
              reason: z.string().optional().describe('Why, as that plugin says it.'),
            }),
          )
          .describe(
            'Each node the Filter plugins ran on: the feasible ones first, then the rejected ones, each in the order they were evaluated. Nodes not listed were not evaluated (enough feasible nodes had been found: percentageOfNodesToScore), or were ruled out by PreFilter.',
          ),
        scorePlugins: z
          .array(
            z.strictObject({
              plugin: z.string().describe('The Score plugin.'),
              weight: z.int().positive().describe('Its weight in the profile.'),
            }),
          )
          .describe(
            'The Score plugins that scored, in order (plugins whose PreScore returned Skip are left out). Empty when scoring did not run (one feasible node, or none).',
          ),
        scores: z
          .array(
            z.strictObject({
              node: nodeName(),
              raw: z
                .array(z.number())
                .describe("Each plugin's score before normalization, in `scorePlugins` order."),
              normalized: z
                .array(z.number())
                .describe(
                  "Each plugin's score after NormalizeScore (0-100), in `scorePlugins` order.",
                ),
              total: z
                .number()
                .describe('The sum over the plugins of normalized score times weight.'),
            }),
          )
          .describe(
            'The ten feasible nodes with the highest totals, best first, and the chosen node if it is not among them.',
          ),
        outcome: z
          .enum(['Scheduled', 'Unschedulable', 'SchedulerError'])
          .describe(
            '`Scheduled`: a node was chosen and reserved (binding follows, see `scheduler.bind`); `Unschedulable`: the plugins rejected every node; `SchedulerError`: something else failed.',
          ),
        node: z
          .string()
          .optional()
          .describe('The chosen node (also when Reserve or Permit then turned it down).'),
        message: z
          .string()
          .optional()
          .describe('Why the attempt failed, as the FailedScheduling event says it.'),
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
