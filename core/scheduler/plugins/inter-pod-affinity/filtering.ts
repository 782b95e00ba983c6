/**
 * InterPodAffinity's required terms (interpodaffinity/filtering.go). PreFilter counts, per
 * topology pair:
 * - existing pods whose required anti-affinity matches the incoming pod (symmetry);
 * - existing pods matching all of the incoming pod's required affinity terms;
 * - existing pods matching each of the incoming pod's required anti-affinity terms.
 * Filter then only looks the node's labels up in these counts.
 */
import type { Node } from '../../../api/node-types.ts';
import type { Labels } from '../../../api/selectors.ts';
import { termMatches, type AffinityTerm } from '../../framework/affinity-term.ts';
import type { ClusterListers } from '../../framework/listers.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import {
  cacheable,
  ExistingTermsAggregate,
  plainMatcher,
  termKey,
  type PodCountCache,
} from './term-cache.ts';
import { TopologyCounts } from './topology-counts.ts';

export class PreFilterState {
  constructor(
    readonly podInfo: PodInfo,
    readonly namespaceLabels: Labels,
    readonly existingAntiAffinityCounts: TopologyCounts,
    readonly affinityCounts: TopologyCounts,
    readonly antiAffinityCounts: TopologyCounts,
    private readonly listers: ClusterListers,
  ) {}

  clone(): PreFilterState {
    return new PreFilterState(
      this.podInfo,
      this.namespaceLabels,
      this.existingAntiAffinityCounts.clone(),
      this.affinityCounts.clone(),
      this.antiAffinityCounts.clone(),
      this.listers,
    );
  }

  /** AddPod (multiplier 1) / RemovePod (-1) of `other` on `node`. */
  updateWithPod(other: PodInfo, node: Node | undefined, multiplier: number): void {
    if (node === undefined) return;
    const labels = node.metadata.labels;
    addAntiAffinity(
      this.existingAntiAffinityCounts,
      other.requiredAntiAffinityTerms,
      this.podInfo,
      this.namespaceLabels,
      labels,
      multiplier,
    );
    addAffinity(
      this.affinityCounts,
      this.podInfo.requiredAffinityTerms,
      other,
      this.listers.namespaceLabels(other.namespace),
      labels,
      multiplier,
    );
    addAntiAffinity(
      this.antiAffinityCounts,
      this.podInfo.requiredAntiAffinityTerms,
      other,
      this.listers.namespaceLabels(other.namespace),
      labels,
      multiplier,
    );
  }
}

export function podMatchesAllAffinityTerms(
  terms: readonly AffinityTerm[],
  pod: PodInfo,
  nsLabels: Labels,
): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatches(t, pod.namespace, pod.labels, nsLabels)) return false;
  return true;
}

/** updateWithAffinityTerms: counted only when `target` matches every term. */
function addAffinity(
  m: TopologyCounts,
  terms: readonly AffinityTerm[],
  target: PodInfo,
  targetNsLabels: Labels,
  nodeLabels: Labels,
  value: number,
): void {
  if (nodeLabels === undefined || !podMatchesAllAffinityTerms(terms, target, targetNsLabels))
    return;
  for (const t of terms)
    if (Object.hasOwn(nodeLabels, t.topologyKey))
      m.add(t.topologyKey, nodeLabels[t.topologyKey] as string, value);
}

/** updateWithAntiAffinityTerms: each term `target` matches counts on its own. */
function addAntiAffinity(
  m: TopologyCounts,
  terms: readonly AffinityTerm[],
  target: PodInfo,
  targetNsLabels: Labels,
  nodeLabels: Labels,
  value: number,
): void {
  if (nodeLabels === undefined) return;
  for (const t of terms)
    if (
      termMatches(t, target.namespace, target.labels, targetNsLabels) &&
      Object.hasOwn(nodeLabels, t.topologyKey)
    )
      m.add(t.topologyKey, nodeLabels[t.topologyKey] as string, value);
}

/** Cross-cycle aggregates for PreFilter (see term-cache.ts); one per plugin instance. */
export class FilterCaches {
  readonly existingAnti = new ExistingTermsAggregate(
    (p, emit) => {
      for (const t of p.requiredAntiAffinityTerms) emit(t, 1);
    },
    (ni) => ni.podsWithRequiredAntiAffinity,
  );
  constructor(readonly counts: PodCountCache) {}
}

export function calPreFilterState(
  pod: PodInfo,
  listers: ClusterListers,
  allNodes: readonly NodeInfo[],
  nodesWithRequiredAntiAffinityPods: readonly NodeInfo[],
  caches?: FilterCaches,
): PreFilterState {
  const nsLabels = listers.namespaceLabels(pod.namespace);
  const existing = new TopologyCounts();
  if (caches !== undefined) {
    // No such pods anywhere: nothing to add (the aggregate catches up when it next refreshes).
    if (nodesWithRequiredAntiAffinityPods.length > 0) {
      caches.existingAnti.refresh(allNodes);
      caches.existingAnti.addMatching(existing, pod, nsLabels, 1);
    }
  } else
    for (const ni of nodesWithRequiredAntiAffinityPods)
      for (const other of ni.podsWithRequiredAntiAffinity)
        addAntiAffinity(existing, other.requiredAntiAffinityTerms, pod, nsLabels, ni.labels, 1);
  const affinity = new TopologyCounts();
  const anti = new TopologyCounts();
  if (caches === undefined) {
    if (pod.requiredAffinityTerms.length > 0 || pod.requiredAntiAffinityTerms.length > 0)
      walkIncoming(pod, listers, allNodes, affinity, anti, true, pod.requiredAntiAffinityTerms);
    return new PreFilterState(pod, nsLabels, existing, affinity, anti, listers);
  }
  const affTerms = pod.requiredAffinityTerms;
  const affCached = affTerms.length > 0 && affTerms.every(cacheable);
  if (affCached) {
    const allKey = `all\0${affTerms.map(termKey).join('\u0003')}`;
    const matchers = affTerms.map(plainMatcher);
    const matchesAll = (p: PodInfo): boolean => {
      for (const m of matchers) if (!m(p)) return false;
      return true;
    };
    for (const t of affTerms) {
      const agg = caches.counts.get(
        `${allKey}\u0004${t.topologyKey}`,
        t.topologyKey,
        matchesAll,
        allNodes,
      );
      affinity.addAll(t.topologyKey, agg.sums, 1);
    }
  }
  const antiWalk: AffinityTerm[] = [];
  for (const t of pod.requiredAntiAffinityTerms) {
    if (!cacheable(t)) {
      antiWalk.push(t);
      continue;
    }
    const agg = caches.counts.get(`one\0${termKey(t)}`, t.topologyKey, plainMatcher(t), allNodes);
    anti.addAll(t.topologyKey, agg.sums, 1);
  }
  const affWalk = affTerms.length > 0 && !affCached;
  if (affWalk || antiWalk.length > 0)
    walkIncoming(pod, listers, allNodes, affinity, anti, affWalk, antiWalk);
  return new PreFilterState(pod, nsLabels, existing, affinity, anti, listers);
}

function walkIncoming(
  pod: PodInfo,
  listers: ClusterListers,
  allNodes: readonly NodeInfo[],
  affinity: TopologyCounts,
  anti: TopologyCounts,
  withAffinity: boolean,
  antiTerms: readonly AffinityTerm[],
): void {
  for (const ni of allNodes)
    for (const other of ni.pods) {
      const otherNs = listers.namespaceLabels(other.namespace);
      if (withAffinity)
        addAffinity(affinity, pod.requiredAffinityTerms, other, otherNs, ni.labels, 1);
      addAntiAffinity(anti, antiTerms, other, otherNs, ni.labels, 1);
    }
}

/**
 * Every affinity term's topology must exist on the node and hold a matching pod; or, for the
 * first pod of a group that selects itself, no pod anywhere matches yet.
 */
export function satisfyPodAffinity(s: PreFilterState, ni: NodeInfo): boolean {
  const labels = ni.labels;
  let podsExist = true;
  for (const t of s.podInfo.requiredAffinityTerms) {
    if (labels === undefined || !Object.hasOwn(labels, t.topologyKey)) return false;
    if (s.affinityCounts.get(t.topologyKey, labels[t.topologyKey] as string) <= 0)
      podsExist = false;
  }
  if (podsExist) return true;
  return (
    s.affinityCounts.isEmpty &&
    podMatchesAllAffinityTerms(s.podInfo.requiredAffinityTerms, s.podInfo, s.namespaceLabels)
  );
}

export function satisfyPodAntiAffinity(s: PreFilterState, ni: NodeInfo): boolean {
  const labels = ni.labels;
  if (labels === undefined) return true;
  for (const t of s.podInfo.requiredAntiAffinityTerms) {
    if (!Object.hasOwn(labels, t.topologyKey)) continue;
    if (s.antiAffinityCounts.get(t.topologyKey, labels[t.topologyKey] as string) > 0) return false;
  }
  return true;
}

export function satisfyExistingPodsAntiAffinity(s: PreFilterState, ni: NodeInfo): boolean {
  return (
    s.existingAntiAffinityCounts.isEmpty || !s.existingAntiAffinityCounts.anyPositiveFor(ni.labels)
  );
}
