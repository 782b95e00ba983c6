/**
 * InterPodAffinity's preferred terms (interpodaffinity/scoring.go). PreScore sums, per
 * topology pair, the weights of:
 * - the incoming pod's preferred (anti-)affinity terms each existing pod matches (+/-);
 * - existing pods' required affinity terms the incoming pod matches (x hardPodAffinityWeight);
 * - existing pods' preferred (anti-)affinity terms the incoming pod matches (+/-).
 * A node scores the sum over its labels; NormalizeScore maps [min, max] onto [0, 100].
 */
import type { Labels } from '../../../api/selectors.ts';
import {
  termMatches,
  type AffinityTerm,
  type WeightedAffinityTerm,
} from '../../framework/affinity-term.ts';
import { MAX_NODE_SCORE } from '../../framework/interface.ts';
import type { ClusterListers } from '../../framework/listers.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import type { InterPodAffinityArgs } from './args.ts';
import {
  cacheable,
  ExistingTermsAggregate,
  plainMatcher,
  termKey,
  type PodCountCache,
} from './term-cache.ts';
import { TopologyCounts } from './topology-counts.ts';

/** Scores `factor` times `sums[value of topologyKey]` on each node. */
export interface ScoreLayer {
  readonly topologyKey: string;
  /** Non-zero sums only; may be a live cache map, read only during this cycle. */
  readonly sums: ReadonlyMap<string, number>;
  readonly factor: number;
}

/**
 * The topology score as layers whose sum is upstream's topologyScore map: adding the cached
 * per-term maps together every cycle would cost as much as the walk they replace.
 */
export class PreScoreState {
  constructor(readonly layers: readonly ScoreLayer[]) {}
}

function layersOf(m: TopologyCounts): ScoreLayer[] {
  return [...m.byKey].map(([topologyKey, sums]) => ({ topologyKey, sums, factor: 1 }));
}

/** Would the layers added together hold no non-zero pair (everything cancelled out)? */
function sumIsEmpty(layers: readonly ScoreLayer[]): boolean {
  for (const l of layers) {
    for (const [v, n] of l.sums) {
      let total = n * l.factor;
      for (const o of layers)
        if (o !== l && o.topologyKey === l.topologyKey) total += (o.sums.get(v) ?? 0) * o.factor;
      if (total !== 0) return false;
    }
  }
  return true;
}

function processTerm(
  m: TopologyCounts,
  term: AffinityTerm,
  weight: number,
  pod: PodInfo,
  nsLabels: Labels,
  nodeLabels: Labels,
  multiplier: number,
): void {
  if (nodeLabels === undefined || !Object.hasOwn(nodeLabels, term.topologyKey)) return;
  if (!termMatches(term, pod.namespace, pod.labels, nsLabels)) return;
  m.add(term.topologyKey, nodeLabels[term.topologyKey] as string, weight * multiplier);
}

function processTerms(
  m: TopologyCounts,
  terms: readonly WeightedAffinityTerm[],
  pod: PodInfo,
  nsLabels: Labels,
  nodeLabels: Labels,
  multiplier: number,
): void {
  for (const t of terms) processTerm(m, t, t.weight, pod, nsLabels, nodeLabels, multiplier);
}

/** Cross-cycle aggregates for PreScore (see term-cache.ts); one per plugin instance. */
export class ScoreCaches {
  readonly existing: ExistingTermsAggregate;
  constructor(
    args: InterPodAffinityArgs,
    readonly counts: PodCountCache,
  ) {
    const hard = args.hardPodAffinityWeight;
    this.existing = new ExistingTermsAggregate(
      (p, emit) => {
        if (hard > 0) for (const t of p.requiredAffinityTerms) emit(t, hard);
        for (const t of p.preferredAffinityTerms) emit(t, t.weight);
        for (const t of p.preferredAntiAffinityTerms) emit(t, -t.weight);
      },
      (ni) => ni.podsWithAffinity,
    );
  }
}

/** undefined when nothing can contribute (PreScore returns Skip). */
export function calPreScoreState(
  pod: PodInfo,
  args: InterPodAffinityArgs,
  listers: ClusterListers,
  allNodes: readonly NodeInfo[],
  nodesWithAffinityPods: readonly NodeInfo[],
  caches?: ScoreCaches,
): PreScoreState | undefined {
  const hasConstraints =
    pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
  if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return undefined;
  const nsLabels = listers.namespaceLabels(pod.namespace);
  const m = new TopologyCounts();
  if (caches === undefined) {
    const nodes = hasConstraints ? allNodes : nodesWithAffinityPods;
    for (const ni of nodes) {
      const nodeLabels = ni.labels;
      if (nodeLabels === undefined || Object.keys(nodeLabels).length === 0) continue;
      for (const existing of hasConstraints ? ni.pods : ni.podsWithAffinity) {
        const existingNs = listers.namespaceLabels(existing.namespace);
        processTerms(m, pod.preferredAffinityTerms, existing, existingNs, nodeLabels, 1);
        processTerms(m, pod.preferredAntiAffinityTerms, existing, existingNs, nodeLabels, -1);
        if (args.hardPodAffinityWeight > 0)
          for (const t of existing.requiredAffinityTerms)
            processTerm(m, t, args.hardPodAffinityWeight, pod, nsLabels, nodeLabels, 1);
        processTerms(m, existing.preferredAffinityTerms, pod, nsLabels, nodeLabels, 1);
        processTerms(m, existing.preferredAntiAffinityTerms, pod, nsLabels, nodeLabels, -1);
      }
    }
  } else {
    // The incoming pod's terms: matching pods per topology value, times the term's weight.
    const walk: [WeightedAffinityTerm, number][] = [];
    const layers: ScoreLayer[] = [];
    const incoming = (terms: readonly WeightedAffinityTerm[], sign: number): void => {
      for (const t of terms) {
        if (!cacheable(t)) {
          walk.push([t, sign]);
          continue;
        }
        const agg = caches.counts.get(
          `one\0${termKey(t)}`,
          t.topologyKey,
          plainMatcher(t),
          allNodes,
        );
        const factor = t.weight * sign;
        if (agg.sums.size > 0 && factor !== 0)
          layers.push({ topologyKey: t.topologyKey, sums: agg.sums, factor });
      }
    };
    incoming(pod.preferredAffinityTerms, 1);
    incoming(pod.preferredAntiAffinityTerms, -1);
    if (walk.length > 0)
      for (const ni of allNodes) {
        const nodeLabels = ni.labels;
        if (nodeLabels === undefined) continue;
        for (const existing of ni.pods) {
          const existingNs = listers.namespaceLabels(existing.namespace);
          for (const [t, sign] of walk)
            processTerm(m, t, t.weight, existing, existingNs, nodeLabels, sign);
        }
      }
    // Existing pods' terms the incoming pod matches.
    // No such pods anywhere: nothing to add (the aggregate catches up when it next refreshes).
    if (nodesWithAffinityPods.length > 0) {
      caches.existing.refresh(allNodes);
      for (const e of caches.existing.matching(pod, nsLabels))
        layers.push({ topologyKey: e.topologyKey, sums: e.sums, factor: 1 });
    }
    layers.push(...layersOf(m));
    return sumIsEmpty(layers) ? undefined : new PreScoreState(layers);
  }
  // Upstream skips scoring when no term matched anywhere; pairs that cancel out to 0 score
  // every node 0 either way, so an empty map can skip too.
  return m.isEmpty ? undefined : new PreScoreState(layersOf(m));
}

export function scoreNode(s: PreScoreState, ni: NodeInfo): number {
  const labels = ni.labels;
  if (labels === undefined) return 0;
  let score = 0;
  for (const l of s.layers)
    if (Object.hasOwn(labels, l.topologyKey))
      score += (l.sums.get(labels[l.topologyKey] as string) ?? 0) * l.factor;
  return score;
}

export function normalize(s: PreScoreState, scores: number[]): void {
  if (s.layers.length === 0) return;
  let min = Infinity;
  let max = -Infinity;
  for (const sc of scores) {
    if (sc > max) max = sc;
    if (sc < min) min = sc;
  }
  const diff = max - min;
  for (let i = 0; i < scores.length; i++)
    scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * (((scores[i] as number) - min) / diff)) : 0;
}
