import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WorkloadFileError } from '../../scheduler-perf/workload-file.ts';
import { CliError } from '../errors.ts';
import { table, targetCell } from '../format.ts';
import {
  EXTRA_TARGETS,
  FLOOR_MULTIPLE,
  runSchedulerBench,
  type SchedulerBenchOptions,
  type SchedulerBenchResult,
  type SchedulerBenchRow,
} from './scheduler.ts';

export interface BenchSchedulerOptions extends SchedulerBenchOptions {
  /** JSON output file; default out/bench/scheduler.json. */
  readonly out?: string;
}

const DEFAULT_OUT = 'out/bench/scheduler.json';

/**
 * Prints one row per workload that ran (name, `N pods/s`, the upstream floor and ksim's target,
 * attempt latency percentiles), a line per workload skipped (with the unsupported step or
 * feature gate) or failed (with its error), and writes them as JSON. Exit code 1 when a
 * workload misses its target or fails, 2 when the workload file is invalid.
 */
export async function benchSchedulerCommand(
  file: string,
  opts: BenchSchedulerOptions,
  out: (s: string) => void,
): Promise<number> {
  let result: SchedulerBenchResult;
  try {
    result = await runSchedulerBench(file, {
      ...opts,
      onWorkloadStart: opts.onWorkloadStart ?? ((name) => out(`running ${name} ...`)),
    });
  } catch (e) {
    if (e instanceof WorkloadFileError) throw new CliError(e.message);
    throw e;
  }
  const { rows, skipped, failed } = result;
  if (rows.length + skipped.length + failed.length === 0)
    throw new CliError(
      `no workload in ${file} matches the filters (label filter defaults to "performance")`,
    );
  for (const s of skipped) out(`skipped ${s.name}: ${s.reason}`);
  for (const f of failed) out(`FAILED ${f.name}: ${f.error}`);
  if (rows.length > 0)
    out(
      table(
        [
          'workload',
          'pods',
          'wall ms',
          'throughput',
          'cpu ms',
          'pods/cpu s',
          'floor',
          'target',
          'attempt p50 µs',
          'p90 µs',
          'p99 µs',
          'virtual s',
          'virtual pods/s',
          'attempts/pod',
        ],
        rows.map((r) => [
          r.name,
          r.measuredPods,
          r.wallMs,
          `${r.podsPerSecond.toLocaleString('en-US')} pods/s`,
          r.cpuMs,
          r.podsPerCpuSecond,
          r.floor === 0 ? 'none' : r.floor,
          targetCell(r.podsPerSecond, r.target),
          r.attemptLatencyUs.p50,
          r.attemptLatencyUs.p90,
          r.attemptLatencyUs.p99,
          r.virtualSeconds,
          r.virtualPodsPerSecond,
          r.attemptsPerPod,
        ]),
      ),
    );
  const path = opts.out ?? DEFAULT_OUT;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(
    path,
    JSON.stringify(
      {
        benchmark: 'scheduler',
        file,
        node: process.version,
        seed: opts.seed ?? 1,
        costModel:
          opts.costModel ??
          (opts.attemptCostUs === undefined
            ? 'fixed 1 ms per attempt'
            : `fixed ${opts.attemptCostUs} µs per attempt`),
        floorMultiple: FLOOR_MULTIPLE,
        extraTargets: EXTRA_TARGETS,
        note: "podsPerSecond = measured pods bound / wall seconds of the measured phase (SchedulingThroughput); cpuMs = the process's user + system CPU time over that phase, podsPerCpuSecond = measured pods / CPU seconds (steadier than the wall-clock figure on a shared machine; the target is on podsPerSecond); virtualPodsPerSecond = measured pods / virtual seconds, the simulated scheduler's throughput under the cost model; a workload runs only when its featureGates match ksim's scheduler, else it is skipped",
        rows,
        skipped,
        failed,
      },
      null,
      2,
    ),
  );
  out(`wrote ${path}`);
  return rows.every(meets) && failed.length === 0 ? 0 : 1;
}

function meets(r: SchedulerBenchRow): boolean {
  return r.target === 0 || r.podsPerSecond >= r.target;
}
