/** The body of a fuzz worker thread: one run per message (of either fuzz mode), its report sent back. */
import { parentPort } from 'node:worker_threads';
import { runWorld, worldOf } from '../cluster-fuzz/run-world.ts';
import type { FuzzModes, RunReply, RunRequest } from './run-pool.ts';
import { runStoreFuzz } from './run-store-fuzz.ts';

function run(request: RunRequest): Promise<FuzzModes[RunRequest['mode']]['report']> {
  if (request.mode === 'store') return runStoreFuzz(request.options);
  const { seed, ...options } = request.options;
  return runWorld(worldOf(seed, options.bounds), seed, options);
}

const port = parentPort;
if (port === null) throw new Error('fuzz-worker-main.ts runs only in a worker thread');
port.on('message', (request: RunRequest) => {
  run(request).then(
    (report) => port.postMessage({ kind: 'report', report } satisfies RunReply),
    (e: unknown) =>
      port.postMessage({
        kind: 'error',
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
      } satisfies RunReply),
  );
});
