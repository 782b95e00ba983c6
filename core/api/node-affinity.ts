/**
 * Node-side matching helpers shared by the scheduler, the kubelet's admission and the node
 * lifecycle controller:
 * - taint toleration (staging/src/k8s.io/api/core/v1/toleration.go ToleratesTaint);
 * - node selectors and required node affinity
 *   (staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go).
 */
import type { Node, Taint } from './node-types.ts';
import type {
  NodeSelector,
  NodeSelectorRequirement,
  NodeSelectorTerm,
  Pod,
  Toleration,
} from './pod-types.ts';
import {
  matcherFromRequirements,
  selectorFromSet,
  type LabelMatcher,
  type Operator,
  type Requirement,
  validateRequirement,
} from './selectors.ts';

export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

export function taintToleratedBy(
  taint: Taint,
  tolerations: readonly Toleration[] | undefined,
): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint (with an effect accepted by `filter`) that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: (t: Taint) => boolean = () => true,
): Taint | undefined {
  return (taints ?? []).find((taint) => filter(taint) && !taintToleratedBy(taint, tolerations));
}

const OPS: Readonly<Record<string, Operator>> = {
  In: 'in',
  NotIn: 'notin',
  Exists: 'exists',
  DoesNotExist: '!',
  Gt: 'gt',
  Lt: 'lt',
};

/**
 * undefined for a requirement upstream would reject, which then makes its term match nothing.
 * Label expressions also go through labels.NewRequirement's checks (nodeaffinity.go
 * nodeSelectorRequirementsAsSelector), so `NotIn: ["a b"]` fails the term rather than matching
 * every node; field expressions (metadata.name) are not label values and skip them.
 */
function toLabelRequirement(r: NodeSelectorRequirement): Requirement | undefined {
  const req = toRequirement(r);
  return req === undefined || validateRequirement(req).length > 0 ? undefined : req;
}

function toRequirement(r: NodeSelectorRequirement): Requirement | undefined {
  const operator = Object.hasOwn(OPS, r.operator) ? OPS[r.operator] : undefined;
  if (operator === undefined) return undefined;
  const values = r.values ?? [];
  const n = values.length;
  if ((operator === 'in' || operator === 'notin') && n === 0) return undefined;
  if ((operator === 'exists' || operator === '!') && n !== 0) return undefined;
  if (
    (operator === 'gt' || operator === 'lt') &&
    (n !== 1 || !/^[+-]?[0-9]+$/.test(values[0] ?? ''))
  )
    return undefined;
  return { key: r.key, operator, values };
}

interface CompiledTerm {
  readonly labels: LabelMatcher;
  readonly fields: LabelMatcher;
}

function compileTerm(term: NodeSelectorTerm): CompiledTerm | undefined {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // An empty term selects no nodes.
  if (exprs.length === 0 && fields.length === 0) return undefined;
  const labelReqs = exprs.map(toLabelRequirement);
  const fieldReqs = fields.map((f) =>
    f.key === 'metadata.name' &&
    (f.operator === 'In' || f.operator === 'NotIn') &&
    f.values?.length === 1
      ? toRequirement(f)
      : undefined,
  );
  if (labelReqs.includes(undefined) || fieldReqs.includes(undefined)) return undefined;
  return {
    labels: matcherFromRequirements(labelReqs as Requirement[]),
    fields: matcherFromRequirements(fieldReqs as Requirement[]),
  };
}

export interface NodeSelectorMatcher {
  matches(node: Node): boolean;
}

const compiled = new WeakMap<NodeSelector, NodeSelectorMatcher>();

/** Terms are ORed; within a term expressions and fields are ANDed. Memoised per selector object. */
export function nodeSelectorMatcher(sel: NodeSelector): NodeSelectorMatcher {
  let m = compiled.get(sel);
  if (m === undefined) {
    const terms = (sel.nodeSelectorTerms ?? [])
      .map(compileTerm)
      .filter((t): t is CompiledTerm => t !== undefined);
    m = {
      matches: (node) => {
        const fieldSet = { 'metadata.name': node.metadata.name ?? '' };
        return terms.some(
          (t) => t.labels.matches(node.metadata.labels) && t.fields.matches(fieldSet),
        );
      },
    };
    compiled.set(sel, m);
  }
  return m;
}

/** GetRequiredNodeAffinity(pod).Match(node): spec.nodeSelector AND required node affinity. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const ns = pod.spec.nodeSelector;
  if (ns !== undefined && !selectorFromSet(ns).matches(node.metadata.labels)) return false;
  const required = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return required === undefined || nodeSelectorMatcher(required).matches(node);
}
