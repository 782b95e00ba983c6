/**
 * Namespaces (pkg/registry/core/namespace: strategy.go, storage/storage.go with FinalizeREST;
 * printers: printNamespace).
 *
 * spec.finalizers hold a deleted namespace like metadata.finalizers hold any object, and only
 * the finalize subresource may change them. Creation adds the "kubernetes" finalizer, which the
 * namespace controller (core/controllers/namespace) removes once the namespace is empty: a
 * cluster without a controller manager keeps deleted namespaces Terminating, as upstream does.
 */
import type { Namespace } from '../cluster-types.ts';
import { defaultNamespace } from '../defaults.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import {
  validateMetaUpdateAnd,
  validateNamespace,
  validateNamespaceStatusUpdate,
} from '../validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  statusSubresource,
} from './common.ts';

/** namespaceStrategy.PrepareForUpdate: status and spec.finalizers are other paths' to change. */
function prepareForUpdate(next: Namespace, old: Namespace): Namespace {
  return { ...next, spec: { ...next.spec, finalizers: old.spec?.finalizers }, status: old.status };
}

/** v1.FinalizerKubernetes: the namespace controller's. */
const FINALIZER_KUBERNETES = 'kubernetes';

/** namespaceStrategy.PrepareForCreate: a new namespace is Active and held by "kubernetes". */
function prepareForCreate(ns: Namespace): Namespace {
  const finalizers = ns.spec?.finalizers ?? [];
  return {
    ...ns,
    spec: {
      ...ns.spec,
      finalizers: finalizers.includes(FINALIZER_KUBERNETES)
        ? finalizers
        : [...finalizers, FINALIZER_KUBERNETES],
    },
    status: { phase: 'Active' },
  };
}

export const NAMESPACE = defineResource<Namespace>({
  discovery: {
    kind: 'Namespace',
    group: '',
    resource: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    // Namespaces are deleted one by one; upstream serves no deletecollection for them.
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  },
  defaults: defaultNamespace,
  prepareForCreate,
  validate: validateNamespace,
  update: { prepareForUpdate, validateUpdate: validateMetaUpdateAnd(validateNamespace) },
  subresources: [
    statusSubresource(validateNamespaceStatusUpdate),
    {
      kind: 'strategy',
      name: 'finalize',
      verbs: ['update'],
      // namespaceFinalizeStrategy: spec (its finalizers) and metadata change, status does not.
      strategy: {
        prepareForUpdate: keepStatus,
        validateUpdate: validateMetaUpdateAnd(validateNamespace),
      },
    },
  ],
  table: [
    NAME_COLUMN,
    {
      name: 'Status',
      type: 'string',
      priority: 0,
      description: 'The status of the namespace',
      cell: (ns) => ns.status?.phase ?? '',
    },
    AGE_COLUMN,
  ],
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'status.phase'],
  fields: (ns) => ({ ...objectMetaFields(ns.metadata), 'status.phase': ns.status?.phase ?? '' }),
  deletion: {
    gracePeriodSeconds: () => 0,
    pendingFinalizers: (ns) => ns.spec?.finalizers ?? [],
    markDeleting: (ns) => ({ ...ns, status: { ...ns.status, phase: 'Terminating' } }),
  },
  patch: [...OBJECT_META_PATCH, conditionsPatch('status.conditions')],
});
