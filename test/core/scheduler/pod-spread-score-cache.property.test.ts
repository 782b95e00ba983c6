/**
 * PodTopologySpread's PreScore reads per-domain counts from the domain cache, over the nodes
 * each constraint's inclusion policies admit. The cached sums must equal the node-by-node
 * count scoring.go does, over random clusters (nodes without the topology label, with an empty
 * one, tainted, pods of other namespaces) and after the cluster changes between cycles.
 */
import { fc, test } from '@fast-check/vitest';
import { expect } from 'vitest';
import type { Pod, TopologySpreadConstraint } from '../../../core/api/pod-types.ts';
import { NodeInfo } from '../../../core/scheduler/framework/node-info.ts';
import { podInfoOf } from '../../../core/scheduler/framework/pod-info.ts';
import { filterConstraints } from '../../../core/scheduler/plugins/pod-topology-spread/common.ts';
import { DomainCache } from '../../../core/scheduler/plugins/pod-topology-spread/domain-cache.ts';
import { calPreFilterState } from '../../../core/scheduler/plugins/pod-topology-spread/filtering.ts';
import { calPreScoreState } from '../../../core/scheduler/plugins/pod-topology-spread/scoring.ts';
import { node, pod } from './fixtures.ts';

const ZONE = 'topology.kubernetes.io/zone';
const RACK = 'example.com/rack';

const nodeArb = fc.record({
  zone: fc.constantFrom<string | undefined>(undefined, '', 'z1', 'z2', 'z3'),
  rack: fc.constantFrom<string | undefined>(undefined, 'r1', 'r2'),
  tainted: fc.boolean(),
  disk: fc.constantFrom('ssd', 'hdd'),
  pods: fc.array(
    fc.record({ app: fc.constantFrom('web', 'db'), ns: fc.constantFrom('default', 'other') }),
    { maxLength: 4 },
  ),
});

const constraintArb = fc.record({
  maxSkew: fc.integer({ min: 1, max: 3 }),
  topologyKey: fc.constantFrom(ZONE, RACK, 'kubernetes.io/hostname'),
  affinity: fc.constantFrom<'Honor' | 'Ignore' | undefined>(undefined, 'Honor', 'Ignore'),
  taints: fc.constantFrom<'Honor' | 'Ignore' | undefined>(undefined, 'Honor', 'Ignore'),
});

type NodeSpec = ReturnType<typeof nodeArb.generate>['value'];

function buildNode(i: number, spec: NodeSpec, extraPods: number): NodeInfo {
  const labels: Record<string, string> = { disk: spec.disk };
  if (spec.zone !== undefined) labels[ZONE] = spec.zone;
  if (spec.rack !== undefined) labels[RACK] = spec.rack;
  const name = `n${i}`;
  const ni = new NodeInfo(name);
  ni.setNode(
    node(name, {
      labels,
      ...(spec.tainted ? { taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] } : {}),
    }),
  );
  const pods = [...spec.pods, ...Array.from({ length: extraPods }, () => spec.pods[0])];
  pods.forEach((p, j) => {
    if (p === undefined) return;
    ni.addPod(podInfoOf(pod(`p${i}-${j}`, { ns: p.ns, labels: { app: p.app }, nodeName: name })));
  });
  return ni;
}

test.prop(
  [
    fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
    fc.array(constraintArb, { minLength: 1, maxLength: 3 }),
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.nat(), { maxLength: 4 }),
  ],
  { numRuns: 300 },
)(
  'cached per-domain counts equal the node-by-node count, cycle after cycle',
  (specs, cs, requireAll, withSelector, changes) => {
    const constraints: TopologySpreadConstraint[] = cs.map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { app: 'web' } },
      ...(c.affinity === undefined ? {} : { nodeAffinityPolicy: c.affinity }),
      ...(c.taints === undefined ? {} : { nodeTaintsPolicy: c.taints }),
    }));
    const incoming: Pod = pod('incoming', {
      labels: { app: 'web' },
      spec: {
        topologySpreadConstraints: constraints,
        ...(withSelector ? { nodeSelector: { disk: 'ssd' } } : {}),
      },
    });
    const pi = podInfoOf(incoming);
    const parsed = filterConstraints(constraints, pi.labels, 'ScheduleAnyway');
    const cache = new DomainCache();
    let nodes = specs.map((s, i) => buildNode(i, s, 0));
    // The same cache across cycles, the cluster changing in between (a node gains pods).
    for (const change of [undefined, ...changes]) {
      if (change !== undefined) {
        const i = change % nodes.length;
        nodes = nodes.map((ni, j) =>
          j === i ? buildNode(j, specs[j] as NodeSpec, 1 + (change % 3)) : ni,
        );
      }
      const filtered = nodes.filter((_, i) => i % 2 === 0 || nodes.length < 3);
      const plain = calPreScoreState(pi, parsed, filtered, nodes, requireAll);
      const cached = calPreScoreState(pi, parsed, filtered, nodes, requireAll, cache);
      expect(cached.counts.map((m) => [...m])).toEqual(plain.counts.map((m) => [...m]));
      expect(cached.weights).toEqual(plain.weights);
      expect([...cached.ignoredNodes]).toEqual([...plain.ignoredNodes]);
    }
  },
);

/**
 * PreFilter reads the same cache for hard constraints, whatever their inclusion policies: the
 * per-domain counts, domain numbers and global minimum must equal filtering.go's node-by-node
 * count. Pods that differ only in tolerations or node selector alternate on one cache, so an
 * aggregate built for one pod's admitted nodes is never read for another's.
 */
test.prop(
  [
    fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
    fc.array(constraintArb, { minLength: 1, maxLength: 3 }),
    fc.array(fc.record({ tolerates: fc.boolean(), ssd: fc.boolean() }), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.array(fc.nat(), { maxLength: 4 }),
  ],
  { numRuns: 300 },
)(
  'PreFilter: cached counts equal the node-by-node count for every policy and pod',
  (specs, cs, pods, changes) => {
    const constraints: TopologySpreadConstraint[] = cs.map((c) => ({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'web' } },
      ...(c.affinity === undefined ? {} : { nodeAffinityPolicy: c.affinity }),
      ...(c.taints === undefined ? {} : { nodeTaintsPolicy: c.taints }),
    }));
    const cache = new DomainCache();
    let nodes = specs.map((s, i) => buildNode(i, s, 0));
    const cycles = [undefined, ...changes];
    cycles.forEach((change, cycle) => {
      if (change !== undefined) {
        const i = change % nodes.length;
        nodes = nodes.map((ni, j) =>
          j === i ? buildNode(j, specs[j] as NodeSpec, 1 + (change % 3)) : ni,
        );
      }
      const p = pods[cycle % pods.length] as { tolerates: boolean; ssd: boolean };
      const pi = podInfoOf(
        pod(`incoming-${cycle}`, {
          labels: { app: 'web' },
          spec: {
            topologySpreadConstraints: constraints,
            ...(p.ssd ? { nodeSelector: { disk: 'ssd' } } : {}),
            ...(p.tolerates
              ? { tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }] }
              : {}),
          },
        }),
      );
      const parsed = filterConstraints(constraints, pi.labels, 'DoNotSchedule');
      const plain = calPreFilterState(pi, parsed, nodes);
      const cached = calPreFilterState(pi, parsed, nodes, cache);
      const sorted = (m: Map<string, Map<string, number>>): [string, [string, number][]][] =>
        [...m].map(([k, v]) => [k, [...v].sort()] as [string, [string, number][]]).sort();
      expect(sorted(cached.matchNum)).toEqual(sorted(plain.matchNum));
      expect([...cached.domainsNum].sort()).toEqual([...plain.domainsNum].sort());
      for (const c of parsed) expect(cached.minMatchNum(c)).toBe(plain.minMatchNum(c));
      // AddPod on the cycle's state (as with nominated pods) must not reach the cache.
      const first = nodes[0] as NodeInfo;
      const added = podInfoOf(
        pod(`added-${cycle}`, { labels: { app: 'web' }, nodeName: first.name }),
      );
      cached.updateWithPod(added, pi, first.node, 1);
      const again = calPreFilterState(pi, parsed, nodes, cache);
      expect(sorted(again.matchNum)).toEqual(sorted(plain.matchNum));
    });
  },
);
