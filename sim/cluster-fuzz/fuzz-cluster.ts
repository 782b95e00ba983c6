/**
 * A campaign of fuzzed worlds (`ksim fuzz cluster --runs N --seed S`): world i is drawn from
 * seed S + i, so a failure is reproduced by its seed alone. `--shard K/N` keeps the worlds
 * whose index i has i mod N = K, so N machines (an Indexed Job) split a campaign without
 * talking to each other, and `mergeResults` puts their JSON results back together.
 *
 * The first failure is shrunk by fast-check (run-world.ts) and written, with every other
 * failing world, as a scenario file that `ksim run` reproduces.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runModeInWorkers } from '../store-fuzz/run-pool.ts';
import {
  runWorld,
  shrinkWorld,
  worldOf,
  worldYaml,
  type WorldReport,
  type WorldVerdict,
} from './run-world.ts';
import type { WorldBounds } from './world.ts';

export interface Shard {
  /** 0-based, as a Kubernetes Indexed Job's JOB_COMPLETION_INDEX. */
  readonly index: number;
  readonly count: number;
}

export interface FuzzClusterOptions {
  readonly runs: number;
  readonly seed: number;
  readonly shard?: Shard;
  /** Worker threads (default 1: this thread). */
  readonly workers?: number;
  /** Shrink the first failure (default true). */
  readonly shrink?: boolean;
  /** Worlds shrinking may run (default 40). */
  readonly shrinkBudget?: number;
  /** Where failing worlds are written as scenario files (default: nowhere). */
  readonly outDir?: string;
  /** Run each world twice and compare trace hashes (default true). */
  readonly twice?: boolean;
  readonly bounds?: WorldBounds;
  /** Stop at the first failure (in seed order). */
  readonly stopOnFailure?: boolean;
  /** After every world, in seed order. */
  readonly onRun?: (report: WorldReport, done: number, total: number) => void;
}

export interface FuzzFailure {
  readonly seed: number;
  readonly verdict: WorldVerdict;
  readonly failures: readonly string[];
  readonly traceHash: string;
  /** The world's scenario file, if written. */
  readonly file?: string;
  readonly reproduce: string;
  /** The shrunk world, for the first failure. */
  readonly shrunk?: {
    readonly file?: string;
    readonly reproduce: string;
    readonly runs: number;
    readonly nodes: number;
    readonly pods: number;
    readonly faults: number;
    readonly failures: readonly string[];
    readonly traceHash: string;
  };
}

/** What `--json` prints and `ksim fuzz merge` reads. */
export interface FuzzClusterResult {
  readonly format: 'ksim-fuzz-cluster/v1';
  readonly seed: number;
  readonly runs: number;
  readonly shard: Shard;
  readonly reports: readonly WorldReport[];
  readonly failures: readonly FuzzFailure[];
}

/** The seeds of shard `shard` of the campaign `seed .. seed + runs - 1`. */
export function shardSeeds(seed: number, runs: number, shard: Shard): number[] {
  const out: number[] = [];
  for (let i = shard.index; i < runs; i += shard.count) out.push(seed + i);
  return out;
}

export function parseShard(text: string): Shard | string {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  if (m === null) return `expected K/N (shard K of N, K from 0), got ${JSON.stringify(text)}`;
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index >= count) return `shard ${text}: K must be from 0 to N-1 and N at least 1`;
  return { index, count };
}

export async function fuzzCluster(options: FuzzClusterOptions): Promise<FuzzClusterResult> {
  const shard = options.shard ?? { index: 0, count: 1 };
  const seeds = shardSeeds(options.seed, options.runs, shard);
  const runOptions = {
    ...(options.twice === undefined ? {} : { twice: options.twice }),
    ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
  };
  const reports =
    (options.workers ?? 1) > 1
      ? runModeInWorkers('cluster', seeds, options.workers!, (seed) => ({ seed, ...runOptions }))
      : inOrder(seeds, (seed) => runWorld(worldOf(seed, options.bounds), seed, runOptions));
  const done: WorldReport[] = [];
  for await (const report of reports) {
    done.push(report);
    options.onRun?.(report, done.length, seeds.length);
    if (options.stopOnFailure === true && report.verdict !== 'ok') break;
  }
  const failures: FuzzFailure[] = [];
  for (const report of done) {
    if (report.verdict === 'ok') continue;
    const first = failures.length === 0;
    failures.push(await describeFailure(report, first && options.shrink !== false, options));
  }
  return {
    format: 'ksim-fuzz-cluster/v1',
    seed: options.seed,
    runs: options.runs,
    shard,
    reports: done,
    failures,
  };
}

async function* inOrder(
  seeds: readonly number[],
  run: (seed: number) => Promise<WorldReport>,
): AsyncGenerator<WorldReport> {
  for (const seed of seeds) yield await run(seed);
}

async function describeFailure(
  report: WorldReport,
  shrink: boolean,
  options: FuzzClusterOptions,
): Promise<FuzzFailure> {
  const seed = report.seed;
  const world = worldOf(seed, options.bounds);
  const file = writeWorld(options.outDir, `world-${seed}.yaml`, worldYaml(world, seed));
  const base: FuzzFailure = {
    seed,
    verdict: report.verdict,
    failures: report.failures,
    traceHash: report.traceHash,
    ...(file === undefined ? {} : { file }),
    reproduce: `ksim run ${file ?? `<world-${seed}.yaml>`} --seed ${seed}`,
  };
  if (!shrink) return base;
  const shrunk = await shrinkWorld(seed, report, {
    ...(options.shrinkBudget === undefined ? {} : { budget: options.shrinkBudget }),
    ...(options.bounds === undefined ? {} : { bounds: options.bounds }),
  });
  const shrunkFile = writeWorld(
    options.outDir,
    `world-${seed}-shrunk.yaml`,
    worldYaml(shrunk.world, seed, `fuzz-world-${seed}-shrunk`),
  );
  return {
    ...base,
    shrunk: {
      ...(shrunkFile === undefined ? {} : { file: shrunkFile }),
      reproduce: `ksim run ${shrunkFile ?? `<world-${seed}-shrunk.yaml>`} --seed ${seed}`,
      runs: shrunk.runs,
      nodes: shrunk.report.nodes,
      pods: shrunk.report.pods,
      faults: shrunk.report.faults,
      failures: shrunk.report.failures,
      traceHash: shrunk.report.traceHash,
    },
  };
}

function writeWorld(dir: string | undefined, name: string, text: string): string | undefined {
  if (dir === undefined) return undefined;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/**
 * The shards' results as one campaign's: they must come from the same campaign (seed, runs,
 * shard count), each shard once; the merged result says which shards are missing, if any.
 */
export function mergeResults(
  results: readonly FuzzClusterResult[],
): { merged: FuzzClusterResult; missingShards: number[] } | string {
  const first = results[0];
  if (first === undefined) return 'nothing to merge';
  const seen = new Set<number>();
  for (const [i, r] of results.entries()) {
    if (r.format !== 'ksim-fuzz-cluster/v1')
      return `result ${i + 1} is not a ksim fuzz cluster --json result`;
    if (r.seed !== first.seed || r.runs !== first.runs || r.shard.count !== first.shard.count)
      return `result ${i + 1} is from another campaign (seed ${r.seed}, ${r.runs} runs, ${r.shard.count} shards; the first: seed ${first.seed}, ${first.runs} runs, ${first.shard.count} shards)`;
    if (seen.has(r.shard.index)) return `shard ${r.shard.index}/${r.shard.count} is given twice`;
    seen.add(r.shard.index);
  }
  const bySeed = (a: { seed: number }, b: { seed: number }): number => a.seed - b.seed;
  const missingShards = Array.from({ length: first.shard.count }, (_, i) => i).filter(
    (i) => !seen.has(i),
  );
  return {
    merged: {
      format: first.format,
      seed: first.seed,
      runs: first.runs,
      shard: { index: 0, count: 1 },
      reports: results.flatMap((r) => r.reports).sort(bySeed),
      failures: results.flatMap((r) => r.failures).sort(bySeed),
    },
    missingShards,
  };
}

/** Counts by verdict and by broken invariant: the summary table's rows. */
export function tally(reports: readonly WorldReport[]): {
  readonly verdicts: Record<WorldVerdict, number>;
  readonly invariants: Record<string, number>;
  readonly events: number;
  readonly virtualUs: number;
} {
  const verdicts: Record<WorldVerdict, number> = {
    ok: 0,
    safety: 0,
    liveness: 0,
    determinism: 0,
    crash: 0,
  };
  const invariants: Record<string, number> = {};
  let events = 0;
  let virtualUs = 0;
  for (const r of reports) {
    verdicts[r.verdict]++;
    for (const n of r.invariants) invariants[n] = (invariants[n] ?? 0) + 1;
    events += r.events;
    virtualUs += r.virtualUs;
  }
  return { verdicts, invariants, events, virtualUs };
}
