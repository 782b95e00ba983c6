import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';

const objectKind = () => z.string().describe('The object kind, e.g. `ReplicaSet`.');
const objectName = () => z.string().describe('The object name.');
const status = () => z.int().describe('The HTTP status of the final answer.');

export const RUNNER_RECORDS = traceGroup(
  'Scenario runner',
  'The actions of a scenario file that did not simply succeed, the deletes and scales it made, and the verdicts of its expectations (sim/scenario). Emitted by `ksim-runner`.',
  [
    traceRecord('runner.apply-failed', {
      level: 'info',
      doc: 'The API server refused an object the scenario applies (other than "already exists").',
      fields: z.strictObject({
        kind: objectKind(),
        name: objectName(),
        status: status(),
        message: z.string().describe("The API server's message."),
      }),
    }),
    traceRecord('runner.delete', {
      level: 'info',
      doc: 'A scenario `delete` action was answered.',
      fields: z.strictObject({ kind: objectKind(), name: objectName(), status: status() }),
    }),
    traceRecord('runner.scale', {
      level: 'info',
      doc: 'A scenario `scale` action (a patch of spec.replicas of a ReplicaSet) was answered.',
      fields: z.strictObject({
        name: objectName(),
        replicas: z.int().nonnegative().describe('The replicas asked for.'),
        status: status(),
      }),
    }),
    traceRecord('runner.action', {
      level: 'info',
      doc: 'A scenario action on an object was answered: `apply` (server-side, field manager `ksim`), `patch`, `cordon`, `uncordon`, `drain` (its cordon), `taint`, `label` or `restart` (as kubectl rollout restart).',
      fields: z.strictObject({
        action: z.string().describe('The action, as the scenario names it.'),
        kind: objectKind(),
        namespace: z.string().describe('The namespace; empty for a cluster-scoped object.'),
        name: objectName(),
        status: status(),
        message: z.string().optional().describe("The API server's message, when it refused."),
      }),
    }),
    traceRecord('runner.evict', {
      level: 'info',
      doc: 'An eviction a scenario `drain` asked for was answered (pods/eviction). A 429 means a PodDisruptionBudget holds the pod back: the drain asks again 5 s later, as kubectl drain does.',
      fields: z.strictObject({
        pod: z.string().describe('The pod, as namespace/name.'),
        node: z.string().describe('The node being drained.'),
        status: status(),
        message: z.string().optional().describe("The API server's message, when it refused."),
      }),
    }),
    traceRecord('runner.condition-met', {
      level: 'info',
      doc: "A conditional action's `when` predicate held (at or after its `at`/`after`): the action starts now.",
      fields: z.strictObject({
        action: z.string().describe('Where the action is written in the scenario (file:line).'),
      }),
    }),
    traceRecord('runner.verdict', {
      level: 'info',
      doc: "The verdict on one of the scenario's `expect` entries, written at the end of the run in the order the scenario lists them.",
      fields: z.strictObject({
        name: z.string().describe('The expectation, by its name or as ksim describes it.'),
        passed: z.boolean().describe('Whether it held.'),
        metAtUs: z
          .int()
          .optional()
          .describe(
            'eventually (and `pods` expectations): virtual time at which it first held, in microseconds; absent when it never did.',
          ),
        violatedAtUs: z
          .int()
          .optional()
          .describe('always / never: virtual time of the first violation, in microseconds.'),
        objects: z
          .array(z.string())
          .optional()
          .describe(
            'always / never, when violated: the objects (Kind/namespace/name) whose change made the violation, at most 10.',
          ),
        disabled: z
          .boolean()
          .optional()
          .describe('The expectation was switched off (`enabled: false`) and not evaluated.'),
        detail: z.string().describe('What was observed, e.g. `5 matching pods on 3 nodes`.'),
      }),
    }),
  ],
);
