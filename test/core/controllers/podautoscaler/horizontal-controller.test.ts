import { describe, expect, it } from 'vitest';
import type { Event } from '../../../../core/api/cluster-types.ts';
import type { Deployment } from '../../../../core/api/kinds/deployment.ts';
import type { HorizontalPodAutoscaler } from '../../../../core/api/kinds/horizontal-pod-autoscaler.ts';
import { METRICS_API } from '../../../../core/cluster/assembly.ts';
import type { TraceRecord } from '../../../../core/trace/index.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startMetricsServer,
  startScheduler,
} from '../../../support/cluster.ts';
import { recordTrace } from '../../kubelet/harness.ts';

const S = 1_000_000;

function web(cpu: string, replicas = 2): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'app',
              image: 'nginx:1.25',
              env: [{ name: 'KSIM_CPU', value: cpu }],
              resources: { requests: { cpu: '200m', memory: '64Mi' } },
            },
          ],
        },
      },
    },
  };
}

function hpa(spec: Partial<HorizontalPodAutoscaler['spec']> = {}): HorizontalPodAutoscaler {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web', namespace: 'default' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } },
        },
      ],
      ...spec,
    },
  };
}

function cluster() {
  const sim = controlPlane({ secure: true, apiServer: { aggregated: [METRICS_API] } });
  const trace = recordTrace(sim);
  for (let i = 1; i <= 3; i++) {
    spawnNode(sim, {
      name: `node-${i}`,
      kubelet: { podCIDR: `10.244.${i}.0/24`, capacity: { cpu: '8', memory: '16Gi', pods: '110' } },
      runtime: { preloadedImages: ['nginx:1.25'] },
    });
  }
  startScheduler(sim);
  startControllerManager(sim);
  startMetricsServer(sim);
  return { sim, trace };
}

const rescales = (trace: TraceRecord[]) =>
  trace.filter((r): r is Extract<TraceRecord, { k: 'hpa.rescale' }> => r.k === 'hpa.rescale');

describe('HorizontalPodAutoscaler controller', () => {
  it('scales up on load, reports status and Events, and scales down only after the stabilization window', async () => {
    const { sim, trace } = cluster();
    let status: HorizontalPodAutoscaler['status'];
    let events: Event[] = [];
    await runScript(
      sim,
      async (api, ports) => {
        // Each pod starts at 400m (200 % of its request) and cools to 20m over two minutes.
        await api.create(web('ramp:400m..20m/120s'));
        await api.create(hpa());
        await ports.clock.sleep(120 * S);
        const hot = await api.get('HorizontalPodAutoscaler', 'default', 'web');
        status = hot.ok ? hot.value.status : undefined;
        await ports.clock.sleep(480 * S);
        const list = await api.list('Event', 'default');
        events = list.ok
          ? list.value.items.filter((e) => e.involvedObject.kind === 'HorizontalPodAutoscaler')
          : [];
      },
      { deadlineUs: 900 * S },
    );
    const r = rescales(trace);
    expect(r.length).toBeGreaterThanOrEqual(2);
    const first = r[0]!;
    // From 2 pods at 200 % against 50 %: 8 wanted, max(2x, 4) = 4 allowed in one step.
    expect(first).toMatchObject({ hpa: 'default/web', target: 'Deployment/web', from: 2, to: 4 });
    expect(first.reason).toBe('cpu resource utilization (percentage of request) above target');
    // The first sync comes one period after the HPA appears, then one scrape has to have run.
    expect(first.t).toBeLessThan(60 * S);
    const ups = r.filter((x) => x.to > x.from);
    const downs = r.filter((x) => x.to < x.from);
    expect(downs.length).toBeGreaterThan(0);
    const lastUp = ups[ups.length - 1]!;
    expect(downs[0]!.t - lastUp.t).toBeGreaterThanOrEqual(300 * S);
    expect(downs[0]!.reason).toBe('All metrics below target');
    expect(r[r.length - 1]!.to).toBe(2);

    expect(status?.currentMetrics?.[0]).toMatchObject({
      type: 'Resource',
      resource: { name: 'cpu' },
    });
    expect(status?.lastScaleTime).toBeDefined();
    const types = Object.fromEntries((status?.conditions ?? []).map((c) => [c.type, c.status]));
    expect(types).toEqual({
      AbleToScale: 'True',
      ScalingActive: 'True',
      ScalingLimited: expect.any(String),
    });
    expect(events.map((e) => e.message)).toContain(
      'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    );
    // Before the new pods' first samples count (their CPU initialization), the HPA says so.
    const reasons = new Set(events.map((e) => e.reason));
    expect([...reasons].sort()).toEqual([
      'FailedComputeMetricsReplicas',
      'FailedGetResourceMetric',
      'SuccessfulRescale',
    ]);
  });

  it('follows spec.behavior: one pod a minute up, AverageValue targets', async () => {
    const { sim, trace } = cluster();
    await runScript(
      sim,
      async (api, ports) => {
        await api.create(web('400m'));
        await api.create(
          hpa({
            metrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '100m' } },
              },
            ],
            behavior: {
              scaleUp: { policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] },
            },
          }),
        );
        await ports.clock.sleep(200 * S);
      },
      { deadlineUs: 300 * S },
    );
    const r = rescales(trace);
    expect(r.map((x) => [x.from, x.to])).toEqual([
      [2, 3],
      [3, 4],
      [4, 5],
    ]);
    // Each step waits for the previous one to leave the policy's 60 s period.
    for (let i = 1; i < r.length; i++) expect(r[i]!.t - r[i - 1]!.t).toBeGreaterThanOrEqual(60 * S);
  });

  it('reports a missing target and metrics it cannot compute in its conditions', async () => {
    const { sim } = cluster();
    await runScript(sim, async (api, ports) => {
      await api.create(hpa());
      await ports.clock.sleep(20 * S);
      const missing = await api.get('HorizontalPodAutoscaler', 'default', 'web');
      expect(missing.ok && missing.value.status?.conditions?.[0]).toMatchObject({
        type: 'AbleToScale',
        status: 'False',
        reason: 'FailedGetScale',
      });
      // A target whose pods request no CPU: the utilization cannot be computed.
      const d = web('100m');
      const c = d.spec.template.spec.containers[0]!;
      await api.create({
        ...d,
        spec: {
          ...d.spec,
          template: { ...d.spec.template, spec: { containers: [{ ...c, resources: {} }] } },
        },
      });
      await ports.clock.sleep(60 * S);
      const got = await api.get('HorizontalPodAutoscaler', 'default', 'web');
      const active = got.ok
        ? got.value.status?.conditions?.find((x) => x.type === 'ScalingActive')
        : undefined;
      expect(active).toMatchObject({ status: 'False', reason: 'FailedGetResourceMetric' });
      expect(active?.message).toContain('missing request for cpu in container app of Pod web-');
    });
  });
});
