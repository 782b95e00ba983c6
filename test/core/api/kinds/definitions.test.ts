import { describe, expect, it } from 'vitest';
import {
  DEFINITIONS,
  definitionForPath,
  mustDefinitionFor,
  type ResourceDefinition,
} from '../../../../core/api/kinds/index.ts';
import type { KObject } from '../../../../core/api/types.ts';

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

/**
 * What `kubectl api-resources -o wide` and the discovery documents of a Kubernetes 1.32
 * kube-apiserver report for these resources, and the subresources ksim serves with their
 * verbs (discovery's `<resource>/<sub>` rows).
 */
const KUBE_1_32 = [
  {
    kind: 'Binding',
    apiVersion: 'v1',
    resource: 'bindings',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ['create'],
    subresources: {},
  },
  {
    kind: 'ConfigMap',
    apiVersion: 'v1',
    resource: 'configmaps',
    namespaced: true,
    shortNames: ['cm'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Endpoints',
    apiVersion: 'v1',
    resource: 'endpoints',
    namespaced: true,
    shortNames: ['ep'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Event',
    apiVersion: 'v1',
    resource: 'events',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'LimitRange',
    apiVersion: 'v1',
    resource: 'limitranges',
    namespaced: true,
    shortNames: ['limits'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Namespace',
    apiVersion: 'v1',
    resource: 'namespaces',
    namespaced: false,
    shortNames: ['ns'],
    categories: [],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    subresources: { status: ['get', 'patch', 'update'], finalize: ['update'] },
  },
  {
    kind: 'Node',
    apiVersion: 'v1',
    resource: 'nodes',
    namespaced: false,
    shortNames: ['no'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'PersistentVolumeClaim',
    apiVersion: 'v1',
    resource: 'persistentvolumeclaims',
    namespaced: true,
    shortNames: ['pvc'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'PersistentVolume',
    apiVersion: 'v1',
    resource: 'persistentvolumes',
    namespaced: false,
    shortNames: ['pv'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'Pod',
    apiVersion: 'v1',
    resource: 'pods',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    verbs: ALL,
    subresources: {
      status: ['get', 'patch', 'update'],
      ephemeralcontainers: ['get', 'patch', 'update'],
      binding: ['create'],
      eviction: ['create'],
      attach: ['create', 'get'],
      exec: ['create', 'get'],
      log: ['get'],
    },
  },
  {
    kind: 'PodTemplate',
    apiVersion: 'v1',
    resource: 'podtemplates',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'ReplicationController',
    apiVersion: 'v1',
    resource: 'replicationcontrollers',
    namespaced: true,
    shortNames: ['rc'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'] },
  },
  {
    kind: 'ResourceQuota',
    apiVersion: 'v1',
    resource: 'resourcequotas',
    namespaced: true,
    shortNames: ['quota'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'Secret',
    apiVersion: 'v1',
    resource: 'secrets',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'ServiceAccount',
    apiVersion: 'v1',
    resource: 'serviceaccounts',
    namespaced: true,
    shortNames: ['sa'],
    categories: [],
    verbs: ALL,
    subresources: { token: ['create'] },
  },
  {
    kind: 'Service',
    apiVersion: 'v1',
    resource: 'services',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'CustomResourceDefinition',
    apiVersion: 'apiextensions.k8s.io/v1',
    resource: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'ControllerRevision',
    apiVersion: 'apps/v1',
    resource: 'controllerrevisions',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'DaemonSet',
    apiVersion: 'apps/v1',
    resource: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    resource: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'] },
  },
  {
    kind: 'ReplicaSet',
    apiVersion: 'apps/v1',
    resource: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'] },
  },
  {
    kind: 'StatefulSet',
    apiVersion: 'apps/v1',
    resource: 'statefulsets',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'], scale: ['get', 'patch', 'update'] },
  },
  {
    kind: 'SelfSubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    resource: 'selfsubjectaccessreviews',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ['create'],
    subresources: {},
  },
  {
    kind: 'SelfSubjectRulesReview',
    apiVersion: 'authorization.k8s.io/v1',
    resource: 'selfsubjectrulesreviews',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ['create'],
    subresources: {},
  },
  {
    kind: 'SubjectAccessReview',
    apiVersion: 'authorization.k8s.io/v1',
    resource: 'subjectaccessreviews',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ['create'],
    subresources: {},
  },
  {
    kind: 'HorizontalPodAutoscaler',
    apiVersion: 'autoscaling/v2',
    resource: 'horizontalpodautoscalers',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'CronJob',
    apiVersion: 'batch/v1',
    resource: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'Job',
    apiVersion: 'batch/v1',
    resource: 'jobs',
    namespaced: true,
    shortNames: [],
    categories: ['all'],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'CertificateSigningRequest',
    apiVersion: 'certificates.k8s.io/v1',
    resource: 'certificatesigningrequests',
    namespaced: false,
    shortNames: ['csr'],
    categories: [],
    verbs: ALL,
    subresources: { approval: ['get', 'patch', 'update'], status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'Lease',
    apiVersion: 'coordination.k8s.io/v1',
    resource: 'leases',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'EndpointSlice',
    apiVersion: 'discovery.k8s.io/v1',
    resource: 'endpointslices',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Event',
    apiVersion: 'events.k8s.io/v1',
    resource: 'events',
    namespaced: true,
    shortNames: ['ev'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'IngressClass',
    apiVersion: 'networking.k8s.io/v1',
    resource: 'ingressclasses',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Ingress',
    apiVersion: 'networking.k8s.io/v1',
    resource: 'ingresses',
    namespaced: true,
    shortNames: ['ing'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'NetworkPolicy',
    apiVersion: 'networking.k8s.io/v1',
    resource: 'networkpolicies',
    namespaced: true,
    shortNames: ['netpol'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'PodDisruptionBudget',
    apiVersion: 'policy/v1',
    resource: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    categories: [],
    verbs: ALL,
    subresources: { status: ['get', 'patch', 'update'] },
  },
  {
    kind: 'ClusterRoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    resource: 'clusterrolebindings',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'ClusterRole',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    resource: 'clusterroles',
    namespaced: false,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'RoleBinding',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    resource: 'rolebindings',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'Role',
    apiVersion: 'rbac.authorization.k8s.io/v1',
    resource: 'roles',
    namespaced: true,
    shortNames: [],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'PriorityClass',
    apiVersion: 'scheduling.k8s.io/v1',
    resource: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
  {
    kind: 'StorageClass',
    apiVersion: 'storage.k8s.io/v1',
    resource: 'storageclasses',
    namespaced: false,
    shortNames: ['sc'],
    categories: [],
    verbs: ALL,
    subresources: {},
  },
];

/** A minimal object of each kind, enough for its field set. */
function sample(def: ResourceDefinition): KObject {
  const r = def.resource;
  const metadata = { name: 'x', ...(r.namespaced ? { namespace: 'default' } : {}) };
  const base = { apiVersion: r.apiVersion, kind: r.kind, metadata };
  const extra: Record<string, unknown> = {
    Pod: { spec: { containers: [] } },
    ReplicaSet: { spec: { selector: {} } },
    PodDisruptionBudget: { spec: {} },
    Event: { involvedObject: {} },
    Binding: { target: {} },
    Job: { spec: { template: { spec: { containers: [] } } } },
    HorizontalPodAutoscaler: { spec: { scaleTargetRef: {}, maxReplicas: 1 } },
    RoleBinding: { roleRef: {} },
    ClusterRoleBinding: { roleRef: {} },
    SubjectAccessReview: { spec: {} },
    SelfSubjectAccessReview: { spec: {} },
    SelfSubjectRulesReview: { spec: {} },
  };
  return { ...base, ...(extra[r.kind] as object) } as KObject;
}

describe('kind definitions', () => {
  it('report the discovery rows of a Kubernetes 1.32 API server, in discovery order', () => {
    expect(
      DEFINITIONS.map(({ resource: r, subresources }) => ({
        kind: r.kind,
        apiVersion: r.apiVersion,
        resource: r.resource,
        namespaced: r.namespaced,
        shortNames: r.shortNames,
        categories: r.categories,
        verbs: r.verbs,
        subresources: Object.fromEntries(subresources.map((s) => [s.name, s.verbs])),
      })),
    ).toEqual(KUBE_1_32);
    for (const d of DEFINITIONS) {
      expect(d.resource.singular).toBe(d.resource.kind.toLowerCase());
      expect(d.resource.listKind).toBe(`${d.resource.kind}List`);
      expect(d.resource.subresources).toEqual(d.subresources.map((s) => s.name));
      expect(definitionForPath(d.resource.apiVersion, d.resource.resource)).toBe(d);
      // Another version of a kind's storage is found by path; the kind names its own definition.
      if (d.storedAs === undefined) expect(mustDefinitionFor(d.resource.kind)).toBe(d);
      else expect(mustDefinitionFor(d.storedAs.kind).resource.resource).toBe(d.resource.resource);
    }
  });

  it.each(DEFINITIONS.map((d) => [d.resource.kind, d] as const))(
    '%s: the field set of an object has exactly the supported field labels',
    (_kind, def) => {
      const fields = def.fields(sample(def));
      expect(Object.keys(fields).sort()).toEqual([...def.fieldSelectors].sort());
    },
  );

  it.each(DEFINITIONS.map((d) => [d.resource.kind, d] as const))(
    '%s: patch metadata names distinct fields, with a merge key wherever a list merges by key',
    (_kind, def) => {
      const paths = def.patch.map((p) => p.path);
      expect(new Set(paths).size).toBe(paths.length);
      for (const p of def.patch) {
        expect(p.path).toMatch(/^[a-zA-Z]+(\[\])?(\.[a-zA-Z]+(\[\])?)*$/);
        if (p.patchStrategy === 'replace') expect(p.patchMergeKey).toBeUndefined();
      }
    },
  );

  it('records the upstream patch tags of the fields that have them', () => {
    const tag = (kind: 'Pod' | 'ReplicaSet' | 'PodDisruptionBudget' | 'Node', path: string) =>
      mustDefinitionFor(kind).patch.find((p) => p.path === path);
    expect(tag('Pod', 'spec.containers')).toEqual({
      path: 'spec.containers',
      patchStrategy: 'merge',
      patchMergeKey: 'name',
    });
    expect(tag('Pod', 'spec.containers[].ports')?.patchMergeKey).toBe('containerPort');
    // Tolerations carry no tag: a patch replaces the whole list.
    expect(tag('Pod', 'spec.tolerations')).toBeUndefined();
    expect(tag('Pod', 'metadata.ownerReferences')?.patchMergeKey).toBe('uid');
    expect(tag('ReplicaSet', 'spec.template.spec.containers[].env')?.patchMergeKey).toBe('name');
    expect(tag('PodDisruptionBudget', 'spec.selector')?.patchStrategy).toBe('replace');
    expect(tag('Node', 'status.addresses')?.patchMergeKey).toBe('type');
  });

  it('only pods are deleted gracefully, and only once scheduled and not terminal', () => {
    const pod = mustDefinitionFor('Pod');
    const p = sample(pod) as never;
    const bound = { ...(p as object), spec: { containers: [], nodeName: 'n1' } } as never;
    expect(pod.deletion.gracePeriodSeconds(p, undefined)).toBe(0);
    expect(pod.deletion.gracePeriodSeconds(bound, 10)).toBe(10);
    expect(pod.deletion.gracePeriodSeconds(bound, -5)).toBe(1);
    for (const d of DEFINITIONS.filter((x) => x !== pod)) {
      expect(d.deletion.gracePeriodSeconds(sample(d), 30)).toBe(0);
    }
  });
});
