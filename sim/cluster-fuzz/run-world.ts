/**
 * One fuzzed world, run as the scenario it is: the always-on invariants watch the safety phase
 * (and everything after), the expectations at the end are the liveness verdict, and the world
 * runs twice so that a trace-hash mismatch (non-determinism) fails it too.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { runScenario, type RunReport } from '../scenario/run.ts';
import { parseScenario } from '../scenario/scenario.ts';
import { scenarioOf, worldArbitrary, type World, type WorldBounds } from './world.ts';

export type WorldVerdict = 'ok' | 'safety' | 'liveness' | 'determinism' | 'crash';

export interface WorldReport {
  readonly seed: number;
  readonly verdict: WorldVerdict;
  /** Broken invariants and unmet expectations, one line each. */
  readonly failures: readonly string[];
  /** The invariants that broke (safety verdicts). */
  readonly invariants: readonly string[];
  readonly traceHash: string;
  readonly events: number;
  readonly virtualUs: number;
  /** Shape of the world, for the summary table. */
  readonly nodes: number;
  readonly pods: number;
  readonly faults: number;
}

export interface RunWorldOptions {
  /** Run the world a second time and compare trace hashes (default true). */
  readonly twice?: boolean;
  readonly bounds?: WorldBounds;
}

/** The world seed `seed` draws (fast-check's first value for that seed). */
export function worldOf(seed: number, bounds?: WorldBounds): World {
  return fc.sample(worldArbitrary(bounds), { seed, numRuns: 1 })[0]!;
}

/** The scenario YAML of a world, with a header saying how to run it. */
export function worldYaml(world: World, seed: number, name = `fuzz-world-${seed}`): string {
  return `# A world drawn by ksim fuzz cluster (seed ${seed}).\n#   ksim run <this file> --seed ${seed}\n${stringify(scenarioOf(world, name))}`;
}

/** Runs world `world` with simulation seed `seed` and judges it. */
export async function runWorld(
  world: World,
  seed: number,
  options: RunWorldOptions = {},
): Promise<WorldReport> {
  const shape = {
    seed,
    nodes: world.nodes,
    pods: world.replicaSets.reduce((n, r) => n + r.replicas, world.burst?.replicas ?? 0),
    faults: world.faults.length + (world.figureEightAtS === undefined ? 0 : 1),
  };
  let first: RunReport;
  try {
    first = await runOnce(world, seed);
  } catch (e) {
    const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
    return {
      ...shape,
      verdict: 'crash',
      failures: [message],
      invariants: [],
      traceHash: '',
      events: 0,
      virtualUs: 0,
    };
  }
  const base = {
    ...shape,
    traceHash: first.traceHash,
    events: first.events,
    virtualUs: first.virtualTimeUs,
  };
  const broken = first.invariants.filter((v) => v.violations > 0);
  const unmet = first.expectations.filter((e) => !e.passed);
  const failures = [
    ...broken.map((v) => `invariant ${v.name}: ${v.first ?? ''} (${v.violations} violation(s))`),
    ...unmet.map((e) => `expectation ${e.name}: ${e.detail}`),
  ];
  if (failures.length > 0) {
    return {
      ...base,
      verdict: broken.length > 0 ? 'safety' : 'liveness',
      failures,
      invariants: broken.map((v) => v.name),
    };
  }
  if (options.twice !== false) {
    const second = await runOnce(world, seed);
    if (second.traceHash !== first.traceHash) {
      return {
        ...base,
        verdict: 'determinism',
        failures: [
          `the second run's trace hash ${second.traceHash} differs from the first's ${first.traceHash}`,
        ],
        invariants: [],
      };
    }
  }
  return { ...base, verdict: 'ok', failures: [], invariants: [] };
}

async function runOnce(world: World, seed: number): Promise<RunReport> {
  const scenario = parseScenario(worldYaml(world, seed), `<fuzz world ${seed}>`);
  return runScenario(scenario, { seed, stopAtViolation: true });
}

export interface ShrinkResult {
  readonly world: World;
  readonly report: WorldReport;
  /** Worlds run while shrinking. */
  readonly runs: number;
}

/**
 * fast-check's shrinking of the failing world of `seed`: smaller clusters, fewer ReplicaSets and
 * faults, smaller numbers, while the run still fails the same way (same verdict, and for a
 * safety failure one of the same invariants). At most `budget` worlds are run, so the result
 * is the same every time (a wall-clock limit would not be).
 */
export async function shrinkWorld(
  seed: number,
  failed: WorldReport,
  options: { readonly budget?: number; readonly bounds?: WorldBounds } = {},
): Promise<ShrinkResult> {
  const budget = options.budget ?? 40;
  let runs = 0;
  let smallest: { world: World; report: WorldReport } | undefined;
  const sameFailure = (r: WorldReport): boolean =>
    r.verdict === failed.verdict &&
    (r.verdict !== 'safety' || r.invariants.some((n) => failed.invariants.includes(n)));
  const property = fc.asyncProperty(worldArbitrary(options.bounds), async (world) => {
    if (runs >= budget) return true;
    runs++;
    // Determinism was already judged on the original; shrinking keeps to the one run.
    const report = await runWorld(world, seed, { twice: failed.verdict === 'determinism' });
    if (!sameFailure(report)) return true;
    smallest = { world, report };
    return false;
  });
  await fc.check(property, { seed, numRuns: 1 });
  if (smallest === undefined) return { world: worldOf(seed, options.bounds), report: failed, runs };
  return { ...smallest, runs };
}
