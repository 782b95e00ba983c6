/**
 * Constraint parsing shared by PodTopologySpread's filter and score
 * (pkg/scheduler/framework/plugins/podtopologyspread/common.go).
 */
import type { Node } from '../../../api/node-types.ts';
import { findUntoleratedTaint } from '../../../api/node-affinity.ts';
import type { LabelSelector } from '../../../api/meta-types.ts';
import type {
  Pod,
  TopologySpreadConstraint,
  UnsatisfiableConstraintAction,
} from '../../../api/pod-types.ts';
import {
  isSelectorError,
  labelSelectorAsMatcher,
  matcherFromRequirements,
  type LabelMatcher,
  type Labels,
  type Requirement,
} from '../../../api/selectors.ts';
import type { ClusterListers } from '../../framework/listers.ts';
import type { NodeInfo } from '../../framework/node-info.ts';
import type { PodInfo } from '../../framework/pod-info.ts';
import { matchesRequired, type RequiredNodeAffinity } from '../node-affinity/node-affinity.ts';

export interface Constraint {
  readonly maxSkew: number;
  readonly topologyKey: string;
  readonly selector: LabelMatcher;
  readonly minDomains: number;
  readonly nodeAffinityPolicy: 'Honor' | 'Ignore';
  readonly nodeTaintsPolicy: 'Honor' | 'Ignore';
}

export class ConstraintError extends Error {}

function doNotSchedule(t: { effect: string }): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}

/** Is the node counted for this constraint (nodeAffinityPolicy / nodeTaintsPolicy)? */
export function matchNodeInclusionPolicies(
  c: Constraint,
  pod: Pod,
  node: Node,
  required: RequiredNodeAffinity,
): boolean {
  if (c.nodeAffinityPolicy === 'Honor' && !matchesRequired(required, node)) return false;
  if (
    c.nodeTaintsPolicy === 'Honor' &&
    findUntoleratedTaint(node.spec?.taints, pod.spec.tolerations, doNotSchedule) !== undefined
  )
    return false;
  return true;
}

/** filterTopologySpreadConstraints: the constraints with `action`, selectors parsed, matchLabelKeys merged. */
export function filterConstraints(
  constraints: readonly TopologySpreadConstraint[],
  podLabels: Labels,
  action: UnsatisfiableConstraintAction,
): Constraint[] {
  const out: Constraint[] = [];
  for (const c of constraints) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector = parse(c.labelSelector);
    const keys = c.matchLabelKeys ?? [];
    if (keys.length > 0 && podLabels !== undefined) {
      const extra: Requirement[] = [];
      for (const k of keys) {
        const v = podLabels[k];
        if (v !== undefined && Object.hasOwn(podLabels, k))
          extra.push({ key: k, operator: '=', values: [v] });
      }
      if (extra.length > 0)
        selector = matcherFromRequirements([...extra, ...selector.requirements]);
    }
    out.push({
      maxSkew: c.maxSkew,
      topologyKey: c.topologyKey,
      selector,
      minDomains: c.minDomains ?? 1,
      nodeAffinityPolicy: c.nodeAffinityPolicy ?? 'Honor',
      nodeTaintsPolicy: c.nodeTaintsPolicy ?? 'Ignore',
    });
  }
  return out;
}

function parse(sel: LabelSelector | undefined): LabelMatcher {
  const m = labelSelectorAsMatcher(sel);
  if (isSelectorError(m)) throw new ConstraintError(m.message);
  return m;
}

/**
 * buildDefaultConstraints: the profile's default constraints, all with the selector made of
 * the selectors of the pod's Services and controller (helper.DefaultSelector); none when
 * nothing selects the pod.
 */
export function buildDefaultConstraints(
  defaults: readonly TopologySpreadConstraint[],
  pod: PodInfo,
  listers: ClusterListers,
  action: UnsatisfiableConstraintAction,
): Constraint[] {
  const constraints = filterConstraints(defaults, pod.labels, action);
  if (constraints.length === 0) return [];
  const reqs: Requirement[] = [];
  for (const sel of listers.defaultSelectors(pod.pod)) {
    const m = labelSelectorAsMatcher(sel);
    if (!isSelectorError(m) && !m.nothing) reqs.push(...m.requirements);
  }
  if (reqs.length === 0) return [];
  const selector = matcherFromRequirements(reqs);
  return constraints.map((c) => ({ ...c, selector }));
}

export function nodeLabelsMatchSpreadConstraints(
  labels: Labels,
  constraints: readonly Constraint[],
): boolean {
  if (labels === undefined) return constraints.length === 0;
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
}

/**
 * countPodsMatchSelector over a node, memoised on the node per generation under `key`
 * (see countKey): unchanged nodes are not rescanned cycle after cycle.
 */
export function countOnNode(ni: NodeInfo, selector: LabelMatcher, ns: string, key: string): number {
  if (selector.empty || ni.pods.length === 0) return 0;
  return ni.derivedCount(key, (n) => countPodsMatchSelector(n.pods, selector, ns));
}

export function countKey(selector: LabelMatcher, ns: string): string {
  return `pts\0${ns}\0${selector.nothing ? '<nothing>' : selector.toString()}`;
}

/** Matching pods of the namespace, terminating ones excluded; an empty selector counts none. */
export function countPodsMatchSelector(
  pods: readonly PodInfo[],
  selector: LabelMatcher,
  ns: string,
): number {
  if (selector.empty) return 0;
  let n = 0;
  for (const p of pods) {
    if (p.namespace !== ns || p.pod.metadata.deletionTimestamp !== undefined) continue;
    if (selector.matches(p.labels)) n++;
  }
  return n;
}

export function labelOf(labels: Labels, key: string): string | undefined {
  if (labels === undefined || !Object.hasOwn(labels, key)) return undefined;
  return labels[key];
}
