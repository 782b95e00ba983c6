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
import { TopologyCounts } from './topology-counts.ts';

export class PreScoreState {
  constructor(readonly topologyScore: TopologyCounts) {}
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

/** undefined when nothing can contribute (PreScore returns Skip). */
export function calPreScoreState(
  pod: PodInfo,
  args: InterPodAffinityArgs,
  listers: ClusterListers,
  allNodes: readonly NodeInfo[],
  nodesWithAffinityPods: readonly NodeInfo[],
): PreScoreState | undefined {
  const hasConstraints =
    pod.preferredAffinityTerms.length > 0 || pod.preferredAntiAffinityTerms.length > 0;
  if (args.ignorePreferredTermsOfExistingPods && !hasConstraints) return undefined;
  const nodes = hasConstraints ? allNodes : nodesWithAffinityPods;
  const nsLabels = listers.namespaceLabels(pod.namespace);
  const m = new TopologyCounts();
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
  // Upstream skips scoring when no term matched anywhere; pairs that cancel out to 0 score
  // every node 0 either way, so an empty map can skip too.
  return m.isEmpty ? undefined : new PreScoreState(m);
}

export function scoreNode(s: PreScoreState, ni: NodeInfo): number {
  const labels = ni.labels;
  if (labels === undefined) return 0;
  let score = 0;
  for (const [key, values] of s.topologyScore.byKey)
    if (Object.hasOwn(labels, key)) score += values.get(labels[key] as string) ?? 0;
  return score;
}

export function normalize(s: PreScoreState, scores: number[]): void {
  if (s.topologyScore.isEmpty) return;
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
