/**
 * Pods (pkg/registry/core/pod: strategy.go, storage/storage.go; printers: printPod; tags:
 * staging/src/k8s.io/api/core/v1/types.go).
 */
import { defaultPod } from '../defaults.ts';
import { isQuantityError, parseQuantity } from '../quantity.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import { validateObjectMetaUpdate } from '../meta-validation.ts';
import { computePodQOS, isPodTerminal } from '../pod-helpers.ts';
import type { Pod } from '../pod-types.ts';
import {
  validatePod,
  validatePodEphemeralContainersUpdate,
  validatePodUpdate,
} from '../pod-validation.ts';
import {
  conditionsPatch,
  defineResource,
  keepStatus,
  OBJECT_META_PATCH,
  STATUS_VERBS,
} from './common.ts';
import type { DeletionRules, PatchField, UpdateStrategy } from './definition.ts';
import { BINDING_SUBRESOURCE, bindPod } from './pod-binding.ts';
import { evictPod } from './pod-eviction.ts';
import {
  POD_ATTACH_SUBRESOURCE,
  POD_EXEC_SUBRESOURCE,
  POD_LOG_SUBRESOURCE,
} from './pod-streams.ts';
import { POD_TABLE } from './pod-table.ts';

/**
 * podStatusStrategy.PrepareForUpdate: spec is the main path's, ownerReferences are not the
 * kubelet's to change, and a status without qosClass keeps the one set at creation.
 */
const STATUS_STRATEGY: UpdateStrategy<Pod> = {
  prepareForUpdate: (next, old) => {
    const { ownerReferences: _dropped, ...meta } = next.metadata;
    const qosClass = next.status?.qosClass ?? old.status?.qosClass;
    return {
      ...next,
      metadata:
        old.metadata.ownerReferences === undefined
          ? meta
          : { ...meta, ownerReferences: old.metadata.ownerReferences },
      spec: old.spec,
      ...(qosClass === undefined ? {} : { status: { ...next.status, qosClass } }),
    };
  },
  // ValidatePodStatusUpdate checks metadata and the status fields; ksim checks the metadata
  // (spec is the stored one, so re-validating it would find nothing).
  validateUpdate: (next, old) => validateObjectMetaUpdate(next.metadata, old.metadata),
};

/**
 * podEphemeralContainersStrategy (pods/ephemeralcontainers, what `kubectl debug` writes): only
 * spec.ephemeralContainers changes; everything else, status included, is the stored pod's.
 */
const EPHEMERAL_CONTAINERS_STRATEGY: UpdateStrategy<Pod> = {
  prepareForUpdate: (next, old) => ({
    ...old,
    metadata: {
      ...old.metadata,
      name: next.metadata.name,
      namespace: next.metadata.namespace,
      resourceVersion: next.metadata.resourceVersion,
      uid: next.metadata.uid,
    },
    // A body without the list removes them all, which validation then refuses.
    spec: { ...old.spec, ephemeralContainers: next.spec.ephemeralContainers },
  }),
  validateUpdate: validatePodEphemeralContainersUpdate,
};

/** podStrategy.CheckGracefulDelete: only a scheduled, running pod gets a grace period. */
const DELETION: DeletionRules<Pod> = {
  gracePeriodSeconds: (pod, requested) => {
    if (!pod.spec.nodeName || isPodTerminal(pod)) return 0;
    const period = requested ?? pod.spec.terminationGracePeriodSeconds ?? 0;
    return period < 0 ? 1 : period;
  },
  pendingFinalizers: () => [],
  markDeleting: (pod) => pod,
};

/** The strategic-merge tags of a PodSpec at `path` (shared with pod templates). */
export function podSpecPatch(path: string): readonly PatchField[] {
  const containers = (list: string): PatchField[] => [
    { path: `${path}.${list}`, patchStrategy: 'merge', patchMergeKey: 'name' },
    { path: `${path}.${list}[].ports`, patchStrategy: 'merge', patchMergeKey: 'containerPort' },
    { path: `${path}.${list}[].env`, patchStrategy: 'merge', patchMergeKey: 'name' },
    { path: `${path}.${list}[].volumeMounts`, patchStrategy: 'merge', patchMergeKey: 'mountPath' },
    {
      path: `${path}.${list}[].volumeDevices`,
      patchStrategy: 'merge',
      patchMergeKey: 'devicePath',
    },
  ];
  return [
    { path: `${path}.volumes`, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
    ...containers('initContainers'),
    ...containers('containers'),
    ...containers('ephemeralContainers'),
    { path: `${path}.imagePullSecrets`, patchStrategy: 'merge', patchMergeKey: 'name' },
    { path: `${path}.hostAliases`, patchStrategy: 'merge', patchMergeKey: 'ip' },
    {
      path: `${path}.topologySpreadConstraints`,
      patchStrategy: 'merge',
      patchMergeKey: 'topologyKey',
    },
    { path: `${path}.schedulingGates`, patchStrategy: 'merge', patchMergeKey: 'name' },
    { path: `${path}.resourceClaims`, patchStrategy: 'merge,retainKeys', patchMergeKey: 'name' },
  ];
}

const FIELD_LABELS = [
  ...OBJECT_META_FIELD_LABELS,
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
];

/**
 * Upstream decodes every resource quantity into a resource.Quantity as it reads the body, so a
 * malformed one is a 400 before defaulting; everything after (the QoS class PrepareForCreate
 * computes, the scheduler) may then parse them without a check.
 */
function decodePod(pod: Pod): Pod | string {
  const spec = pod.spec ?? {};
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      for (const value of Object.values(list ?? {})) {
        const q = parseQuantity(value);
        if (isQuantityError(q)) return q.reason;
      }
    }
  }
  return pod;
}

export const POD = defineResource<Pod>({
  discovery: {
    kind: 'Pod',
    group: '',
    resource: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
  },
  defaults: defaultPod,
  decode: decodePod,
  // podStrategy.PrepareForCreate: status starts over as Pending with the pod's QoS class.
  prepareForCreate: (pod) => ({
    ...pod,
    status: { phase: 'Pending', qosClass: computePodQOS(pod) },
  }),
  validate: validatePod,
  update: { prepareForUpdate: keepStatus, validateUpdate: validatePodUpdate },
  tracksGeneration: true,
  subresources: [
    { kind: 'strategy', name: 'status', verbs: STATUS_VERBS, strategy: STATUS_STRATEGY },
    {
      kind: 'strategy',
      name: 'ephemeralcontainers',
      verbs: STATUS_VERBS,
      strategy: EPHEMERAL_CONTAINERS_STRATEGY,
    },
    {
      kind: 'action',
      name: BINDING_SUBRESOURCE,
      verbs: ['create'],
      body: { group: '', version: 'v1', kind: 'Binding' },
      create: bindPod,
    },
    {
      kind: 'action',
      name: 'eviction',
      verbs: ['create'],
      body: { group: 'policy', version: 'v1', kind: 'Eviction' },
      create: evictPod,
    },
    POD_LOG_SUBRESOURCE,
    POD_EXEC_SUBRESOURCE,
    POD_ATTACH_SUBRESOURCE,
  ],
  table: POD_TABLE,
  fieldSelectors: FIELD_LABELS,
  fields: (pod) => ({
    ...objectMetaFields(pod.metadata),
    'spec.nodeName': pod.spec.nodeName ?? '',
    'spec.restartPolicy': pod.spec.restartPolicy ?? '',
    'spec.schedulerName': pod.spec.schedulerName ?? '',
    'spec.serviceAccountName': pod.spec.serviceAccountName ?? '',
    'spec.hostNetwork': String(pod.spec.hostNetwork ?? false),
    'status.phase': pod.status?.phase ?? '',
    'status.podIP': pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP ?? '',
    'status.nominatedNodeName': pod.status?.nominatedNodeName ?? '',
  }),
  // Upstream's pod trigger index: kubelets watch their node's pods.
  indexedField: 'spec.nodeName',
  deletion: DELETION,
  patch: [
    ...OBJECT_META_PATCH,
    ...podSpecPatch('spec'),
    conditionsPatch('status.conditions'),
    { path: 'status.podIPs', patchStrategy: 'merge', patchMergeKey: 'ip' },
    { path: 'status.hostIPs', patchStrategy: 'merge', patchMergeKey: 'ip' },
    {
      path: 'status.resourceClaimStatuses',
      patchStrategy: 'merge,retainKeys',
      patchMergeKey: 'name',
    },
  ],
});
