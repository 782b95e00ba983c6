import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, type Scenario } from '../../sim/scenario/scenario.ts';
import { runScenario } from '../../sim/scenario/run.ts';

const load = (name: string): Scenario =>
  parseScenario(
    readFileSync(new URL(`../../scenarios/${name}.yaml`, import.meta.url), 'utf8'),
    name,
  );

describe('scenarios/statefulset.yaml', () => {
  const scenario = load('statefulset');

  it.each([1, 2, 3])('seed %i: db-0..2 Running, db-1 made again under its name', async (seed) => {
    const report = await runScenario(scenario, { seed });
    for (const e of report.expectations)
      expect(e.passed, `${e.name}: ${e.detail} (seed ${seed})`).toBe(true);
    const running = report.pods.filter((p) => p.phase === 'Running' && !p.terminating);
    expect(running.map((p) => p.name).sort()).toEqual(['db-0', 'db-1', 'db-2']);
  });
});

describe('scenarios/daemonset.yaml', () => {
  const scenario = load('daemonset');

  it.each([1, 2, 3])(
    'seed %i: one logs pod per node, gpu-agent on the GPU node only',
    async (seed) => {
      const report = await runScenario(scenario, { seed });
      for (const e of report.expectations)
        expect(e.passed, `${e.name}: ${e.detail} (seed ${seed})`).toBe(true);
      const logs = report.pods.filter((p) => p.name.startsWith('logs-') && !p.terminating);
      expect(logs.map((p) => p.node).sort()).toEqual(['gpu-1', 'node-1', 'node-2', 'node-3']);
      const gpu = report.pods.filter((p) => p.name.startsWith('gpu-agent-'));
      expect(gpu.map((p) => p.node)).toEqual(['gpu-1']);
    },
  );
});
