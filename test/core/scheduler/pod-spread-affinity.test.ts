/** PodTopologySpread and InterPodAffinity: filters with reasons, hand-checked scores. */
import { describe, expect, it } from 'vitest';
import type {
  Pod,
  PodAffinityTerm,
  TopologySpreadConstraint,
} from '../../../core/api/pod-types.ts';
import { Snapshot } from '../../../core/scheduler/cache/snapshot.ts';
import { CycleState } from '../../../core/scheduler/framework/cycle-state.ts';
import type { Handle } from '../../../core/scheduler/framework/handle.ts';
import {
  EMPTY_CLUSTER_LISTERS,
  type ClusterListers,
} from '../../../core/scheduler/framework/listers.ts';
import type { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { SKIP, type MaybeStatus } from '../../../core/scheduler/framework/status.ts';
import * as IPA from '../../../core/scheduler/plugins/inter-pod-affinity/index.ts';
import * as PTS from '../../../core/scheduler/plugins/pod-topology-spread/index.ts';
import { node, nodeInfo, pod } from './fixtures.ts';

function handleFor(nodes: NodeInfo[], listers: ClusterListers = EMPTY_CLUSTER_LISTERS): Handle {
  return { snapshot: Snapshot.of(nodes), listers } as unknown as Handle;
}

interface Plugin {
  preFilter(s: CycleState, p: ReturnType<typeof podInfoOf>): unknown;
  filter(s: CycleState, p: ReturnType<typeof podInfoOf>, n: NodeInfo): MaybeStatus;
  preScore(s: CycleState, p: ReturnType<typeof podInfoOf>, n: readonly NodeInfo[]): MaybeStatus;
  score(s: CycleState, p: ReturnType<typeof podInfoOf>, n: NodeInfo): number;
  normalizeScore(
    s: CycleState,
    p: ReturnType<typeof podInfoOf>,
    n: readonly NodeInfo[],
    scores: number[],
  ): MaybeStatus;
}

function filterAll(pl: Plugin, p: Pod, nodes: NodeInfo[]): string[] {
  const state = new CycleState();
  const pi = podInfoOf(p);
  if (pl.preFilter(state, pi) === SKIP) return nodes.map(() => 'skip');
  return nodes.map((n) => {
    const s = pl.filter(state, pi, n);
    return s === undefined ? 'ok' : s.message();
  });
}

function scoreAll(
  pl: Plugin,
  p: Pod,
  nodes: NodeInfo[],
): { raw: number[]; normalized: number[] } | 'skip' {
  const state = new CycleState();
  const pi = podInfoOf(p);
  if (pl.preScore(state, pi, nodes) === SKIP) return 'skip';
  const raw = nodes.map((n) => pl.score(state, pi, n));
  const normalized = [...raw];
  pl.normalizeScore(state, pi, nodes, normalized);
  return { raw, normalized };
}

const web = { app: 'web' };
const zoned = (name: string, zone: string) =>
  node(name, { labels: { 'topology.kubernetes.io/zone': zone } });
const webPod = (name: string, nodeName: string) => pod(name, { labels: web, nodeName });
const spread = (over: Partial<TopologySpreadConstraint>): TopologySpreadConstraint => ({
  maxSkew: 1,
  topologyKey: 'topology.kubernetes.io/zone',
  whenUnsatisfiable: 'DoNotSchedule',
  labelSelector: { matchLabels: web },
  ...over,
});

describe('PodTopologySpread filter', () => {
  // z1: n1 (1 web pod); z2: n2 (1), n3 (1) -> zone counts z1 = 1, z2 = 2.
  const nodes = () => [
    nodeInfo(zoned('n1', 'z1'), [webPod('a', 'n1')]),
    nodeInfo(zoned('n2', 'z2'), [webPod('b', 'n2')]),
    nodeInfo(zoned('n3', 'z2'), [webPod('c', 'n3')]),
  ];

  it('matches + self - global min <= maxSkew', () => {
    const ns = nodes();
    const pl = PTS.New(undefined, handleFor(ns));
    // z1: 1 + 1 - 1 = 1 ok; z2: 2 + 1 - 1 = 2 > 1
    expect(
      filterAll(
        pl,
        pod('p', { labels: web, spec: { topologySpreadConstraints: [spread({})] } }),
        ns,
      ),
    ).toEqual([
      'ok',
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
    ]);
    // A pod that does not match its own selector does not add itself: z2 2 - 1 = 1 ok.
    expect(
      filterAll(
        pl,
        pod('q', { labels: { app: 'other' }, spec: { topologySpreadConstraints: [spread({})] } }),
        ns,
      ),
    ).toEqual(['ok', 'ok', 'ok']);
  });

  it('minDomains above the domain count makes the global minimum 0', () => {
    const ns = nodes();
    const pl = PTS.New(undefined, handleFor(ns));
    // z1: 1 + 1 - 0 = 2 > 1 as well.
    expect(
      filterAll(
        pl,
        pod('p', { labels: web, spec: { topologySpreadConstraints: [spread({ minDomains: 3 })] } }),
        ns,
      ),
    ).toEqual([
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
      "node(s) didn't match pod topology spread constraints",
    ]);
  });

  it('a node without the topology label is unresolvable', () => {
    const ns = [...nodes(), nodeInfo(node('bare'))];
    const pl = PTS.New(undefined, handleFor(ns));
    const r = filterAll(
      pl,
      pod('p', { labels: web, spec: { topologySpreadConstraints: [spread({})] } }),
      ns,
    );
    expect(r[3]).toBe(
      "node(s) didn't match pod topology spread constraints (missing required label)",
    );
  });

  it('nodeAffinityPolicy Honor ignores nodes the pod cannot use when counting', () => {
    // Honor: only z2 nodes count (the pod's nodeSelector) -> domains {z2: 2}, global min 2.
    const ns = nodes();
    const pl = PTS.New(undefined, handleFor(ns));
    const p = pod('p', {
      labels: web,
      spec: {
        nodeSelector: { 'topology.kubernetes.io/zone': 'z2' },
        topologySpreadConstraints: [spread({})],
      },
    });
    // z1 is not a domain: 0 + 1 - 2 <= 1; z2: 2 + 1 - 2 = 1 <= 1. (NodeAffinity rejects z1 itself.)
    expect(filterAll(pl, p, ns)).toEqual(['ok', 'ok', 'ok']);
    const ignore = pod('p', {
      labels: web,
      spec: {
        nodeSelector: { 'topology.kubernetes.io/zone': 'z2' },
        topologySpreadConstraints: [spread({ nodeAffinityPolicy: 'Ignore' })],
      },
    });
    // Ignore: z1 = 1 counts, so z2: 2 + 1 - 1 = 2 > 1.
    expect(filterAll(pl, ignore, ns)[1]).toBe(
      "node(s) didn't match pod topology spread constraints",
    );
  });

  // The node-inclusion policy uses NodeAffinity's matcher (common.go, nodeaffinity.go
  // GetRequiredNodeAffinity), so the invalid-value case of node_affinity_test.go TestNodeAffinity
  // ("Pod with an invalid value in Affinity term won't be scheduled onto the node") holds here
  // too: no node is counted, so no domain exceeds the skew.
  it('a node-affinity term with an invalid value includes no node when counting', () => {
    const ns = nodes();
    const pl = PTS.New(undefined, handleFor(ns));
    const p = pod('p', {
      labels: web,
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    {
                      key: 'topology.kubernetes.io/zone',
                      operator: 'NotIn',
                      values: ['invalid value: ___@#$%^'],
                    },
                  ],
                },
              ],
            },
          },
        },
        topologySpreadConstraints: [spread({})],
      },
    });
    // Were the term to match every node, z2 would be 2 + 1 - 1 = 2 > 1 as in the first case.
    expect(filterAll(pl, p, ns)).toEqual(['ok', 'ok', 'ok']);
  });

  it('skips pods without hard constraints', () => {
    const ns = nodes();
    expect(filterAll(PTS.New(undefined, handleFor(ns)), pod('p'), ns)).toEqual([
      'skip',
      'skip',
      'skip',
    ]);
  });
});

describe('PodTopologySpread scoring', () => {
  it('weights counts by log(domains + 2) and normalizes fewer matches higher', () => {
    const ns = [
      nodeInfo(zoned('n1', 'z1'), [webPod('a', 'n1')]),
      nodeInfo(zoned('n2', 'z2'), [webPod('b', 'n2')]),
      nodeInfo(zoned('n3', 'z2'), [webPod('c', 'n3')]),
    ];
    const pl = PTS.New(undefined, handleFor(ns));
    const p = pod('p', {
      labels: web,
      spec: { topologySpreadConstraints: [spread({ whenUnsatisfiable: 'ScheduleAnyway' })] },
    });
    // weight ln(2 + 2) = 1.386; n1: 1 * 1.386 = 1.39 -> 1; n2, n3: 2 * 1.386 = 2.77 -> 3
    // normalized: 100 * (3 + 1 - s) / 3 -> 100, 33, 33
    expect(scoreAll(pl, p, ns)).toEqual({ raw: [1, 3, 3], normalized: [100, 33, 33] });
  });

  it('uses the system default constraints over the owners selector', () => {
    const ns = [
      nodeInfo(zoned('n1', 'z1'), [webPod('a', 'n1'), webPod('b', 'n1')]),
      nodeInfo(zoned('n2', 'z2')),
    ];
    const listers: ClusterListers = {
      ...EMPTY_CLUSTER_LISTERS,
      defaultSelectors: () => [{ matchLabels: web }],
    };
    const pl = PTS.New(undefined, handleFor(ns, listers));
    // hostname (maxSkew 3, weight ln(2 + 2)): n1 2 * 1.386 + 2 = 4.77, n2 2
    // zone (maxSkew 5, weight ln(2 + 2)): n1 2 * 1.386 + 4 = 6.77, n2 4
    // n1: 11.545 -> 12, n2: 6; normalized: 100 * (12 + 6 - s) / 12 -> 50, 100
    expect(scoreAll(pl, pod('p', { labels: web }), ns)).toEqual({
      raw: [12, 6],
      normalized: [50, 100],
    });
    // Without owners there is nothing to spread.
    expect(scoreAll(PTS.New(undefined, handleFor(ns)), pod('p', { labels: web }), ns)).toBe('skip');
  });
});

const term = (
  labels: Record<string, string>,
  topologyKey = 'kubernetes.io/hostname',
): PodAffinityTerm => ({
  labelSelector: { matchLabels: labels },
  topologyKey,
});

describe('InterPodAffinity filter', () => {
  const nodes = () => [
    nodeInfo(zoned('n1', 'z1'), [pod('db', { labels: { app: 'db' }, nodeName: 'n1' })]),
    nodeInfo(zoned('n2', 'z1')),
    nodeInfo(zoned('n3', 'z2')),
  ];

  it('required anti-affinity of the incoming pod', () => {
    const ns = nodes();
    const p = pod('p', {
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'db' })],
          },
        },
      },
    });
    expect(filterAll(IPA.New(undefined, handleFor(ns)), p, ns)).toEqual([
      "node(s) didn't match pod anti-affinity rules",
      'ok',
      'ok',
    ]);
    const zoneWide = pod('p', {
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: 'db' }, 'topology.kubernetes.io/zone'),
            ],
          },
        },
      },
    });
    expect(filterAll(IPA.New(undefined, handleFor(ns)), zoneWide, ns)).toEqual([
      "node(s) didn't match pod anti-affinity rules",
      "node(s) didn't match pod anti-affinity rules",
      'ok',
    ]);
  });

  it("existing pods' anti-affinity (symmetry)", () => {
    const guard = pod('guard', {
      nodeName: 'n2',
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: 'web' }, 'topology.kubernetes.io/zone'),
            ],
          },
        },
      },
    });
    const ns = [
      nodeInfo(zoned('n1', 'z1')),
      nodeInfo(zoned('n2', 'z1'), [guard]),
      nodeInfo(zoned('n3', 'z2')),
    ];
    expect(filterAll(IPA.New(undefined, handleFor(ns)), pod('w', { labels: web }), ns)).toEqual([
      "node(s) didn't satisfy existing pods anti-affinity rules",
      "node(s) didn't satisfy existing pods anti-affinity rules",
      'ok',
    ]);
  });

  it('required affinity, and the first pod of a self-affine group', () => {
    const ns = nodes();
    const toDb = pod('p', {
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: 'db' }, 'topology.kubernetes.io/zone'),
            ],
          },
        },
      },
    });
    expect(filterAll(IPA.New(undefined, handleFor(ns)), toDb, ns)).toEqual([
      'ok',
      'ok',
      "node(s) didn't match pod affinity rules",
    ]);
    const first = pod('c', {
      labels: { app: 'cache' },
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'cache' })] },
        },
      },
    });
    expect(filterAll(IPA.New(undefined, handleFor(ns)), first, ns)).toEqual(['ok', 'ok', 'ok']);
    const stranger = pod('s', {
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term({ app: 'cache' })] },
        },
      },
    });
    expect(filterAll(IPA.New(undefined, handleFor(ns)), stranger, ns)).toEqual([
      "node(s) didn't match pod affinity rules",
      "node(s) didn't match pod affinity rules",
      "node(s) didn't match pod affinity rules",
    ]);
  });

  // filtering_test.go TestRequiredAffinitySingleNode "PodAffinity fails PreFilter with an invalid
  // affinity label syntax" and "PodAntiAffinity fails PreFilter with an invalid antiaffinity
  // label syntax" (both put the bad value in a required affinity term).
  const BAD_VALUE = `values[0][service]: Invalid value: "{{.bad-value.}}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`;
  const inTerm = (values: string[], topologyKey: string): PodAffinityTerm => ({
    labelSelector: { matchExpressions: [{ key: 'service', operator: 'In', values }] },
    topologyKey,
  });
  it.each([
    [
      'bad value in the first term',
      [inTerm(['{{.bad-value.}}'], 'region'), inTerm(['a', 'b'], 'node')],
    ],
    [
      'bad value in the second term',
      [inTerm(['foo'], 'region'), inTerm(['{{.bad-value.}}'], 'node')],
    ],
  ])('an unparsable selector is unresolvable at PreFilter: %s', (_name, terms) => {
    const ns = nodes();
    const pl = IPA.New(undefined, handleFor(ns));
    const p = pod('p', {
      labels: web,
      spec: {
        affinity: { podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: terms } },
      },
    });
    const s = pl.preFilter(new CycleState(), podInfoOf(p));
    expect(s?.code).toBe('UnschedulableAndUnresolvable');
    expect(s?.message()).toBe(`parsing pod: requiredAffinityTerms: ${BAD_VALUE}`);
  });

  it('names every group whose selector does not parse', () => {
    const bad = inTerm(['{{.bad-value.}}'], 'node');
    const p = pod('p', {
      spec: {
        affinity: {
          podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [bad] },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, podAffinityTerm: bad }],
          },
        },
      },
    });
    expect(podInfoOf(p).parseError).toBe(
      `parsing pod: [requiredAffinityTerms: ${BAD_VALUE}, preferredAntiAffinityTerms: ${BAD_VALUE}]`,
    );
  });

  it('skips pods without required terms when no existing pod has anti-affinity', () => {
    const ns = nodes();
    expect(filterAll(IPA.New(undefined, handleFor(ns)), pod('p'), ns)).toEqual([
      'skip',
      'skip',
      'skip',
    ]);
  });
});

describe('InterPodAffinity scoring', () => {
  it('sums preferred weights per topology and maps [min, max] to [0, 100]', () => {
    const ns = [
      nodeInfo(zoned('n1', 'z1'), [pod('cache', { labels: { app: 'cache' }, nodeName: 'n1' })]),
      nodeInfo(zoned('n2', 'z1')),
      nodeInfo(zoned('n3', 'z2'), [pod('db', { labels: { app: 'db' }, nodeName: 'n3' })]),
      nodeInfo(zoned('n4', 'z3')),
    ];
    const p = pod('p', {
      spec: {
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 10,
                podAffinityTerm: term({ app: 'cache' }, 'topology.kubernetes.io/zone'),
              },
            ],
          },
          podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 4, podAffinityTerm: term({ app: 'db' }, 'topology.kubernetes.io/zone') },
            ],
          },
        },
      },
    });
    // z1: +10, z2: -4, z3: 0 -> min -4, max 10: n1, n2 100; n3 0; n4 100 * 4 / 14 = 28
    expect(scoreAll(IPA.New(undefined, handleFor(ns)), p, ns)).toEqual({
      raw: [10, 10, -4, 0],
      normalized: [100, 100, 0, 28],
    });
  });

  it("counts existing pods' required affinity with hardPodAffinityWeight", () => {
    const needsWeb = pod('x', {
      nodeName: 'n1',
      spec: {
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              term({ app: 'web' }, 'topology.kubernetes.io/zone'),
            ],
          },
        },
      },
    });
    const ns = [nodeInfo(zoned('n1', 'z1'), [needsWeb]), nodeInfo(zoned('n2', 'z2'))];
    expect(
      scoreAll(
        IPA.New(
          { hardPodAffinityWeight: 5, ignorePreferredTermsOfExistingPods: false },
          handleFor(ns),
        ),
        pod('w', { labels: web }),
        ns,
      ),
    ).toEqual({
      raw: [5, 0],
      normalized: [100, 0],
    });
    expect(
      scoreAll(
        IPA.New(
          { hardPodAffinityWeight: 5, ignorePreferredTermsOfExistingPods: true },
          handleFor(ns),
        ),
        pod('w', { labels: web }),
        ns,
      ),
    ).toBe('skip');
  });
});
