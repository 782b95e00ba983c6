/**
 * NodeResourcesFit's and BalancedAllocation's batch scoring (scoreAll, with its cpu + memory
 * loop, Scorer.cpuMemory) must give exactly the per-node Score of upstream's formulas
 * (ResourceAllocationScorer.score) over random nodes: memory amounts beyond 2^30 bytes, nodes
 * without cpu or memory allocatable, over-requested nodes, pods without requests.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import * as Balanced from '../../../core/scheduler/plugins/node-resources-balanced-allocation/index.ts';
import * as Fit from '../../../core/scheduler/plugins/node-resources-fit/index.ts';
import { node, nodeInfo, pod } from './fixtures.ts';

const GI = 1024 * 1024 * 1024;

const requestArb = fc.record({
  cpuMillis: fc.option(fc.integer({ min: 0, max: 6000 }), { nil: undefined }),
  memoryBytes: fc.option(fc.integer({ min: 0, max: 40 * GI }), { nil: undefined }),
});

const nodeArb = fc.record({
  cpuMillis: fc.constantFrom(0, 1000, 4000, 96000),
  memoryBytes: fc.constantFrom(0, GI / 2, 32 * GI, 1024 * GI),
  pods: fc.array(requestArb, { maxLength: 4 }),
});

type Request = ReturnType<typeof requestArb.generate>['value'];

function podWith(name: string, r: Request, nodeName?: string) {
  return pod(name, {
    ...(r.cpuMillis !== undefined ? { cpu: `${r.cpuMillis}m` } : {}),
    ...(r.memoryBytes !== undefined ? { memory: String(r.memoryBytes) } : {}),
    ...(nodeName !== undefined ? { nodeName } : {}),
  });
}

function fitWith(type: 'LeastAllocated' | 'MostAllocated') {
  const r = Fit.parseFitArgs({ scoringStrategy: { type } }, 'args');
  if ('errors' in r) throw new Error(r.errors.join('; '));
  return Fit.New(r.args);
}

test.prop([fc.array(nodeArb, { minLength: 1, maxLength: 8 }), requestArb])(
  'scoreAll equals score() node by node for Fit (least, most) and BalancedAllocation',
  (specs, request) => {
    const nodes: NodeInfo[] = specs.map((s, i) =>
      nodeInfo(
        node(`n${i}`, { cpu: `${s.cpuMillis}m`, memory: String(s.memoryBytes) }),
        s.pods.map((p, j) => podWith(`p${i}-${j}`, p, `n${i}`)),
      ),
    );
    const pi = podInfoOf(podWith('new', request));
    for (const pl of [
      fitWith('LeastAllocated'),
      fitWith('MostAllocated'),
      Balanced.New(undefined),
    ]) {
      const state = new CycleState();
      if (pl.preScore(state, pi)?.code === 'Skip') continue;
      const single = nodes.map((ni) => pl.score(state, pi, ni));
      const batch: number[] = [];
      pl.scoreAll(state, pi, nodes, batch);
      expect(batch, pl.name).toEqual(single);
    }
  },
);
