/**
 * ReplicaSets (pkg/registry/apps/replicaset: strategy.go, storage/storage.go with its ScaleREST;
 * printers: printReplicaSet; tags: staging/src/k8s.io/api/apps/v1/types.go).
 */
import { defaultReplicaSet } from '../defaults.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import type { ReplicaSet } from '../replica-set-types.ts';
import { formatLabelSelector } from '../selectors.ts';
import {
  validateReplicaSet,
  validateReplicaSetStatusUpdate,
  validateReplicaSetUpdate,
} from '../validation.ts';
import {
  AGE_COLUMN,
  conditionsPatch,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  objectMetaPatch,
  statusSubresource,
} from './common.ts';
import type { TableColumn } from './definition.ts';
import { podSpecPatch } from './pod.ts';
import { scaleSubresource } from './replicated.ts';

/** Replicas as the internal type holds them: decoding defaults a missing count to 1. */
const specReplicas = (rs: ReplicaSet): number => rs.spec.replicas ?? 1;

const containers = (rs: ReplicaSet) => rs.spec.template?.spec.containers ?? [];

const TABLE: readonly TableColumn<ReplicaSet>[] = [
  NAME_COLUMN,
  {
    name: 'Desired',
    type: 'integer',
    priority: 0,
    description: 'Replicas is the number of desired pods.',
    cell: specReplicas,
  },
  {
    name: 'Current',
    type: 'integer',
    priority: 0,
    description: 'Replicas is the most recently observed number of non-terminating pods.',
    cell: (rs) => rs.status?.replicas ?? 0,
  },
  {
    name: 'Ready',
    type: 'integer',
    priority: 0,
    description:
      'The number of non-terminating pods targeted by this ReplicaSet with a Ready Condition.',
    cell: (rs) => rs.status?.readyReplicas ?? 0,
  },
  AGE_COLUMN,
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    description: 'Names of each container in the template.',
    cell: (rs) =>
      containers(rs)
        .map((c) => c.name)
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    description: 'Images referenced by each container in the template.',
    cell: (rs) =>
      containers(rs)
        .map((c) => c.image ?? '')
        .join(','),
  },
  {
    name: 'Selector',
    type: 'string',
    priority: 1,
    description:
      'Selector is a label query over pods that should match the replica count. Label keys and values that must match in order to be controlled by this replica set.',
    cell: (rs) => formatLabelSelector(rs.spec.selector),
  },
];

export const REPLICA_SET = defineResource<ReplicaSet>({
  discovery: {
    kind: 'ReplicaSet',
    group: 'apps',
    resource: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
  },
  defaults: defaultReplicaSet,
  // rsStrategy.PrepareForCreate: status starts empty (replicas is not omitempty).
  prepareForCreate: (rs) => ({ ...rs, status: { replicas: 0 } }),
  validate: validateReplicaSet,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateReplicaSetUpdate },
  tracksGeneration: true,
  subresources: [
    statusSubresource(validateReplicaSetStatusUpdate),
    scaleSubresource<ReplicaSet>(
      (rs) => rs.status?.replicas ?? 0,
      (rs, replicas) => ({ ...rs, spec: { ...rs.spec, replicas } }),
    ),
  ],
  table: TABLE,
  fieldSelectors: [...OBJECT_META_FIELD_LABELS, 'status.replicas'],
  fields: (rs) => ({
    ...objectMetaFields(rs.metadata),
    'status.replicas': String(rs.status?.replicas ?? 0),
  }),
  patch: [
    ...OBJECT_META_PATCH,
    ...objectMetaPatch('spec.template.metadata'),
    ...podSpecPatch('spec.template.spec'),
    conditionsPatch('status.conditions'),
  ],
});
