/**
 * Buggify (core/ports/buggify.ts, sim/buggify.ts): sites a scenario turns on make the
 * components take rare but legal paths, recorded as `buggify.fired`; the run stays
 * deterministic, and a scenario without `buggify` draws nothing.
 */
import { describe, expect, it } from 'vitest';
import type { TraceRecord } from '../../core/trace/types.ts';
import { runScenario } from '../../sim/scenario/run.ts';
import { parseScenario } from '../../sim/scenario/scenario.ts';

function scenario(buggify: string): string {
  return `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: buggify }
spec:
  duration: 90s
  ${buggify}
  cluster:
    nodes: [{ count: 2, capacity: { cpu: '2', memory: 4Gi, pods: '110' } }]
  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: web, namespace: default }
      spec:
        replicas: 4
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: c, image: nginx, resources: { requests: { cpu: 100m } } }] }
  actions:
    - { at: 30s, scale: { kind: ReplicaSet, name: web, replicas: 6 } }
  expect:
    - name: all running
      pods: { labelSelector: app=web, phase: Running, count: 6 }
`;
}

async function run(buggify: string, seed = 5) {
  const records: TraceRecord[] = [];
  const report = await runScenario(parseScenario(scenario(buggify)), {
    seed,
    traceObserver: (r) => records.push(r),
  });
  const fired = new Map<string, number>();
  for (const r of records)
    if (r.k === 'buggify.fired') fired.set(r.site, (fired.get(r.site) ?? 0) + 1);
  const binds = records.filter((r) => r.k === 'scheduler.bind').length;
  return { report, fired, binds };
}

describe('buggify', () => {
  it('a binding that always fails: the site fires, no pod is ever bound', async () => {
    const { report, fired, binds } = await run('buggify: { scheduler.bind-error: 1 }');
    expect(fired.get('scheduler.bind-error')).toBeGreaterThan(4);
    expect([...fired.keys()]).toEqual(['scheduler.bind-error']);
    expect(binds).toBe(0);
    expect(report.pods.every((p) => p.node === '')).toBe(true);
    expect(report.passed).toBe(false);
  }, 300_000);

  it('rare paths everywhere: every site fires, the cluster still converges, the same seed gives the same trace', async () => {
    const sites =
      'buggify: { scheduler.bind-error: 0.3, scheduler.bind-slow: 0.5, apiserver.throttle: 0.05, apiserver.conflict: 0.3, apiserver.watch-early-close: 0.5 }';
    const first = await run(sites);
    expect([...first.fired.keys()].sort()).toEqual([
      'apiserver.conflict',
      'apiserver.throttle',
      'apiserver.watch-early-close',
      'scheduler.bind-error',
      'scheduler.bind-slow',
    ]);
    expect(first.report.invariants.filter((i) => i.violations > 0)).toEqual([]);
    expect(first.report.passed).toBe(true);
    const again = await run(sites);
    expect(again.report.traceHash).toBe(first.report.traceHash);
    const none = await run('');
    expect(none.fired.size).toBe(0);
    expect(none.report.traceHash).not.toBe(first.report.traceHash);
  }, 600_000);

  it('an unknown site or a probability outside [0, 1] is an error naming it', () => {
    expect(() => parseScenario(scenario('buggify: { scheduler.bind-eror: 0.1 }'))).toThrow(
      /spec\.buggify\.scheduler\.bind-eror: unknown field/,
    );
    expect(() => parseScenario(scenario('buggify: { apiserver.throttle: 2 }'))).toThrow(
      /spec\.buggify\.apiserver\.throttle/,
    );
  });
});
