import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../sim/scenario/scenario.ts';

const PATH = 'scenarios/custom-resource.yaml';

describe('scenario files with CustomResourceDefinitions', () => {
  it('create a CRD and its instances in one file, and apply to them later', async () => {
    const scenario = parseScenario(readFileSync(PATH, 'utf8'), PATH);
    const report = await runScenario(scenario, { seed: 1 });
    expect(report.rejections).toEqual([]);
    expect(report.passed).toBe(true);
  }, 60_000);

  it('check instances against the schema of a CRD declared earlier in the file', () => {
    const text = readFileSync(PATH, 'utf8').replace(
      "cronSpec: '* * * * */5'\n        image: my-awesome",
      "cronSpec: 'often'\n        bogus: 1\n        image: my-awesome",
    );
    expect(() => parseScenario(text, PATH)).toThrow(ScenarioError);
    try {
      parseScenario(text, PATH);
    } catch (e) {
      expect((e as Error).message).toContain('spec.bogus: unknown field');
    }
    const noCrd = readFileSync(PATH, 'utf8').replace(
      'kind: CustomResourceDefinition',
      'kind: Gadget',
    );
    expect(() => parseScenario(noCrd, PATH)).toThrow(/kind CronTab is not served/);
  });
});
