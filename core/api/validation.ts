/**
 * Create and update validation of the kinds without a file of their own (pods: pod-validation.ts);
 * each kind's definition (core/api/kinds) says which applies. Upstream sources:
 * pkg/apis/core/validation/validation.go (Node, Namespace, Event, Binding),
 * pkg/apis/apps/validation/validation.go (ReplicaSet),
 * pkg/apis/coordination/validation/validation.go (Lease).
 * Validation expects defaulted objects, as the API server validates after defaulting.
 */
import { isLabelValue, isQualifiedName, IS_NEGATIVE_ERROR } from './content-checks.ts';
import {
  asGoMap,
  child,
  fieldDuplicate as duplicate,
  fieldForbidden as forbidden,
  index,
  fieldInvalid as invalid,
  fieldNotSupported as notSupported,
  fieldRequired as required,
  type FieldError,
} from './field-error.ts';
import type { Binding, Event, Lease, Namespace } from './cluster-types.ts';
import {
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateImmutableField,
  validateLabels,
  validateLabelSelector,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './meta-validation.ts';
import type { Node } from './node-types.ts';
import {
  validatePodSpec,
  validateResourceList,
  STANDARD_NODE_RESOURCES,
  validateTaintEffect,
} from './pod-validation.ts';
import type { ReplicaSet } from './replica-set-types.ts';
import type { PodDisruptionBudget } from './policy-types.ts';
import { isSelectorError, labelSelectorAsMatcher } from './selectors.ts';
import type { ObjectMeta } from './meta-types.ts';

export function validateNode(node: Node): FieldError[] {
  const errs = validateObjectMeta(node.metadata, false, nameIsDNSSubdomain);
  const seen = new Set<string>();
  (node.spec?.taints ?? []).forEach((t, i) => {
    const p = index(child('spec', 'taints'), i);
    if (!t.key) errs.push(required(child(p, 'key'), ''));
    else for (const msg of isQualifiedName(t.key)) errs.push(invalid(child(p, 'key'), t.key, msg));
    for (const msg of isLabelValue(t.value ?? ''))
      errs.push(invalid(child(p, 'value'), t.value ?? '', msg));
    errs.push(...validateTaintEffect(t.effect, false, child(p, 'effect')));
    const pair = `${t.key}\u0000${t.effect}`;
    if (seen.has(pair)) errs.push(duplicate(p, t, 'taints must be unique by key and effect pair'));
    seen.add(pair);
  });
  errs.push(
    ...validateResourceList(
      node.status?.capacity,
      child('status', 'capacity'),
      STANDARD_NODE_RESOURCES,
    ),
  );
  errs.push(
    ...validateResourceList(
      node.status?.allocatable,
      child('status', 'allocatable'),
      STANDARD_NODE_RESOURCES,
    ),
  );
  return errs;
}

/** podCIDR and providerID may go from "" to a value once, never change after. */
export function validateNodeUpdate(n: Node, o: Node): FieldError[] {
  const errs = [...validateObjectMetaUpdate(n.metadata, o.metadata), ...validateNode(n)];
  for (const f of ['podCIDR', 'providerID'] as const) {
    const ov = o.spec?.[f];
    if (ov && ov !== n.spec?.[f]) {
      errs.push(
        forbidden(child('spec', f), `node updates may not change ${f} except from "" to valid`),
      );
    }
  }
  return errs;
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const errs = validateObjectMeta(rs.metadata, true, nameIsDNSSubdomain);
  const spec = rs.spec;
  const replicas = spec?.replicas ?? 0;
  if (replicas < 0) errs.push(invalid(child('spec', 'replicas'), replicas, IS_NEGATIVE_ERROR));
  if ((spec?.minReadySeconds ?? 0) < 0)
    errs.push(invalid(child('spec', 'minReadySeconds'), spec?.minReadySeconds, IS_NEGATIVE_ERROR));
  const selPath = child('spec', 'selector');
  const sel = spec?.selector;
  if (sel === undefined || sel === null) {
    errs.push(required(selPath, ''));
  } else {
    errs.push(...validateLabelSelector(sel, selPath));
    if (Object.keys(sel.matchLabels ?? {}).length + (sel.matchExpressions ?? []).length === 0) {
      errs.push(invalid(selPath, sel, 'empty selector is invalid for deployment'));
    }
  }
  const matcher = labelSelectorAsMatcher(sel);
  if (isSelectorError(matcher)) {
    errs.push(invalid(selPath, sel, 'invalid label selector'));
    return errs;
  }
  const tpl = spec?.template;
  const tplPath = child('spec', 'template');
  if (tpl === undefined) {
    errs.push(required(tplPath, ''));
    return errs;
  }
  const labels = tpl.metadata?.labels ?? {};
  if (!matcher.empty && !matcher.matches(labels)) {
    errs.push(
      invalid(
        child(child(tplPath, 'metadata'), 'labels'),
        asGoMap({ ...labels }),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validateLabels(tpl.metadata?.labels, child(child(tplPath, 'metadata'), 'labels')));
  errs.push(...validatePodSpec(tpl.spec, child(tplPath, 'spec')));
  const rp = tpl.spec?.restartPolicy;
  if (rp !== undefined && rp !== 'Always') {
    errs.push(notSupported(child(child(tplPath, 'spec'), 'restartPolicy'), rp, ['Always']));
  }
  if (tpl.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(
      invalid(
        child(child(tplPath, 'spec'), 'activeDeadlineSeconds'),
        tpl.spec.activeDeadlineSeconds,
        'activeDeadlineSeconds in ReplicaSet is not Supported',
      ),
    );
  }
  return errs;
}

export function validateReplicaSetUpdate(n: ReplicaSet, o: ReplicaSet): FieldError[] {
  return [
    ...validateObjectMetaUpdate(n.metadata, o.metadata),
    ...validateReplicaSet(n),
    // apps/v1 made the selector immutable (pkg/registry/apps/replicaset/strategy.go).
    ...validateImmutableField(n.spec?.selector, o.spec?.selector, child('spec', 'selector')),
  ];
}

export function validateLease(lease: Lease): FieldError[] {
  const errs = validateObjectMeta(lease.metadata, true, nameIsDNSSubdomain);
  const d = lease.spec?.leaseDurationSeconds;
  if (d !== undefined && d <= 0)
    errs.push(invalid(child('spec', 'leaseDurationSeconds'), d, 'must be greater than 0'));
  const t = lease.spec?.leaseTransitions;
  if (t !== undefined && t < 0)
    errs.push(invalid(child('spec', 'leaseTransitions'), t, IS_NEGATIVE_ERROR));
  return errs;
}

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs = validateObjectMeta(ns.metadata, false, nameIsDNSLabel);
  for (const f of ns.spec?.finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(invalid(child('spec', 'finalizers'), f, msg));
  }
  return errs;
}

export function validateEvent(ev: Event): FieldError[] {
  const errs = validateObjectMeta(ev.metadata, true, nameIsDNSSubdomain);
  const io = ev.involvedObject;
  if (io === undefined) {
    errs.push(required('involvedObject', ''));
    return errs;
  }
  // Events about cluster-scoped objects live in "default"; otherwise the namespaces must agree.
  if (io.namespace && io.namespace !== ev.metadata.namespace) {
    errs.push(
      invalid(child('involvedObject', 'namespace'), io.namespace, 'does not match event.namespace'),
    );
  }
  if (ev.type !== undefined && ev.type !== 'Normal' && ev.type !== 'Warning') {
    errs.push(notSupported('type', ev.type, ['Normal', 'Warning']));
  }
  return errs;
}

export function validateBinding(b: Binding): FieldError[] {
  const errs = validateObjectMeta(b.metadata, true, nameIsDNSSubdomain);
  if (b.target?.kind && b.target.kind !== 'Node') {
    errs.push(notSupported(child('target', 'kind'), b.target.kind, ['Node', '<empty>']));
  }
  if (!b.target?.name) errs.push(required(child('target', 'name'), ''));
  return errs;
}

/** pkg/apis/policy/validation: exactly one of minAvailable/maxUnavailable, each an int >= 0 or a percentage. */
export function validatePodDisruptionBudget(pdb: PodDisruptionBudget): FieldError[] {
  const errs = validateObjectMeta(pdb.metadata, true, nameIsDNSSubdomain);
  const spec = pdb.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const field of ['minAvailable', 'maxUnavailable'] as const) {
    const v = spec[field];
    if (v === undefined) continue;
    const path = child('spec', field);
    if (typeof v === 'number') {
      if (!Number.isInteger(v) || v < 0)
        errs.push(invalid(path, v, 'must be greater than or equal to 0'));
    } else if (!/^\d+%$/.test(v)) {
      errs.push(
        invalid(
          path,
          v,
          "a valid percent string must be a numeric string followed by an ending '%'",
        ),
      );
    } else if (Number(v.slice(0, -1)) > 100) {
      errs.push(invalid(path, v, 'must not be greater than 100%'));
    }
  }
  errs.push(...validateLabelSelector(spec.selector, child('spec', 'selector')));
  return errs;
}

/**
 * The update validation of kinds whose only immutable fields are in metadata: the new object
 * must be valid and its identity unchanged.
 */
export function validateMetaUpdateAnd<T extends { readonly metadata: ObjectMeta }>(
  validate: (obj: T) => FieldError[],
): (next: T, old: T) => FieldError[] {
  return (next, old) => [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validate(next),
  ];
}

/** ValidateReplicaSetStatusUpdate: counts are non-negative and bounded by replicas. */
export function validateReplicaSetStatusUpdate(n: ReplicaSet, o: ReplicaSet): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const s = n.status;
  if (s === undefined) return errs;
  const counts = [
    ['replicas', s.replicas],
    ['fullyLabeledReplicas', s.fullyLabeledReplicas],
    ['readyReplicas', s.readyReplicas],
    ['availableReplicas', s.availableReplicas],
    ['observedGeneration', s.observedGeneration],
  ] as const;
  for (const [f, v] of counts) {
    if (v !== undefined && v < 0) errs.push(invalid(child('status', f), v, IS_NEGATIVE_ERROR));
  }
  const replicasMsg = 'cannot be greater than status.replicas';
  const bounded = [
    ['fullyLabeledReplicas', s.fullyLabeledReplicas, s.replicas, replicasMsg],
    ['readyReplicas', s.readyReplicas, s.replicas, replicasMsg],
    ['availableReplicas', s.availableReplicas, s.replicas, replicasMsg],
    [
      'availableReplicas',
      s.availableReplicas,
      s.readyReplicas ?? 0,
      'cannot be greater than readyReplicas',
    ],
  ] as const;
  for (const [f, v, max, msg] of bounded) {
    if (v !== undefined && v > max) errs.push(invalid(child('status', f), v, msg));
  }
  return errs;
}

/** ValidateNamespaceStatusUpdate: Active while not deleted, Terminating once deleted. */
export function validateNamespaceStatusUpdate(n: Namespace, o: Namespace): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const phase = n.status?.phase;
  if (n.metadata.deletionTimestamp === undefined) {
    if (phase !== 'Active') {
      errs.push(
        invalid(
          child('status', 'phase'),
          phase,
          "may only be 'Active' if `deletionTimestamp` is empty",
        ),
      );
    }
  } else if (phase !== 'Terminating') {
    errs.push(
      invalid(
        child('status', 'phase'),
        phase,
        "may only be 'Terminating' if `deletionTimestamp` is not empty",
      ),
    );
  }
  return errs;
}

/** ValidatePodDisruptionBudgetStatusUpdate: the counts are non-negative. */
export function validatePodDisruptionBudgetStatusUpdate(
  n: PodDisruptionBudget,
  o: PodDisruptionBudget,
): FieldError[] {
  const errs = validateObjectMetaUpdate(n.metadata, o.metadata);
  const s = n.status;
  if (s === undefined) return errs;
  for (const f of [
    'disruptionsAllowed',
    'currentHealthy',
    'desiredHealthy',
    'expectedPods',
  ] as const) {
    if (s[f] < 0) errs.push(invalid(child('status', f), s[f], IS_NEGATIVE_ERROR));
  }
  return errs;
}
