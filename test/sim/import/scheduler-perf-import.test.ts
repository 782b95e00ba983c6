/**
 * `ksim import scheduler-perf`: an upstream scheduler_perf test case (the fixture copied from
 * kubernetes/kubernetes) as a scenario on the whole simulated cluster. Observed in the run's
 * trace: every pod bound by the scheduler, the measured op's pods created only once the first
 * op's are Running, and the SLO table's scheduling throughput counting those bindings.
 */
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { importSchedulerPerf } from '../../../sim/import/scheduler-perf-import.ts';
import { ImportError } from '../../../sim/import/kubectl-import.ts';
import { loadWorkloadFile } from '../../../sim/scheduler-perf/index.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { SloCollector } from '../../../viz/model/slo.ts';
import type { TraceRecord } from '../../../core/trace/types.ts';

const MISC = new URL(
  '../scheduler-perf/fixtures/upstream/misc/performance-config.yaml',
  import.meta.url,
).pathname;

type Line = Record<string, unknown> & { k: string; t: number; p: string };

describe('ksim import scheduler-perf', () => {
  const file = loadWorkloadFile(MISC);

  it('SchedulingBasic: its nodes as a pool, its pods in op order, all bound by the scheduler', async () => {
    const imported = importSchedulerPerf(file, {
      testCase: 'SchedulingBasic',
      workload: '5Nodes_QueueingHintsEnabled',
      duration: '1m',
    });
    expect(imported).toMatchObject({ nodes: 5, pools: 1, pods: 15 });
    const yaml = stringify(imported.scenario, { aliasDuplicateObjects: false });
    const scenario = parseScenario(yaml, 'scheduling-basic.yaml');
    expect(scenario.spec.cluster.nodes[0]).toMatchObject({
      names: ['node-1', 'node-2', 'node-3', 'node-4', 'node-5'],
      capacity: { pods: '110', cpu: '4', memory: '32Gi' },
    });
    // initPods (5) at the start in namespace-1; measurePods (10) in namespace-2 once they run.
    expect(scenario.spec.objects.filter((o) => o.object.kind === 'Pod')).toHaveLength(5);
    expect(scenario.spec.actions).toHaveLength(10);
    const lines: Line[] = [];
    const slo = new SloCollector();
    const report = await runScenario(scenario, {
      seed: 1,
      traceSink: (l) => lines.push(JSON.parse(l) as Line),
      traceObserver: (r: TraceRecord) => slo.add(r),
    });
    expect(report.passed).toBe(true);
    const binds = lines.filter((r) => r.k === 'scheduler.bind');
    expect(binds).toHaveLength(15);
    expect(new Set(binds.map((b) => b.node))).toEqual(
      new Set(['node-1', 'node-2', 'node-3', 'node-4', 'node-5']),
    );
    const firstRunning = lines.find((r) => r.k === 'runner.condition-met');
    const measured = binds.filter((b) => String(b.pod).startsWith('namespace-2/'));
    expect(measured).toHaveLength(10);
    for (const b of measured) expect(b.t).toBeGreaterThan(firstRunning!.t);
    const throughput = slo.results().find((r) => r.slo === 'scheduling-throughput');
    expect(throughput?.samples).toBe(15);
  });

  it('refuses what it cannot import, naming it', () => {
    const refused = (testCase: string, workload: string): string => {
      try {
        importSchedulerPerf(file, { testCase, workload, duration: '1m' });
      } catch (e) {
        expect(e).toBeInstanceOf(ImportError);
        return (e as Error).message;
      }
      return 'imported';
    };
    expect(refused('NoSuchCase', 'x')).toMatch(
      /no test case "NoSuchCase" \(test cases: SchedulingBasic,/,
    );
    expect(refused('SchedulingBasic', 'x')).toMatch(/has no workload "x" \(workloads: 5Nodes,/);
    expect(refused('SchedulingBasic', '5Nodes')).toMatch(/SchedulerQueueingHints: false/);
    expect(refused('PreemptionAsync', '5Nodes_QueueingHintsEnabled')).toMatch(
      /PreemptionAsync: workloadTemplate\[2\] \(churn\) is not imported yet/,
    );
  });
});
