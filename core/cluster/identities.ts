/**
 * The names and identities of the processes a cluster runs. Faults, scenarios and reports name
 * processes; the API server records who made each request. Both are decided here only.
 */
import type { ClientIdentity } from '../apiserver/authn/client-credential.ts';
import {
  NODES_GROUP,
  serviceAccountGroups,
  serviceAccountUsername,
  SYSTEM_PRIVILEGED_GROUP,
} from '../apiserver/authn/user.ts';
import type { ControllerName } from '../controllers/manager.ts';

export const API_SERVER = 'apiserver';
export const SCHEDULER = 'scheduler';
export const CONTROLLER_MANAGER = 'controller-manager';
export const METRICS_SERVER = 'metrics-server';
export const STORE_MEMBER_PREFIX = 'etcd';

/** Store members are `etcd-0`, `etcd-1`, ...; member `i` has Raft id `i + 1`. */
export function storeMemberName(index: number, prefix: string = STORE_MEMBER_PREFIX): string {
  return `${prefix}-${index}`;
}

/**
 * The processes of a component run `count` times: its plain name for one (so one-of-a-kind
 * clusters keep their names), `<base>-0` ... `<base>-<count-1>` for several.
 */
export function replicaNames(base: string, count: number): string[] {
  return count === 1 ? [base] : Array.from({ length: count }, (_, i) => `${base}-${i}`);
}

/** The user names upstream's components authenticate as. */
export const SCHEDULER_USER = 'system:kube-scheduler';
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export function nodeUser(nodeName: string): string {
  return `system:node:${nodeName}`;
}

/**
 * Who each component is, as the subject and organizations of the client certificate kubeadm
 * would issue it (here a signed client credential): least privilege comes from the bootstrap
 * RBAC policy and the Node authorizer, which know these names.
 */
export const SCHEDULER_IDENTITY: ClientIdentity = { user: SCHEDULER_USER, groups: [] };
export const CONTROLLER_MANAGER_IDENTITY: ClientIdentity = {
  user: CONTROLLER_MANAGER_USER,
  groups: [],
};
/** kubeadm's admin.conf: a super-user, for the tests' and the scenario runner's client. */
export const ADMIN_IDENTITY: ClientIdentity = {
  user: 'kubernetes-admin',
  groups: [SYSTEM_PRIVILEGED_GROUP],
};

/**
 * metrics-server runs as the kube-system/metrics-server ServiceAccount of its manifest, which
 * binds it to system:metrics-server (nodes/metrics, and nodes and pods to list and watch).
 */
export const METRICS_SERVER_IDENTITY: ClientIdentity = {
  user: serviceAccountUsername('kube-system', 'metrics-server'),
  groups: serviceAccountGroups('kube-system'),
};

/** kube-proxy's kubeconfig user, bound to system:node-proxier by the bootstrap policy. */
export const KUBE_PROXY_IDENTITY: ClientIdentity = { user: 'system:kube-proxy', groups: [] };

export function nodeClientIdentity(nodeName: string): ClientIdentity {
  return { user: nodeUser(nodeName), groups: [NODES_GROUP] };
}

/**
 * The service account each controller writes as (kube-controller-manager
 * --use-service-account-credentials): the names upstream's controller roles are bound to.
 */
export const CONTROLLER_SERVICE_ACCOUNTS: Readonly<Record<ControllerName, string>> = {
  replicaset: 'replicaset-controller',
  replicationcontroller: 'replication-controller',
  deployment: 'deployment-controller',
  statefulset: 'statefulset-controller',
  daemonset: 'daemon-set-controller',
  job: 'job-controller',
  cronjob: 'cronjob-controller',
  'ttl-after-finished': 'ttl-after-finished-controller',
  endpointslice: 'endpointslice-controller',
  endpoint: 'endpoint-controller',
  endpointslicemirroring: 'endpointslicemirroring-controller',
  'node-lifecycle': 'node-controller',
  // Upstream's nodeipam writes with the node-controller's client too.
  nodeipam: 'node-controller',
  'taint-eviction': 'taint-eviction-controller',
  disruption: 'disruption-controller',
  garbagecollector: 'generic-garbage-collector',
  namespace: 'namespace-controller',
  serviceaccount: 'service-account-controller',
  'root-ca-cert-publisher': 'root-ca-cert-publisher',
  csrapproving: 'certificate-controller',
  csrsigning: 'certificate-controller',
  resourcequota: 'resourcequota-controller',
  podgc: 'pod-garbage-collector',
  horizontalpodautoscaling: 'horizontal-pod-autoscaler',
  'persistentvolume-binder': 'persistent-volume-binder',
  'pvc-protection': 'pvc-protection-controller',
  'pv-protection': 'pv-protection-controller',
};

export function controllerIdentity(controller: ControllerName): ClientIdentity {
  const namespace = 'kube-system';
  return {
    user: serviceAccountUsername(namespace, CONTROLLER_SERVICE_ACCOUNTS[controller]),
    groups: serviceAccountGroups(namespace),
  };
}

/** How long a component waits for the API server before it counts a request as unanswered. */
export const COMPONENT_REQUEST_TIMEOUT_US = 10_000_000;
