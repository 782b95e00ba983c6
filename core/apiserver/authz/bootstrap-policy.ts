/**
 * The RBAC bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go, as
 * rendered in its testdata/cluster-roles.yaml and cluster-role-bindings.yaml): the cluster roles
 * and bindings every cluster starts with. Left out: the certificates.k8s.io signer roles
 * (ksim has no approve/sign admission checks on signers) and the roles of components ksim
 * does not have (kube-aggregator, heapster, kubelet API admin), which would grant access to
 * APIs ksim does not serve.
 */
import type { ClusterRole, ClusterRoleBinding, PolicyRule } from '../../api/rbac-types.ts';
import { ALL_SERVICE_ACCOUNTS_GROUP } from '../authn/user.ts';
import { ALL_AUTHENTICATED, ALL_UNAUTHENTICATED, SYSTEM_PRIVILEGED_GROUP } from '../authn/user.ts';
import { CONTROLLER_ROLE_BINDINGS, CONTROLLER_ROLES } from './controller-policy.ts';
import {
  aggregatedClusterRole,
  APPS,
  AUTHENTICATION,
  AUTHORIZATION,
  AUTOSCALING,
  BATCH,
  CERTIFICATES,
  clusterRole,
  clusterRoleBinding,
  COORDINATION,
  DISCOVERY,
  eventsRule,
  EXTENSIONS,
  group,
  LEGACY,
  NETWORKING,
  NODE,
  POLICY,
  READ,
  READ_WRITE,
  rule,
  serviceAccount,
  STORAGE,
  urls,
  user,
  WRITE,
} from './policy-builders.ts';

const RBAC = 'rbac.authorization.k8s.io';

export const AGGREGATE_TO_ADMIN = 'rbac.authorization.k8s.io/aggregate-to-admin';
export const AGGREGATE_TO_EDIT = 'rbac.authorization.k8s.io/aggregate-to-edit';
export const AGGREGATE_TO_VIEW = 'rbac.authorization.k8s.io/aggregate-to-view';

/** The users kube-scheduler, kube-controller-manager and kube-proxy authenticate as. */
export const KUBE_SCHEDULER_USER = 'system:kube-scheduler';
export const KUBE_CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';
export const KUBE_PROXY_USER = 'system:kube-proxy';

/** NodeRules: what every kubelet may do; the Node authorizer narrows some of it per node. */
export const NODE_RULES: readonly PolicyRule[] = [
  rule(['create'], [AUTHENTICATION], ['tokenreviews']),
  rule(['create'], [AUTHORIZATION], ['subjectaccessreviews', 'localsubjectaccessreviews']),
  rule(READ, [LEGACY], ['services']),
  rule(['create', 'get', 'list', 'watch'], [LEGACY], ['nodes']),
  rule(['update', 'patch'], [LEGACY], ['nodes/status']),
  rule(['update', 'patch'], [LEGACY], ['nodes']),
  rule(['create', 'update', 'patch'], [LEGACY], ['events']),
  rule(READ, [LEGACY], ['pods']),
  rule(['create', 'delete'], [LEGACY], ['pods']),
  rule(['update', 'patch'], [LEGACY], ['pods/status']),
  rule(['create'], [LEGACY], ['pods/eviction']),
  rule(READ, [LEGACY], ['secrets', 'configmaps']),
  rule(['get'], [LEGACY], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['get'], [LEGACY], ['endpoints']),
  rule(['create', 'get', 'list', 'watch'], [CERTIFICATES], ['certificatesigningrequests']),
  rule(['get', 'create', 'update', 'patch', 'delete'], [COORDINATION], ['leases']),
  rule(['get'], [STORAGE], ['volumeattachments']),
  rule(['create'], [LEGACY], ['serviceaccounts/token']),
  rule(['get', 'update', 'patch'], [LEGACY], ['persistentvolumeclaims/status']),
  rule(READ, [STORAGE], ['csidrivers']),
  rule(['get', 'create', 'update', 'patch', 'delete'], [STORAGE], ['csinodes']),
  rule(READ, [NODE], ['runtimeclasses']),
];

const ADMIN_EXTRAS: readonly PolicyRule[] = [
  rule(['create'], [AUTHORIZATION], ['localsubjectaccessreviews']),
  rule(READ_WRITE, [RBAC], ['roles', 'rolebindings']),
];

const EDIT_EXTRAS: readonly PolicyRule[] = [
  rule(
    READ,
    [LEGACY],
    ['pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward', 'secrets', 'services/proxy'],
  ),
  rule(['impersonate'], [LEGACY], ['serviceaccounts']),
  rule(WRITE, [LEGACY], ['pods', 'pods/attach', 'pods/proxy', 'pods/exec', 'pods/portforward']),
  rule(['create'], [LEGACY], ['pods/eviction']),
  rule(
    WRITE,
    [LEGACY],
    [
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/proxy',
      'persistentvolumeclaims',
      'configmaps',
      'secrets',
      'events',
    ],
  ),
  rule(['create'], [LEGACY], ['serviceaccounts/token']),
  rule(
    WRITE,
    [APPS],
    [
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'deployments',
      'deployments/scale',
      'deployments/rollback',
      'replicasets',
      'replicasets/scale',
    ],
  ),
  rule(WRITE, [AUTOSCALING], ['horizontalpodautoscalers']),
  rule(WRITE, [BATCH], ['jobs', 'cronjobs']),
  rule(
    WRITE,
    [EXTENSIONS],
    [
      'daemonsets',
      'deployments',
      'deployments/scale',
      'deployments/rollback',
      'ingresses',
      'replicasets',
      'replicasets/scale',
      'replicationcontrollers/scale',
      'networkpolicies',
    ],
  ),
  rule(WRITE, [POLICY], ['poddisruptionbudgets']),
  rule(WRITE, [NETWORKING], ['ingresses', 'networkpolicies']),
  rule(READ_WRITE, [COORDINATION], ['leases']),
];

const VIEW_EXTRAS: readonly PolicyRule[] = [
  rule(
    READ,
    [LEGACY],
    [
      'pods',
      'replicationcontrollers',
      'replicationcontrollers/scale',
      'serviceaccounts',
      'services',
      'services/status',
      'endpoints',
      'persistentvolumeclaims',
      'persistentvolumeclaims/status',
      'configmaps',
    ],
  ),
  rule(
    READ,
    [LEGACY],
    [
      'limitranges',
      'resourcequotas',
      'bindings',
      'events',
      'pods/status',
      'resourcequotas/status',
      'namespaces/status',
      'replicationcontrollers/status',
      'pods/log',
    ],
  ),
  rule(READ, [LEGACY], ['namespaces']),
  rule(READ, [DISCOVERY], ['endpointslices']),
  rule(
    READ,
    [APPS],
    [
      'controllerrevisions',
      'statefulsets',
      'statefulsets/status',
      'statefulsets/scale',
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/status',
      'deployments/scale',
      'replicasets',
      'replicasets/status',
      'replicasets/scale',
    ],
  ),
  rule(READ, [AUTOSCALING], ['horizontalpodautoscalers', 'horizontalpodautoscalers/status']),
  rule(READ, [BATCH], ['jobs', 'cronjobs', 'cronjobs/status', 'jobs/status']),
  rule(
    READ,
    [EXTENSIONS],
    [
      'daemonsets',
      'daemonsets/status',
      'deployments',
      'deployments/scale',
      'deployments/status',
      'ingresses',
      'ingresses/status',
      'replicasets',
      'replicasets/scale',
      'replicasets/status',
      'replicationcontrollers/scale',
      'networkpolicies',
    ],
  ),
  rule(READ, [POLICY], ['poddisruptionbudgets', 'poddisruptionbudgets/status']),
  rule(READ, [NETWORKING], ['ingresses', 'ingresses/status', 'networkpolicies']),
];

const SCHEDULER_RULES: readonly PolicyRule[] = [
  eventsRule(),
  rule(['create'], [COORDINATION], ['leases']),
  rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-scheduler']),
  rule(READ, [LEGACY], ['nodes']),
  rule(['get', 'list', 'watch', 'delete'], [LEGACY], ['pods']),
  rule(['create'], [LEGACY], ['pods/binding', 'bindings']),
  rule(['patch', 'update'], [LEGACY], ['pods/status']),
  rule(READ, [LEGACY], ['replicationcontrollers', 'services']),
  rule(READ, [APPS, EXTENSIONS], ['replicasets']),
  rule(READ, [APPS], ['statefulsets']),
  rule(READ, [POLICY], ['poddisruptionbudgets']),
  rule(READ, [LEGACY], ['persistentvolumeclaims', 'persistentvolumes']),
  rule(['create'], [AUTHENTICATION], ['tokenreviews']),
  rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
  rule(READ, [STORAGE], ['csinodes']),
  rule(READ, [LEGACY], ['namespaces']),
  rule(READ, [STORAGE], ['csidrivers']),
  rule(READ, [STORAGE], ['csistoragecapacities']),
];

const CONTROLLER_MANAGER_RULES: readonly PolicyRule[] = [
  eventsRule(),
  rule(['create'], [COORDINATION], ['leases']),
  rule(['get', 'update'], [COORDINATION], ['leases'], ['kube-controller-manager']),
  rule(['create'], [LEGACY], ['secrets', 'serviceaccounts']),
  rule(['delete'], [LEGACY], ['secrets']),
  rule(['get'], [LEGACY], ['namespaces', 'secrets', 'serviceaccounts', 'configmaps']),
  rule(['update'], [LEGACY], ['secrets', 'serviceaccounts']),
  rule(['create'], [AUTHENTICATION], ['tokenreviews']),
  rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
  // Every shared informer lists and watches.
  rule(['list', 'watch'], ['*'], ['*']),
  rule(['create'], [LEGACY], ['serviceaccounts/token']),
];

const BOOTSTRAP_CLUSTER_ROLES: readonly ClusterRole[] = [
  aggregatedClusterRole('admin', AGGREGATE_TO_ADMIN),
  clusterRole('cluster-admin', [rule(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  aggregatedClusterRole('edit', AGGREGATE_TO_EDIT, { [AGGREGATE_TO_ADMIN]: 'true' }),
  clusterRole('system:aggregate-to-admin', ADMIN_EXTRAS, { [AGGREGATE_TO_ADMIN]: 'true' }),
  clusterRole('system:aggregate-to-edit', EDIT_EXTRAS, { [AGGREGATE_TO_EDIT]: 'true' }),
  clusterRole('system:aggregate-to-view', VIEW_EXTRAS, { [AGGREGATE_TO_VIEW]: 'true' }),
  clusterRole('system:auth-delegator', [
    rule(['create'], [AUTHENTICATION], ['tokenreviews']),
    rule(['create'], [AUTHORIZATION], ['subjectaccessreviews']),
  ]),
  clusterRole('system:basic-user', [
    rule(['create'], [AUTHORIZATION], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    rule(['create'], [AUTHENTICATION], ['selfsubjectreviews']),
  ]),
  clusterRole('system:discovery', [
    urls(
      ['get'],
      [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
    ),
  ]),
  clusterRole('system:kube-controller-manager', CONTROLLER_MANAGER_RULES),
  clusterRole('system:kube-dns', [rule(['list', 'watch'], [LEGACY], ['endpoints', 'services'])]),
  clusterRole('system:kube-scheduler', SCHEDULER_RULES),
  clusterRole('system:monitoring', [
    urls(
      ['get'],
      [
        '/healthz',
        '/healthz/*',
        '/livez',
        '/livez/*',
        '/metrics',
        '/metrics/slis',
        '/readyz',
        '/readyz/*',
      ],
    ),
  ]),
  clusterRole('system:node', NODE_RULES),
  // TLS bootstrap (policy.go): who may ask for a node client credential, and the requests the
  // CSR approver approves on its own (csrapproving checks these with SubjectAccessReviews).
  clusterRole('system:node-bootstrapper', [
    rule(['create', 'get', 'list', 'watch'], [CERTIFICATES], ['certificatesigningrequests']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:nodeclient', [
    rule(['create'], [CERTIFICATES], ['certificatesigningrequests/nodeclient']),
  ]),
  clusterRole('system:certificates.k8s.io:certificatesigningrequests:selfnodeclient', [
    rule(['create'], [CERTIFICATES], ['certificatesigningrequests/selfnodeclient']),
  ]),
  clusterRole('system:node-problem-detector', [
    rule(['get'], [LEGACY], ['nodes']),
    rule(['patch'], [LEGACY], ['nodes/status']),
    eventsRule(),
  ]),
  clusterRole('system:node-proxier', [
    rule(['list', 'watch'], [LEGACY], ['services', 'endpoints']),
    rule(READ, [LEGACY], ['nodes']),
    eventsRule(),
    rule(['list', 'watch'], [DISCOVERY], ['endpointslices']),
  ]),
  clusterRole('system:persistent-volume-provisioner', [
    rule(['get', 'list', 'watch', 'create', 'delete'], [LEGACY], ['persistentvolumes']),
    rule(['get', 'list', 'watch', 'update'], [LEGACY], ['persistentvolumeclaims']),
    rule(READ, [STORAGE], ['storageclasses']),
    rule(['watch'], [LEGACY], ['events']),
    eventsRule(),
  ]),
  clusterRole('system:public-info-viewer', [
    urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/']),
  ]),
  clusterRole('system:service-account-issuer-discovery', [
    urls(['get'], ['/.well-known/openid-configuration', '/openid/v1/jwks']),
  ]),
  clusterRole('system:volume-scheduler', [
    rule(['get', 'list', 'watch', 'patch', 'update'], [LEGACY], ['persistentvolumes']),
    rule(READ, [STORAGE], ['storageclasses']),
    rule(['get', 'list', 'watch', 'patch', 'update'], [LEGACY], ['persistentvolumeclaims']),
  ]),
  aggregatedClusterRole('view', AGGREGATE_TO_VIEW, { [AGGREGATE_TO_EDIT]: 'true' }),
  // The roles metrics-server's manifest installs (the cluster assembly runs it by default):
  // what it reads, and metrics.k8s.io for whoever may view, edit or administer a namespace.
  clusterRole('system:metrics-server', [
    rule(['get'], [LEGACY], ['nodes/metrics']),
    rule(['get', 'list', 'watch'], [LEGACY], ['pods', 'nodes']),
  ]),
  clusterRole(
    'system:aggregated-metrics-reader',
    [rule(['get', 'list', 'watch'], ['metrics.k8s.io'], ['pods', 'nodes'])],
    {
      [AGGREGATE_TO_VIEW]: 'true',
      [AGGREGATE_TO_EDIT]: 'true',
      [AGGREGATE_TO_ADMIN]: 'true',
    },
  ),
];

const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  clusterRoleBinding('cluster-admin', [group(SYSTEM_PRIVILEGED_GROUP)]),
  clusterRoleBinding('system:monitoring', [group('system:monitoring')]),
  clusterRoleBinding('system:discovery', [group(ALL_AUTHENTICATED)]),
  clusterRoleBinding('system:basic-user', [group(ALL_AUTHENTICATED)]),
  clusterRoleBinding('system:public-info-viewer', [
    group(ALL_AUTHENTICATED),
    group(ALL_UNAUTHENTICATED),
  ]),
  clusterRoleBinding('system:node-proxier', [user(KUBE_PROXY_USER)]),
  clusterRoleBinding('system:kube-controller-manager', [user(KUBE_CONTROLLER_MANAGER_USER)]),
  clusterRoleBinding('system:kube-dns', [serviceAccount('kube-system', 'kube-dns')]),
  clusterRoleBinding('system:kube-scheduler', [user(KUBE_SCHEDULER_USER)]),
  clusterRoleBinding('system:volume-scheduler', [user(KUBE_SCHEDULER_USER)]),
  clusterRoleBinding('system:service-account-issuer-discovery', [
    group(ALL_SERVICE_ACCOUNTS_GROUP),
  ]),
  clusterRoleBinding('system:metrics-server', [serviceAccount('kube-system', 'metrics-server')]),
  // The Node authorizer grants nodes this role; upstream keeps the binding without subjects.
  clusterRoleBinding('system:node', []),
];

/** Every cluster role the API server keeps reconciled, controllers' included. */
export const CLUSTER_ROLES: readonly ClusterRole[] = [
  ...BOOTSTRAP_CLUSTER_ROLES,
  ...CONTROLLER_ROLES,
];

export const CLUSTER_ROLE_BINDINGS: readonly ClusterRoleBinding[] = [
  ...BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  ...CONTROLLER_ROLE_BINDINGS,
];
