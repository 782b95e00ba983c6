/**
 * Many store fuzz runs from one root seed (`ksim fuzz store --runs N --seed S`): run i uses seed
 * S + i, so any failure is reproduced by its own seed alone. The first failure's schedule is
 * shrunk greedily (drop one fault at a time while the run still fails) before it is reported,
 * with the command line that reproduces the unshrunk run.
 */
import { DEFAULT_MAX_STEPS } from '../check/linearizability.ts';
import { addCoverage, describeCoverage, type Coverage } from './coverage.ts';
import { describeFault, type ScheduledFault } from './fault-schedule.ts';
import type { WorkloadMix } from './op-mix.ts';
import { runInWorkers } from './run-pool.ts';
import {
  describeReport,
  runStoreFuzz,
  type StoreFuzzOptions,
  type StoreFuzzReport,
} from './run-store-fuzz.ts';

export interface FuzzStoreOptions {
  readonly runs: number;
  readonly seed: number;
  /** Default: 5 members for seeds divisible by 3, else 3 (so one seed decides). */
  readonly members?: 3 | 5;
  readonly durationUs?: number;
  readonly clients?: number;
  /** The ops the clients draw (default 'full'). */
  readonly mix?: WorkloadMix;
  /** Shrink the first failing schedule (default true). */
  readonly shrink?: boolean;
  /** Check mode (default true): frozen messages, codec round trips. */
  readonly checkImmutability?: boolean;
  /**
   * A run whose history the linearizability checker could not decide within its budget fails the
   * campaign instead of being counted as inconclusive.
   */
  readonly strict?: boolean;
  /** The linearizability checker's budget of model steps per history (DEFAULT_MAX_STEPS). */
  readonly checkerMaxSteps?: number;
  /** Worker threads to spread the runs over (default 1: this thread). */
  readonly workers?: number;
  /** Called after every run, in seed order (progress output). */
  readonly onRun?: (report: StoreFuzzReport) => void;
}

export interface FuzzStoreFailure {
  readonly report: StoreFuzzReport;
  /** A smaller schedule that still fails (the original if shrinking is off or found nothing). */
  readonly shrunkSchedule: readonly ScheduledFault[];
  readonly command: string;
  /** Report, shrunk schedule and reproducing command, ready to print. */
  readonly description: string;
}

export interface FuzzStoreResult {
  readonly runs: number;
  readonly failures: number;
  readonly firstFailure: FuzzStoreFailure | undefined;
  /** Runs without violations whose linearizability the checker could not decide. */
  readonly inconclusive: number;
  /** The most model steps the checker took on one history (its budget: DEFAULT_MAX_STEPS). */
  readonly maxCheckerSteps: number;
  /** Store paths exercised by the runs' completed operations, summed. */
  readonly coverage: Coverage;
}

export const DEFAULT_FUZZ_DURATION_US = 8_000_000;
export const DEFAULT_FUZZ_CLIENTS = 4;
const MAX_SHRINK_RUNS = 60;

/** The options of run `seed` (everything but the seed has a default derived from it). */
export function fuzzRunOptions(
  seed: number,
  overrides: Omit<FuzzStoreOptions, 'runs' | 'seed'> = {},
): StoreFuzzOptions {
  return {
    seed,
    members: overrides.members ?? (seed % 3 === 0 ? 5 : 3),
    durationUs: overrides.durationUs ?? DEFAULT_FUZZ_DURATION_US,
    clients: overrides.clients ?? DEFAULT_FUZZ_CLIENTS,
    ...(overrides.mix === undefined ? {} : { mix: overrides.mix }),
    ...(overrides.checkImmutability === undefined
      ? {}
      : { checkImmutability: overrides.checkImmutability }),
    ...(overrides.checkerMaxSteps === undefined
      ? {}
      : { checkerMaxSteps: overrides.checkerMaxSteps }),
  };
}

export function reproduceCommand(
  seed: number,
  options: Omit<FuzzStoreOptions, 'runs' | 'seed'> = {},
): string {
  const extra = [
    options.members === undefined ? '' : ` --members ${options.members}`,
    options.durationUs === undefined ? '' : ` --duration ${options.durationUs}us`,
    options.clients === undefined ? '' : ` --clients ${options.clients}`,
    options.mix === undefined ? '' : ` --mix ${options.mix}`,
    options.checkImmutability === false ? ' --no-check-immutability' : '',
    options.strict === true ? ' --strict' : '',
    options.checkerMaxSteps === undefined ? '' : ` --checker-budget ${options.checkerMaxSteps}`,
  ].join('');
  return `ksim fuzz store --seed ${seed} --runs 1${extra}`;
}

/**
 * Runs `runs` histories (on `workers` threads when more than one); stops at the first failure
 * in seed order, whatever the number of workers.
 */
export async function fuzzStore(options: FuzzStoreOptions): Promise<FuzzStoreResult> {
  let inconclusive = 0;
  let maxCheckerSteps = 0;
  const coverage: Coverage = {};
  const reports =
    (options.workers ?? 1) > 1
      ? runInWorkers(options.seed, options.runs, options.workers!, (seed) =>
          fuzzRunOptions(seed, options),
        )
      : runInOrder(options.seed, options.runs, (seed) => fuzzRunOptions(seed, options));
  let i = 0;
  let failed: StoreFuzzReport | undefined;
  // Leaving the loop stops the workers before any shrinking starts.
  for await (const report of reports) {
    i++;
    options.onRun?.(report);
    maxCheckerSteps = Math.max(maxCheckerSteps, report.stats.checkerSteps);
    addCoverage(coverage, report.coverage);
    const undecided = report.stats.linearizability === 'inconclusive';
    if (report.violations.length === 0 && !(undecided && options.strict === true)) {
      if (undecided) inconclusive++;
      continue;
    }
    failed = report;
    break;
  }
  if (failed === undefined)
    return {
      runs: options.runs,
      failures: 0,
      firstFailure: undefined,
      inconclusive,
      maxCheckerSteps,
      coverage,
    };
  const report = failed;
  const shrunkSchedule =
    options.shrink === false || report.violations.length === 0
      ? report.schedule
      : await shrinkSchedule(fuzzRunOptions(report.seed, options), report.schedule);
  const command = reproduceCommand(report.seed, options);
  const description = [
    describeReport(report),
    ...(report.violations.length === 0
      ? [
          `  linearizability undecided within ${options.checkerMaxSteps ?? DEFAULT_MAX_STEPS} checker steps (--strict)`,
        ]
      : [
          `  shrunk schedule (${shrunkSchedule.length} of ${report.schedule.length} faults still fail):`,
          ...shrunkSchedule.map((f) => `    ${describeFault(f)}`),
        ]),
    `  reproduce: ${command}`,
  ].join('\n');
  return {
    runs: i,
    failures: 1,
    firstFailure: { report, shrunkSchedule, command, description },
    inconclusive,
    maxCheckerSteps,
    coverage,
  };
}

async function* runInOrder(
  first: number,
  count: number,
  options: (seed: number) => StoreFuzzOptions,
): AsyncGenerator<StoreFuzzReport> {
  for (let seed = first; seed < first + count; seed++) yield await runStoreFuzz(options(seed));
}

/** Greedy one-at-a-time removal, newest fault first, within a budget of runs. */
export async function shrinkSchedule(
  options: StoreFuzzOptions,
  schedule: readonly ScheduledFault[],
): Promise<readonly ScheduledFault[]> {
  let current = schedule;
  let budget = MAX_SHRINK_RUNS;
  for (let i = current.length - 1; i >= 0 && budget > 0; i--) {
    const candidate = current.filter((_, k) => k !== i);
    budget--;
    const report = await runStoreFuzz({ ...options, faultSchedule: candidate });
    if (report.violations.length > 0) current = candidate;
  }
  return current;
}

/**
 * `ksim fuzz store --runs N --seed S`: prints one line per run and, on a failure, the report,
 * the shrunk schedule and the reproducing command. Returns the exit code (1 on any violation).
 */
export async function fuzzStoreCommand(
  options: FuzzStoreOptions,
  out: (line: string) => void,
): Promise<number> {
  const result = await fuzzStore({
    ...options,
    onRun: (r) => {
      const s = r.stats;
      out(
        `seed ${r.seed} (${r.members} members): ${r.violations.length === 0 ? 'ok' : 'VIOLATION'} ` +
          `ops=${s.operations} unknown=${s.unknown} faults=${r.schedule.length} liveness=${s.livenessUs ?? '-'}us linearizability=${s.linearizability}`,
      );
      options.onRun?.(r);
    },
  });
  if (result.firstFailure !== undefined) {
    out(result.firstFailure.description);
    return 1;
  }
  out(
    `${result.runs} runs, no violations, ${result.inconclusive} inconclusive ` +
      `(linearizability checker steps: at most ${result.maxCheckerSteps.toLocaleString('en-US')} ` +
      `of its budget of ${(options.checkerMaxSteps ?? DEFAULT_MAX_STEPS).toLocaleString('en-US')} per history)`,
  );
  out(`store paths exercised: ${describeCoverage(result.coverage)}`);
  return 0;
}
