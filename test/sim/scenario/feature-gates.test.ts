import { describe, expect, it } from 'vitest';
import { parseTraceRecord } from '../../../core/trace/validate.ts';
import { clusterSpecOf } from '../../../sim/scenario/cluster-spec.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const scenario = (gates: string): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: gates }
spec:
  duration: 1m
  cluster:
    featureGates: ${gates}
    nodes: [{ count: 1 }]
`;

function problems(text: string): string[] {
  try {
    parseScenario(text, 'gates.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
}

/** A StatefulSet of 3 that may lose all 3 at once, restarted (a template change) at 60 s. */
const rollout = (gates: string): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: gates }
spec:
  duration: 2m
  cluster:
    featureGates: ${gates}
    nodes: [{ count: 2, capacity: { cpu: '4', memory: 8Gi, pods: '110' } }]
  objects:
    - apiVersion: apps/v1
      kind: StatefulSet
      metadata: { name: web, namespace: default }
      spec:
        replicas: 3
        podManagementPolicy: Parallel
        serviceName: web
        selector: { matchLabels: { app: web } }
        updateStrategy: { type: RollingUpdate, rollingUpdate: { maxUnavailable: 3 } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: web, image: nginx }] }
  actions:
    - at: 60s
      restart: { kind: StatefulSet, name: web }
`;

/** The StatefulSet controller's pod writes after the restart, as "create web-0", "delete web-2". */
async function writesAfterRestart(gates: string): Promise<string[]> {
  const writes: string[] = [];
  await runScenario(parseScenario(rollout(gates), 'gates.yaml'), {
    seed: 1,
    traceSink: (line) => {
      if (line === '') return;
      const r = parseTraceRecord(line);
      if (r.t < 60_000_000) return;
      if (r.k === 'statefulset.create-pod') writes.push(`create ${r.pod}`);
      if (r.k === 'statefulset.delete-pod') writes.push(`delete ${r.pod}`);
    },
  });
  return writes;
}

describe('spec.cluster.featureGates', () => {
  it('reach the cluster assembly, which hands them to API servers and controller managers', () => {
    const parsed = parseScenario(scenario('{ MaxUnavailableStatefulSet: true }'), 'gates.yaml');
    expect(clusterSpecOf(parsed.spec.cluster).featureGates).toEqual({
      MaxUnavailableStatefulSet: true,
    });
  });

  it('turn on what they name in the API server and the controller manager the scenario runs', async () => {
    const on = await writesAfterRestart('{ MaxUnavailableStatefulSet: true }');
    expect(on.slice(0, 3)).toEqual(['delete web-2', 'delete web-1', 'delete web-0']);
    const off = await writesAfterRestart('{ MaxUnavailableStatefulSet: false }');
    expect(off.slice(0, 2)).toEqual(['delete web-2', 'create web-2']);
  });

  it('refuse a gate ksim does not model, naming it', () => {
    expect(problems(scenario('{ NoSuchGate: true }')).join('\n')).toMatch(
      /spec\.cluster\.featureGates.*NoSuchGate/,
    );
    expect(problems(scenario('{ MaxUnavailableStatefulSet: yes please }')).join('\n')).toMatch(
      /spec\.cluster\.featureGates\.MaxUnavailableStatefulSet/,
    );
  });
});
