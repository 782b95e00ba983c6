/**
 * The scheduling cycle end to end: sampling with percentageOfNodesToScore, the rotating start
 * index, seeded tie-breaks, upstream's failure message, preemption, binding failures, gates.
 */
import { describe, expect, it } from 'vitest';
import { numFeasibleNodesToFind } from '../../../core/scheduler/framework/schedule-pod.ts';
import type { FailedDecision } from '../../../core/scheduler/engine/scheduling-engine.ts';
import type { PodDisruptionBudgetView } from '../../../core/scheduler/framework/listers.ts';
import { EMPTY_CLUSTER_LISTERS } from '../../../core/scheduler/framework/listers.ts';
import { drain, makeEngine, node, pod } from './fixtures.ts';

describe('numFeasibleNodesToFind', () => {
  it.each([
    [0, 50, 50],
    [0, 99, 99],
    [0, 100, 100],
    [0, 1000, 420],
    [0, 5000, 500],
    [0, 6000, 300],
    [0, 20000, 1000],
    [30, 1000, 300],
    [10, 200, 100],
    [100, 5000, 5000],
  ])('pct %i of %i nodes -> %i', (pct, nodes, want) => {
    expect(numFeasibleNodesToFind(pct, nodes)).toBe(want);
  });
});

describe('scheduling cycle', () => {
  it('samples only enough feasible nodes and rotates the start index', async () => {
    const t = makeEngine();
    for (let i = 0; i < 200; i++) t.engine.onNodeAdd(node(`n${i}`));
    t.engine.onPodAdd(pod('a'));
    t.engine.onPodAdd(pod('b'));
    const [a, b] = await drain(t);
    // 200 nodes: 50 - 200/125 = 49% -> 98 -> at least 100
    expect(a?.kind === 'assumed' && a.result).toMatchObject({
      evaluatedNodes: 100,
      feasibleNodes: 100,
    });
    expect(b?.kind === 'assumed' && b.result).toMatchObject({
      evaluatedNodes: 100,
      feasibleNodes: 100,
    });
    // The first pod sees n0..n99, the second n100..n199.
    const host = (d: typeof a) =>
      d?.kind === 'assumed' ? Number(d.result.suggestedHost.slice(1)) : -1;
    expect(host(a)).toBeLessThan(100);
    expect(host(b)).toBeGreaterThanOrEqual(100);
  });

  it('starts a PreFilter-narrowed list at the rotating index modulo its length', async () => {
    const t = makeEngine();
    for (let i = 0; i < 200; i++)
      t.engine.onNodeAdd(node(`n${i}`, i === 5 || i === 7 ? { cpu: '1' } : {}));
    t.engine.onPodAdd(pod('a'));
    // The first pod moved the start index to 100; NodeAffinity narrows the next to 3 nodes.
    // One term per name: a metadata.name requirement takes exactly one value, as upstream's.
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: ['n5', 'n6', 'n7'].map((name) => ({
            matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: [name] }],
          })),
        },
      },
    };
    t.engine.onPodAdd(pod('c', { cpu: '2', spec: { affinity } }));
    const [, c] = await drain(t);
    expect(c?.kind === 'assumed' && c.result).toEqual({
      suggestedHost: 'n6',
      evaluatedNodes: 3,
      feasibleNodes: 1,
    });
  });

  it('breaks ties with the seeded stream: same seed, same decisions', async () => {
    const run = async (seed: number) => {
      const t = makeEngine(undefined, seed);
      for (let i = 0; i < 20; i++) t.engine.onNodeAdd(node(`n${i}`));
      for (let i = 0; i < 30; i++) t.engine.onPodAdd(pod(`p${i}`, { cpu: '100m' }));
      await drain(t);
      return t.actions.binds.map((b) => `${b.pod.metadata.name}@${b.node}`).join(',');
    };
    expect(await run(7)).toBe(await run(7));
    expect(await run(7)).not.toBe(await run(8));
  });

  it('one feasible node skips scoring', async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('small', { cpu: '1' }));
    t.engine.onNodeAdd(node('big', { cpu: '8' }));
    t.engine.onPodAdd(pod('p', { cpu: '2' }));
    const [d] = await drain(t);
    expect(d?.kind === 'assumed' && d.result).toEqual({
      suggestedHost: 'big',
      evaluatedNodes: 2,
      feasibleNodes: 1,
    });
  });

  it("reports failures in upstream's form", async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('a', { cpu: '2' }));
    t.engine.onNodeAdd(node('b', { cpu: '2' }));
    t.engine.onPodAdd(pod('a1', { cpu: '1', nodeName: 'a' }));
    t.engine.onPodAdd(pod('b1', { cpu: '1', nodeName: 'b' }));
    for (const n of ['c', 'd', 'e'])
      t.engine.onNodeAdd(
        node(n, { taints: [{ key: 'dedicated', value: n, effect: 'NoSchedule' }] }),
      );
    t.engine.onPodAdd(pod('p', { cpu: '2' }));
    const [d] = await drain(t);
    expect(d?.kind).toBe('failed');
    const f = d as FailedDecision;
    expect(f.reason).toBe('Unschedulable');
    // Three different taints, one reason (taint_toleration.go ErrReasonNotMatch).
    expect(f.message).toBe(
      '0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint(s). ' +
        'preemption: 0/5 nodes are available: 2 No preemption victims found for incoming pod, 3 Preemption is not helpful for scheduling.',
    );
    expect([...(f.fitError?.diagnosis.unschedulablePlugins ?? [])].sort()).toEqual([
      'NodeResourcesFit',
      'TaintToleration',
    ]);
    expect(t.engine.queue.whereIs(f.qpi.key)).toBe('unschedulable');
  });

  it('with no nodes, says so', async () => {
    const t = makeEngine();
    t.engine.onPodAdd(pod('p'));
    const [d] = await drain(t);
    expect(d?.kind === 'failed' && d.message).toBe('no nodes available to schedule pods');
  });

  it('moves an unschedulable pod back when a node that fits it arrives', async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('a', { cpu: '1' }));
    t.engine.onPodAdd(pod('p', { cpu: '2' }));
    await drain(t);
    const key = 'uid-default-p';
    expect(t.engine.queue.whereIs(key)).toBe('unschedulable');
    // A node too small for it: NodeResourcesFit's hint says Skip.
    t.engine.onNodeAdd(node('b', { cpu: '1' }));
    expect(t.engine.queue.whereIs(key)).toBe('unschedulable');
    t.engine.onNodeAdd(node('c', { cpu: '4' }));
    expect(t.engine.queue.whereIs(key)).toBe('backoff');
    t.clock.advance(1_000_000);
    t.engine.tickSecond();
    expect(t.engine.queue.whereIs(key)).toBe('active');
    await drain(t);
    expect(t.actions.binds.map((b) => b.node)).toEqual(['c']);
  });

  it('keeps gated pods out of the queue until their gates are removed', async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('a'));
    const gated = pod('g', { spec: { schedulingGates: [{ name: 'example.com/wait' }] } });
    t.engine.onPodAdd(gated);
    expect(await drain(t)).toEqual([]);
    expect(t.engine.pending()).toEqual({ active: 0, backoff: 0, unschedulable: 0, gated: 1 });
    const { schedulingGates: _removed, ...spec } = gated.spec;
    t.engine.onPodUpdate(gated, { ...gated, spec });
    await drain(t);
    expect(t.actions.binds.map((b) => b.node)).toEqual(['a']);
  });

  it('unreserves, forgets and requeues after a failed binding', async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('a', { cpu: '1' }));
    t.actions.failBinds = true;
    t.engine.onPodAdd(pod('p', { cpu: '1' }));
    const [d] = await drain(t);
    expect(d?.kind).toBe('assumed');
    expect(t.engine.cache.getNodeInfo('a')?.pods.length).toBe(0);
    expect(t.engine.queue.whereIs('uid-default-p')).toBe('backoff');
    t.actions.failBinds = false;
    t.clock.advance(1_000_000);
    t.engine.tickSecond();
    await drain(t);
    expect(t.actions.binds.length).toBe(2);
    expect(t.engine.cache.getNodeInfo('a')?.pods.length).toBe(1);
  });

  it('orders the active queue by priority, then arrival', async () => {
    const t = makeEngine();
    t.engine.onNodeAdd(node('a'));
    t.engine.onPodAdd(pod('low1'));
    t.engine.onPodAdd(pod('high', { priority: 100 }));
    t.engine.onPodAdd(pod('low2'));
    await drain(t);
    expect(t.actions.binds.map((b) => b.pod.metadata.name)).toEqual(['high', 'low1', 'low2']);
  });
});

describe('preemption', () => {
  function cluster(pdbs: PodDisruptionBudgetView[] = []) {
    const t = makeEngine(undefined, 1, {
      ...EMPTY_CLUSTER_LISTERS,
      podDisruptionBudgets: () => pdbs,
    });
    t.engine.onNodeAdd(node('n1', { cpu: '2' }));
    t.engine.onNodeAdd(node('n2', { cpu: '2' }));
    t.engine.onPodAdd(
      pod('old', {
        cpu: '1',
        nodeName: 'n1',
        labels: { app: 'a' },
        startTime: '2026-01-01T00:00:00Z',
      }),
    );
    t.engine.onPodAdd(
      pod('young', {
        cpu: '1',
        nodeName: 'n1',
        labels: { app: 'b' },
        startTime: '2026-01-01T00:01:00Z',
      }),
    );
    t.engine.onPodAdd(pod('mid', { cpu: '2', nodeName: 'n2', priority: 5 }));
    return t;
  }

  it('evicts the fewest, least important victims and nominates the node', async () => {
    const t = cluster();
    t.engine.onPodAdd(pod('vip', { cpu: '1', priority: 10 }));
    const [d] = await drain(t);
    expect(d?.kind === 'failed' && d.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect(d?.kind === 'failed' && d.nominatedNodeName).toBe('n1');
    // n1 beats n2 (lower highest victim priority); on n1 the older pod is reprieved.
    expect(t.actions.preempted.map((p) => `${p.victim.metadata.name}@${p.node}`)).toEqual([
      'young@n1',
    ]);
    expect(t.engine.queue.nominator.nominatedNodeOf('uid-default-vip')).toBe('n1');
  });

  it('reprieves PodDisruptionBudget-protected victims first', async () => {
    const t = cluster([
      {
        namespace: 'default',
        selector: { matchLabels: { app: 'b' } },
        disruptionsAllowed: 0,
        disruptedPods: new Set(),
      },
    ]);
    t.engine.onPodAdd(pod('vip', { cpu: '1', priority: 10 }));
    await drain(t);
    expect(t.actions.preempted.map((p) => p.victim.metadata.name)).toEqual(['old']);
  });

  it('never evicts pods of equal or higher priority', async () => {
    const t = cluster();
    t.engine.onPodAdd(pod('peer', { cpu: '2', priority: 0 }));
    const [d] = await drain(t);
    expect(d?.kind === 'failed' && d.message).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.',
    );
    expect(t.actions.preempted).toEqual([]);
  });

  // fit_test.go TestEnoughRequests's "exceeds allocatable" cases answer UnschedulableAndUnresolvable,
  // and preemption.go nodesWherePreemptionMightHelp leaves such nodes out: no victims are sought.
  it('does not look for victims where the request exceeds allocatable', async () => {
    const t = cluster();
    t.engine.onPodAdd(pod('huge', { cpu: '9', priority: 10 }));
    const [d] = await drain(t);
    expect(d?.kind === 'failed' && d.message).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.',
    );
    expect(t.actions.preempted).toEqual([]);
  });

  it('respects preemptionPolicy Never', async () => {
    const t = cluster();
    t.engine.onPodAdd(
      pod('polite', { cpu: '1', priority: 10, spec: { preemptionPolicy: 'Never' } }),
    );
    const [d] = await drain(t);
    expect(d?.kind === 'failed' && d.message).toBe(
      '0/2 nodes are available: 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.',
    );
  });

  it('places the preemptor on its nominated node once the victim is gone', async () => {
    const t = cluster();
    const vip = pod('vip', { cpu: '1', priority: 10 });
    t.engine.onPodAdd(vip);
    await drain(t);
    const victim = t.actions.preempted[0]?.victim;
    if (victim === undefined) throw new Error('no victim');
    t.engine.onPodUpdate(vip, { ...vip, status: { nominatedNodeName: 'n1' } });
    t.engine.onPodDelete({ ...victim, spec: { ...victim.spec, nodeName: 'n1' } });
    t.clock.advance(2_000_000);
    t.engine.tickSecond();
    await drain(t);
    expect(t.actions.binds.map((b) => `${b.pod.metadata.name}@${b.node}`)).toEqual(['vip@n1']);
  });
});
