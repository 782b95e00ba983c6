/**
 * PodTopologySpread's hard constraints (podtopologyspread/filtering.go): PreFilter counts
 * matching pods per topology domain over the eligible nodes; Filter accepts a node when
 * `matches in its domain + (1 if the pod matches itself) - global minimum <= maxSkew`, the
 * global minimum being 0 while fewer than minDomains domains exist.
 */
import type { Node } from '../../../api/node-types.ts';
import type { StateData } from '../../framework/cycle-state.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { requiredNodeAffinity } from '../node-affinity/node-affinity.ts';
import {
  countKey,
  countOnNode,
  labelOf,
  matchNodeInclusionPolicies,
  nodeLabelsMatchSpreadConstraints,
  type Constraint,
} from './common.ts';
import { admission, type DomainCache } from './domain-cache.ts';

interface CriticalPath {
  value: string | undefined;
  num: number;
}

/**
 * The two domains with the fewest matches (filtering.go criticalPaths): [0] is always the
 * minimum; [1] is not necessarily the second minimum, which suffices because preemption only
 * removes pods from one node at a time.
 */
export class CriticalPaths {
  readonly p: [CriticalPath, CriticalPath] = [
    { value: undefined, num: Number.MAX_SAFE_INTEGER },
    { value: undefined, num: Number.MAX_SAFE_INTEGER },
  ];

  update(value: string, num: number): void {
    const [a, b] = this.p;
    const existing = value === a.value ? a : value === b.value ? b : undefined;
    if (existing !== undefined) {
      existing.num = num;
      if (this.p[0].num > this.p[1].num) this.p.reverse();
      return;
    }
    if (num < a.num) {
      this.p[1] = { ...a };
      this.p[0] = { value, num };
    } else if (num < b.num) {
      this.p[1] = { value, num };
    }
  }

  clone(): CriticalPaths {
    const c = new CriticalPaths();
    c.p[0] = { ...this.p[0] };
    c.p[1] = { ...this.p[1] };
    return c;
  }
}

export class PreFilterState implements StateData {
  constructor(
    readonly constraints: readonly Constraint[],
    /**
     * topologyKey -> domain value -> matching pods. An inner map may be a domain cache's own,
     * shared read-only: updateWithPod copies it before its first change (`owned`).
     */
    readonly matchNum: Map<string, Map<string, number>>,
    readonly criticalPaths: Map<string, CriticalPaths>,
    /** topologyKey -> number of eligible domains (does not change on AddPod/RemovePod). */
    readonly domainsNum: ReadonlyMap<string, number>,
    /**
     * 1 where the pod matches constraint i's selector itself (filtering.go's selfMatchNum),
     * worked out once per cycle rather than per node.
     */
    readonly selfMatch: readonly number[],
    /** Keys of matchNum whose inner map this state made, and so may change in place. */
    private readonly owned: Set<string>,
  ) {}

  clone(): PreFilterState {
    const m = new Map<string, Map<string, number>>();
    for (const [k, v] of this.matchNum) m.set(k, new Map(v));
    const cp = new Map<string, CriticalPaths>();
    for (const [k, v] of this.criticalPaths) cp.set(k, v.clone());
    return new PreFilterState(
      this.constraints,
      m,
      cp,
      this.domainsNum,
      this.selfMatch,
      new Set(m.keys()),
    );
  }

  minMatchNum(c: Constraint): number {
    const paths = this.criticalPaths.get(c.topologyKey);
    if (paths === undefined) return 0;
    // Fewer eligible domains than minDomains: the global minimum counts as 0.
    if ((this.domainsNum.get(c.topologyKey) ?? 0) < c.minDomains) return 0;
    return paths.p[0].num;
  }

  /** AddPod/RemovePod: `updated` appears on or leaves `node`. */
  updateWithPod(updated: PodInfo, preemptor: PodInfo, node: Node | undefined, delta: number): void {
    if (node === undefined || updated.namespace !== preemptor.namespace) return;
    if (!nodeLabelsMatchSpreadConstraints(node.metadata.labels, this.constraints)) return;
    const required = requiredNodeAffinity(preemptor.pod);
    for (const c of this.constraints) {
      if (!c.selector.matches(updated.labels)) continue;
      if (!matchNodeInclusionPolicies(c, preemptor.pod, node, required)) continue;
      const v = labelOf(node.metadata.labels, c.topologyKey) as string;
      let byValue = this.matchNum.get(c.topologyKey);
      if (byValue === undefined || !this.owned.has(c.topologyKey)) {
        byValue = new Map(byValue);
        this.matchNum.set(c.topologyKey, byValue);
        this.owned.add(c.topologyKey);
      }
      const n = (byValue.get(v) ?? 0) + delta;
      byValue.set(v, n);
      this.criticalPaths.get(c.topologyKey)?.update(v, n);
    }
  }
}

export function calPreFilterState(
  pod: PodInfo,
  constraints: readonly Constraint[],
  allNodes: readonly NodeInfo[],
  cache?: DomainCache,
): PreFilterState {
  const matchNum = new Map<string, Map<string, number>>();
  /** Keys whose map is a cache's own, read-only: copied before a second constraint adds to it. */
  const shared = new Set<string>();
  const required = requiredNodeAffinity(pod.pod);
  const keys = constraints.map((c) => countKey(c.selector, pod.namespace));
  if (cache !== undefined && constraints.length > 0) {
    // The counts are the cached per-domain sums over the nodes each constraint admits.
    const requiredKeys = [...new Set(constraints.map((c) => c.topologyKey))].sort();
    const suffix = requiredKeys.join('\0');
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i] as Constraint;
      const agg = cache.get(
        `${keys[i] as string}\u0001${c.topologyKey}\u0001${suffix}`,
        c.topologyKey,
        requiredKeys,
        c.selector,
        pod.namespace,
        admission(c, pod.pod, required),
        allNodes,
      );
      if (agg.domains.size === 0) continue;
      let byValue = matchNum.get(c.topologyKey);
      if (byValue === undefined) {
        // The cache's map, shared for this cycle: nothing changes it before the next PreFilter.
        matchNum.set(c.topologyKey, agg.counts);
        shared.add(c.topologyKey);
        continue;
      }
      if (shared.delete(c.topologyKey)) {
        byValue = new Map(byValue);
        matchNum.set(c.topologyKey, byValue);
      }
      for (const [v, n] of agg.counts) byValue.set(v, (byValue.get(v) ?? 0) + n);
    }
  } else
    for (const ni of allNodes) {
      const node = ni.node;
      if (node === undefined || !nodeLabelsMatchSpreadConstraints(ni.labels, constraints)) continue;
      for (let i = 0; i < constraints.length; i++) {
        const c = constraints[i] as Constraint;
        if (!matchNodeInclusionPolicies(c, pod.pod, node, required)) continue;
        const v = labelOf(ni.labels, c.topologyKey) as string;
        let byValue = matchNum.get(c.topologyKey);
        if (byValue === undefined) {
          byValue = new Map();
          matchNum.set(c.topologyKey, byValue);
        }
        byValue.set(
          v,
          (byValue.get(v) ?? 0) + countOnNode(ni, c.selector, pod.namespace, keys[i] as string),
        );
      }
    }
  const domainsNum = new Map<string, number>();
  const criticalPaths = new Map<string, CriticalPaths>();
  for (const c of constraints) criticalPaths.set(c.topologyKey, new CriticalPaths());
  for (const [key, byValue] of matchNum) {
    domainsNum.set(key, byValue.size);
    const paths = criticalPaths.get(key) as CriticalPaths;
    for (const [v, n] of byValue) paths.update(v, n);
  }
  const owned = new Set([...matchNum.keys()].filter((k) => !shared.has(k)));
  const selfMatch = constraints.map((c) => (c.selector.matches(pod.labels) ? 1 : 0));
  return new PreFilterState(constraints, matchNum, criticalPaths, domainsNum, selfMatch, owned);
}

export type FilterVerdict = 'ok' | 'missingLabel' | 'skew';

/** Filter for the pod the state was made for (its selfMatch is the pod's). */
export function filterNode(s: PreFilterState, ni: NodeInfo): FilterVerdict {
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i] as Constraint;
    const v = labelOf(ni.labels, c.topologyKey);
    if (v === undefined) return 'missingLabel';
    const matches = s.matchNum.get(c.topologyKey)?.get(v) ?? 0;
    if (matches + (s.selfMatch[i] as number) - s.minMatchNum(c) > c.maxSkew) return 'skew';
  }
  return 'ok';
}
