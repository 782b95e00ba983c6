import { z } from 'zod';
import { traceGroup, traceRecord } from '../define.ts';
import { count, processName } from '../fields.ts';

const msg = () =>
  z.string().describe("The message's `kind` field, or its JavaScript type when it has none.");
const path = () => z.string().describe("The file path on the process's disk.");

export const SIM_RECORDS = traceGroup(
  'Simulator: processes, network, disk',
  'What the simulated machines do (sim/): processes starting and crashing, messages on the simulated network (debug level: one record per message), and disk faults as they strike.',
  [
    traceRecord('process.start', {
      level: 'info',
      doc: 'A process started (`p`), at the beginning of the run or when restarted after a crash.',
      fields: z.strictObject({
        incarnation: z
          .int()
          .positive()
          .describe('1 at the first start, one more at every restart.'),
      }),
    }),
    traceRecord('process.crash', {
      level: 'info',
      doc: 'A process (`p`) crashed: its volatile state, timers and unsynced writes are gone.',
      fields: z.strictObject({
        incarnation: z.int().positive().describe('The incarnation that crashed.'),
      }),
    }),
    traceRecord('net.recv', {
      level: 'debug',
      doc: 'A datagram was delivered to `p`.',
      fields: z.strictObject({ from: processName('The sender.'), msg: msg() }),
    }),
    traceRecord('net.drop', {
      level: 'debug',
      doc: 'A datagram, request or reply sent by `p` was dropped.',
      fields: z.strictObject({
        to: processName('The addressee.'),
        msg: msg(),
        reason: z
          .enum(['unknown', 'blocked', 'down', 'lost'])
          .describe(
            '`unknown`: no such process; `blocked`: a partition or block; `down`: the addressee is crashed; `lost`: link loss.',
          ),
      }),
    }),
    traceRecord('net.request', {
      level: 'debug',
      doc: 'A request reached the server `p`.',
      fields: z.strictObject({ from: processName('The client.'), msg: msg() }),
    }),
    traceRecord('net.stream-recv', {
      level: 'debug',
      doc: 'A stream message (e.g. a watch event) reached the client `p`.',
      fields: z.strictObject({ from: processName('The server end of the stream.') }),
    }),
    traceRecord('net.stream-break', {
      level: 'debug',
      doc: 'The network broke a stream: one end crashed, or a partition cut it.',
      fields: z.strictObject({
        client: processName('The client end.'),
        server: processName('The server end.'),
        reason: z.string().describe('Why, e.g. `network partition` or `node-2 crashed`.'),
      }),
    }),
    traceRecord('disk.torn-write', {
      level: 'info',
      doc: "A crash tore the first unsynced write of a file on `p`'s disk: only a prefix of it survived.",
      fields: z.strictObject({
        path: path(),
        keptBytes: count('Bytes of the write that reached the disk.'),
        lostBytes: count('Bytes of the write that were lost.'),
      }),
    }),
    traceRecord('disk.read-error', {
      level: 'info',
      doc: "A read from `p`'s disk failed with an injected I/O error.",
      fields: z.strictObject({ path: path() }),
    }),
  ],
);
