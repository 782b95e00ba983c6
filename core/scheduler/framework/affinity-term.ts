/**
 * Parsed pod (anti-)affinity terms (pkg/scheduler/framework/types.go AffinityTerm,
 * newAffinityTerm, getNamespacesFromPodAffinityTerm).
 */
import type { LabelSelector } from '../../api/meta-types.ts';
import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from '../../api/pod-types.ts';
import {
  isSelectorError,
  labelSelectorAsMatcher,
  NOTHING,
  type LabelMatcher,
  type Labels,
} from '../../api/selectors.ts';

export interface AffinityTerm {
  /** Namespaces named by the term; the pod's own when neither namespaces nor a selector is set. */
  readonly namespaces: ReadonlySet<string>;
  readonly selector: LabelMatcher;
  readonly topologyKey: string;
  /** NOTHING when absent; `{}` selects every namespace. */
  readonly namespaceSelector: LabelMatcher;
}

export interface WeightedAffinityTerm extends AffinityTerm {
  readonly weight: number;
}

/** Thrown (and caught by PodInfo) when a stored selector does not parse. */
export class TermParseError extends Error {}

function matcher(sel: LabelSelector | undefined): LabelMatcher {
  if (sel === undefined) return NOTHING;
  const m = labelSelectorAsMatcher(sel);
  if (isSelectorError(m)) throw new TermParseError(m.message);
  return m;
}

export function newAffinityTerm(pod: Pod, term: PodAffinityTerm): AffinityTerm {
  const ns = pod.metadata.namespace ?? 'default';
  const namespaces =
    (term.namespaces ?? []).length === 0 && term.namespaceSelector === undefined
      ? new Set([ns])
      : new Set(term.namespaces ?? []);
  return {
    namespaces,
    selector: matcher(term.labelSelector),
    topologyKey: term.topologyKey,
    namespaceSelector: matcher(term.namespaceSelector),
  };
}

export function newAffinityTerms(
  pod: Pod,
  terms: readonly PodAffinityTerm[] | undefined,
): AffinityTerm[] {
  return (terms ?? []).map((t) => newAffinityTerm(pod, t));
}

export function newWeightedAffinityTerms(
  pod: Pod,
  terms: readonly WeightedPodAffinityTerm[] | undefined,
): WeightedAffinityTerm[] {
  return (terms ?? []).map((t) => ({
    ...newAffinityTerm(pod, t.podAffinityTerm),
    weight: t.weight,
  }));
}

/** AffinityTerm.Matches: the pod's namespace is named or selected, and its labels match. */
export function termMatches(
  term: AffinityTerm,
  podNamespace: string,
  podLabels: Labels,
  nsLabels: Labels,
): boolean {
  if (term.namespaces.has(podNamespace) || term.namespaceSelector.matches(nsLabels))
    return term.selector.matches(podLabels);
  return false;
}
