/**
 * spec.cluster.network.between: the link model between groups of processes (the control plane,
 * a node pool, the nodes with a label), as cross-zone latency.
 */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../../core/trace/types.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const scenario = (between: string): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: zones }
spec:
  duration: 5s
  cluster:
    network:
      between: ${between}
    nodes:
      - count: 4
        labels: { topology.kubernetes.io/zone: { roundRobin: [a, b] } }
      - { namePrefix: edge, count: 1 }
  expect:
    - pods: { count: 0 }
`;

/** When each node registered, by node. */
async function registrations(text: string): Promise<Map<string, number>> {
  const at = new Map<string, number>();
  await runScenario(parseScenario(text, 'zones.yaml'), {
    seed: 1,
    traceSink: (line) => {
      const r = JSON.parse(line) as TraceRecord;
      if (r.k === 'kubelet.node-registered') at.set(r.node, r.t);
    },
  });
  return at;
}

function problems(text: string): string[] {
  try {
    parseScenario(text, 'zones.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('links between groups of processes', () => {
  it('nodes far from the control plane register later by the round trips', async () => {
    const near = await registrations(scenario('[]'));
    const far = await registrations(
      scenario(
        '[{ groups: [control-plane, topology.kubernetes.io/zone=b], latency: { min: 400ms, max: 500ms } }, { groups: [edge, control-plane], latency: { min: 1s, max: 1s } }]',
      ),
    );
    const spread = (m: Map<string, number>, nodes: string[]): number[] =>
      nodes.map((n) => m.get(n) as number);
    const nearTimes = spread(near, ['node-1', 'node-2', 'node-3', 'node-4', 'edge-1']);
    expect(Math.max(...nearTimes) - Math.min(...nearTimes)).toBeLessThan(100_000);
    const [a1, b1, a2, b2, edge] = spread(far, ['node-1', 'node-2', 'node-3', 'node-4', 'edge-1']);
    // Zone a is as near as before; zone b at least 400 ms behind, the edge pool about 1 s (the answers that gate registration come back over the slow link).
    expect(Math.abs(a1! - near.get('node-1')!)).toBeLessThan(100_000);
    for (const b of [b1, b2]) expect(b! - Math.max(a1!, a2!)).toBeGreaterThan(400_000);
    expect(edge! - Math.max(a1!, a2!)).toBeGreaterThan(900_000);
    expect(edge).toBeGreaterThan(Math.max(b1!, b2!));
  });

  it('names the group that matches nothing', () => {
    expect(problems(scenario('[{ groups: [control-plane, zone=c] }]'))).toEqual([
      expect.stringMatching(
        /zones\.yaml:\d+: spec\.cluster\.network\.between\[0\]\.groups\[1\]: no node has the label zone=c/,
      ),
    ]);
    expect(problems(scenario('[{ groups: [control-plane, gpu] }]'))).toEqual([
      expect.stringMatching(
        /groups\[1\]: no group named "gpu" \(control-plane, a node pool: node, edge, or label=value\)/,
      ),
    ]);
    expect(problems(scenario('[{ groups: [edge] }]'))).toEqual([
      expect.stringMatching(/between\[0\]\.groups: needs at least 2 items, got 1/),
    ]);
  });
});
