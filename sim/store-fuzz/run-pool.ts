/**
 * Runs of a campaign spread over worker threads (`ksim fuzz store --workers N`), handed back in
 * seed order, so a campaign's output and verdict do not depend on how many workers ran it: the
 * same lines, the same first failure. Each worker takes the next seed when it finishes one;
 * reports that arrive early wait until every lower seed is in.
 *
 * Workers load the TypeScript sources through the same module hooks as the `ksim` command
 * (fuzz-worker.mjs), in the test runner as well.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { StoreFuzzOptions, StoreFuzzReport } from './run-store-fuzz.ts';

export type RunRequest = { readonly kind: 'run'; readonly options: StoreFuzzOptions };
export type RunReply =
  | { readonly kind: 'report'; readonly report: StoreFuzzReport }
  | { readonly kind: 'error'; readonly message: string };

const WORKER_URL = new URL('./fuzz-worker.mjs', import.meta.url);

/** One worker per core, at least one. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism());
}

/**
 * Runs `options(seed)` for `count` seeds from `first` on `workers` threads and yields the
 * reports in seed order. Stop iterating to stop the campaign: the workers are terminated.
 */
export async function* runInWorkers(
  first: number,
  count: number,
  workers: number,
  options: (seed: number) => StoreFuzzOptions,
): AsyncGenerator<StoreFuzzReport> {
  const pool = Array.from({ length: Math.min(workers, count) }, () => new Worker(WORKER_URL));
  const done = new Map<number, StoreFuzzReport>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let nextToStart = first;
  const end = first + count;
  const start = (worker: Worker): void => {
    if (nextToStart >= end) return;
    const seed = nextToStart++;
    worker.once('message', (reply: RunReply) => {
      if (reply.kind === 'error') failure = new Error(`seed ${seed}: ${reply.message}`);
      else done.set(seed, reply.report);
      start(worker);
      wake?.();
    });
    const request: RunRequest = { kind: 'run', options: options(seed) };
    worker.postMessage(request);
  };
  for (const w of pool) {
    w.on('error', (e) => {
      failure = e;
      wake?.();
    });
    start(w);
  }
  try {
    for (let seed = first; seed < end; seed++) {
      while (!done.has(seed)) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const report = done.get(seed)!;
      done.delete(seed);
      yield report;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
