/**
 * NodeUnschedulable, NodeName, NodePorts, NodeAffinity, TaintToleration, ImageLocality:
 * filter verdicts with upstream's reason strings and hand-checked scores.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import {
  PreFilterResult,
  type FilterPlugin,
  type PreFilterPlugin,
  type ScorePlugin,
} from '../../../core/scheduler/framework/interface.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { Status, type MaybeStatus } from '../../../core/scheduler/framework/status.ts';
import { Snapshot } from '../../../core/scheduler/cache/snapshot.ts';
import type { Handle } from '../../../core/scheduler/framework/handle.ts';
import * as ImageLocality from '../../../core/scheduler/plugins/image-locality/index.ts';
import * as NodeAffinity from '../../../core/scheduler/plugins/node-affinity/index.ts';
import * as NodeName from '../../../core/scheduler/plugins/node-name/index.ts';
import * as NodePorts from '../../../core/scheduler/plugins/node-ports/index.ts';
import * as NodeUnschedulable from '../../../core/scheduler/plugins/node-unschedulable/index.ts';
import * as TaintToleration from '../../../core/scheduler/plugins/taint-toleration/index.ts';
import { node, nodeInfo, pod } from './fixtures.ts';

function runFilter(pl: FilterPlugin & Partial<PreFilterPlugin>, p: Pod, ni: NodeInfo): MaybeStatus {
  const state = new CycleState();
  const pi = podInfoOf(p);
  const pre = pl.preFilter?.(state, pi);
  if (pre instanceof Status && pre.code === 'Skip') return undefined;
  if (pre instanceof Status) return pre;
  return pl.filter(state, pi, ni);
}

function verdict(s: MaybeStatus): string {
  return s === undefined ? 'ok' : `${s.code}: ${s.message()}`;
}

type Scorer = ScorePlugin & {
  preScore?(s: CycleState, p: ReturnType<typeof podInfoOf>, n: readonly NodeInfo[]): MaybeStatus;
};

function scores(pl: Scorer, p: Pod, nodes: NodeInfo[]): { raw: number[]; normalized: number[] } {
  const state = new CycleState();
  const pi = podInfoOf(p);
  const pre = pl.preScore?.(state, pi, nodes);
  if (pre !== undefined && pre.code === 'Skip') return { raw: [], normalized: [] };
  const raw = nodes.map((n) => pl.score(state, pi, n));
  const normalized = [...raw];
  pl.normalizeScore?.(state, pi, nodes, normalized);
  return { raw, normalized };
}

describe('NodeUnschedulable', () => {
  const pl = NodeUnschedulable.New();
  it.each([
    ['schedulable node', pod('p'), node('n'), 'ok'],
    [
      'cordoned node',
      pod('p'),
      node('n', { unschedulable: true }),
      'UnschedulableAndUnresolvable: node(s) were unschedulable',
    ],
    [
      'cordoned node, tolerated',
      pod('p', {
        tolerations: [
          { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
        ],
      }),
      node('n', { unschedulable: true }),
      'ok',
    ],
  ])('%s', (_n, p, n, want) => {
    expect(verdict(runFilter(pl, p, nodeInfo(n)))).toBe(want);
  });
});

describe('NodeName', () => {
  const pl = NodeName.New();
  it.each([
    ['no node name', pod('p'), 'a', 'ok'],
    ['matching', pod('p', { spec: { nodeName: 'a' } }), 'a', 'ok'],
    [
      'other node',
      pod('p', { spec: { nodeName: 'a' } }),
      'b',
      "UnschedulableAndUnresolvable: node(s) didn't match the requested node name",
    ],
  ])('%s', (_n, p, nodeName, want) => {
    expect(verdict(runFilter(pl, p, nodeInfo(node(nodeName))))).toBe(want);
  });
});

describe('NodePorts', () => {
  const pl = NodePorts.New();
  const withPort = (port: number, ip?: string, protocol?: 'TCP' | 'UDP'): Pod =>
    pod(`x${port}${ip ?? ''}${protocol ?? ''}`, {
      nodeName: 'n',
      spec: {
        containers: [
          {
            name: 'c',
            ports: [
              {
                containerPort: 1,
                hostPort: port,
                ...(ip ? { hostIP: ip } : {}),
                ...(protocol ? { protocol } : {}),
              },
            ],
          },
        ],
      },
    });
  const REJECT = "Unschedulable: node(s) didn't have free ports for the requested pod ports";
  it.each([
    ['no host ports', pod('p'), [withPort(80)], 'ok'],
    ['free port', withPort(81), [withPort(80)], 'ok'],
    ['same port', withPort(80), [withPort(80)], REJECT],
    ['different protocol', withPort(80, undefined, 'UDP'), [withPort(80)], 'ok'],
    ['specific ip vs 0.0.0.0', withPort(80, '10.0.0.1'), [withPort(80)], REJECT],
    ['0.0.0.0 vs specific ip', withPort(80), [withPort(80, '10.0.0.1')], REJECT],
    ['two specific ips', withPort(80, '10.0.0.2'), [withPort(80, '10.0.0.1')], 'ok'],
  ])('%s', (_n, p, existing, want) => {
    expect(verdict(runFilter(pl, p, nodeInfo(node('n'), existing)))).toBe(want);
  });
});

describe('NodeAffinity', () => {
  const pl = NodeAffinity.New(undefined);
  const zoneA = node('a', { labels: { zone: 'z1', disk: 'ssd' } });
  const zoneB = node('b', { labels: { zone: 'z2' } });
  const REJECT = "UnschedulableAndUnresolvable: node(s) didn't match Pod's node affinity/selector";

  it.each([
    ['nodeSelector matches', { nodeSelector: { zone: 'z1' } }, zoneA, 'ok'],
    ['nodeSelector does not match', { nodeSelector: { zone: 'z1' } }, zoneB, REJECT],
    [
      'required affinity In',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['z2'] }] },
              ],
            },
          },
        },
      },
      zoneB,
      'ok',
    ],
    [
      'nodeSelector AND affinity',
      {
        nodeSelector: { disk: 'ssd' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['z2'] }] },
              ],
            },
          },
        },
      },
      zoneA,
      REJECT,
    ],
    // node_affinity_test.go TestNodeAffinity "Pod with an invalid value in Affinity term won't be
    // scheduled onto the node": the bad value fails its term, even under NotIn.
    [
      'invalid value in a NotIn requirement',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    {
                      key: 'zone',
                      operator: 'NotIn' as const,
                      values: ['invalid value: ___@#$%^'],
                    },
                  ],
                },
              ],
            },
          },
        },
      },
      zoneA,
      REJECT,
    ],
    [
      'invalid key fails the term, a valid term still matches',
      {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'bad key', operator: 'Exists' as const }] },
                { matchExpressions: [{ key: 'zone', operator: 'In' as const, values: ['z1'] }] },
              ],
            },
          },
        },
      },
      zoneA,
      'ok',
    ],
  ])('%s', (_n, spec, n, want) => {
    expect(verdict(runFilter(pl, pod('p', { spec }), nodeInfo(n)))).toBe(want);
  });

  it('narrows the nodes with metadata.name requirements (ORed terms, ANDed requirements)', () => {
    const p = pod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchFields: [
                    { key: 'metadata.name', operator: 'In', values: ['a', 'b'] },
                    { key: 'metadata.name', operator: 'In', values: ['b', 'c'] },
                  ],
                },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['d'] }] },
              ],
            },
          },
        },
      },
    });
    const r = pl.preFilter(new CycleState(), podInfoOf(p));
    expect(r).toBeInstanceOf(PreFilterResult);
    expect([...(r as PreFilterResult).nodeNames]).toEqual(['b', 'd']);
  });

  it('scores the weights of matching preferred terms, normalized to 100', () => {
    const p = pod('p', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 2,
                preference: {
                  matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }],
                },
              },
              {
                weight: 5,
                preference: { matchExpressions: [{ key: 'zone', operator: 'Exists' }] },
              },
            ],
          },
        },
      },
    });
    const c = node('c');
    // a: 2 + 5 = 7, b: 5, c: 0 -> 100, 500/7 = 71, 0
    expect(scores(pl, p, [nodeInfo(zoneA), nodeInfo(zoneB), nodeInfo(c)])).toEqual({
      raw: [7, 5, 0],
      normalized: [100, 71, 0],
    });
  });

  it('enforces the profile addedAffinity', () => {
    const args = NodeAffinity.parseArgs(
      {
        addedAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
            ],
          },
        },
      },
      'args',
    );
    if ('errors' in args) throw new Error(args.errors.join());
    const enforced = NodeAffinity.New(args.args);
    expect(verdict(runFilter(enforced, pod('p'), nodeInfo(zoneB)))).toBe(
      "UnschedulableAndUnresolvable: node(s) didn't match scheduler-enforced node affinity",
    );
    expect(verdict(runFilter(enforced, pod('p'), nodeInfo(zoneA)))).toBe('ok');
  });
});

describe('TaintToleration', () => {
  const pl = TaintToleration.New();
  const tainted = node('t', {
    taints: [{ key: 'dedicated', value: 'infra', effect: 'NoSchedule' }],
  });
  it.each([
    // taint_toleration_test.go TestTaintTolerationFilter "A pod having no tolerations can't be
    // scheduled onto a node with nonempty taints": one reason for every taint.
    ['untolerated', pod('p'), 'UnschedulableAndUnresolvable: node(s) had untolerated taint(s)'],
    [
      'Equal toleration',
      pod('p', {
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'infra', effect: 'NoSchedule' },
        ],
      }),
      'ok',
    ],
    [
      'wrong value',
      pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'x' }] }),
      'UnschedulableAndUnresolvable: node(s) had untolerated taint(s)',
    ],
    ['Exists without key', pod('p', { tolerations: [{ operator: 'Exists' }] }), 'ok'],
  ])('%s', (_n, p, want) => {
    expect(verdict(runFilter(pl, p, nodeInfo(tainted)))).toBe(want);
  });

  it('PreferNoSchedule does not filter', () => {
    expect(
      verdict(
        runFilter(
          pl,
          pod('p'),
          nodeInfo(node('s', { taints: [{ key: 'k', effect: 'PreferNoSchedule' }] })),
        ),
      ),
    ).toBe('ok');
  });

  it('scores fewer untolerated PreferNoSchedule taints higher', () => {
    const soft = (name: string, n: number) =>
      nodeInfo(
        node(name, {
          taints: Array.from({ length: n }, (_, i) => ({
            key: `k${i}`,
            effect: 'PreferNoSchedule' as const,
          })),
        }),
      );
    // raw 0, 1, 2 -> reversed: 100, 100 - 50, 100 - 100
    expect(scores(pl, pod('p'), [soft('a', 0), soft('b', 1), soft('c', 2)])).toEqual({
      raw: [0, 1, 2],
      normalized: [100, 50, 0],
    });
    // A toleration with effect NoSchedule does not count for PreferNoSchedule taints.
    const p = pod('p', { tolerations: [{ key: 'k0', operator: 'Exists', effect: 'NoSchedule' }] });
    expect(scores(pl, p, [soft('a', 1)]).raw).toEqual([1]);
    const q = pod('q', { tolerations: [{ key: 'k0', operator: 'Exists' }] });
    expect(scores(pl, q, [soft('a', 1)]).raw).toEqual([0]);
  });
});

describe('ImageLocality', () => {
  const MB = 1024 * 1024;
  const withImage = (name: string) =>
    node(name, {
      images: [{ names: ['docker.io/library/nginx:1.25', 'nginx:1.25'], sizeBytes: 500 * MB }],
    });
  const nodes = [nodeInfo(withImage('a')), nodeInfo(withImage('b')), nodeInfo(node('c'))];
  // Image states as the cache builds them: 2 of 3 nodes hold it.
  for (const ni of nodes.slice(0, 2))
    ni.imageStates = new Map([['nginx:1.25', { size: 500 * MB, numNodes: 2 }]]);
  const handle = { snapshot: Snapshot.of(nodes) } as unknown as Handle;
  const pl = ImageLocality.New(undefined, handle);

  it('scores the size spread over the nodes holding it, between 23 MiB and 1000 MiB per container', () => {
    // 500 MiB * 2/3 = 349525333; 100 * (349525333 - 23 MiB) / (1000 MiB - 23 MiB) = 31.76 -> 31
    expect(scores(pl, pod('p', { image: 'nginx:1.25' }), nodes).raw).toEqual([31, 31, 0]);
    expect(scores(pl, pod('p', { image: 'redis' }), nodes).raw).toEqual([0, 0, 0]);
  });

  // Go's Container.Image is a string, so upstream reads `image: null` as "" (no image state
  // matches it); there is no upstream case, only this consequence to keep.
  it('scores a container with image: null as holding nothing', () => {
    const p = pod('p');
    const nullImage = {
      ...p,
      spec: { ...p.spec, containers: [{ name: 'c', image: null as unknown as string }] },
    };
    expect(scores(pl, nullImage, nodes).raw).toEqual([0, 0, 0]);
  });

  it('normalizes image names like upstream', () => {
    expect(ImageLocality.calculatePriority(2000 * MB, 1)).toBe(100);
    expect(ImageLocality.calculatePriority(10 * MB, 1)).toBe(0);
  });
});
