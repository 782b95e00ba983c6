/**
 * Runs of a campaign spread over worker threads (`ksim fuzz store|cluster --workers N`), handed back in
 * seed order, so a campaign's output and verdict do not depend on how many workers ran it: the
 * same lines, the same first failure. Each worker takes the next seed when it finishes one;
 * reports that arrive early wait until every lower seed is in.
 *
 * Workers load the TypeScript sources through the same module hooks as the `ksim` command
 * (fuzz-worker.mjs), in the test runner as well.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RunWorldOptions, WorldReport } from '../cluster-fuzz/run-world.ts';
import type { StoreFuzzOptions, StoreFuzzReport } from './run-store-fuzz.ts';

/**
 * The fuzzers a worker runs, one mode each: what a run is given and what it reports. The
 * store fuzzer's runs are Raft store histories; the cluster fuzzer's are whole worlds.
 */
export interface FuzzModes {
  readonly store: { readonly options: StoreFuzzOptions; readonly report: StoreFuzzReport };
  readonly cluster: {
    readonly options: { readonly seed: number } & RunWorldOptions;
    readonly report: WorldReport;
  };
}
export type FuzzMode = keyof FuzzModes;

export type RunRequest = {
  [M in FuzzMode]: {
    readonly kind: 'run';
    readonly mode: M;
    readonly options: FuzzModes[M]['options'];
  };
}[FuzzMode];
export type RunReply =
  | { readonly kind: 'report'; readonly report: FuzzModes[FuzzMode]['report'] }
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
export function runInWorkers(
  first: number,
  count: number,
  workers: number,
  options: (seed: number) => StoreFuzzOptions,
): AsyncGenerator<StoreFuzzReport> {
  const seeds = Array.from({ length: count }, (_, i) => first + i);
  return runModeInWorkers('store', seeds, workers, options);
}

/**
 * Runs `mode` with `options(seed)` for each of `seeds` on `workers` threads and yields the
 * reports in the order of `seeds`.
 */
export async function* runModeInWorkers<M extends FuzzMode>(
  mode: M,
  seeds: readonly number[],
  workers: number,
  options: (seed: number) => FuzzModes[M]['options'],
): AsyncGenerator<FuzzModes[M]['report']> {
  type Report = FuzzModes[M]['report'];
  const count = seeds.length;
  const pool = Array.from({ length: Math.min(workers, count) }, () => new Worker(WORKER_URL));
  const done = new Map<number, Report>();
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  let nextToStart = 0;
  const start = (worker: Worker): void => {
    if (nextToStart >= count) return;
    const i = nextToStart++;
    const seed = seeds[i]!;
    worker.once('message', (reply: RunReply) => {
      if (reply.kind === 'error') failure = new Error(`seed ${seed}: ${reply.message}`);
      else done.set(i, reply.report as Report);
      start(worker);
      wake?.();
    });
    const request = { kind: 'run', mode, options: options(seed) } as RunRequest;
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
    for (let i = 0; i < count; i++) {
      while (!done.has(i)) {
        if (failure !== undefined) throw failure;
        await new Promise<void>((resolve) => (wake = resolve));
      }
      const report = done.get(i)!;
      done.delete(i);
      yield report;
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
