/**
 * PodTopologySpread's soft constraints (podtopologyspread/scoring.go): a node scores the
 * matching pods in its domains, each constraint weighted by log(domains + 2) and offset by
 * maxSkew - 1; NormalizeScore turns fewer matches into higher scores:
 * 100 * (max + min - score) / max.
 */
import type { StateData } from '../../framework/cycle-state.ts';
import { MAX_NODE_SCORE } from '../../framework/interface.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { requiredNodeAffinity } from '../node-affinity/node-affinity.ts';
import { LABEL_HOSTNAME } from './args.ts';
import { admission, type DomainCache } from './domain-cache.ts';
import {
  countKey,
  countOnNode,
  labelOf,
  matchNodeInclusionPolicies,
  nodeLabelsMatchSpreadConstraints,
  type Constraint,
} from './common.ts';

export class PreScoreState implements StateData {
  constructor(
    readonly constraints: readonly Constraint[],
    /** Nodes missing a required topology label: scored 0. */
    readonly ignoredNodes: ReadonlySet<string>,
    /** Per constraint: domain value -> matching pods (hostname domains are counted in Score). */
    readonly counts: readonly Map<string, number>[],
    readonly weights: readonly number[],
    /** countKey of each constraint. */
    readonly keys: readonly string[],
  ) {}
}

/** log(size + 2): small topologies are not watered down by big ones. */
export function topologyNormalizingWeight(size: number): number {
  return Math.log(size + 2);
}

export function scoreForCount(cnt: number, maxSkew: number, weight: number): number {
  return cnt * weight + (maxSkew - 1);
}

export function calPreScoreState(
  pod: PodInfo,
  constraints: readonly Constraint[],
  filteredNodes: readonly NodeInfo[],
  allNodes: readonly NodeInfo[],
  requireAllTopologies: boolean,
  cache?: DomainCache,
): PreScoreState {
  const ignored = new Set<string>();
  const counts = constraints.map(() => new Map<string, number>());
  const sizes = constraints.map(() => 0);
  for (const ni of filteredNodes) {
    if (requireAllTopologies && !nodeLabelsMatchSpreadConstraints(ni.labels, constraints)) {
      ignored.add(ni.name);
      continue;
    }
    for (let i = 0; i < constraints.length; i++) {
      const c = constraints[i] as Constraint;
      if (c.topologyKey === LABEL_HOSTNAME) continue;
      const v = labelOf(ni.labels, c.topologyKey) ?? '';
      const m = counts[i] as Map<string, number>;
      if (!m.has(v)) {
        m.set(v, 0);
        sizes[i] = (sizes[i] as number) + 1;
      }
    }
  }
  const weights = constraints.map((c, i) =>
    topologyNormalizingWeight(
      c.topologyKey === LABEL_HOSTNAME ? filteredNodes.length - ignored.size : (sizes[i] as number),
    ),
  );
  const required = requiredNodeAffinity(pod.pod);
  const keys = constraints.map((c) => countKey(c.selector, pod.namespace));
  // Zone-like constraints read the cached per-domain sums over the nodes they admit;
  // hostname domains are counted per node in Score.
  const cached = constraints.map((c) => cache !== undefined && c.topologyKey !== LABEL_HOSTNAME);
  if (cached.includes(true)) {
    const requiredKeys = requireAllTopologies
      ? [...new Set(constraints.map((c) => c.topologyKey))].sort()
      : [];
    const suffix = requiredKeys.join('\0');
    for (let i = 0; i < constraints.length; i++) {
      if (cached[i] !== true) continue;
      const c = constraints[i] as Constraint;
      const m = counts[i] as Map<string, number>;
      if (m.size === 0) continue;
      const agg = (cache as DomainCache).get(
        `${keys[i] as string}\u0001${c.topologyKey}\u0001${suffix}`,
        c.topologyKey,
        requiredKeys,
        c.selector,
        pod.namespace,
        admission(c, pod.pod, required),
        allNodes,
      );
      for (const v of m.keys()) m.set(v, agg.counts.get(v) ?? 0);
    }
  }
  if (cached.includes(false)) {
    for (const ni of allNodes) {
      const node = ni.node;
      if (node === undefined) continue;
      if (requireAllTopologies && !nodeLabelsMatchSpreadConstraints(ni.labels, constraints))
        continue;
      for (let i = 0; i < constraints.length; i++) {
        if (cached[i] === true) continue;
        const c = constraints[i] as Constraint;
        // Hostname domains are counted per node in Score.
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        const m = counts[i] as Map<string, number>;
        const v = labelOf(ni.labels, c.topologyKey) ?? '';
        const cur = m.get(v);
        // Only domains of candidate nodes matter.
        if (cur === undefined) continue;
        if (!matchNodeInclusionPolicies(c, pod.pod, node, required)) continue;
        m.set(v, cur + countOnNode(ni, c.selector, pod.namespace, keys[i] as string));
      }
    }
  }
  return new PreScoreState(constraints, ignored, counts, weights, keys);
}

export function scoreNode(s: PreScoreState, pod: PodInfo, ni: NodeInfo): number {
  if (s.ignoredNodes.size > 0 && s.ignoredNodes.has(ni.name)) return 0;
  let score = 0;
  for (let i = 0; i < s.constraints.length; i++) {
    const c = s.constraints[i] as Constraint;
    const v = labelOf(ni.labels, c.topologyKey);
    if (v === undefined) continue;
    const cnt =
      c.topologyKey === LABEL_HOSTNAME
        ? countOnNode(ni, c.selector, pod.namespace, s.keys[i] as string)
        : ((s.counts[i] as Map<string, number>).get(v) ?? 0);
    score += scoreForCount(cnt, c.maxSkew, s.weights[i] as number);
  }
  return Math.round(score);
}

export function normalize(s: PreScoreState, nodes: readonly NodeInfo[], scores: number[]): void {
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  const invalid = -1;
  for (let i = 0; i < scores.length; i++) {
    if (s.ignoredNodes.has((nodes[i] as NodeInfo).name)) {
      scores[i] = invalid;
      continue;
    }
    const sc = scores[i] as number;
    if (sc < min) min = sc;
    if (sc > max) max = sc;
  }
  for (let i = 0; i < scores.length; i++) {
    const sc = scores[i] as number;
    if (sc === invalid) scores[i] = 0;
    else if (max === 0) scores[i] = MAX_NODE_SCORE;
    else scores[i] = Math.trunc((MAX_NODE_SCORE * (max + min - sc)) / max);
  }
}
