import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, type Scenario } from '../../sim/scenario/scenario.ts';
import { runScenario } from '../../sim/scenario/run.ts';

const load = (name: string): Scenario =>
  parseScenario(
    readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8'),
    name,
  );

/** Virtual-time bound for the quickstart: five pods Running within 30 s (image pull included). */
const QUICKSTART_BOUND_US = 30_000_000;

describe('quickstart scenario', () => {
  const quickstart = load('quickstart');

  it.each(Array.from({ length: 12 }, (_, i) => i + 1))(
    'seed %i: five pods Running over >= 2 nodes within 30 s',
    async (seed) => {
      const report = await runScenario(quickstart, { seed });
      const [expectation] = report.expectations;
      expect(
        expectation?.passed,
        `${expectation?.detail}; reproduce: ksim run scenarios/quickstart.yaml --seed ${seed}`,
      ).toBe(true);
      expect(expectation?.metAtUs).toBeLessThanOrEqual(QUICKSTART_BOUND_US);
      const running = report.pods.filter((p) => p.phase === 'Running' && !p.terminating);
      expect(running).toHaveLength(5);
      expect(new Set(running.map((p) => p.node)).size).toBeGreaterThanOrEqual(2);
    },
  );

  it('same seed, same trace; another seed, another trace', async () => {
    const hashes = [];
    for (const seed of [1, 1, 2, 2, 3])
      hashes.push((await runScenario(quickstart, { seed, traceLevel: 'debug' })).traceHash);
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[2]).toBe(hashes[3]);
    expect(new Set([hashes[0], hashes[2], hashes[4]]).size).toBe(3);
  });
});

describe('node crash under packet loss', () => {
  const scenario = load('node-crash');

  it.each([1, 2, 3, 4])(
    "seed %i: the crashed node's pods are replaced on the other nodes",
    async (seed) => {
      const report = await runScenario(scenario, { seed });
      for (const e of report.expectations)
        expect(e.passed, `${e.name}: ${e.detail} (seed ${seed})`).toBe(true);
      const running = report.pods.filter((p) => p.phase === 'Running' && !p.terminating);
      expect(running.map((p) => p.node)).not.toContain('node-2');
      // Pods that were on node-2 stay Terminating: their kubelet is gone (upstream behaviour).
      const stranded = report.pods.filter((p) => p.node === 'node-2');
      expect(stranded.length).toBeGreaterThan(0);
      expect(stranded.every((p) => p.terminating)).toBe(true);
    },
  );
});

describe('a Deployment through a node crash and a resize', () => {
  const scenario = load('deployment');

  it.each([1, 2, 3, 4])('seed %i: nine pods Running on the surviving nodes', async (seed) => {
    const report = await runScenario(scenario, { seed });
    for (const e of report.expectations)
      expect(e.passed, `${e.name}: ${e.detail} (seed ${seed})`).toBe(true);
  });
});

describe('store failover', () => {
  const scenario = load('store-failover');

  it.each([1, 2, 3, 4, 5, 6])(
    'seed %i: quorum lost and regained, the scale-up goes through',
    async (seed) => {
      const report = await runScenario(scenario, { seed });
      for (const e of report.expectations)
        expect(e.passed, `${e.name}: ${e.detail} (seed ${seed})`).toBe(true);
    },
  );

  it('runs on the volatile in-memory store when asked', async () => {
    const quick = load('quickstart');
    const inMemory = {
      ...quick,
      spec: {
        ...quick.spec,
        cluster: { ...quick.spec.cluster, store: { members: 1, inMemory: true } },
      },
    };
    const report = await runScenario(inMemory, { seed: 1 });
    expect(report.passed).toBe(true);
  });
});
