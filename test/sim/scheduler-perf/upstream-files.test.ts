/**
 * Upstream's own scheduler_perf files (fixtures/upstream, unmodified; see SOURCES.md) as a
 * drop-in: each file parses, and every `integration-test` workload (upstream's small CI sizes)
 * either runs to the end or is skipped with a reason naming the step or feature gate ksim does
 * not model. Nothing fails and nothing throws. What ran is checked against the cluster it left:
 * measured pods bound, gated pods held, finalized pods kept. Wall time is a fake counter.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkloadFile } from '../../../sim/scheduler-perf/load.ts';
import {
  runWorkloadFile,
  type WorkloadOutcome,
  type WorkloadResult,
} from '../../../sim/scheduler-perf/runner.ts';

const UPSTREAM = join(import.meta.dirname, 'fixtures/upstream');
const FILES = ['misc', 'affinity', 'topology_spreading', 'default_preemption'] as const;

function fakeNow(): () => number {
  let t = 0;
  return () => (t += 0.01);
}

const outcomes = new Map<string, Promise<WorkloadOutcome[]>>();

/** Every integration-test workload of one fixture file, run once and shared by the tests. */
function runFile(dir: (typeof FILES)[number]): Promise<WorkloadOutcome[]> {
  let p = outcomes.get(dir);
  if (p === undefined) {
    const file = loadWorkloadFile(join(UPSTREAM, dir, 'performance-config.yaml'));
    p = runWorkloadFile(file, {
      seed: 1,
      now: fakeNow(),
      labelFilter: 'integration-test',
      retainState: true,
    });
    outcomes.set(dir, p);
  }
  return p;
}

const ran = (os: readonly WorkloadOutcome[], name: string): WorkloadResult => {
  const o = os.find((x) => x.name === name);
  if (o?.outcome !== 'ran') throw new Error(`${name}: ${JSON.stringify(o)}`);
  return o;
};

describe.each(FILES)('upstream %s/performance-config.yaml', (dir) => {
  it('parses, and every integration-test workload runs or is skipped with its reason', async () => {
    const os = await runFile(dir);
    expect(os.length).toBeGreaterThan(0);
    for (const o of os) {
      expect(o.outcome, `${o.name}: ${o.outcome === 'failed' ? o.error : ''}`).not.toBe('failed');
      if (o.outcome === 'skipped')
        expect(o.reason).toMatch(/workloadTemplate\[\d+\]\.\w+: |featureGates\.\w+: /);
      if (o.outcome === 'ran') {
        // Every measured pod was bound by the scheduler during the window.
        expect(o.metrics?.measuredPods, o.name).toBeGreaterThan(0);
        expect(o.metrics?.attempts, o.name).toBeGreaterThanOrEqual(o.metrics?.measuredPods ?? 0);
      }
    }
  }, 120_000);
});

describe('what is skipped, and why', () => {
  it('runs some workload of every test case except those with steps ksim does not model', async () => {
    const byCase = new Map<string, Set<string>>();
    for (const dir of FILES)
      for (const o of await runFile(dir)) {
        const tc = `${dir}/${o.name.split('/')[0] ?? ''}`;
        const set = byCase.get(tc) ?? new Set<string>();
        set.add(o.outcome);
        byCase.set(tc, set);
      }
    const neverRan = [...byCase].filter(([, s]) => !s.has('ran')).map(([tc]) => tc);
    expect(neverRan).toEqual(['default_preemption/PreemptionPodGroupDisruptionMode']);
    expect(byCase.size).toBe(11 + 11 + 4 + 4);
  }, 120_000);

  it('skips a workload whose feature gate asks for behaviour ksim does not have', async () => {
    const os = await runFile('misc');
    expect(os.find((o) => o.name === 'SchedulingBasic/5Nodes')).toMatchObject({
      outcome: 'skipped',
      reason: expect.stringContaining(
        "featureGates.SchedulerQueueingHints: false, but ksim's scheduler always runs with SchedulerQueueingHints=true",
      ),
    });
    expect(ran(os, 'SchedulingBasic/5Nodes_QueueingHintsEnabled').metrics?.measuredPods).toBe(10);
  }, 120_000);

  it('skips a test case using an op ksim does not model, naming the op', async () => {
    const os = await runFile('default_preemption');
    expect(
      os.find((o) => o.name === 'PreemptionPodGroupDisruptionMode/FastTest_NoPodGroup'),
    ).toEqual(
      expect.objectContaining({
        outcome: 'skipped',
        reason:
          '[3] (PreemptionPodGroupDisruptionMode).workloadTemplate[1].opcode: createPodGroups: ksim models no PodGroups (gang scheduling)',
      }),
    );
  }, 120_000);
});

describe('the cluster the upstream workloads leave', () => {
  it('SchedulingWhileGated: the barrier passes over gated pods, which stay gated', async () => {
    const r = ran(
      await runFile('misc'),
      'SchedulingWhileGated/1Node_10GatedPods_QueueingHintsEnabled',
    );
    const gated = (r.state?.pods ?? []).filter((p) => p.metadata.namespace === 'namespace-1');
    expect(gated).toHaveLength(10);
    for (const p of gated) {
      expect(p.spec.nodeName).toBeUndefined();
      expect(p.status?.conditions).toContainEqual(
        expect.objectContaining({
          type: 'PodScheduled',
          status: 'False',
          reason: 'SchedulingGated',
        }),
      );
    }
    expect(r.metrics?.measuredPods).toBe(10);
  }, 120_000);

  it('SchedulingDeletedPodsWithFinalizers: deleted pods with a finalizer stay, marked deleted', async () => {
    const r = ran(
      await runFile('misc'),
      'SchedulingDeletedPodsWithFinalizers/10Node_100DeletingPods_QueueingHintsEnabled',
    );
    const deleting = (r.state?.pods ?? []).filter((p) => p.metadata.namespace === 'namespace-1');
    // Deleted at 100/s in the background while the measured pods schedule: those deleted so
    // far carry a deletionTimestamp, and none is gone, since nothing removes the finalizer.
    expect(deleting).toHaveLength(10);
    expect(
      deleting.filter((p) => p.metadata.deletionTimestamp !== undefined).length,
    ).toBeGreaterThan(0);
  }, 120_000);

  it('namespaces from a template without a name get createNamespaces names and the labels', async () => {
    const r = ran(
      await runFile('affinity'),
      'SchedulingRequiredPodAntiAffinityWithNSSelector/10Nodes_QueueingHintsEnabled',
    );
    // Green pods repel each other across every devops-labelled namespace: one per node.
    const green = (r.state?.pods ?? []).filter((p) => p.metadata.labels?.color === 'green');
    expect(green).toHaveLength(2 * 2 + 6);
    expect(new Set(green.map((p) => p.spec.nodeName)).size).toBe(green.length);
  }, 120_000);

  it('SchedulingWithNodeInclusionPolicy: NodeTaintsPolicy (spelt as upstream does) keeps tainted nodes out', async () => {
    const r = ran(
      await runFile('topology_spreading'),
      'SchedulingWithNodeInclusionPolicy/5Nodes_QueueingHintsEnabled',
    );
    const tainted = new Set(
      (r.state?.nodes ?? []).filter((n) => n.spec?.taints?.length).map((n) => n.metadata.name),
    );
    expect(tainted.size).toBe(1);
    const measured = (r.state?.pods ?? []).filter((p) => p.metadata.labels?.foo === 'bar');
    expect(measured).toHaveLength(4);
    expect(measured.some((p) => tainted.has(p.spec.nodeName))).toBe(false);
    expect(new Set(measured.map((p) => p.spec.nodeName)).size).toBe(4);
  }, 120_000);
});
