/**
 * Tables after pkg/controller/daemon/daemon_controller_test.go (TestNodeShouldRunDaemonPod),
 * util/daemonset_util_test.go and update_test.go (case names in each row).
 */
import { describe, expect, it } from 'vitest';
import type { DaemonSet } from '../../../core/api/kinds/daemon-set.ts';
import type { Node, Taint } from '../../../core/api/node-types.ts';
import type { Affinity, Pod, PodSpec } from '../../../core/api/pod-types.ts';
import {
  maxUnavailableOf,
  planNodes,
  podsByNode,
  planRollingUpdate,
} from '../../../core/controllers/daemon/daemon-set-plan.ts';
import {
  daemonPodTolerations,
  nodeNameAffinity,
  nodeShouldRunDaemonPod,
  targetNodeName,
} from '../../../core/controllers/daemon/daemon-set-util.ts';

function ds(spec: Partial<PodSpec> = {}, extra: Partial<DaemonSet['spec']> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: {
        metadata: { labels: { app: 'agent' } },
        spec: { containers: [{ name: 'c', image: 'i' }], ...spec },
      },
      ...extra,
    },
  };
}

function node(
  name: string,
  labels: Record<string, string> = {},
  taints: Taint[] = [],
  unschedulable = false,
): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels },
    spec: { ...(taints.length ? { taints } : {}), ...(unschedulable ? { unschedulable } : {}) },
    status: {},
  } as Node;
}

describe('NodeShouldRunDaemonPod (TestNodeShouldRunDaemonPod)', () => {
  it.each([
    ['simple', ds(), node('n'), true, true],
    [
      'nodeSelector matches',
      ds({ nodeSelector: { disk: 'ssd' } }),
      node('n', { disk: 'ssd' }),
      true,
      true,
    ],
    ['nodeSelector does not match', ds({ nodeSelector: { disk: 'ssd' } }), node('n'), false, false],
    ['template nodeName is another node', ds({ nodeName: 'other' }), node('n'), false, false],
    ['template nodeName is this node', ds({ nodeName: 'n' }), node('n'), true, true],
    [
      'required node affinity does not match',
      ds({
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
              ],
            },
          },
        },
      }),
      node('n', { zone: 'b' }),
      false,
      false,
    ],
    [
      'untolerated NoSchedule taint: keep running only',
      ds(),
      node('n', {}, [{ key: 'k', effect: 'NoSchedule' }]),
      false,
      true,
    ],
    [
      'untolerated NoExecute taint: neither',
      ds(),
      node('n', {}, [{ key: 'k', effect: 'NoExecute' }]),
      false,
      false,
    ],
    [
      'tolerated NoExecute taint',
      ds({ tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoExecute' }] }),
      node('n', {}, [{ key: 'k', effect: 'NoExecute' }]),
      true,
      true,
    ],
    [
      'not-ready node: tolerated by the daemon tolerations',
      ds(),
      node('n', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]),
      true,
      true,
    ],
    [
      'cordoned node',
      ds(),
      node('n', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }], true),
      true,
      true,
    ],
    [
      'PreferNoSchedule does not matter',
      ds(),
      node('n', {}, [{ key: 'k', effect: 'PreferNoSchedule' }]),
      true,
      true,
    ],
  ] as const)('%s', (_case, set, n, shouldRun, shouldContinueRunning) => {
    expect(nodeShouldRunDaemonPod(n, set)).toEqual({ shouldRun, shouldContinueRunning });
  });
});

describe('AddOrUpdateDaemonPodTolerations', () => {
  it('adds the not-ready/unreachable NoExecute and the pressure/unschedulable NoSchedule tolerations', () => {
    expect(daemonPodTolerations({ containers: [] }).map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
  });
  it('a host-network pod also tolerates network-unavailable', () => {
    const keys = daemonPodTolerations({ containers: [], hostNetwork: true }).map((t) => t.key);
    expect(keys).toContain('node.kubernetes.io/network-unavailable');
  });
  it("replaces a user's bounded toleration of not-ready rather than adding a second", () => {
    const t = daemonPodTolerations({
      containers: [],
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 10,
        },
      ],
    });
    const notReady = t.filter((x) => x.key === 'node.kubernetes.io/not-ready');
    expect(notReady).toEqual([
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ]);
  });
});

describe('ReplaceDaemonSetPodNodeNameNodeAffinity (TestReplaceDaemonSetPodNodeNameNodeAffinity)', () => {
  const byName = { key: 'metadata.name', operator: 'In', values: ['n1'] };
  const expr = { key: 'zone', operator: 'In', values: ['a'] } as const;
  it.each<[string, Affinity | undefined, unknown]>([
    ['nil affinity', undefined, [{ matchFields: [byName] }]],
    [
      'keeps label expressions, replaces match fields',
      {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              {
                matchExpressions: [expr],
                matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }],
              },
            ],
          },
        },
      },
      [{ matchExpressions: [expr], matchFields: [byName] }],
    ],
    ['empty required terms', { nodeAffinity: {} }, [{ matchFields: [byName] }]],
  ])('%s', (_case, affinity, terms) => {
    const out = nodeNameAffinity(affinity, 'n1');
    expect(
      out.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).toEqual(terms);
    expect(
      targetNodeName({ metadata: {}, spec: { containers: [], affinity: out } } as unknown as Pod),
    ).toBe('n1');
  });
});

function pod(
  name: string,
  nodeName: string,
  hash: string,
  ready: boolean,
  created = '2026-01-01T00:00:00Z',
): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, creationTimestamp: created, labels: { 'controller-revision-hash': hash } },
    spec: { nodeName, containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  } as Pod;
}

describe('manage: podsShouldBeOnNode', () => {
  it('creates on nodes without a pod, keeps the oldest of two, deletes where it may not run', () => {
    const set = ds({ nodeSelector: { run: 'yes' } });
    const nodes = [
      node('a', { run: 'yes' }),
      node('b', { run: 'yes' }),
      node('c', { run: 'yes' }),
      node('d'),
    ];
    const pods = [
      pod('b-old', 'b', 'h', true, '2026-01-01T00:00:00Z'),
      pod('b-new', 'b', 'h', true, '2026-01-01T00:00:05Z'),
      pod('c-1', 'c', 'h', true),
      pod('d-1', 'd', 'h', true),
    ];
    const plan = planNodes(set, nodes, podsByNode(pods), 'h', 0);
    expect(plan.create).toEqual(['a']);
    expect(plan.delete.map((p) => p.metadata.name).sort()).toEqual(['b-new', 'd-1']);
  });
});

describe('manage with maxSurge: two pods on a node while the new one comes up', () => {
  const set = ds(
    {},
    {
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    },
  );
  const nodes = [node('a')];
  const later = '2026-01-01T00:00:05Z';
  it.each([
    ['old ready, new not ready: both stay', true, false, []],
    ['old not ready: it goes', false, false, ['old']],
    ['new available: the old one goes', true, true, ['old']],
  ] as const)('%s', (_case, oldReady, newReady, want) => {
    const pods = [pod('old', 'a', 'h0', oldReady), pod('new', 'a', 'h1', newReady, later)];
    const plan = planNodes(set, nodes, podsByNode(pods), 'h1', 0);
    expect(plan.delete.map((p) => p.metadata.name)).toEqual(want);
    expect(plan.create).toEqual([]);
  });
  it('without surge the younger pod goes whatever its revision', () => {
    const pods = [pod('old', 'a', 'h0', true), pod('new', 'a', 'h1', false, later)];
    expect(
      planNodes(ds(), nodes, podsByNode(pods), 'h1', 0).delete.map((p) => p.metadata.name),
    ).toEqual(['new']);
  });
});

describe('rollingUpdate with maxSurge (TestDaemonSetUpdatesPodsWithMaxSurge, TestUpdateWithSurge)', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  const surging = (maxSurge: number | string) =>
    ds(
      {},
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable: 0 } } },
    );
  const names = (plan: { delete: readonly Pod[]; create: readonly string[] }) => ({
    delete: plan.delete.map((p) => p.metadata.name),
    create: plan.create,
  });
  it('creates up to maxSurge updated pods beside available old ones, deleting nothing', () => {
    const pods = nodes.map((n) =>
      pod(`old-${n.metadata.name}`, n.metadata.name ?? '', 'old', true),
    );
    expect(names(planRollingUpdate(surging(1), nodes, podsByNode(pods), 'new', 0))).toEqual({
      delete: [],
      create: ['a'],
    });
    expect(names(planRollingUpdate(surging('50%'), nodes, podsByNode(pods), 'new', 0))).toEqual({
      delete: [],
      create: ['a', 'b'],
    });
  });
  it('waits while a surged pod is not available, then deletes the old pod and surges on', () => {
    const base = ['b', 'c', 'd'].map((n) => pod(`old-${n}`, n, 'old', true));
    const waiting = [pod('old-a', 'a', 'old', true), pod('new-a', 'a', 'new', false), ...base];
    expect(names(planRollingUpdate(surging(1), nodes, podsByNode(waiting), 'new', 0))).toEqual({
      delete: [],
      create: [],
    });
    const ready = [pod('old-a', 'a', 'old', true), pod('new-a', 'a', 'new', true), ...base];
    expect(names(planRollingUpdate(surging(1), nodes, podsByNode(ready), 'new', 0))).toEqual({
      delete: ['old-a'],
      create: ['b'],
    });
  });
  it('replaces an unavailable old pod at once, beyond maxSurge', () => {
    const pods = [
      pod('old-a', 'a', 'old', true),
      pod('old-b', 'b', 'old', false),
      pod('old-c', 'c', 'old', true),
      pod('old-d', 'd', 'old', true),
    ];
    expect(names(planRollingUpdate(surging(1), nodes, podsByNode(pods), 'new', 0))).toEqual({
      delete: [],
      create: ['b', 'a'],
    });
  });
  it('keeps a pod on a node the set left until enough pods elsewhere are available', () => {
    const set = ds(
      { nodeSelector: { run: 'yes' } },
      {
        updateStrategy: {
          type: 'RollingUpdate',
          rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
        },
      },
    );
    const labelled = [node('a'), node('b', { run: 'yes' })];
    const moving = [pod('old-a', 'a', 'new', true), pod('old-a2', 'a', 'old', true)];
    // a holds an updated and an old pod but may no longer run one; b has none yet.
    expect(names(planRollingUpdate(set, labelled, podsByNode(moving), 'new', 0)).delete).toEqual([
      'old-a2',
    ]);
    const leftBehind = [pod('old-a', 'a', 'old', true)];
    expect(names(planRollingUpdate(set, labelled, podsByNode(leftBehind), 'new', 0))).toEqual({
      delete: [],
      create: [],
    });
    const arrived = [pod('old-a', 'a', 'old', true), pod('new-b', 'b', 'new', true)];
    expect(names(planRollingUpdate(set, labelled, podsByNode(arrived), 'new', 0))).toEqual({
      delete: ['old-a'],
      create: [],
    });
  });
});

describe('rollingUpdate (TestDaemonSetUpdatesPods, TestGetUnavailableNumbers)', () => {
  const nodes = ['a', 'b', 'c', 'd'].map((n) => node(n));
  it.each([
    ['maxUnavailable 1: one old pod at a time', 1, [true, true, true, true], ['a']],
    ['maxUnavailable 2', 2, [true, true, true, true], ['a', 'b']],
    ['25% of 4 rounds up to 1', '25%', [true, true, true, true], ['a']],
    ['an unavailable old pod is replaced regardless', 1, [true, false, true, true], ['b', 'a']],
  ] as const)('%s', (_case, maxUnavailable, ready, want) => {
    const set = ds(
      {},
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable } } },
    );
    const pods = nodes.map((n, i) =>
      pod(`p-${n.metadata.name}`, n.metadata.name ?? '', 'old', ready[i] ?? true),
    );
    const plan = planRollingUpdate(set, nodes, podsByNode(pods), 'new', 0);
    expect(plan.delete.map((p) => p.spec.nodeName)).toEqual(want);
    expect(plan.create).toEqual([]);
  });
  it('an updated pod not yet available uses up the budget', () => {
    const set = ds(
      {},
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
    );
    const pods = [
      pod('p-a', 'a', 'new', false),
      pod('p-b', 'b', 'old', true),
      pod('p-c', 'c', 'old', true),
      pod('p-d', 'd', 'old', true),
    ];
    expect(planRollingUpdate(set, nodes, podsByNode(pods), 'new', 0)).toEqual({
      delete: [],
      create: [],
    });
  });
  it.each([
    ['both zero: one', 0, 0, 10, 1],
    ['percent rounds up', '10%', 0, 15, 2],
    ['number', 3, 0, 10, 3],
  ] as const)('maxUnavailable %s', (_case, maxUnavailable, maxSurge, desired, want) => {
    const set = ds(
      {},
      { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge } } },
    );
    expect(maxUnavailableOf(set, desired)).toBe(want);
  });
});
