import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { TRACE_HEADER_KIND } from '../version.ts';

export const HEADER_RECORDS = traceGroup(
  'Header',
  'The first line of every trace says how to read the rest. A sink added to a running simulation receives it first too.',
  [
    traceRecord(TRACE_HEADER_KIND, {
      level: 'info',
      doc: 'Starts the trace: `t` is 0 and `p` is `sim`.',
      fields: z.strictObject({
        schemaVersion: z
          .int()
          .positive()
          .describe('The trace schema version (this page documents one version).'),
        ksimVersion: z.string().describe('The ksim package version that wrote the trace.'),
        seed: z.int().describe('The root seed of the run: `--seed` reproduces it.'),
        level: z
          .enum(['info', 'debug'])
          .describe('`info`: info records only; `debug`: debug records too.'),
      }),
    }),
  ],
);
