/**
 * Defaulting, as pkg/apis/core/v1/defaults.go and pkg/apis/apps/v1/defaults.go apply it on decode,
 * plus what the Priority and DefaultTolerationSeconds admission plugins add to pods with no
 * PriorityClass. Every function returns a new object and leaves its input untouched; each kind's
 * definition (core/api/kinds) says which applies.
 */
import type { Namespace } from './cluster-types.ts';
import type { Node } from './node-types.ts';
import type {
  Container,
  ContainerPort,
  Pod,
  PodSpec,
  PullPolicy,
  ResourceList,
  Toleration,
} from './pod-types.ts';
import type { ReplicaSet } from './replica-set-types.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** DefaultTolerationSeconds admission: --default-not-ready-toleration-seconds / unreachable. */
export const DEFAULT_NOT_READY_TOLERATION_SECONDS = 300;
export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const LABEL_METADATA_NAME = 'kubernetes.io/metadata.name';

/**
 * The tag of an image reference, "latest" when neither tag nor digest is given
 * (upstream parsers.ParseImageName). A ':' after the last '/' starts the tag; '@' starts a digest.
 */
export function imageTag(image: string): string {
  const at = image.indexOf('@');
  const name = at < 0 ? image : image.slice(0, at);
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  if (colon > slash) return name.slice(colon + 1);
  return at < 0 ? 'latest' : '';
}

export function defaultPullPolicy(image: string): PullPolicy {
  return imageTag(image) === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultPort(p: ContainerPort, hostNetwork: boolean): ContainerPort {
  return {
    ...p,
    protocol: p.protocol ?? 'TCP',
    // With host networking the container port is the host port (defaultHostNetworkPorts).
    ...(hostNetwork && !p.hostPort ? { hostPort: p.containerPort } : {}),
  };
}

/** Requests default to limits for each resource that has a limit but no request. */
function defaultRequests(
  limits: ResourceList | undefined,
  requests: ResourceList | undefined,
): ResourceList | undefined {
  if (limits === undefined) return requests;
  const missing = Object.entries(limits).filter(
    ([k]) => requests === undefined || !Object.hasOwn(requests, k),
  );
  if (missing.length === 0) return requests;
  return { ...requests, ...Object.fromEntries(missing) };
}

function defaultContainer(c: Container, hostNetwork: boolean): Container {
  const requests = defaultRequests(c.resources?.limits, c.resources?.requests);
  return {
    ...c,
    imagePullPolicy: c.imagePullPolicy ?? defaultPullPolicy(c.image ?? ''),
    terminationMessagePath: c.terminationMessagePath ?? DEFAULT_TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: c.terminationMessagePolicy ?? 'File',
    ...(c.ports !== undefined ? { ports: c.ports.map((p) => defaultPort(p, hostNetwork)) } : {}),
    ...(requests !== undefined ? { resources: { ...c.resources, requests } } : {}),
  };
}

export function defaultPodSpec(spec: PodSpec): PodSpec {
  const hostNetwork = spec.hostNetwork === true;
  return {
    ...spec,
    containers: (spec.containers ?? []).map((c) => defaultContainer(c, hostNetwork)),
    ...(spec.initContainers !== undefined
      ? { initContainers: spec.initContainers.map((c) => defaultContainer(c, hostNetwork)) }
      : {}),
    ...(spec.ephemeralContainers !== undefined
      ? {
          ephemeralContainers: spec.ephemeralContainers.map((c) =>
            defaultContainer(c, hostNetwork),
          ),
        }
      : {}),
    restartPolicy: spec.restartPolicy ?? 'Always',
    terminationGracePeriodSeconds:
      spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
    dnsPolicy: spec.dnsPolicy ?? 'ClusterFirst',
    securityContext: spec.securityContext ?? {},
    schedulerName: spec.schedulerName || DEFAULT_SCHEDULER_NAME,
    enableServiceLinks: spec.enableServiceLinks ?? true,
  };
}

/**
 * A body without `spec` decodes, in upstream's Go types, to the zero PodSpec (a struct, not a
 * pointer), which defaulting fills in and validation then refuses for its missing containers.
 */
export function defaultPod(pod: Pod): Pod {
  return { ...pod, spec: defaultPodSpec(pod.spec ?? ({} as PodSpec)) };
}

function hasToleration(ts: readonly Toleration[], key: string): boolean {
  return ts.some(
    (t) =>
      t.effect === 'NoExecute' &&
      (t.key === key || (t.key === undefined && t.operator === 'Exists')),
  );
}

/**
 * DefaultTolerationSeconds admission: pods tolerate not-ready/unreachable nodes for 300 s before
 * eviction unless they already say otherwise.
 */
export function addDefaultTolerations(
  pod: Pod,
  seconds: number = DEFAULT_NOT_READY_TOLERATION_SECONDS,
): Pod {
  const existing = pod.spec.tolerations ?? [];
  const added: Toleration[] = [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]
    .filter((key) => !hasToleration(existing, key))
    .map((key) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds }));
  if (added.length === 0) return pod;
  return { ...pod, spec: { ...pod.spec, tolerations: [...existing, ...added] } };
}

/** A missing spec or template's spec is Go's zero value, as for a Pod (defaultPod). */
export function defaultReplicaSet(rs: ReplicaSet): ReplicaSet {
  const spec: Partial<ReplicaSet['spec']> = rs.spec ?? {};
  const template = spec.template;
  return {
    ...rs,
    spec: {
      ...spec,
      replicas: spec.replicas ?? 1,
      ...(template !== undefined
        ? { template: { ...template, spec: defaultPodSpec(template.spec ?? ({} as PodSpec)) } }
        : {}),
    } as ReplicaSet['spec'],
  };
}

/** Allocatable defaults to capacity (SetDefaults_NodeStatus). */
export function defaultNode(node: Node): Node {
  const status = node.status;
  if (status?.capacity === undefined || status.allocatable !== undefined) return node;
  return { ...node, status: { ...status, allocatable: { ...status.capacity } } };
}

/** Phase Active and the immutable `kubernetes.io/metadata.name` label (SetDefaults_Namespace). */
export function defaultNamespace(ns: Namespace): Namespace {
  const name = ns.metadata.name;
  const labels = name ? { ...ns.metadata.labels, [LABEL_METADATA_NAME]: name } : ns.metadata.labels;
  return {
    ...ns,
    metadata: { ...ns.metadata, ...(labels !== undefined ? { labels } : {}) },
    status: { ...ns.status, phase: ns.status?.phase ?? 'Active' },
  };
}
