/**
 * Every example scenario under scenarios/ (README points users at them) runs to its end with
 * each of its expectations met and every always-on invariant holding, at its own seed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../sim/scenario/run.ts';
import { parseScenario } from '../sim/scenario/scenario.ts';

const files = readdirSync('scenarios')
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('example scenarios', () => {
  it('there are some', () => {
    expect(files).toContain('quickstart.yaml');
  });

  it.each(files)(
    '%s meets its expectations',
    async (file) => {
      const path = join('scenarios', file);
      const scenario = parseScenario(readFileSync(path, 'utf8'), path);
      const report = await runScenario(scenario, { seed: scenario.spec.seed ?? 1 });
      expect(report.expectations.length).toBeGreaterThan(0);
      expect(report.expectations.filter((e) => !e.passed)).toEqual([]);
      expect(report.invariants.filter((v) => v.violations > 0)).toEqual([]);
    },
    120_000,
  );
});
