/**
 * Node pools whose labels vary over the pool: values taken in turn (roundRobin) or spread by
 * weight, as zones and instance types are.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import { weightedSequence } from '../../../sim/scenario/cluster-spec.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const base = readFileSync('scenarios/quickstart.yaml', 'utf8');
const ZONE = 'topology.kubernetes.io/zone';

function withPool(pool: string): string {
  return base.replace(/    nodes:\n(      .*\n)+?(?=  \w)/, `    nodes:\n${pool}\n`);
}

describe('node pool labels that vary over the pool', () => {
  it.each([
    [{ a: 1 }, 3, 'a a a'],
    [{ a: 1, b: 1, c: 1 }, 6, 'a b c a b c'],
    [{ a: 2, b: 1 }, 6, 'a b a a b a'],
    [{ a: 5, b: 1, c: 1 }, 7, 'a a b a c a a'],
  ])('weights %j over %i nodes: %s', (weights, count, expected) => {
    expect(weightedSequence(weights, count).join(' ')).toBe(expected);
  });

  it('labels each node as its pool says, fixed, round robin and weighted', async () => {
    const text = withPool(
      [
        '      - namePrefix: node',
        '        count: 5',
        '        labels:',
        '          pool: general',
        `          ${ZONE}: { roundRobin: [a, b] }`,
        '          node.kubernetes.io/instance-type: { weighted: { large: 1, small: 4 } }',
      ].join('\n'),
    );
    const scenario = parseScenario(text, 'test.yaml');
    const labels: Record<string, Readonly<Record<string, string>>> = {};
    await runScenario(scenario, {
      seed: 1,
      durationUs: 1_000_000,
      atEnd: (world) => {
        for (const n of world.layout.nodes)
          labels[n] = (world.sim.process(n).instance as NodeProcess).kubelet.config.labels;
      },
    });
    expect(Object.keys(labels)).toEqual(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']);
    expect(Object.values(labels).map((l) => l['pool'])).toEqual(Array(5).fill('general'));
    expect(Object.values(labels).map((l) => l[ZONE])).toEqual(['a', 'b', 'a', 'b', 'a']);
    expect(Object.values(labels).map((l) => l['node.kubernetes.io/instance-type'])).toEqual([
      'small',
      'small',
      'large',
      'small',
      'small',
    ]);
  });

  it('refuses empty value lists and weights below 1', () => {
    const problems = (labelsLine: string): string => {
      try {
        parseScenario(
          withPool(['      - count: 2', '        labels:', `          ${labelsLine}`].join('\n')),
          'test.yaml',
        );
      } catch (e) {
        if (e instanceof ScenarioError) return e.problems.join('\n');
        throw e;
      }
      return '';
    };
    expect(problems(`${ZONE}: { roundRobin: [] }`)).toMatch(
      /labels\.topology\.kubernetes\.io\/zone\.roundRobin: needs at least 1 item, got 0/,
    );
    expect(problems(`${ZONE}: { weighted: { a: 0 } }`)).toMatch(
      /zone\.weighted\.a: must be >= 1, got 0/,
    );
    expect(problems(`${ZONE}: { weighted: {} }`)).toMatch(
      /zone\.weighted: needs at least one value/,
    );
    expect(problems(`${ZONE}: { spread: [a] }`)).toMatch(
      /zone: expected a label value, \{roundRobin: \[a, b\]\} or \{weighted: \{a: 2, b: 1\}\}, got \{"spread":\["a"\]\}/,
    );
    expect(problems(`${ZONE}: a`)).toBe('');
  });
});
