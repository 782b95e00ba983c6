/**
 * A six-task trace on three nodes (test/fixtures/alibaba-gpu), replayed end to end through the
 * scenario runner; what the scheduler did is read from the trace's bind and refusal records.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { planReplay, runReplay, type ReplayInput } from '../../../sim/replay/replay.ts';
import { GPU_MILLI_RESOURCE } from '../../../sim/replay/alibaba-scenario.ts';

const DIR = new URL('../../fixtures/alibaba-gpu/', import.meta.url).pathname;

interface Bind {
  t: number;
  pod: string;
  node: string;
}

function collect(): { lines: string[]; sink: (line: string) => void; binds: () => Bind[] } {
  const lines: string[] = [];
  return {
    lines,
    sink: (line) => lines.push(line),
    binds: () =>
      lines.filter((l) => l.includes('"k":"scheduler.bind"')).map((l) => JSON.parse(l) as Bind),
  };
}

const input = (mapping: ReplayInput['mapping']): ReplayInput => ({
  dir: DIR,
  sample: 'default',
  mapping,
  seed: 7,
});

describe('ksim replay alibaba-gpu on a small trace', () => {
  it('writes a scenario with the trace nodes by name, GPU resources and model affinity', () => {
    const plan = planReplay(input({ kind: 'time-scale', factor: 100 }));
    const scenario = parseScenario(plan.text, plan.file);
    const pools = scenario.spec.cluster.nodes;
    expect(pools.map((p) => p.names)).toEqual([
      ['openb-node-0000'],
      ['openb-node-0001'],
      ['openb-node-0002'],
    ]);
    expect(pools[2]?.capacity).toMatchObject({
      'nvidia.com/gpu': '2',
      [GPU_MILLI_RESOURCE]: '2000',
    });
    const applies = scenario.spec.actions.filter((a) => a.apply !== undefined);
    const deletes = scenario.spec.actions.filter((a) => a.delete !== undefined);
    expect(applies.map((a) => [a.apply?.[0]?.object.metadata?.name, a.at])).toEqual([
      ['openb-pod-0000', 30_000_000],
      ['openb-pod-0001', 31_000_000],
      ['openb-pod-0002', 32_000_000],
      ['openb-pod-0003', 33_000_000],
      ['openb-pod-0004', 34_000_000],
      ['openb-pod-0005', 35_000_000],
    ]);
    expect(deletes.map((a) => [a.delete?.name, a.at])).toEqual([
      ['openb-pod-0000', 40_000_000],
      ['openb-pod-0002', 50_000_000],
      ['openb-pod-0003', 110_000_000],
      ['openb-pod-0004', 115_000_000],
      ['openb-pod-0005', 116_000_000],
      ['openb-pod-0001', 120_000_000],
    ]);
  });

  it('with the trace times: GPU types and shares decide the nodes, a deletion frees a share', async () => {
    const trace = collect();
    const s = await runReplay(planReplay(input({ kind: 'time-scale', factor: 100 })), {
      seed: 7,
      fullAfter: 0,
      traceSink: trace.sink,
    });
    const binds = new Map(trace.binds().map((b) => [b.pod, b]));
    expect(binds.get('default/openb-pod-0001')?.node).toBe('openb-node-0002');
    expect(binds.get('default/openb-pod-0002')?.node).toBe('openb-node-0001');
    // 600 of the T4's 1000 thousandths are taken: the second 600 waits for the first to go.
    const p3 = binds.get('default/openb-pod-0003');
    expect(p3?.node).toBe('openb-node-0001');
    expect(p3?.t).toBeGreaterThan(50_000_000);
    const refused = trace.lines.filter(
      (l) => l.includes('"k":"scheduler.unschedulable"') && l.includes('openb-pod-0003'),
    );
    expect(refused[0]).toContain(`Insufficient ${GPU_MILLI_RESOURCE}`);
    expect(binds.has('default/openb-pod-0004')).toBe(false);
    expect(binds.has('default/openb-pod-0005')).toBe(false);
    expect(s).toMatchObject({
      stop: 'all-placed',
      created: 6,
      scheduled: 4,
      unschedulable: 0,
      deletedPending: 2,
      notCreated: 0,
    });
    // openb-pod-0003 waited from 33 s to just after 50 s.
    expect(s.pendingSeconds?.p99).toBeGreaterThan(16);
    expect(s.pendingSeconds?.p50).toBeLessThan(1);
    // GPU: 1000 + 600 of 3000 thousandths at the peak.
    expect(s.peak.gpu).toBeCloseTo(1600 / 3000, 6);
    expect(s.samples.at(-1)?.atUs).toBe(s.virtualTimeUs);
  });

  it('at a rate nothing is deleted: the cluster fills and the refusals say why', async () => {
    const trace = collect();
    const plan = planReplay(input({ kind: 'rate', perSecond: 2 }));
    const s = await runReplay(plan, { seed: 7, fullAfter: 3, traceSink: trace.sink });
    expect(s.stop).toBe('full');
    expect(
      trace
        .binds()
        .map((b) => b.pod)
        .sort(),
    ).toEqual(['default/openb-pod-0000', 'default/openb-pod-0001', 'default/openb-pod-0002']);
    expect(s).toMatchObject({ created: 6, scheduled: 3, unschedulable: 3, deletedPending: 0 });
    const reasons = Object.fromEntries(s.reasons.map((r) => [r.reason, r.pods]));
    expect(reasons[`Insufficient ${GPU_MILLI_RESOURCE}`]).toBeGreaterThanOrEqual(2);
    expect(reasons['Insufficient nvidia.com/gpu']).toBeGreaterThanOrEqual(1);
    expect(reasons["node(s) didn't match Pod's node affinity/selector"]).toBeGreaterThanOrEqual(2);
    const again = await runReplay(plan, { seed: 7, fullAfter: 3 });
    expect(again.traceHash).toBe(s.traceHash);
  });

  it('refuses a time scale for a pod list without times, and names a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ksim-replay-'));
    copyFileSync(
      join(DIR, 'openb_node_list_all_node.csv'),
      join(dir, 'openb_node_list_all_node.csv'),
    );
    writeFileSync(
      join(dir, 'openb_pod_list_multigpu50.csv'),
      'name,cpu_milli,memory_mib,num_gpu,gpu_milli\nopenb-pod-0000,1000,1024,2,1000\n',
    );
    const multi = {
      ...input({ kind: 'time-scale', factor: 10 }),
      dir,
      sample: 'multigpu50' as const,
    };
    expect(() => planReplay(multi)).toThrow(
      'line 2: pod openb-pod-0000 has no creation_time: replay this file with a rate instead of a time scale',
    );
    expect(planReplay({ ...multi, mapping: { kind: 'rate', perSecond: 1 } }).pods).toHaveLength(1);
    expect(() => planReplay({ ...multi, sample: 'cpu050' })).toThrow(
      `cannot read ${join(dir, 'openb_pod_list_cpu050.csv')}: ENOENT`,
    );
  });
});
