/**
 * The controllers' roles (bootstrappolicy/controller_policy.go): one cluster role per
 * kube-controller-manager controller, named system:controller:<service account>, bound to the
 * service account kube-system/<service account> the controller runs as
 * (--use-service-account-credentials). Feature-gated and cloud-only controllers are left out.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '../../api/rbac-types.ts';
import {
  APPS,
  AUTOSCALING,
  AUTHORIZATION,
  BATCH,
  CERTIFICATES,
  clusterRole,
  clusterRoleBinding,
  DISCOVERY,
  eventsRule,
  EXTENSIONS,
  LEGACY,
  POLICY,
  READ,
  rule,
  serviceAccount,
  STORAGE,
} from './policy-builders.ts';

export const CONTROLLER_ROLE_PREFIX = 'system:controller:';
const RBAC = 'rbac.authorization.k8s.io';

const ROLES: Readonly<Record<string, readonly PolicyRule[]>> = {
  'certificate-controller': [
    rule(['get', 'list', 'watch', 'delete'], [CERTIFICATES], ['certificatesigningrequests']),
    rule(
      ['update'],
      [CERTIFICATES],
      ['certificatesigningrequests/status', 'certificatesigningrequests/approval'],
    ),
    rule(['approve'], [CERTIFICATES], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
    rule(['sign'], [CERTIFICATES], ['signers'], ['kubernetes.io/kube-apiserver-client-kubelet']),
    rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
    eventsRule(),
  ],
  'clusterrole-aggregation-controller': [
    rule(['escalate', 'get', 'list', 'watch', 'update', 'patch'], [RBAC], ['clusterroles']),
  ],
  'cronjob-controller': [
    rule(['get', 'list', 'watch', 'update'], [BATCH], ['cronjobs']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete', 'patch'], [BATCH], ['jobs']),
    rule(['update'], [BATCH], ['cronjobs/status']),
    rule(['update'], [BATCH], ['cronjobs/finalizers']),
    rule(['list', 'watch', 'delete'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'daemon-set-controller': [
    rule(READ, [EXTENSIONS, APPS], ['daemonsets']),
    rule(['update'], [EXTENSIONS, APPS], ['daemonsets/status']),
    rule(['update'], [EXTENSIONS, APPS], ['daemonsets/finalizers']),
    rule(['list', 'watch'], [LEGACY], ['nodes']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [LEGACY], ['pods']),
    rule(['create'], [LEGACY], ['pods/binding']),
    rule(
      ['get', 'list', 'watch', 'create', 'delete', 'update', 'patch'],
      [APPS],
      ['controllerrevisions'],
    ),
    eventsRule(),
  ],
  'deployment-controller': [
    rule(['get', 'list', 'watch', 'update'], [EXTENSIONS, APPS], ['deployments']),
    rule(['update'], [EXTENSIONS, APPS], ['deployments/status']),
    rule(['update'], [EXTENSIONS, APPS], ['deployments/finalizers']),
    rule(
      ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      [APPS, EXTENSIONS],
      ['replicasets'],
    ),
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'disruption-controller': [
    rule(READ, [EXTENSIONS, APPS], ['deployments']),
    rule(READ, [APPS, EXTENSIONS], ['replicasets']),
    rule(READ, [LEGACY], ['replicationcontrollers']),
    rule(READ, [POLICY], ['poddisruptionbudgets']),
    rule(READ, [APPS], ['statefulsets']),
    rule(['update'], [POLICY], ['poddisruptionbudgets/status']),
    rule(['patch', 'update'], [LEGACY], ['pods/status']),
    rule(['get'], ['*'], ['*/scale']),
    eventsRule(),
  ],
  'endpoint-controller': [
    rule(READ, [LEGACY], ['services', 'pods']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete'], [LEGACY], ['endpoints']),
    rule(['create'], [LEGACY], ['endpoints/restricted']),
    eventsRule(),
  ],
  'endpointslice-controller': [
    rule(READ, [LEGACY], ['services', 'pods', 'nodes']),
    rule(['update'], [LEGACY], ['services/finalizers']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete'], [DISCOVERY], ['endpointslices']),
    eventsRule(),
  ],
  'endpointslicemirroring-controller': [
    rule(READ, [LEGACY], ['services', 'endpoints']),
    rule(['update'], [LEGACY], ['services/finalizers']),
    rule(['update'], [LEGACY], ['endpoints/finalizers']),
    rule(['get', 'list', 'watch', 'create', 'update', 'delete'], [DISCOVERY], ['endpointslices']),
    eventsRule(),
  ],
  'ephemeral-volume-controller': [
    rule(READ, [LEGACY], ['pods']),
    rule(['update'], [LEGACY], ['pods/finalizers']),
    rule(['get', 'list', 'watch', 'create'], [LEGACY], ['persistentvolumeclaims']),
    eventsRule(),
  ],
  'expand-controller': [
    rule(['get', 'list', 'watch', 'update', 'patch'], [LEGACY], ['persistentvolumes']),
    rule(['update', 'patch'], [LEGACY], ['persistentvolumeclaims/status']),
    rule(READ, [LEGACY], ['persistentvolumeclaims']),
    eventsRule(),
    rule(['get'], [LEGACY], ['services']),
  ],
  'generic-garbage-collector': [
    rule(['get', 'list', 'watch', 'patch', 'update', 'delete'], ['*'], ['*']),
    eventsRule(),
  ],
  'horizontal-pod-autoscaler': [
    rule(READ, [AUTOSCALING], ['horizontalpodautoscalers']),
    rule(['update'], [AUTOSCALING], ['horizontalpodautoscalers/status']),
    rule(['get', 'update'], ['*'], ['*/scale']),
    rule(['list', 'watch'], [LEGACY], ['pods']),
    rule(['list', 'watch'], ['metrics.k8s.io'], ['pods']),
    rule(READ, ['custom.metrics.k8s.io'], ['*']),
    rule(READ, ['external.metrics.k8s.io'], ['*']),
    eventsRule(),
  ],
  'job-controller': [
    rule(['get', 'list', 'watch', 'update', 'patch'], [BATCH], ['jobs']),
    rule(['update'], [BATCH], ['jobs/status']),
    rule(['update'], [BATCH], ['jobs/finalizers']),
    rule(['list', 'watch', 'create', 'delete', 'patch'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'namespace-controller': [
    rule(['get', 'list', 'watch', 'delete'], [LEGACY], ['namespaces']),
    rule(['update'], [LEGACY], ['namespaces/finalize', 'namespaces/status']),
    rule(['get', 'list', 'watch', 'delete', 'deletecollection'], ['*'], ['*']),
  ],
  'node-controller': [
    rule(['get', 'list', 'watch', 'update', 'delete', 'patch'], [LEGACY], ['nodes']),
    rule(['patch', 'update'], [LEGACY], ['nodes/status']),
    rule(['patch', 'update'], [LEGACY], ['pods/status']),
    rule(['list', 'watch', 'get', 'delete'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'persistent-volume-binder': [
    rule(['get', 'list', 'watch', 'update', 'create', 'delete'], [LEGACY], ['persistentvolumes']),
    rule(['update'], [LEGACY], ['persistentvolumes/status']),
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['persistentvolumeclaims']),
    rule(['update'], [LEGACY], ['persistentvolumeclaims/status']),
    rule(['list', 'watch', 'get', 'create', 'delete'], [LEGACY], ['pods']),
    rule(READ, [STORAGE], ['storageclasses']),
    rule(['list', 'watch'], [LEGACY], ['nodes']),
    eventsRule(),
    rule(['watch'], [LEGACY], ['events']),
    rule(['get'], [LEGACY], ['services']),
  ],
  'pod-garbage-collector': [
    rule(['list', 'watch', 'delete'], [LEGACY], ['pods']),
    rule(READ, [LEGACY], ['nodes']),
    rule(['patch'], [LEGACY], ['pods/status']),
  ],
  'pv-protection-controller': [
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['persistentvolumes']),
    eventsRule(),
  ],
  'pvc-protection-controller': [
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['persistentvolumeclaims']),
    rule(['list', 'watch', 'get'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'replicaset-controller': [
    rule(['get', 'list', 'watch', 'update'], [APPS, EXTENSIONS], ['replicasets']),
    rule(['update'], [APPS, EXTENSIONS], ['replicasets/status']),
    rule(['update'], [APPS, EXTENSIONS], ['replicasets/finalizers']),
    rule(['list', 'watch', 'patch', 'create', 'delete'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'replication-controller': [
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['replicationcontrollers']),
    rule(['update'], [LEGACY], ['replicationcontrollers/status']),
    rule(['update'], [LEGACY], ['replicationcontrollers/finalizers']),
    rule(['list', 'watch', 'patch', 'create', 'delete'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'resourcequota-controller': [
    rule(['list', 'watch'], ['*'], ['*']),
    rule(['update'], [LEGACY], ['resourcequotas/status']),
    eventsRule(),
  ],
  'root-ca-cert-publisher': [rule(['create', 'update'], [LEGACY], ['configmaps']), eventsRule()],
  'route-controller': [
    rule(['list', 'watch'], [LEGACY], ['nodes']),
    rule(['patch'], [LEGACY], ['nodes/status']),
    eventsRule(),
  ],
  'service-account-controller': [rule(['create'], [LEGACY], ['serviceaccounts']), eventsRule()],
  'service-controller': [
    rule(READ, [LEGACY], ['services']),
    rule(['patch', 'update'], [LEGACY], ['services/status']),
    rule(['list', 'watch'], [LEGACY], ['nodes']),
    eventsRule(),
  ],
  'statefulset-controller': [
    rule(['list', 'watch'], [LEGACY], ['pods']),
    rule(READ, [APPS], ['statefulsets']),
    rule(['update'], [APPS], ['statefulsets/status']),
    rule(['update'], [APPS], ['statefulsets/finalizers']),
    rule(['get', 'create', 'delete', 'update', 'patch'], [LEGACY], ['pods']),
    rule(
      ['get', 'create', 'delete', 'update', 'patch', 'list', 'watch'],
      [APPS],
      ['controllerrevisions'],
    ),
    rule(['get', 'create', 'list', 'watch'], [LEGACY], ['persistentvolumeclaims']),
    rule(['update', 'delete'], [LEGACY], ['persistentvolumeclaims']),
    rule(['update'], [LEGACY], ['pods/finalizers']),
    eventsRule(),
  ],
  'taint-eviction-controller': [
    rule(['patch', 'update'], [LEGACY], ['pods/status']),
    // The controller reads the pod fresh before it deletes it.
    rule(['list', 'get', 'delete'], [LEGACY], ['pods']),
    eventsRule(),
  ],
  'ttl-after-finished-controller': [
    rule(['get', 'list', 'watch', 'delete'], [BATCH], ['jobs']),
    eventsRule(),
  ],
  'ttl-controller': [rule(['update', 'patch', 'list', 'watch'], [LEGACY], ['nodes']), eventsRule()],
};

const NAMES = Object.keys(ROLES).sort();

export const CONTROLLER_ROLES: readonly ClusterRole[] = NAMES.map((sa) =>
  clusterRole(`${CONTROLLER_ROLE_PREFIX}${sa}`, ROLES[sa] as readonly PolicyRule[]),
);

export const CONTROLLER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = NAMES.map((sa) =>
  clusterRoleBinding(`${CONTROLLER_ROLE_PREFIX}${sa}`, [serviceAccount('kube-system', sa)]),
);
