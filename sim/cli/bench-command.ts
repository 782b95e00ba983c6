import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runKernelBench, DEFAULT_KERNEL_BENCH } from './bench/kernel.ts';
import { describeStoreBench, runStoreBench, STORE_BENCH_TARGETS, type StoreBenchOptions } from './bench/store.ts';
import { table } from './format.ts';

export interface BenchOptions {
  readonly out: string;
  readonly seed?: number;
  /** Timer events to run; network messages are half of it. */
  readonly events?: number;
}

/** Targets from the foundation issue; a row below its target fails the command. */
const KERNEL_TARGETS: Readonly<Record<string, number>> = {
  'timer events': 2_000_000,
  'network messages': 500_000,
};

export async function benchKernel(opts: BenchOptions, out: (s: string) => void): Promise<number> {
  const rows = await runKernelBench({
    ...DEFAULT_KERNEL_BENCH,
    ...(opts.seed === undefined ? {} : { seed: opts.seed }),
    ...(opts.events === undefined ? {} : { timerEvents: opts.events, messages: Math.ceil(opts.events / 2) }),
  });
  out(
    table(
      ['benchmark', 'events', 'wall ms', 'events/s', 'target/s', 'virtual s'],
      rows.map((r) => [r.name, r.events, r.wallMs, `${r.eventsPerSecond.toLocaleString('en-US')} events/s`, KERNEL_TARGETS[r.name] ?? 0, r.virtualSeconds]),
    ),
  );
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ benchmark: 'kernel', node: process.version, rows, targets: KERNEL_TARGETS }, null, 2));
  out(`wrote ${opts.out}`);
  return rows.every((r) => r.eventsPerSecond >= (KERNEL_TARGETS[r.name] ?? 0)) ? 0 : 1;
}

/** `ksim bench store`: committed writes and linearizable reads per wall-clock second. */
export async function benchStore(opts: BenchOptions & Partial<StoreBenchOptions>, out: (s: string) => void): Promise<number> {
  const { out: file, events: _unused, ...rest } = opts;
  const rows = await runStoreBench(rest);
  out(
    table(
      ['benchmark', 'ops', 'wall ms', 'throughput', 'target/s', 'p50 ms (virtual)', 'p99 ms (virtual)', 'events/op'],
      rows.map((r) => [
        r.name,
        r.ops,
        r.wallMs,
        `${r.opsPerSecond.toLocaleString('en-US')} ${r.name === 'writes' ? 'writes' : 'reads'}/s`,
        STORE_BENCH_TARGETS[r.name] ?? 0,
        (r.latencyP50Us / 1000).toFixed(2),
        (r.latencyP99Us / 1000).toFixed(2),
        r.eventsPerOp,
      ]),
    ),
  );
  for (const line of describeStoreBench(rows)) out(line);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ benchmark: 'store', node: process.version, options: rest, rows, targets: STORE_BENCH_TARGETS }, null, 2));
  out(`wrote ${file}`);
  return rows.every((r) => r.opsPerSecond >= (STORE_BENCH_TARGETS[r.name] ?? 0)) ? 0 : 1;
}
