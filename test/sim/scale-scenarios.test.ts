/**
 * The scale scenarios under scenarios/bench (issue 16: 5,000 nodes and 150,000 pods) are too
 * big to run in the suite; this checks that they are read as valid scenarios, cluster checks
 * included, and that they describe the scale they are named for.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, ScenarioError, type ScenarioAction } from '../../sim/scenario/scenario.ts';

const SCALE = [
  ['scenarios/bench/scale-1k-30k.yaml', 1_000, 30_000],
  ['scenarios/bench/scale-5k-150k.yaml', 5_000, 150_000],
] as const;

function replicasOf(action: ScenarioAction): number {
  let n = 0;
  for (const { object } of action.apply ?? []) {
    const spec = (object as { spec?: { replicas?: number } }).spec;
    if (object.kind === 'Deployment') n += spec?.replicas ?? 0;
  }
  return n;
}

describe('scale scenarios', () => {
  it.each(SCALE)('%s: %i nodes, %i pods, valid as written', (path, nodes, pods) => {
    const text = readFileSync(path, 'utf8');
    const s = parseScenario(text, path);
    expect(s.spec.cluster.nodes.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(nodes);
    expect(s.spec.cluster.store?.members).toBe(3);
    expect((s.spec.actions ?? []).reduce((n, a) => n + replicasOf(a), 0)).toBe(pods);
  });

  it('without its pod network the 5,000-node file is refused when read: the default holds 1,024', () => {
    const path = 'scenarios/bench/scale-5k-150k.yaml';
    const text = readFileSync(path, 'utf8').replace(/^ {4}podNetwork:.*\n/m, '');
    let problems: readonly string[] = [];
    try {
      parseScenario(text, path);
    } catch (e) {
      if (!(e instanceof ScenarioError)) throw e;
      problems = e.problems;
    }
    expect(problems).toEqual([
      expect.stringContaining(
        'spec.cluster: 5000 nodes do not fit the pod network 10.244.0.0/14 with a /24 per node (room for 1024)',
      ),
    ]);
  });
});
