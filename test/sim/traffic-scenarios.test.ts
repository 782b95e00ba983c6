/**
 * The service traffic properties of issue 12 on whole clusters: a rolling update done right
 * fails no request and one without readiness probes or preStop fails some (the scenarios under
 * scenarios/); once kube-proxy's rules converge every request lands on a ready, non-terminating
 * endpoint of its Service (or, with none ready, a terminating one that still serves, as
 * upstream's fallback does); and the iptables statistic-mode split over n endpoints is uniform
 * (chi-squared at p = 0.001).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { EndpointSlice } from '../../core/api/kinds/endpoint-slice.ts';
import { issueClientCredential } from '../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY } from '../../core/cluster/identities.ts';
import { ApiClient, DEFAULT_API_CLIENT } from '../../core/client/api-client.ts';
import { Informer } from '../../core/client/informer.ts';
import { runScenario, startScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';
import { DEFAULT_EPOCH_US } from '../../sim/epoch.ts';
import { SIM_SIGNER } from '../../sim/signer.ts';
import type { Completed } from '../../sim/traffic/outcome.ts';

const S = 1_000_000;
const ROOT = join(import.meta.dirname, '..', '..');

async function runFile(name: string) {
  const path = join(ROOT, 'scenarios', name);
  const scenario = parseScenario(readFileSync(path, 'utf8'), path);
  return runScenario(scenario, { seed: scenario.spec.seed ?? 1 });
}

describe('rolling update behind a Service', () => {
  it('with readiness probes and preStop fails no request', async () => {
    const r = await runFile('rolling-update-ready.yaml');
    const t = r.traffic[0]!;
    expect(t.requests).toBeGreaterThan(3_000);
    expect(t.errors).toEqual({});
    expect(t.ok).toBe(t.requests);
    // Old and new pods both served: the update happened under traffic.
    expect(Object.keys(t.backends)).toHaveLength(8);
  }, 120_000);

  it('without them fails requests as a real cluster does', async () => {
    const r = await runFile('rolling-update-unready.yaml');
    const t = r.traffic[0]!;
    // New pods take traffic before their servers listen; old ones stop listening at SIGTERM.
    expect(t.errors.refused).toBeGreaterThan(10);
    expect(t.ok).toBeLessThan(t.requests);
  }, 120_000);
});

const cluster = (replicas: number, actions: string, traffic: string, duration = '75s') => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: traffic-property }
spec:
  duration: ${duration}
  cluster:
    store: { members: 1 }
    nodes: [{ namePrefix: node, count: 3 }]
  objects:
    - apiVersion: v1
      kind: Service
      metadata: { name: web, namespace: default }
      spec: { selector: { app: web }, ports: [{ port: 80, targetPort: 8080 }] }
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web, namespace: default }
      spec:
        replicas: ${replicas}
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec:
            containers:
              - name: web
                image: nginx:1.25
                ports: [{ containerPort: 8080 }]
                env: [{ name: KSIM_LISTEN_AFTER_SECONDS, value: '1' }]
                readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 2 }
                # Terminating pods keep serving: rules that still send them requests would show.
                lifecycle: { preStop: { exec: { command: [sh, -c, sleep 4] } } }
  actions: ${actions}
  traffic:
${traffic}
`;

/** kube-proxy syncs at most once a second (minSyncPeriod); add the watches' delivery. */
const CONVERGE_US = 2 * S;
/** kube-proxy may see an endpoint turn ready a moment before the test's own watch does. */
const SKEW_US = 500_000;

describe('where requests land', () => {
  fcTest.prop(
    [
      fc.array(
        fc.record({
          atS: fc.integer({ min: 22, max: 60 }),
          replicas: fc.integer({ min: 0, max: 5 }),
        }),
        { minLength: 1, maxLength: 4 },
      ),
      fc.integer({ min: 1, max: 1_000 }),
    ],
    // Scaling to zero leaves only terminating endpoints: the fallback case.
    { numRuns: 4, examples: [[[{ atS: 22, replicas: 0 }], 1]] },
  )(
    'once the rules converge, only on ready, non-terminating endpoints of the Service (or serving terminating ones when none is ready)',
    async (scales, seed) => {
      const actions = `[${scales.map((a) => `{ at: ${a.atS}s, scale: { kind: Deployment, name: web, replicas: ${a.replicas} } }`).join(', ')}]`;
      const text = cluster(
        3,
        actions,
        '    - { from: { node: node-1 }, to: { service: web }, rate: 40, arrival: poisson, start: 20s }',
      );
      const landings: { atUs: number; pod: string }[] = [];
      const onRequest = (_service: string, c: Completed): void => {
        if (c.outcome.kind === 'ok') landings.push({ atUs: c.startUs, pod: c.outcome.pod });
      };
      const world = startScenario(parseScenario(text, 't.yaml'), { seed, onRequest });
      // The test's own watch on the Service's EndpointSlices: when each pod was an endpoint
      // requests may go to.
      const eligible = new Map<string, { fromUs: number; toUs?: number }[]>();
      world.sim.spawnProcess('endpoint-observer', (ports) => {
        const api = new ApiClient(ports.transport, world.layout.apiServer, {
          ...DEFAULT_API_CLIENT,
          credential: issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY),
        });
        const slices = new Informer(ports, api, 'EndpointSlice');
        const update = (): void => {
          const ready = new Set<string>();
          const serving = new Set<string>();
          for (const s of slices.list() as EndpointSlice[]) {
            if (s.metadata.labels?.['kubernetes.io/service-name'] !== 'web') continue;
            for (const e of s.endpoints ?? []) {
              if (e.targetRef?.name === undefined) continue;
              const pod = `default/${e.targetRef.name}`;
              if (e.conditions?.terminating === true) {
                if (e.conditions.serving !== false) serving.add(pod);
              } else if (e.conditions?.ready !== false) ready.add(pod);
            }
          }
          // Upstream's terminating-endpoint fallback (KEP-1669): with no ready endpoint left,
          // kube-proxy sends requests to the terminating ones that still serve.
          const now = ready.size > 0 ? ready : serving;
          for (const [pod, spans] of eligible) {
            const last = spans[spans.length - 1]!;
            if (last.toUs === undefined && !now.has(pod)) last.toUs = ports.clock.now();
          }
          for (const pod of now) {
            const spans = eligible.get(pod) ?? [];
            const last = spans[spans.length - 1];
            if (last === undefined || last.toUs !== undefined)
              spans.push({ fromUs: ports.clock.now() });
            eligible.set(pod, spans);
          }
        };
        slices.addEventHandler({ onAdd: update, onUpdate: update, onDelete: update });
        slices.start();
      });
      await world.sim.run({ untilUs: world.durationUs });
      const report = world.finish();
      expect(landings.length).toBe(report.traffic[0]!.ok);
      const stray = landings.filter(({ atUs, pod }) => {
        // The observer's clock reads Unix microseconds from the run's epoch.
        return !(eligible.get(pod) ?? []).some(
          (s) =>
            s.fromUs - DEFAULT_EPOCH_US <= atUs + SKEW_US &&
            (s.toUs === undefined || s.toUs - DEFAULT_EPOCH_US >= atUs - CONVERGE_US),
        );
      });
      expect(stray).toEqual([]);
      expect(landings.length).toBeGreaterThan(100);
    },
    300_000,
  );

  it('splits 10,000 requests over 5 endpoints uniformly (chi-squared, p = 0.001)', async () => {
    const text = cluster(
      5,
      '[]',
      '    - { from: { node: node-2 }, to: { service: web }, rate: 250, start: 25s, stop: 65s }',
      '66s',
    );
    const t = (await runScenario(parseScenario(text, 't.yaml'), { seed: 7 })).traffic[0]!;
    expect(t).toMatchObject({ requests: 10_000, ok: 10_000, errors: {} });
    const counts = Object.values(t.backends);
    expect(counts).toHaveLength(5);
    const expected = t.ok / counts.length;
    const chi2 = counts.reduce((sum, o) => sum + (o - expected) ** 2 / expected, 0);
    // The chi-squared distribution with 4 degrees of freedom exceeds 18.467 with p = 0.001.
    expect(chi2).toBeLessThan(18.467);
  }, 300_000);
});
