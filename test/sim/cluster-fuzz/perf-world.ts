/**
 * Hand-run CPU cost of one world of the throughput target (not a test; tests never
 * assert on time): 3 store members, 10 nodes, 100 pods (10 ReplicaSets of 10, each behind a
 * Service), 10 virtual minutes (a safety phase of 200 s under the faults seed SEED draws, then
 * 400 s to converge):
 *   node --import ./sim/cli/register.mjs test/sim/cluster-fuzz/perf-world.ts SEED [all|nolin|none]
 * `all`: every invariant on; `nolin`: all but store-linearizable; `none`: no invariant. Prints
 * one JSON line: events, trace hash, and the CPU seconds of the run (module loading excluded).
 */
import { stringify } from 'yaml';
import { worldOf } from '../../../sim/cluster-fuzz/run-world.ts';
import { scenarioOf, type World } from '../../../sim/cluster-fuzz/world.ts';
import { INVARIANT_NAMES } from '../../../sim/invariants/names.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';

const seed = Number(process.argv[2] ?? 1);
const mode = process.argv[3] ?? 'all';
if (!Number.isInteger(seed) || !['all', 'nolin', 'none'].includes(mode))
  throw new Error(`usage: perf-world.ts SEED [all|nolin|none], got ${process.argv.slice(2)}`);

/** The faults and buggify sites of seed's world, in the target's shape. */
function referenceWorld(seed: number): World {
  const drawn = worldOf(seed, {
    maxNodes: 10,
    maxReplicaSets: 10,
    maxWorkloads: 0,
    maxReplicas: 10,
    maxFaults: 6,
    safetyS: 200,
    livenessS: 400,
  });
  const { burst: _burst, ...rest } = drawn;
  return {
    ...rest,
    storeMembers: 3,
    nodes: 10,
    nodeCpuMillis: 64_000,
    replicaSets: Array.from({ length: 10 }, (_, i) => {
      const {
        scaleTo: _to,
        scaleAtS: _at,
        ...rs
      } = drawn.replicaSets[i % drawn.replicaSets.length]!;
      return { ...rs, replicas: 10 };
    }),
  };
}

const start = process.cpuUsage();
const doc = scenarioOf(referenceWorld(seed), `reference-world-${seed}`) as {
  spec: Record<string, unknown>;
};
if (mode !== 'all')
  doc.spec['invariants'] = Object.fromEntries(
    INVARIANT_NAMES.filter((n) => mode === 'none' || n === 'store-linearizable').map((n) => [
      n,
      false,
    ]),
  );
const report = await runScenario(parseScenario(stringify(doc), `<reference world ${seed}>`), {
  seed,
  stopAtViolation: true,
});
const used = process.cpuUsage(start);
console.log(
  JSON.stringify({
    seed,
    mode,
    events: report.events,
    traceHash: report.traceHash,
    cpuS: Number(((used.user + used.system) / 1e6).toFixed(2)),
    broken: report.invariants.filter((v) => v.violations > 0).map((v) => v.name),
    unmet: report.expectations.filter((e) => !e.passed).map((e) => e.name),
  }),
);
