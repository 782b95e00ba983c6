/**
 * The resource cases of upstream's replica_calculator_test.go, ported as a table: every pod has
 * two containers, each requesting `requests[i]` and using `levels[i]` millicores (so a pod uses
 * twice its level); metrics carry the zero timestamp and a one-minute window; "hot" pods
 * started now (inside the 2-minute test initialization period), "cool" ones 3 minutes ago, the
 * others at the zero time; Ready conditions carry the zero transition time.
 */
import { describe, expect, it } from 'vitest';
import {
  rawResourceReplicas,
  resourceReplicas,
  type PodMetric,
  type PodView,
} from '../../../../core/controllers/podautoscaler/replica-calculator.ts';

const NOW = 1_000_000_000_000_000;
const HOT = NOW;
const COOL = NOW - 180_000_000;
const OPTIONS = {
  tolerance: 0.1,
  cpuInitializationPeriodUs: 120_000_000,
  initialReadinessDelayUs: 10_000_000,
};

interface Case {
  readonly name: string;
  readonly current: number;
  readonly expected?: number;
  readonly error?: string;
  /** Millicores per container (one entry per pod with a request). */
  readonly requests: readonly number[];
  readonly levels: readonly number[];
  readonly podNames?: readonly string[];
  readonly target: number;
  readonly utilization?: number;
  readonly value?: number;
  readonly readiness?: readonly ('True' | 'False')[];
  readonly start?: readonly number[];
  readonly phase?: readonly string[];
  readonly deleting?: readonly boolean[];
  readonly resource?: string;
}

const ones = (n: number) => Array.from({ length: n }, () => 1000);
const T = 'True';
const F = 'False';

const CASES: readonly Case[] = [
  {
    name: 'ScaleUp',
    current: 3,
    expected: 5,
    requests: ones(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 50,
    value: 1000,
  },
  {
    name: 'ScaleUpUnreadyLessScale',
    current: 3,
    expected: 4,
    readiness: [F, T, T],
    requests: ones(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 60,
    value: 1200,
  },
  {
    name: 'ScaleUpHotCpuLessScale',
    current: 3,
    expected: 4,
    start: [HOT, COOL, COOL],
    requests: ones(3),
    levels: [300, 500, 700],
    target: 30,
    utilization: 60,
    value: 1200,
  },
  {
    name: 'ScaleUpUnreadyNoScale',
    current: 3,
    expected: 3,
    readiness: [T, F, F],
    requests: ones(3),
    levels: [400, 500, 700],
    target: 30,
    utilization: 40,
    value: 800,
  },
  {
    name: 'ScaleHotCpuNoScale',
    current: 3,
    expected: 3,
    readiness: [T, F, F],
    start: [COOL, HOT, HOT],
    requests: ones(3),
    levels: [400, 500, 700],
    target: 30,
    utilization: 40,
    value: 800,
  },
  {
    name: 'ScaleUpIgnoresFailedPods',
    current: 2,
    expected: 4,
    readiness: [T, T, F, F],
    phase: ['Running', 'Running', 'Failed', 'Failed'],
    requests: ones(4),
    levels: [500, 700],
    target: 30,
    utilization: 60,
    value: 1200,
  },
  {
    name: 'ScaleUpIgnoresDeletionPods',
    current: 2,
    expected: 4,
    readiness: [T, T, F, F],
    phase: ['Running', 'Running', 'Running', 'Running'],
    deleting: [false, false, true, true],
    requests: ones(4),
    levels: [500, 700],
    target: 30,
    utilization: 60,
    value: 1200,
  },
  {
    name: 'ScaleDown',
    current: 5,
    expected: 3,
    requests: ones(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    value: 560,
  },
  {
    name: 'ScaleDownIncludeUnreadyPods',
    current: 5,
    expected: 2,
    readiness: [T, T, T, F, F],
    requests: ones(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 30,
    value: 600,
  },
  {
    name: 'ScaleDownExcludeUnscheduledPods',
    current: 5,
    expected: 1,
    readiness: [T, F, F, F, F],
    phase: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'],
    requests: ones(5),
    levels: [100],
    target: 50,
    utilization: 10,
    value: 200,
  },
  {
    name: 'ScaleDownIgnoreHotCpuPods',
    current: 5,
    expected: 2,
    start: [COOL, COOL, COOL, HOT, HOT],
    requests: ones(5),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 30,
    value: 600,
  },
  {
    name: 'ScaleDownIgnoresFailedPods',
    current: 5,
    expected: 3,
    readiness: [T, T, T, T, T, F, F],
    phase: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'],
    requests: ones(7),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    value: 560,
  },
  {
    name: 'ScaleDownIgnoresDeletionPods',
    current: 5,
    expected: 3,
    readiness: [T, T, T, T, T, F, F],
    phase: Array(7).fill('Running'),
    deleting: [false, false, false, false, false, true, true],
    requests: ones(7),
    levels: [100, 300, 500, 250, 250],
    target: 50,
    utilization: 28,
    value: 560,
  },
  {
    name: 'Tolerance',
    current: 3,
    expected: 3,
    requests: [900, 1000, 1100],
    levels: [1010, 1030, 1020],
    target: 100,
    utilization: 102,
    value: 2040,
  },
  {
    name: 'SuperfluousMetrics',
    current: 4,
    expected: 24,
    requests: ones(4),
    levels: [4000, 9500, 3000, 7000, 3200, 2000],
    target: 100,
    utilization: 587,
    value: 11750,
  },
  {
    name: 'MissingMetrics',
    current: 4,
    expected: 3,
    requests: ones(4),
    levels: [400, 95],
    target: 100,
    utilization: 24,
    value: 495,
  },
  {
    name: 'EmptyCPURequest',
    current: 1,
    error: 'missing request for',
    requests: [],
    levels: [200],
    target: 100,
  },
  {
    name: 'MissingMetricsNoChangeEq',
    current: 2,
    expected: 2,
    requests: ones(2),
    levels: [1000],
    target: 100,
    utilization: 100,
    value: 2000,
  },
  {
    name: 'MissingMetricsNoChangeGt',
    current: 2,
    expected: 2,
    requests: ones(2),
    levels: [1900],
    target: 100,
    utilization: 190,
    value: 3800,
  },
  {
    name: 'MissingMetricsNoChangeLt',
    current: 2,
    expected: 2,
    requests: ones(2),
    levels: [600],
    target: 100,
    utilization: 60,
    value: 1200,
  },
  {
    name: 'MissingMetricsUnreadyChange',
    current: 3,
    expected: 3,
    readiness: [F, T, T],
    requests: ones(3),
    levels: [100, 450],
    target: 50,
    utilization: 45,
    value: 900,
  },
  {
    name: 'MissingMetricsHotCpuNoChange',
    current: 3,
    expected: 3,
    start: [HOT, COOL, COOL],
    requests: ones(3),
    levels: [100, 450],
    target: 50,
    utilization: 45,
    value: 900,
  },
  {
    name: 'MissingMetricsUnreadyScaleUp',
    current: 3,
    expected: 4,
    readiness: [F, T, T],
    requests: ones(3),
    levels: [100, 2000],
    target: 50,
    utilization: 200,
    value: 4000,
  },
  {
    name: 'MissingMetricsHotCpuScaleUp',
    current: 3,
    expected: 4,
    readiness: [F, T, T],
    start: [HOT, COOL, COOL],
    requests: ones(3),
    levels: [100, 2000],
    target: 50,
    utilization: 200,
    value: 4000,
  },
  {
    name: 'MissingMetricsUnreadyScaleDown',
    current: 4,
    expected: 3,
    readiness: [F, T, T, T],
    requests: ones(4),
    levels: [100, 100, 100],
    target: 50,
    utilization: 10,
    value: 200,
  },
  {
    name: 'DuringRollingUpdateWithMaxSurge',
    current: 2,
    expected: 2,
    phase: ['Running', 'Running', 'Running'],
    requests: ones(3),
    levels: [100, 100],
    target: 50,
    utilization: 10,
    value: 200,
  },
];

function build(c: Case): { pods: PodView[]; metrics: Map<string, PodMetric> } {
  const count = Math.max(c.current, c.phase?.length ?? 0);
  const pods: PodView[] = Array.from({ length: count }, (_, i) => {
    const request = c.requests[i];
    return {
      name: `test-pod-${i}`,
      phase: c.phase?.[i] ?? 'Running',
      deleting: c.deleting?.[i] ?? false,
      startTimeUs: c.start?.[i] ?? 0,
      ready: { status: c.readiness?.[i] ?? 'True', lastTransitionUs: 0 },
      requests: ['container0', 'container1'].map((container) => ({ container, milli: request })),
    };
  });
  const metrics = new Map<string, PodMetric>();
  c.levels.forEach((level, i) => {
    const name = c.podNames?.[i] ?? `test-pod-${i}`;
    metrics.set(name, { milli: 2 * level, timestampUs: 0, windowUs: 60_000_000 });
  });
  return { pods, metrics };
}

describe('replica calculator (upstream replica_calculator_test.go)', () => {
  it.each(CASES)('$name', (c) => {
    const { pods, metrics } = build(c);
    const r = resourceReplicas(
      c.current,
      c.target,
      c.resource ?? 'cpu',
      pods,
      metrics,
      NOW,
      OPTIONS,
    );
    if (c.error !== undefined) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toContain(c.error);
      return;
    }
    expect(r).toEqual({
      ok: true,
      replicas: c.expected,
      utilization: c.utilization,
      rawAverageMilli: c.value,
      timestampUs: 0,
    });
  });

  it('finds no metrics for pods the metrics do not name (DisjointResourcesMetrics)', () => {
    const { pods, metrics } = build({
      name: '',
      current: 1,
      requests: [1000],
      levels: [100],
      podNames: ['an-older-pod-name'],
      target: 100,
    });
    const r = resourceReplicas(1, 100, 'cpu', pods, metrics, NOW, OPTIONS);
    expect(r).toEqual({ ok: false, error: 'no metrics returned matched known pods' });
  });

  it('back-calculates the tolerance edge (ComputedToleranceAlgImplementation)', () => {
    // 10 pods using 150m each and requesting twice that on average.
    const perPod = 300;
    const requests = [100, -100, 10, -10, 2, -2, 1, -1, 0, 0].map((d) => perPod + d);
    const base = {
      name: '',
      current: 10,
      requests,
      levels: Array<number>(10).fill(150),
      target: 0,
    };
    const { pods, metrics } = build(base);
    const target = Math.abs(1 / (2 * (1 - 0.1))) + 0.01;
    const percent = Math.trunc(target * 100);
    const expected = Math.ceil((1500 / (3000 * target)) * 10);
    const r = resourceReplicas(10, percent, 'cpu', pods, metrics, NOW, OPTIONS);
    expect(r.ok && r.replicas).toBe(expected);
    expect(r.ok && r.utilization).toBe(50);
    const close = Math.trunc((Math.abs(1 / (2 * (1 - 0.1))) + 0.004) * 100);
    expect(resourceReplicas(10, close, 'cpu', pods, metrics, NOW, OPTIONS)).toMatchObject({
      replicas: 10,
    });
  });

  it('AverageValue targets compare the average use per pod with the target', () => {
    const { pods, metrics } = build({
      name: '',
      current: 3,
      requests: ones(3),
      levels: [300, 500, 700],
      target: 0,
    });
    // Pods use 600m, 1000m, 1400m: an average of 1000m against 500m doubles the count.
    expect(rawResourceReplicas(3, 500, 'cpu', pods, metrics, NOW, OPTIONS)).toEqual({
      ok: true,
      replicas: 6,
      utilization: 0,
      rawAverageMilli: 1000,
      timestampUs: 0,
    });
    // Within tolerance: no change.
    expect(rawResourceReplicas(3, 950, 'cpu', pods, metrics, NOW, OPTIONS)).toMatchObject({
      replicas: 3,
    });
    // Memory has no initialization period: a hot, unready pod still counts.
    const hot = pods.map((p, i) =>
      i === 0 ? { ...p, startTimeUs: HOT, ready: { status: 'False', lastTransitionUs: 0 } } : p,
    );
    expect(rawResourceReplicas(3, 500, 'memory', hot, metrics, NOW, OPTIONS)).toMatchObject({
      replicas: 6,
    });
    expect(rawResourceReplicas(3, 500, 'cpu', hot, metrics, NOW, OPTIONS)).toMatchObject({
      replicas: 5,
    });
  });

  it('fails without pods', () => {
    expect(resourceReplicas(1, 50, 'cpu', [], new Map(), NOW, OPTIONS)).toEqual({
      ok: false,
      error: 'no pods returned by selector while calculating replica count',
    });
  });
});
