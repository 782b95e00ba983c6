import { describe, expect, it } from 'vitest';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';

const scenario = (traffic: string, replicas = 2, env = '[]', actions = '[]', dns = '') => `
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
    - apiVersion: v1
      kind: Service
      metadata: { name: web-pods, namespace: default }
      spec: { clusterIP: None, selector: { app: web }, ports: [{ port: 80 }] }
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: default }
      spec:
        replicas: ${replicas}
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: web, image: nginx:1.25, ports: [{ containerPort: 80 }], env: ${env} }] }
  actions: ${actions}
  traffic:
${traffic}
${dns}
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
    // The last request, sent at the end of the run, is still in flight.
    expect(ip).toMatchObject({ service: 'default/web', requests: 199, ok: 199, errors: {} });
    expect(ip?.latencyP50Us).toBeGreaterThan(1_000);
    expect(Object.keys(ip?.backends ?? {})).toHaveLength(2);
    expect(np?.requests).toBeGreaterThan(150);
    expect(np?.ok).toBe(np?.requests);
    expect(empty).toMatchObject({ requests: 40, ok: 0, errors: { 'no-endpoints': 40 } });
    expect(report.services.map((r) => [r.service, r.requests])).toEqual([
      ['default/empty', 40],
      ['default/web', 199 + (np?.requests ?? 0)],
    ]);
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

  const run = async (traffic: string, env: string, actions = '[]') =>
    (await runScenario(parseScenario(scenario(traffic, 2, env, actions), 't.yaml'), { seed: 3 }))
      .traffic[0]!;
  const web = '    - { from: { node: node-1 }, to: { service: web }, rate: 20, start: 20s }';

  it("answers after the backend's response time", async () => {
    const t = await run(web, "[{ name: KSIM_RESPONSE_MS, value: '30-50' }]");
    expect(t.ok).toBe(t.requests);
    expect(t.latencyP50Us).toBeGreaterThanOrEqual(30_000);
    expect(t.latencyP99Us).toBeLessThanOrEqual(52_000);
    expect(t.latencyP99Us).toBeGreaterThan(t.latencyP50Us);
  });

  it('is refused where nothing listens on the target port', async () => {
    const t = await run(
      web.replace('service: web', 'service: web, port: 80'),
      "[{ name: KSIM_LISTEN_AFTER_SECONDS, value: '1000' }]",
    );
    expect(t).toMatchObject({ ok: 0, errors: { refused: t.requests } });
  });

  it('counts server errors at the declared rate', async () => {
    const t = await run(web, "[{ name: KSIM_ERROR_RATE, value: '0.25' }]");
    expect(t.errors['server-error']).toBeGreaterThan(t.requests * 0.15);
    expect(t.errors['server-error']).toBeLessThan(t.requests * 0.35);
    expect(t.ok + (t.errors['server-error'] ?? 0)).toBe(t.requests);
  });

  it('is reset when the backend dies mid-request', async () => {
    const t = await run(
      web,
      "[{ name: KSIM_RESPONSE_MS, value: '400' }, { name: KSIM_CRASH_PROBABILITY, value: '1' }, { name: KSIM_CRASH_INTERVAL_SECONDS, value: '3' }]",
    );
    expect(t.errors.reset).toBeGreaterThan(0);
  });

  it("times out across a partition, after the client's timeout", async () => {
    const t = await run(
      web.replace('start: 20s', 'start: 20s, timeout: 2s'),
      '[]',
      '[{ at: 25s, fault: { kind: partition, groups: [[node-1], [node-2]] } }, { at: 30s, fault: { kind: heal } }]',
    );
    expect(t.errors.timeout).toBeGreaterThan(0);
    expect(t.latencyP99Us).toBeLessThan(2_000_000);
  });

  it('resolves names through cluster DNS: services, headless pods, NXDOMAIN', async () => {
    const report = await runScenario(
      parseScenario(
        scenario(`
    - { name: short, from: { node: node-1 }, to: { name: web }, rate: 10, start: 20s }
    - { name: fqdn, from: { node: node-2, namespace: kube-system }, to: { name: web.default.svc.cluster.local }, rate: 10, start: 20s }
    - { name: headless, from: { node: node-1 }, to: { name: web-pods, port: 80 }, rate: 10, start: 20s }
    - { name: missing, from: { node: node-1, namespace: kube-system }, to: { name: web }, rate: 10, start: 20s }
`),
        't.yaml',
      ),
      { seed: 3 },
    );
    const [short, fqdn, headless, missing] = report.traffic;
    expect(short).toMatchObject({ service: 'web', errors: {} });
    expect(short?.ok).toBeGreaterThan(190);
    expect(fqdn?.ok).toBe(fqdn?.requests);
    expect(headless?.ok).toBe(headless?.requests);
    expect(Object.keys(headless?.backends ?? {})).toHaveLength(2);
    // From kube-system, "web" searches kube-system.svc.cluster.local first and finds nothing.
    expect(missing).toMatchObject({ ok: 0, errors: { nxdomain: 200 } });
    expect(report.services.map((r) => r.service)).toEqual([
      'default/web',
      'default/web-pods',
      'web',
    ]);
  });

  it('answers from what DNS has seen after its propagation delay', async () => {
    const report = await runScenario(
      parseScenario(
        scenario(
          '    - { from: { node: node-1 }, to: { name: web }, rate: 10, start: 20s }',
          2,
          '[]',
          '[]',
          '  dns: { propagationDelay: 30s }',
        ),
        't.yaml',
      ),
      { seed: 3 },
    );
    const t = report.traffic[0]!;
    // The Service, made at the start, is in DNS answers from about 31s on.
    expect(t.errors.nxdomain).toBeGreaterThan(100);
    expect(t.errors.nxdomain).toBeLessThan(120);
    expect(t.ok + (t.errors.nxdomain ?? 0)).toBe(t.requests);
  });

  it('records per Service and virtual second in the trace, adding up to the report', async () => {
    const lines: string[] = [];
    const report = await runScenario(
      parseScenario(
        scenario(`
    - { from: { node: node-1 }, to: { service: web }, rate: 50, arrival: poisson, start: 20s }
    - { from: { node: node-2 }, to: { service: empty }, rate: 2, start: 30s }
`),
        't.yaml',
      ),
      { seed: 3, traceSink: (l) => lines.push(l), checkTrace: true },
    );
    type Window = {
      k: string;
      service: string;
      windowStartUs: number;
      windowUs: number;
      requests: number;
      ok: number;
      backends: Record<string, number>;
    };
    const windows = lines
      .map((l) => JSON.parse(l) as Window)
      .filter((r) => r.k === 'traffic.window');
    for (const svc of report.services) {
      const mine = windows.filter((w) => w.service === svc.service);
      expect(mine.reduce((n, w) => n + w.requests, 0)).toBe(svc.requests);
      expect(mine.reduce((n, w) => n + w.ok, 0)).toBe(svc.ok);
    }
    const web = windows.filter((w) => w.service === 'default/web');
    expect(web.length).toBeGreaterThanOrEqual(19);
    expect(web.every((w) => w.windowUs === 1_000_000 && w.windowStartUs % 1_000_000 === 0)).toBe(
      true,
    );
    // About 50 a second, spread over both pods.
    expect(web[5]?.requests).toBeGreaterThan(25);
    expect(Object.keys(web[5]?.backends ?? {})).toHaveLength(2);
  });
});
