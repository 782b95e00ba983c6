import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../../sim/scenario/run.ts';
import { parseScenario } from '../../../../sim/scenario/scenario.ts';

const PATH = 'scenarios/hpa.yaml';

describe('scenarios/hpa.yaml', () => {
  it('gives the same trace for the same seed and another for another seed', async () => {
    const scenario = parseScenario(readFileSync(PATH, 'utf8'), PATH);
    const a = await runScenario(scenario, { seed: 1 });
    const b = await runScenario(scenario, { seed: 1 });
    const c = await runScenario(scenario, { seed: 2 });
    expect(b.traceHash).toBe(a.traceHash);
    expect(c.traceHash).not.toBe(a.traceHash);
    expect(c.expectations.filter((e) => !e.passed)).toEqual([]);
  }, 120_000);
});
