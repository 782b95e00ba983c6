/**
 * `ksim import`: the output of `kubectl get nodes,pods,deployments,... -A -o yaml` (a v1 List,
 * or several YAML documents, each an object or a List) as the initial state of a scenario.
 *
 * - Nodes become node pools: one per distinct shape (allocatable resources, taints, cordon,
 *   the set of label keys), each node keeping its name, and its labels (values that differ
 *   within a pool are listed node by node). The simulated kubelet reserves nothing, so a
 *   node's capacity here is the real node's allocatable: pods fit as they did.
 * - Every other object is created at the start, stripped of what the API server sets (uid,
 *   resourceVersion, creationTimestamp, generation, managedFields, status, ownerReferences,
 *   a Service's cluster IPs, the service-account token volume admission adds to pods).
 * - Pods keep spec.nodeName: they are bound where they were and the node's kubelet starts them.
 *   ownerReferences name uids that do not exist in the new cluster, so they go; pods are
 *   created before their controllers, whose selectors adopt them (a ReplicaSet its pods, a
 *   Deployment its ReplicaSets), as the controllers adopt orphans upstream. Pods of an
 *   imported Job are left to the Job (its selector names the old Job's uid, so it could not
 *   adopt them). Pods that finished (Succeeded, Failed) are not recreated.
 * - What the cluster makes by itself is left to it: Events, Endpoints, EndpointSlices, Leases,
 *   ControllerRevisions, the system namespaces, `default` ServiceAccounts, kube-root-ca.crt,
 *   service-account token Secrets, the `kubernetes` Service. Kinds ksim does not serve are
 *   skipped and listed.
 */
import { parseAllDocuments } from 'yaml';
import { definitionFor } from '../../core/api/kinds/index.ts';

export interface ImportedObject {
  readonly [field: string]: unknown;
}

export interface ImportResult {
  /** The scenario document (write it as YAML). */
  readonly scenario: Record<string, unknown>;
  readonly nodes: number;
  readonly pools: number;
  readonly objects: number;
  /** What was left out, and why: `Event default/x: made by the cluster`. */
  readonly skipped: readonly string[];
}

export class ImportError extends Error {
  override name = 'ImportError';
}

export interface ImportOptions {
  readonly name: string;
  /** Virtual time the scenario runs, as a scenario duration ("2m"). */
  readonly duration: string;
}

type Obj = Record<string, unknown>;
type Meta = {
  name?: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: { kind?: string; uid?: string; controller?: boolean }[];
};

const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
/** Kinds whose objects the cluster's own controllers and components make. */
const MADE_BY_CLUSTER = new Set([
  'Event',
  'Endpoints',
  'EndpointSlice',
  'Lease',
  'ControllerRevision',
  'ComponentStatus',
  'TokenReview',
  'SubjectAccessReview',
]);
/** Labels the kubelet sets on its Node itself. */
const KUBELET_LABELS = new Set([
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'kubernetes.io/arch',
  'beta.kubernetes.io/os',
  'beta.kubernetes.io/arch',
]);
const METADATA_SET_BY_SERVER = [
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'ownerReferences',
  'generateName',
];
/** A static pod's mirror in the API: kubelet annotations that only a kubelet may set. */
const MIRROR_ANNOTATIONS = [
  'kubernetes.io/config.mirror',
  'kubernetes.io/config.hash',
  'kubernetes.io/config.seen',
  'kubernetes.io/config.source',
];
/** The projected service-account token volume the ServiceAccount admission plugin adds. */
const TOKEN_VOLUME = /^kube-api-access-[a-z0-9]+$/;
/** Creation order: what others refer to first; pods before the controllers that adopt them. */
const ORDER = [
  'Namespace',
  'CustomResourceDefinition',
  'PriorityClass',
  'StorageClass',
  'PersistentVolume',
  'ClusterRole',
  'ClusterRoleBinding',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ConfigMap',
  'Secret',
  'ResourceQuota',
  'LimitRange',
  'PersistentVolumeClaim',
  'Service',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
];

/** The objects of kubectl's output, Lists unwrapped, in file order. */
export function readKubectlOutput(text: string, file: string): Obj[] {
  const objects: Obj[] = [];
  const problems: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) {
      problems.push(`${file}: YAML syntax: ${doc.errors[0]?.message.split('\n')[0] ?? ''}`);
      continue;
    }
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    unwrap(value, `${file}: document ${objects.length + problems.length + 1}`, objects, problems);
  }
  if (problems.length > 0) throw new ImportError(problems.join('\n'));
  if (objects.length === 0)
    throw new ImportError(`${file}: no objects (expected kubectl get ... -o yaml output)`);
  return objects;
}

function unwrap(value: unknown, where: string, into: Obj[], problems: string[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(
      `${where}: expected an object with kind, got ${JSON.stringify(value).slice(0, 40)}`,
    );
    return;
  }
  const o = value as Obj;
  if (typeof o.kind !== 'string' || typeof o.apiVersion !== 'string') {
    problems.push(`${where}: an object needs apiVersion and kind`);
    return;
  }
  if (o.kind === 'List' || (o.kind.endsWith('List') && Array.isArray(o.items))) {
    const items = Array.isArray(o.items) ? o.items : [];
    // A typed list (PodList) leaves apiVersion and kind out of its items.
    const kind = o.kind === 'List' ? undefined : o.kind.slice(0, -'List'.length);
    items.forEach((item, i) =>
      unwrap(
        kind === undefined ? item : { apiVersion: o.apiVersion, kind, ...(item as Obj) },
        `${where} items[${i}]`,
        into,
        problems,
      ),
    );
    return;
  }
  into.push(o);
}

const metaOf = (o: Obj): Meta => (o.metadata ?? {}) as Meta;
const describe = (o: Obj): string => {
  const m = metaOf(o);
  return `${String(o.kind)} ${m.namespace === undefined ? '' : `${m.namespace}/`}${m.name ?? '?'}`;
};

/** kubectl output as a scenario. */
export function importCluster(objects: readonly Obj[], options: ImportOptions): ImportResult {
  const skipped: string[] = [];
  const nodes = objects.filter((o) => o.kind === 'Node');
  const jobs = new Set(objects.filter((o) => o.kind === 'Job').map((o) => metaOf(o).uid));
  const kept: Obj[] = [];
  for (const o of objects) {
    if (o.kind === 'Node') continue;
    const why = skipReason(o, jobs);
    if (why !== undefined) skipped.push(`${describe(o)}: ${why}`);
    else kept.push(clean(o));
  }
  const rank = (o: Obj): number => {
    const i = ORDER.indexOf(String(o.kind));
    // Unlisted kinds (custom resources, policies) after the objects they may refer to.
    return i === -1 ? ORDER.indexOf('Pod') - 0.5 : i;
  };
  const ordered = kept
    .map((o, i) => ({ o, i }))
    .sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i)
    .map((x) => x.o);
  const pools = nodePools(nodes);
  const boundTo = new Set(nodes.map((n) => metaOf(n).name));
  for (const o of ordered) {
    const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
    if (o.kind === 'Pod' && node !== undefined && !boundTo.has(node))
      throw new ImportError(
        `${describe(o)} is bound to node ${node}, which the input does not have: include the nodes (kubectl get nodes,pods,... -o yaml)`,
      );
  }
  return {
    scenario: {
      apiVersion: 'ksim.io/v1alpha1',
      kind: 'Scenario',
      metadata: {
        name: options.name,
        description: `Imported from kubectl output: ${nodes.length} nodes, ${ordered.length} objects`,
      },
      spec: {
        duration: options.duration,
        cluster: { nodes: pools },
        objects: ordered,
      },
    },
    nodes: nodes.length,
    pools: pools.length,
    objects: ordered.length,
    skipped,
  };
}

function skipReason(o: Obj, jobs: ReadonlySet<string | undefined>): string | undefined {
  const kind = String(o.kind);
  const m = metaOf(o);
  if (MADE_BY_CLUSTER.has(kind)) return 'made by the cluster';
  if (definitionFor(kind) === undefined) return `ksim does not serve the kind ${kind}`;
  if (kind === 'Namespace' && SYSTEM_NAMESPACES.has(m.name ?? '')) return 'a system namespace';
  if (kind === 'ServiceAccount' && m.name === 'default') return 'made by the cluster';
  if (kind === 'ConfigMap' && m.name === 'kube-root-ca.crt') return 'made by the cluster';
  if (kind === 'Secret' && o.type === 'kubernetes.io/service-account-token')
    return 'made by the cluster';
  if (kind === 'Service' && m.namespace === 'default' && m.name === 'kubernetes')
    return 'made by the cluster';
  if (kind === 'Job') {
    const conditions = (o.status as { conditions?: { type?: string; status?: string }[] })
      ?.conditions;
    const done = (conditions ?? []).find(
      (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
    );
    if (done !== undefined) return `finished (${String(done.type)}): it would run again`;
  }
  if (kind === 'Pod') {
    const phase = (o.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return `finished (${phase})`;
    const job = (m.ownerReferences ?? []).find((r) => r.controller === true && r.kind === 'Job');
    if (job !== undefined && jobs.has(job.uid)) return 'left to its Job, which is imported';
  }
  return undefined;
}

/** The object as a user would write it: server-set fields gone. */
function clean(o: Obj): Obj {
  const { status: _status, metadata, apiVersion, kind, ...rest } = o;
  const meta = { ...(metadata as Obj) };
  for (const f of METADATA_SET_BY_SERVER) delete meta[f];
  const out: Obj = { apiVersion, kind, metadata: meta, ...rest };
  // kubectl prints a pod template's unset creationTimestamp as null.
  const template = (rest.spec as { template?: { metadata?: Obj } } | undefined)?.template;
  if (template?.metadata?.creationTimestamp === null) {
    const { creationTimestamp: _unset, ...templateMeta } = template.metadata;
    out.spec = { ...(rest.spec as Obj), template: { ...template, metadata: templateMeta } };
  }
  if (o.kind === 'Pod') return cleanPod(out);
  if (o.kind === 'Service') return cleanService(out);
  if (o.kind === 'Job') return cleanJob(out);
  return out;
}

/** Labels the API server gives a Job and its pod template, naming the Job's uid. */
const JOB_UID_LABELS = ['batch.kubernetes.io/controller-uid', 'controller-uid'];

/**
 * A Job's generated selector and its uid labels name the old Job's uid; without them the API
 * server generates them anew (a manual selector is the user's and stays).
 */
function cleanJob(o: Obj): Obj {
  const spec = { ...(o.spec as Obj) } as Obj & {
    manualSelector?: boolean;
    template?: { metadata?: { labels?: Record<string, string> } };
  };
  const strip = (labels: Record<string, string> | undefined): Record<string, string> | undefined =>
    labels === undefined
      ? undefined
      : Object.fromEntries(Object.entries(labels).filter(([k]) => !JOB_UID_LABELS.includes(k)));
  if (spec.manualSelector !== true) {
    delete spec.selector;
    const t = spec.template ?? {};
    spec.template = { ...t, metadata: { ...t.metadata, labels: strip(t.metadata?.labels) ?? {} } };
  }
  const meta = o.metadata as Meta;
  return { ...o, metadata: { ...meta, labels: strip(meta.labels) }, spec };
}

function cleanPod(o: Obj): Obj {
  const meta = o.metadata as Meta;
  if (meta.annotations !== undefined) {
    const annotations = { ...meta.annotations };
    for (const a of MIRROR_ANNOTATIONS) delete annotations[a];
    if (Object.keys(annotations).length === 0) delete (o.metadata as Obj).annotations;
    else (o.metadata as Obj).annotations = annotations;
  }
  type Container = { volumeMounts?: { name: string }[] };
  const spec = { ...(o.spec as Obj) } as Obj & {
    volumes?: { name: string }[];
    containers?: Container[];
    initContainers?: Container[];
  };
  const tokens = new Set(
    (spec.volumes ?? []).filter((v) => TOKEN_VOLUME.test(v.name)).map((v) => v.name),
  );
  if (tokens.size > 0) {
    spec.volumes = (spec.volumes ?? []).filter((v) => !tokens.has(v.name));
    if (spec.volumes.length === 0) delete spec.volumes;
    const unmount = (c: Container): Container => {
      const { volumeMounts, ...rest } = c;
      const kept = (volumeMounts ?? []).filter((m) => !tokens.has(m.name));
      return kept.length === 0 ? rest : { ...rest, volumeMounts: kept };
    };
    if (spec.containers !== undefined) spec.containers = spec.containers.map(unmount);
    if (spec.initContainers !== undefined) spec.initContainers = spec.initContainers.map(unmount);
  }
  return { ...o, spec };
}

function cleanService(o: Obj): Obj {
  const spec = { ...(o.spec as Obj) };
  // Cluster IPs come from the new cluster's range; a headless Service stays headless.
  if (spec.clusterIP !== 'None') {
    delete spec.clusterIP;
    delete spec.clusterIPs;
  }
  delete spec.healthCheckNodePort;
  return { ...o, spec };
}

interface NodeShape {
  readonly capacity: Record<string, string>;
  readonly taints: { key: string; value?: string; effect: string }[];
  readonly unschedulable: boolean;
  readonly labelKeys: string[];
}

/** Nodes as pools, one per shape, in order of first appearance. */
function nodePools(nodes: readonly Obj[]): Obj[] {
  const pools = new Map<string, { shape: NodeShape; nodes: Obj[] }>();
  for (const n of nodes) {
    const shape = shapeOf(n);
    const key = JSON.stringify(shape);
    const pool = pools.get(key);
    if (pool === undefined) pools.set(key, { shape, nodes: [n] });
    else pool.nodes.push(n);
  }
  return [...pools.values()].map(({ shape, nodes: members }, i) => {
    const labels: Record<string, unknown> = {};
    for (const key of shape.labelKeys) {
      const values = members.map((n) => metaOf(n).labels?.[key] ?? '');
      // Node i of a pool takes roundRobin value i: with one value per node, its own.
      labels[key] = values.every((v) => v === values[0]) ? values[0] : { roundRobin: values };
    }
    return {
      namePrefix: `pool-${i + 1}`,
      names: members.map((n) => metaOf(n).name),
      capacity: shape.capacity,
      ...(shape.labelKeys.length === 0 ? {} : { labels }),
      ...(shape.taints.length === 0 ? {} : { taints: shape.taints }),
      ...(shape.unschedulable ? { unschedulable: true } : {}),
    };
  });
}

function shapeOf(n: Obj): NodeShape {
  const status = (n.status ?? {}) as {
    allocatable?: Record<string, unknown>;
    capacity?: Record<string, unknown>;
  };
  const resources = status.allocatable ?? status.capacity;
  if (resources === undefined)
    throw new ImportError(
      `${describe(n)} has no status.allocatable or status.capacity: export nodes with kubectl get nodes -o yaml`,
    );
  const capacity = Object.fromEntries(
    Object.entries(resources)
      .map(([k, v]): [string, string] => [k, String(v)])
      .sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  const spec = (n.spec ?? {}) as {
    taints?: { key: string; value?: string; effect: string }[];
    unschedulable?: boolean;
  };
  const taints = (spec.taints ?? [])
    // The node controller's own taints (not-ready, unreachable) describe the old node's health.
    .filter((t) => !t.key.startsWith('node.kubernetes.io/'))
    .map((t) => ({
      key: t.key,
      ...(t.value === undefined || t.value === '' ? {} : { value: t.value }),
      effect: t.effect,
    }));
  const labelKeys = Object.keys(metaOf(n).labels ?? {})
    .filter((k) => !KUBELET_LABELS.has(k))
    .sort();
  return { capacity, taints, unschedulable: spec.unschedulable === true, labelKeys };
}
