import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros } from '../fields.ts';

const user = () =>
  z
    .string()
    .optional()
    .describe(
      'The user the request was authenticated as (a component, a node, a service account, system:anonymous); absent when authentication failed (a 401).',
    );

export const APISERVER_RECORDS = traceGroup(
  'API server',
  'The API server (core/apiserver): every request it answers, every watch it opens, and the compactions it asks of the store. Emitted by `apiserver`.',
  [
    traceRecord('api.request', {
      level: 'info',
      doc: 'The API server answered a request (watches are `api.watch`).',
      fields: z.strictObject({
        verb: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).describe('The HTTP method.'),
        path: z.string().describe('The request path, without the query.'),
        code: z.int().describe('The HTTP status code of the answer.'),
        latencyUs: micros('Virtual time from the request to the answer, in microseconds.'),
        user: user(),
        flowSchema: z
          .string()
          .optional()
          .describe(
            'The API Priority and Fairness FlowSchema that classified the request; present only when the request waited in a queue of its priority level or was refused by it (a 429).',
          ),
        priorityLevel: z
          .string()
          .optional()
          .describe(
            'The priority level whose seats the request waited for or was refused by; present with `flowSchema`.',
          ),
        queueWaitUs: z
          .int()
          .optional()
          .describe(
            "How long the request waited in its priority level's queue before it executed or was refused (a timed-out wait), in microseconds; present with `flowSchema`.",
          ),
      }),
    }),
    traceRecord('api.watch', {
      level: 'info',
      doc: 'A client opened a watch.',
      fields: z.strictObject({
        path: z.string().describe('The watched collection path.'),
        resourceVersion: z
          .string()
          .describe('The resourceVersion the watch starts after; empty for "most recent".'),
        user: user(),
      }),
    }),
    traceRecord('apiserver.compact', {
      level: 'info',
      doc: "The API server's compactor compacted the store (every --etcd-compaction-interval, to the revision seen one interval earlier).",
      fields: z.strictObject({
        revision: count('The store revision compacted to: older revisions are gone.'),
      }),
    }),
  ],
);
