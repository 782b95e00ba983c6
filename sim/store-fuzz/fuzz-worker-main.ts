/** The body of a fuzz worker thread: one run per message, its report sent back. */
import { parentPort } from 'node:worker_threads';
import type { RunReply, RunRequest } from './run-pool.ts';
import { runStoreFuzz } from './run-store-fuzz.ts';

const port = parentPort;
if (port === null) throw new Error('fuzz-worker-main.ts runs only in a worker thread');
port.on('message', (request: RunRequest) => {
  runStoreFuzz(request.options).then(
    (report) => port.postMessage({ kind: 'report', report } satisfies RunReply),
    (e: unknown) =>
      port.postMessage({
        kind: 'error',
        message: e instanceof Error ? (e.stack ?? e.message) : String(e),
      } satisfies RunReply),
  );
});
