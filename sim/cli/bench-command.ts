import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { runKernelBench, DEFAULT_KERNEL_BENCH } from './bench/kernel.ts';
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
