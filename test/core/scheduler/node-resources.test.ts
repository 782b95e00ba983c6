/** NodeResourcesFit (filter, three scoring strategies) and BalancedAllocation, hand-checked. */
import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import type { ScorePlugin } from '../../../core/scheduler/framework/interface.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { SKIP } from '../../../core/scheduler/framework/status.ts';
import * as Balanced from '../../../core/scheduler/plugins/node-resources-balanced-allocation/index.ts';
import * as Fit from '../../../core/scheduler/plugins/node-resources-fit/index.ts';
import { node, nodeInfo, pod } from './fixtures.ts';

function fitFilter(p: ReturnType<typeof pod>, ni: NodeInfo, args: unknown = undefined): string[] {
  const pl = Fit.New(args === undefined ? undefined : unwrap(Fit.parseFitArgs(args, 'args')));
  const state = new CycleState();
  const pi = podInfoOf(p);
  pl.preFilter(state, pi);
  return [...(pl.filter(state, pi, ni)?.reasons ?? [])];
}

function fitStatus(p: ReturnType<typeof pod>, ni: NodeInfo) {
  const pl = Fit.New(undefined);
  const state = new CycleState();
  const pi = podInfoOf(p);
  pl.preFilter(state, pi);
  return pl.filter(state, pi, ni);
}

/** The pod with one init container (a sidecar when `restartAlways`) requesting `requests`. */
function withInit(
  p: ReturnType<typeof pod>,
  requests: Record<string, string>,
  restartAlways: boolean,
): ReturnType<typeof pod> {
  return {
    ...p,
    spec: {
      ...p.spec,
      initContainers: [
        {
          name: 'init',
          image: 'busybox',
          resources: { requests },
          ...(restartAlways ? { restartPolicy: 'Always' } : {}),
        },
      ],
    },
  };
}

function unwrap<T>(r: { args: T } | { errors: string[] }): T {
  if ('errors' in r) throw new Error(r.errors.join('; '));
  return r.args;
}

function scoreWith(
  pl: ScorePlugin & {
    preScore(s: CycleState, p: ReturnType<typeof podInfoOf>, n: NodeInfo[]): unknown;
  },
  p: ReturnType<typeof pod>,
  nodes: NodeInfo[],
): number[] {
  const state = new CycleState();
  const pi = podInfoOf(p);
  pl.preScore(state, pi, nodes);
  const single = nodes.map((n) => pl.score(state, pi, n));
  if (pl.scoreAll !== undefined) {
    const batch: number[] = [];
    pl.scoreAll(state, pi, nodes, batch);
    expect(batch).toEqual(single);
  }
  return single;
}

describe('NodeResourcesFit filter', () => {
  const used = [pod('a', { cpu: '3500m', memory: '1Gi', nodeName: 'n' })];
  it.each([
    ['fits', pod('p', { cpu: '500m', memory: '1Gi' }), nodeInfo(node('n'), used), []],
    [
      'cpu short',
      pod('p', { cpu: '1', memory: '1Gi' }),
      nodeInfo(node('n'), used),
      ['Insufficient cpu'],
    ],
    [
      'cpu and memory short',
      pod('p', { cpu: '5', memory: '10Gi' }),
      nodeInfo(node('n')),
      ['Insufficient cpu', 'Insufficient memory'],
    ],
    [
      'pod count first',
      pod('p', { cpu: '5' }),
      nodeInfo(node('n', { pods: '1' }), used),
      ['Too many pods', 'Insufficient cpu'],
    ],
    [
      'zero request only checks pod count',
      pod('p'),
      nodeInfo(node('n', { cpu: '1' }), [pod('a', { cpu: '2', nodeName: 'n' })]),
      [],
    ],
    [
      'ephemeral storage',
      pod('p', { requests: { 'ephemeral-storage': '2Gi' } }),
      nodeInfo(node('n', { ephemeral: '1Gi' })),
      ['Insufficient ephemeral-storage'],
    ],
    [
      'extended resource',
      pod('p', { requests: { 'example.com/gpu': '1' } }),
      nodeInfo(node('n')),
      ['Insufficient example.com/gpu'],
    ],
    [
      'extended resource present',
      pod('p', { requests: { 'example.com/gpu': '1' } }),
      nodeInfo(node('n', { extra: { 'example.com/gpu': '2' } })),
      [],
    ],
  ])('%s', (_name, p, ni, want) => {
    expect(fitFilter(p, ni)).toEqual(want);
  });

  // fit_test.go TestEnoughRequests: the cases whose wantStatus is UnschedulableAndUnresolvable
  // ("due to container scalar resources, hugepages, init container ... exceeds allocatable")
  // and their Unschedulable neighbours, where only what is free falls short.
  it.each([
    ['cpu above allocatable', pod('p', { cpu: '5' }), [], 'UnschedulableAndUnresolvable'],
    ['cpu above what is free', pod('p', { cpu: '1' }), used, 'Unschedulable'],
    ['memory above allocatable', pod('p', { memory: '9Gi' }), [], 'UnschedulableAndUnresolvable'],
    [
      'one resource above allocatable decides for all',
      pod('p', { cpu: '1', memory: '9Gi' }),
      used,
      'UnschedulableAndUnresolvable',
    ],
    [
      'ephemeral-storage above allocatable',
      pod('p', { requests: { 'ephemeral-storage': '20Gi' } }),
      [],
      'UnschedulableAndUnresolvable',
    ],
    [
      'extended resource the node does not have',
      pod('p', { requests: { 'example.com/fpga': '1' } }),
      [],
      'UnschedulableAndUnresolvable',
    ],
    [
      'extended resource above what is free',
      pod('p', { requests: { 'example.com/gpu': '1' } }),
      [pod('g', { requests: { 'example.com/gpu': '2' }, nodeName: 'n' })],
      'Unschedulable',
    ],
    [
      'hugepages above allocatable',
      pod('p', { requests: { 'hugepages-2Mi': '4Mi', memory: '4Mi' } }),
      [],
      'UnschedulableAndUnresolvable',
    ],
    [
      'init container above allocatable',
      withInit(pod('p', { cpu: '1' }), { cpu: '6' }, false),
      [],
      'UnschedulableAndUnresolvable',
    ],
    [
      'sidecar above allocatable',
      withInit(pod('p', { cpu: '1' }), { cpu: '4' }, true),
      [],
      'UnschedulableAndUnresolvable',
    ],
    [
      'too many pods stays resolvable',
      pod('p'),
      [pod('a', { nodeName: 'n' }), pod('b', { nodeName: 'n' })],
      'Unschedulable',
    ],
  ])('%s -> %s', (_name, p, bound, code) => {
    const n = node('n', {
      pods: '2',
      ephemeral: '10Gi',
      extra: { 'example.com/gpu': '2', 'hugepages-2Mi': '2Mi' },
    });
    expect(fitStatus(p, nodeInfo(n, bound))?.code).toBe(code);
  });

  it('ignores extended resources by name and by group', () => {
    const p = pod('p', { requests: { 'example.com/gpu': '1' } });
    expect(fitFilter(p, nodeInfo(node('n')), { ignoredResources: ['example.com/gpu'] })).toEqual(
      [],
    );
    expect(fitFilter(p, nodeInfo(node('n')), { ignoredResourceGroups: ['example.com'] })).toEqual(
      [],
    );
  });
});

describe('NodeResourcesFit scoring', () => {
  // Node: 4 cpu, 8Gi. Existing pod: 1 cpu, 2Gi.
  const busy = nodeInfo(node('busy'), [pod('a', { cpu: '1', memory: '2Gi', nodeName: 'busy' })]);
  const empty = nodeInfo(node('empty'));

  it('LeastAllocated: mean of (alloc - requested) * 100 / alloc', () => {
    const pl = Fit.New(undefined);
    // busy: cpu (4000-2000)*100/4000 = 50, mem (8Gi-4Gi)*100/8Gi = 50 -> 50
    // empty: cpu 3000*100/4000 = 75, mem 6Gi*100/8Gi = 75 -> 75
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '2Gi' }), [busy, empty])).toEqual([50, 75]);
    // 1 cpu / 1Gi on empty: cpu 75, mem 7*100/8 = 87.5 -> 87; (75 + 87) / 2 = 81
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [empty])).toEqual([81]);
    // No requests: scored as 100m / 200Mi: cpu 3900*100/4000 = 97.5 -> 97; mem 7992Mi*100/8192Mi = 97.56 -> 97
    expect(scoreWith(pl, pod('p'), [empty])).toEqual([97]);
  });

  it('MostAllocated: mean of requested * 100 / alloc', () => {
    const pl = Fit.New(
      unwrap(Fit.parseFitArgs({ scoringStrategy: { type: 'MostAllocated' } }, 'a')),
    );
    // cpu 1000*100/4000 = 25, mem 1Gi*100/8Gi = 12.5 -> 12; (25 + 12) / 2 = 18
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [empty])).toEqual([18]);
    // busy: cpu 2000 -> 50, mem 3Gi -> 37.5 -> 37; 87 / 2 = 43
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [busy])).toEqual([43]);
  });

  it('RequestedToCapacityRatio: shape, weights, rounding', () => {
    const args = unwrap(
      Fit.parseFitArgs(
        {
          scoringStrategy: {
            type: 'RequestedToCapacityRatio',
            resources: [
              { name: 'cpu', weight: 1 },
              { name: 'memory', weight: 1 },
            ],
            requestedToCapacityRatio: {
              shape: [
                { utilization: 0, score: 0 },
                { utilization: 100, score: 10 },
              ],
            },
          },
        },
        'a',
      ),
    );
    const pl = Fit.New(args);
    // cpu 25% -> 25, mem 12% -> 12; round(37 / 2 = 18.5) = 19
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [empty])).toEqual([19]);
  });

  it('RequestedToCapacityRatio: a decreasing shape spreads', () => {
    const args = unwrap(
      Fit.parseFitArgs(
        {
          scoringStrategy: {
            type: 'RequestedToCapacityRatio',
            resources: [{ name: 'cpu', weight: 3 }],
            requestedToCapacityRatio: {
              shape: [
                { utilization: 0, score: 10 },
                { utilization: 50, score: 4 },
                { utilization: 100, score: 0 },
              ],
            },
          },
        },
        'a',
      ),
    );
    const pl = Fit.New(args);
    // cpu utilization on empty = 25%: 100 + (40 - 100) * (25 - 0) / 50 = 70
    // busy: 50% -> 40
    expect(scoreWith(pl, pod('p', { cpu: '1' }), [empty, busy])).toEqual([70, 40]);
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  const empty = nodeInfo(node('empty'));
  it('(1 - |f_cpu - f_mem| / 2) * 100, truncated', () => {
    const pl = Balanced.New(undefined);
    // cpu 0.25, mem 0.125: std 0.0625 -> 93.75 -> 93
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [empty])).toEqual([93]);
    // busy: cpu (1+1)/4 = 0.5, mem (6Gi+1Gi)/8Gi = 0.875: std 0.1875 -> 81.25 -> 81
    const busy = nodeInfo(node('b'), [pod('a', { cpu: '1', memory: '6Gi', nodeName: 'b' })]);
    expect(scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi' }), [busy])).toEqual([81]);
    // fractions capped at 1: cpu 6/4 -> 1, mem 0.125: std 0.4375 -> 56.25 -> 56
    expect(scoreWith(pl, pod('p', { cpu: '6', memory: '1Gi' }), [empty])).toEqual([56]);
  });

  it('three resources use the standard deviation', () => {
    const args = unwrap(
      Fit.parseBalancedAllocationArgs(
        { resources: [{ name: 'cpu' }, { name: 'memory' }, { name: 'example.com/gpu' }] },
        'a',
      ),
    );
    const pl = Balanced.New(args);
    const ni = nodeInfo(node('g', { extra: { 'example.com/gpu': '4' } }));
    // fractions 0.25, 0.125, 0.5: mean 0.291666..., variance (0.001736 + 0.027777 + 0.043402) / 3
    const f = [0.25, 0.125, 0.5];
    const mean = (0.25 + 0.125 + 0.5) / 3;
    const std = Math.sqrt(f.reduce((s, x) => s + (x - mean) ** 2, 0) / 3);
    expect(
      scoreWith(pl, pod('p', { cpu: '1', memory: '1Gi', requests: { 'example.com/gpu': '2' } }), [
        ni,
      ]),
    ).toEqual([Math.trunc((1 - std) * 100)]);
    expect(Math.trunc((1 - std) * 100)).toBe(84);
  });

  it('skips best-effort pods', () => {
    const pl = Balanced.New(undefined);
    expect(pl.preScore(new CycleState(), podInfoOf(pod('p')))).toBe(SKIP);
  });
});
