/**
 * The shipped scheduler_perf workloads at small sizes (params overridden through the runner's
 * option): what each one is about holds — every measured pod scheduled, unschedulable pods stay
 * pending, preemption evicts lower-priority pods, anti-affinity pods on distinct nodes, spreading
 * within maxSkew, daemonset pods on their node — and one seed gives one placement. Wall time is a
 * fake counter here; nothing asserts on real time.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { loadWorkloadFile } from '../../../sim/scheduler-perf/load.ts';
import {
  ranOnly,
  runWorkloadFile,
  type RunOptions,
  type WorkloadOutcome,
  type WorkloadResult,
} from '../../../sim/scheduler-perf/runner.ts';
import type { ParamValue } from '../../../sim/scheduler-perf/workload-file.ts';

const BENCH = join(import.meta.dirname, '../../../scenarios/bench/scheduler');
const misc = loadWorkloadFile(join(BENCH, 'misc/performance-config.yaml'));
const affinity = loadWorkloadFile(join(BENCH, 'affinity/performance-config.yaml'));
const spreading = loadWorkloadFile(join(BENCH, 'topology_spreading/performance-config.yaml'));

/** A wall clock that advances 10 µs per reading: deterministic, and never the real one. */
function fakeNow(): () => number {
  let t = 0;
  return () => (t += 0.01);
}

/** Runs one workload of a file with its params replaced; it must run to the end. */
async function run(
  file: typeof misc,
  name: string,
  params: Record<string, ParamValue>,
  opts: Partial<RunOptions> = {},
): Promise<WorkloadResult> {
  const [outcome] = await runOutcomes(file, name, params, opts);
  return ranOnly([outcome as WorkloadOutcome])[0] as WorkloadResult;
}

/** Runs one workload of a file with its params replaced, whatever its outcome. */
async function runOutcomes(
  file: typeof misc,
  name: string,
  params: Record<string, ParamValue>,
  opts: Partial<RunOptions> = {},
): Promise<WorkloadOutcome[]> {
  const results = await runWorkloadFile(file, {
    seed: 1,
    now: fakeNow(),
    labelFilter: '',
    nameFilter: new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`),
    params: () => params,
    retainState: true,
    ...opts,
  });
  expect(results.map((r) => r.name)).toEqual([name]);
  return results;
}

const podsIn = (r: WorkloadResult, ns: string): Pod[] =>
  (r.state?.pods ?? []).filter((p) => p.metadata.namespace === ns);
const bound = (pods: readonly Pod[]): Pod[] => pods.filter((p) => p.spec.nodeName);

function expectAllMeasuredScheduled(r: WorkloadResult, count: number): void {
  expect(r.metrics?.measuredPods).toBe(count);
  const ns = r.metrics?.namespaces[0] ?? '';
  expect(bound(podsIn(r, ns))).toHaveLength(count);
}

describe('SchedulingBasic', () => {
  it('schedules every pod, measures the measured ones only', async () => {
    const r = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', {
      initNodes: 50,
      initPods: 20,
      measurePods: 100,
    });
    expectAllMeasuredScheduled(r, 100);
    expect(r.metrics?.namespaces).toEqual(['namespace-2']);
    expect(r.totals).toMatchObject({
      nodes: 50,
      pods: 120,
      boundPods: 120,
      unscheduledPods: 0,
      preemptedPods: 0,
    });
    expect(r.metrics?.attemptsPerPod).toBe(1);
    // 1 ms of virtual time per attempt.
    expect(r.metrics?.virtualSeconds).toBeCloseTo(0.1, 6);
    expect(r.metrics?.podsPerSecond).toBeGreaterThan(0);
    expect(r.threshold).toBe(680);
  });

  it('spreads default pods: no node gets more than its share plus one', async () => {
    const r = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', {
      initNodes: 50,
      initPods: 0,
      measurePods: 100,
    });
    const perNode = new Map<string, number>();
    for (const p of bound(r.state?.pods ?? []))
      perNode.set(p.spec.nodeName ?? '', (perNode.get(p.spec.nodeName ?? '') ?? 0) + 1);
    expect(Math.max(...perNode.values())).toBeLessThanOrEqual(3);
  });
});

describe('SchedulingDaemonset', () => {
  it('puts every pod on the node its affinity names', async () => {
    const r = await run(misc, 'SchedulingDaemonset/15000Nodes', {
      initNodes: 50,
      measurePods: 100,
    });
    expectAllMeasuredScheduled(r, 100);
    expect(r.totals.nodes).toBe(51);
    expect(new Set(bound(r.state?.pods ?? []).map((p) => p.spec.nodeName))).toEqual(
      new Set(['scheduler-perf-node']),
    );
  });
});

describe('preemption', () => {
  it('PreemptionBasic: each high-priority pod evicts three low-priority pods', async () => {
    const r = await run(misc, 'PreemptionBasic/5000Nodes', {
      initNodes: 20,
      initPods: 80,
      measurePods: 20,
    });
    expectAllMeasuredScheduled(r, 20);
    const low = podsIn(r, 'namespace-1');
    expect(bound(low)).toHaveLength(20);
    expect(r.totals.preemptedPods).toBe(60);
    // One preemptor per node, sharing it with the one low-priority pod that is left.
    const high = bound(podsIn(r, 'namespace-2'));
    expect(new Set(high.map((p) => p.spec.nodeName)).size).toBe(20);
    // Preemptors wait out their 1 s backoff after the victims go: two attempts each.
    expect(r.metrics?.attemptsPerPod).toBe(2);
    expect(r.metrics?.virtualSeconds).toBeGreaterThanOrEqual(1);
  });

  it('PreemptionAsync: measured pods all schedule while preemptors keep arriving', async () => {
    // 10 ms per attempt so that the 200 ms churn interleaves with only 60 measured pods.
    const r = await run(
      misc,
      'PreemptionAsync/5000Nodes',
      { initNodes: 20, initPods: 80, measurePods: 60 },
      { attemptCostUs: 10_000 },
    );
    expectAllMeasuredScheduled(r, 60);
    const preemptors = podsIn(r, 'namespace-2');
    expect(preemptors.length).toBeGreaterThanOrEqual(2);
    // Preemptors evict priority-0 pods to make room for their 3 CPUs: low-priority pods
    // (terminationGracePeriodSeconds 0, gone at once) and sometimes measured pods (30 s grace,
    // still terminating when the workload ends, as they would be without kubelets upstream).
    // The workload ends before the preemptors' 1 s backoff does, as upstream's does.
    expect(r.totals.preemptedPods).toBeGreaterThanOrEqual(3);
    const low = podsIn(r, 'namespace-1');
    const terminating = podsIn(r, 'namespace-3').filter(
      (p) => p.metadata.deletionTimestamp !== undefined,
    );
    expect(80 - low.length + terminating.length).toBe(r.totals.preemptedPods);
  });
});

describe('Unschedulable', () => {
  it('schedules the measured pods; the 9-CPU pods stay pending with PodScheduled=False', async () => {
    const r = await run(misc, 'Unschedulable/5kNodes/100Init/10kPods', {
      initNodes: 50,
      initPods: 10,
      measurePods: 500,
    });
    expectAllMeasuredScheduled(r, 500);
    const big = podsIn(r, 'namespace-2');
    expect(big.length).toBeGreaterThanOrEqual(2);
    expect(bound(big)).toEqual([]);
    for (const p of big) {
      expect(p.status?.conditions?.find((c) => c.type === 'PodScheduled')).toMatchObject({
        status: 'False',
        reason: 'Unschedulable',
      });
    }
    expect(r.totals.preemptedPods).toBe(0);
  });
});

describe('affinity', () => {
  it('SchedulingPodAntiAffinity: green pods never share a node, across both namespaces', async () => {
    const r = await run(affinity, 'SchedulingPodAntiAffinity/5000Nodes_2000Pods', {
      initNodes: 50,
      initPods: 10,
      measurePods: 40,
    });
    expectAllMeasuredScheduled(r, 40);
    const green = bound(r.state?.pods ?? []).filter((p) => p.metadata.labels?.color === 'green');
    expect(green).toHaveLength(50);
    expect(new Set(green.map((p) => p.spec.nodeName)).size).toBe(50);
  });

  it('SchedulingPodAntiAffinity: one pod more than nodes stays unscheduled and the wait times out', async () => {
    const [outcome] = await runOutcomes(
      affinity,
      'SchedulingPodAntiAffinity/5000Nodes_2000Pods',
      { initNodes: 5, initPods: 1, measurePods: 5 },
      { waitTimeoutUs: 60_000_000 },
    );
    expect(outcome).toMatchObject({
      outcome: 'failed',
      error:
        'SchedulingPodAntiAffinity/5000Nodes_2000Pods: timed out after 60s of virtual time waiting for 1 of 5 pods in namespace sched-1 to be scheduled',
    });
  });

  it('SchedulingPodAffinity: blue pods all land in the one zone', async () => {
    const r = await run(affinity, 'SchedulingPodAffinity/5000Nodes_5000Pods', {
      initNodes: 50,
      initPods: 20,
      measurePods: 60,
    });
    expectAllMeasuredScheduled(r, 60);
    const zones = new Set(
      (r.state?.nodes ?? []).map((n) => n.metadata.labels?.['topology.kubernetes.io/zone']),
    );
    expect(zones).toEqual(new Set(['zone1']));
    expect(bound(r.state?.pods ?? [])).toHaveLength(80);
  });

  it('MixedSchedulingBasePod: plain pods measured among every kind of affinity pod', async () => {
    const r = await run(affinity, 'MixedSchedulingBasePod/5000Nodes_5000Pods', {
      initNodes: 50,
      initPods: 10,
      measurePods: 100,
    });
    expectAllMeasuredScheduled(r, 100);
    expect(r.totals).toMatchObject({ pods: 150, unscheduledPods: 0 });
    const green = bound(r.state?.pods ?? []).filter((p) => p.metadata.labels?.color === 'green');
    expect(new Set(green.map((p) => p.spec.nodeName)).size).toBe(green.length);
  });

  it.each(['SchedulingPreferredPodAffinity', 'SchedulingPreferredPodAntiAffinity'])(
    '%s schedules everything',
    async (tc) => {
      const r = await run(affinity, `${tc}/5000Nodes_5000Pods`, {
        initNodes: 30,
        initPods: 20,
        measurePods: 50,
      });
      expectAllMeasuredScheduled(r, 50);
    },
  );
});

describe('TopologySpreading', () => {
  it('keeps blue pods within maxSkew 5 across the three zones', async () => {
    const r = await run(spreading, 'TopologySpreading/5000Nodes_5000Pods', {
      initNodes: 51,
      initPods: 60,
      measurePods: 200,
    });
    expectAllMeasuredScheduled(r, 200);
    const zoneOf = new Map(
      (r.state?.nodes ?? []).map((n) => [
        n.metadata.name,
        n.metadata.labels?.['topology.kubernetes.io/zone'],
      ]),
    );
    const perZone = new Map<string, number>([
      ['moon-1', 0],
      ['moon-2', 0],
      ['moon-3', 0],
    ]);
    for (const p of bound(r.state?.pods ?? []).filter((p) => p.metadata.labels?.color === 'blue')) {
      const z = zoneOf.get(p.spec.nodeName) ?? '';
      perZone.set(z, (perZone.get(z) ?? 0) + 1);
    }
    expect([...perZone.keys()].sort()).toEqual(['moon-1', 'moon-2', 'moon-3']);
    const counts = [...perZone.values()];
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(5);
  });
});

describe('determinism', () => {
  const small = { initNodes: 30, initPods: 10, measurePods: 60 };

  it('same seed, same placement digest; another seed, another placement', async () => {
    const a = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', small, { seed: 7 });
    const b = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', small, { seed: 7 });
    const c = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', small, { seed: 8 });
    expect(a.placementDigest).toMatch(/^[0-9a-f]{16}$/);
    expect(b.placementDigest).toBe(a.placementDigest);
    expect(c.placementDigest).not.toBe(a.placementDigest);
    const placement = (r: WorkloadResult) =>
      (r.state?.pods ?? []).map((p) => `${p.metadata.name}@${p.spec.nodeName}`);
    expect(placement(b)).toEqual(placement(a));
  });

  it('with preemption and churn too', async () => {
    const params = { initNodes: 20, initPods: 80, measurePods: 60 };
    const a = await run(misc, 'PreemptionAsync/5000Nodes', params, {
      seed: 3,
      attemptCostUs: 10_000,
    });
    const b = await run(misc, 'PreemptionAsync/5000Nodes', params, {
      seed: 3,
      attemptCostUs: 10_000,
    });
    expect(a.totals.preemptedPods).toBeGreaterThan(0);
    expect(b.placementDigest).toBe(a.placementDigest);
    expect(b.totals).toEqual({ ...a.totals, wallMs: b.totals.wallMs });
  });

  it('wall time comes only from the injected clock', async () => {
    let calls = 0;
    const r = await run(misc, 'SchedulingBasic/5000Nodes_10000Pods', small, {
      now: () => {
        calls++;
        return calls; // 1 ms per reading
      },
    });
    // Two readings per measured attempt plus the window's start and end.
    expect(r.metrics?.attempts).toBe(60);
    expect(r.metrics?.wallMs).toBe(2 * 60 + 1);
    expect(r.metrics?.podsPerSecond).toBeCloseTo(60 / 0.121, 6);
    expect(r.metrics?.attemptLatencyUs).toEqual({ p50: 1000, p90: 1000, p99: 1000, max: 1000 });
  });
});
