import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, micros } from '../fields.ts';

/**
 * How a request of simulated service traffic can fail, as the client sees it
 * (sim/traffic/outcome.ts explains each).
 */
export const TRAFFIC_ERROR_KINDS = [
  'refused',
  'timeout',
  'no-endpoints',
  'reset',
  'server-error',
  'node-down',
  'no-service',
  'nxdomain',
] as const;

export const TRAFFIC_RECORDS = traceGroup(
  'Service traffic',
  "The requests of a scenario's traffic generators (sim/traffic), added up per Service and window of virtual time so that a trace stays small at any request rate. Emitted by `ksim-traffic`.",
  [
    traceRecord('traffic.window', {
      level: 'info',
      doc: 'The requests to one Service that finished in one window (one virtual second; the last window ends with the run). Windows without finished requests are not recorded.',
      fields: z.strictObject({
        service: z
          .string()
          .describe(
            'The Service, as namespace/name; a DNS name as the generator wrote it when it did not resolve.',
          ),
        windowStartUs: micros('Start of the window (virtual time).'),
        windowUs: micros('Length of the window.'),
        requests: count('Requests that finished in the window.'),
        ok: count('Of those, the ones answered successfully.'),
        errors: z
          .partialRecord(z.enum(TRAFFIC_ERROR_KINDS), z.int().positive())
          .describe('Failed requests by error kind (kinds without failures left out).'),
        latencyP50Us: z
          .int()
          .nonnegative()
          .optional()
          .describe('Median latency of the successful requests.'),
        latencyP99Us: z
          .int()
          .nonnegative()
          .optional()
          .describe('99th percentile latency of the successful requests.'),
        latencyMaxUs: z
          .int()
          .nonnegative()
          .optional()
          .describe('Longest latency of a successful request.'),
        backends: z
          .record(z.string(), z.int().positive())
          .describe('Successful requests per backend pod (namespace/name).'),
      }),
    }),
  ],
);
