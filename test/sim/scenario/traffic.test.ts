import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const scenario = (traffic: string, replicas = 2) => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: traffic }
spec:
  seed: 3
  duration: 40s
  cluster:
    store: { members: 1 }
    nodes: [{ namePrefix: node, count: 2 }]
  objects:
    - apiVersion: v1
      kind: Service
      metadata: { name: web, namespace: default }
      spec:
        type: NodePort
        selector: { app: web }
        ports: [{ port: 80, targetPort: 80, nodePort: 30080 }]
    - apiVersion: v1
      kind: Service
      metadata: { name: empty, namespace: default }
      spec: { selector: { app: nobody }, ports: [{ port: 80 }] }
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: default }
      spec:
        replicas: ${replicas}
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: web, image: nginx:1.25 }] }
  traffic:
${traffic}
`;

describe('service traffic generators', () => {
  it("route requests by the nodes' rules to the pods, over the cluster IP and a node port, and count refusals", async () => {
    const s = parseScenario(
      scenario(`
    - { name: cluster-ip, from: { node: node-1 }, to: { service: web }, rate: 10, start: 20s }
    - { name: node-port, from: { node: node-1, hostNetwork: true }, to: { service: default/web, nodePortOn: node-2 }, rate: 10, arrival: poisson, start: 20s }
    - { name: no-endpoints, from: { node: node-2 }, to: { service: empty }, rate: 2, start: 20s }
`),
      'traffic.yaml',
    );
    const report = await runScenario(s, { seed: 3 });
    const [ip, np, empty] = report.traffic;
    expect(ip).toMatchObject({ service: 'default/web', requests: 200, ok: 200, errors: {} });
    expect(Object.keys(ip?.backends ?? {})).toHaveLength(2);
    expect(np?.requests).toBeGreaterThan(150);
    expect(np?.ok).toBe(np?.requests);
    expect(empty).toMatchObject({ requests: 40, ok: 0, errors: { refused: 40 } });
  });

  it('sends the same requests to the same pods at the same seed', async () => {
    const text = scenario(
      `    - { from: { node: node-1 }, to: { service: web }, rate: 20, arrival: poisson, start: 20s }`,
      3,
    );
    const a = await runScenario(parseScenario(text, 't.yaml'), { seed: 3 });
    const b = await runScenario(parseScenario(text, 't.yaml'), { seed: 3 });
    expect(a.traffic).toEqual(b.traffic);
    expect(a.traceHash).toBe(b.traceHash);
  });

  it('refuses a generator on a node the cluster does not have', async () => {
    const s = parseScenario(
      scenario(`    - { from: { node: node-9 }, to: { service: web }, rate: 1 }`),
      't.yaml',
    );
    await expect(runScenario(s, { seed: 1 })).rejects.toThrow(ScenarioError);
    await expect(runScenario(s, { seed: 1 })).rejects.toThrow(
      /spec.traffic\[0\].from.node: no node named "node-9"/,
    );
  });
});
