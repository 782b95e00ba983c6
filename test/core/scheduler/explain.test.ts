/**
 * "Why this node": the scheduler process writes `scheduler.explain` records for the pods it is
 * asked to explain (or for every attempt at debug level, and for none otherwise), and they say
 * what the filters and scores decided.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { SchedulerOptions } from '../../../core/scheduler/scheduler.ts';
import { TraceChecker } from '../../../core/trace/index.ts';
import type { TraceRecordOf } from '../../../core/trace/types.ts';
import type { TraceLevel } from '../../../sim/trace.ts';
import { controlPlane, runScript, startScheduler } from '../../support/cluster.ts';
import { node, pod } from './fixtures.ts';

type Explanation = TraceRecordOf<'scheduler.explain'>;

function strip(p: Pod): Pod {
  const { uid: _uid, ...metadata } = p.metadata;
  return { ...p, metadata };
}

/**
 * Four nodes: one tainted, one too small for `p`, two that fit with different loads. Creates
 * `p` (1 cpu), `q` (1 cpu) and `huge` (64 cpu, fits nowhere) and returns the checked records.
 */
async function run(traceLevel: TraceLevel, options: SchedulerOptions) {
  const sim = controlPlane({ traceLevel });
  const checker = new TraceChecker();
  const records: { k: string }[] = [];
  sim.trace.addSink((line) => {
    const r = checker.line(line);
    if (!r.ok) throw new Error(r.problem);
    records.push(r.record);
  });
  startScheduler(sim, options);
  await runScript(sim, async (api, ports) => {
    for (const n of [
      node('tainted', { taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }] }),
      node('small', { cpu: '500m' }),
      node('busy', { cpu: '4' }),
      node('idle', { cpu: '4' }),
    ])
      expect((await api.create(n)).ok).toBe(true);
    expect((await api.create(strip(pod('load', { cpu: '2', nodeName: 'busy' })))).ok).toBe(true);
    await ports.clock.sleep(1_000_000);
    for (const p of [pod('p', { cpu: '1' }), pod('q', { cpu: '1' }), pod('huge', { cpu: '64' })])
      expect((await api.create(strip(p))).ok).toBe(true);
    await ports.clock.sleep(5_000_000);
  });
  return records;
}

const explanations = (records: readonly { k: string }[]) =>
  records.filter((r): r is Explanation => r.k === 'scheduler.explain');

describe('scheduler.explain', () => {
  it('explains the named pods: filter verdicts, weighted totals, the chosen node', async () => {
    const records = await run('info', { explain: ['p', 'default/huge'] });
    const all = explanations(records);
    expect(new Set(all.map((e) => e.pod))).toEqual(new Set(['default/p', 'default/huge']));

    const p = all.find((e) => e.pod === 'default/p');
    if (p === undefined) throw new Error('no explanation for p');
    expect(p).toMatchObject({ attempt: 1, nodes: 4, outcome: 'Scheduled' });
    const verdict = new Map(p.filter.map((f) => [f.node, f]));
    expect(verdict.get('tainted')).toEqual({
      node: 'tainted',
      code: 'UnschedulableAndUnresolvable',
      plugin: 'TaintToleration',
      reason: 'node(s) had untolerated taint(s)',
    });
    expect(verdict.get('small')).toEqual({
      node: 'small',
      code: 'UnschedulableAndUnresolvable',
      plugin: 'NodeResourcesFit',
      reason: 'Insufficient cpu',
    });
    expect(verdict.get('busy')?.code).toBe('Success');
    expect(verdict.get('idle')?.code).toBe('Success');

    // Totals are the weighted sums of the normalized scores; the chosen node has the highest.
    expect(p.scores.map((s) => s.node).sort()).toEqual(['busy', 'idle']);
    for (const s of p.scores) {
      expect(s.raw).toHaveLength(p.scorePlugins.length);
      const sum = s.normalized.reduce((acc, n, i) => acc + n * (p.scorePlugins[i]?.weight ?? 0), 0);
      expect(s.total).toBe(sum);
    }
    const best = Math.max(...p.scores.map((s) => s.total));
    expect(p.scores.find((s) => s.node === p.node)?.total).toBe(best);
    // LeastAllocated prefers the idle node, so it wins outright.
    expect(p.node).toBe('idle');
    const bind = records.find(
      (r): r is TraceRecordOf<'scheduler.bind'> =>
        r.k === 'scheduler.bind' && (r as TraceRecordOf<'scheduler.bind'>).pod === 'default/p',
    );
    expect(bind?.node).toBe(p.node);

    const huge = all.find((e) => e.pod === 'default/huge');
    expect(huge).toMatchObject({ outcome: 'Unschedulable', scores: [], scorePlugins: [] });
    expect(huge?.message).toMatch(/^0\/4 nodes are available: /);
    expect(huge?.filter.every((f) => f.code !== 'Success')).toBe(true);
  });

  it('explains every attempt at debug level', async () => {
    const pods = new Set(explanations(await run('debug', {})).map((e) => e.pod));
    expect(pods).toEqual(new Set(['default/p', 'default/q', 'default/huge']));
  });

  it('writes no explanation when neither debug level nor --explain asks for one', async () => {
    const records = await run('info', {});
    expect(records.some((r) => r.k === 'scheduler.bind')).toBe(true);
    expect(explanations(records)).toEqual([]);
  });
});
