/**
 * API Priority and Fairness configuration, in the shape of flowcontrol.apiserver.k8s.io/v1
 * FlowSchema and PriorityLevelConfiguration specs, and the bootstrap objects kube-apiserver 1.32
 * installs (k8s.io/apiserver/pkg/apis/flowcontrol/bootstrap/default.go): the mandatory exempt and
 * catch-all levels and schemas, and the suggested ones for nodes, leader election, the control
 * plane's components and service accounts, and everyone else (global-default).
 */
import {
  ALL_AUTHENTICATED,
  ALL_SERVICE_ACCOUNTS_GROUP,
  ALL_UNAUTHENTICATED,
  NODES_GROUP,
  SYSTEM_PRIVILEGED_GROUP,
} from '../authn/user.ts';

/** flowcontrol.VerbAll, APIGroupAll, ResourceAll, NamespaceEvery, NonResourceAll, NameAll. */
export const ALL = '*';

export type Subject =
  | { readonly kind: 'User'; readonly user: { readonly name: string } }
  | { readonly kind: 'Group'; readonly group: { readonly name: string } }
  | {
      readonly kind: 'ServiceAccount';
      readonly serviceAccount: { readonly namespace: string; readonly name: string };
    };

export interface ResourcePolicyRule {
  readonly verbs: readonly string[];
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly namespaces?: readonly string[];
  readonly clusterScope?: boolean;
}

export interface NonResourcePolicyRule {
  readonly verbs: readonly string[];
  readonly nonResourceURLs: readonly string[];
}

export interface PolicyRulesWithSubjects {
  readonly subjects: readonly Subject[];
  readonly resourceRules?: readonly ResourcePolicyRule[];
  readonly nonResourceRules?: readonly NonResourcePolicyRule[];
}

export type DistinguisherMethod = 'ByUser' | 'ByNamespace';

export interface FlowSchemaConfig {
  readonly name: string;
  readonly priorityLevel: string;
  readonly matchingPrecedence: number;
  readonly distinguisherMethod?: DistinguisherMethod;
  readonly rules: readonly PolicyRulesWithSubjects[];
}

export interface QueuingConfig {
  readonly queues: number;
  readonly handSize: number;
  readonly queueLengthLimit: number;
}

export type PriorityLevelConfig =
  | { readonly name: string; readonly type: 'Exempt' }
  | {
      readonly name: string;
      readonly type: 'Limited';
      readonly nominalConcurrencyShares: number;
      readonly lendablePercent: number;
      /** Absent: limitResponse Reject (no queues). */
      readonly queuing?: QueuingConfig;
    };

export interface FlowControlConfig {
  readonly flowSchemas: readonly FlowSchemaConfig[];
  readonly priorityLevels: readonly PriorityLevelConfig[];
}

const KUBE_CONTROLLER_MANAGER = 'system:kube-controller-manager';
const KUBE_SCHEDULER = 'system:kube-scheduler';
const KUBE_SYSTEM = 'kube-system';

const groups = (...names: string[]): Subject[] =>
  names.map((name) => ({ kind: 'Group', group: { name } }));
const users = (...names: string[]): Subject[] =>
  names.map((name) => ({ kind: 'User', user: { name } }));
const kubeSystemServiceAccounts: Subject = {
  kind: 'ServiceAccount',
  serviceAccount: { namespace: KUBE_SYSTEM, name: ALL },
};

/** Every verb on every resource, namespaced or not, and every non-resource URL. */
const EVERYTHING = {
  resourceRules: [
    { verbs: [ALL], apiGroups: [ALL], resources: [ALL], namespaces: [ALL], clusterScope: true },
  ],
  nonResourceRules: [{ verbs: [ALL], nonResourceURLs: [ALL] }],
} as const;

const LEASES_GET_CREATE_UPDATE: ResourcePolicyRule = {
  verbs: ['get', 'create', 'update'],
  apiGroups: ['coordination.k8s.io'],
  resources: ['leases'],
  namespaces: [ALL],
};

const queued = (queues: number, handSize: number): QueuingConfig => ({
  queues,
  handSize,
  queueLengthLimit: 50,
});

/** The mandatory and suggested PriorityLevelConfigurations of kube-apiserver 1.32. */
export const DEFAULT_PRIORITY_LEVELS: readonly PriorityLevelConfig[] = [
  { name: 'exempt', type: 'Exempt' },
  {
    name: 'catch-all',
    type: 'Limited',
    nominalConcurrencyShares: 5,
    lendablePercent: 0,
  },
  {
    name: 'system',
    type: 'Limited',
    nominalConcurrencyShares: 30,
    lendablePercent: 33,
    queuing: queued(64, 6),
  },
  {
    name: 'node-high',
    type: 'Limited',
    nominalConcurrencyShares: 40,
    lendablePercent: 25,
    queuing: queued(64, 6),
  },
  {
    name: 'leader-election',
    type: 'Limited',
    nominalConcurrencyShares: 10,
    lendablePercent: 0,
    queuing: queued(16, 4),
  },
  {
    name: 'workload-high',
    type: 'Limited',
    nominalConcurrencyShares: 40,
    lendablePercent: 50,
    queuing: queued(128, 6),
  },
  {
    name: 'workload-low',
    type: 'Limited',
    nominalConcurrencyShares: 100,
    lendablePercent: 90,
    queuing: queued(128, 6),
  },
  {
    name: 'global-default',
    type: 'Limited',
    nominalConcurrencyShares: 20,
    lendablePercent: 50,
    queuing: queued(128, 6),
  },
];

/** The mandatory and suggested FlowSchemas of kube-apiserver 1.32. */
export const DEFAULT_FLOW_SCHEMAS: readonly FlowSchemaConfig[] = [
  {
    name: 'exempt',
    priorityLevel: 'exempt',
    matchingPrecedence: 1,
    rules: [{ subjects: groups(SYSTEM_PRIVILEGED_GROUP), ...EVERYTHING }],
  },
  {
    name: 'probes',
    priorityLevel: 'exempt',
    matchingPrecedence: 2,
    rules: [
      {
        subjects: groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED),
        nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/readyz', '/livez'] }],
      },
    ],
  },
  {
    name: 'system-leader-election',
    priorityLevel: 'leader-election',
    matchingPrecedence: 100,
    distinguisherMethod: 'ByUser',
    rules: [
      {
        subjects: [...users(KUBE_CONTROLLER_MANAGER, KUBE_SCHEDULER), kubeSystemServiceAccounts],
        resourceRules: [
          {
            verbs: ['get', 'create', 'update'],
            apiGroups: [''],
            resources: ['endpoints', 'configmaps'],
            namespaces: [KUBE_SYSTEM],
          },
          LEASES_GET_CREATE_UPDATE,
        ],
      },
    ],
  },
  {
    name: 'workload-leader-election',
    priorityLevel: 'leader-election',
    matchingPrecedence: 200,
    distinguisherMethod: 'ByUser',
    rules: [
      {
        subjects: [kubeSystemServiceAccounts],
        resourceRules: [
          {
            verbs: ['get', 'create', 'update'],
            apiGroups: [''],
            resources: ['endpoints', 'configmaps'],
            namespaces: [ALL],
          },
          LEASES_GET_CREATE_UPDATE,
        ],
      },
    ],
  },
  {
    name: 'system-node-high',
    priorityLevel: 'node-high',
    matchingPrecedence: 400,
    distinguisherMethod: 'ByUser',
    rules: [
      {
        subjects: groups(NODES_GROUP),
        resourceRules: [
          {
            verbs: [ALL],
            apiGroups: [''],
            resources: ['nodes', 'nodes/status'],
            namespaces: [ALL],
            clusterScope: true,
          },
          {
            verbs: [ALL],
            apiGroups: ['coordination.k8s.io'],
            resources: ['leases'],
            namespaces: [ALL],
          },
        ],
      },
    ],
  },
  {
    name: 'system-nodes',
    priorityLevel: 'system',
    matchingPrecedence: 500,
    distinguisherMethod: 'ByUser',
    rules: [{ subjects: groups(NODES_GROUP), ...EVERYTHING }],
  },
  {
    name: 'kube-controller-manager',
    priorityLevel: 'workload-high',
    matchingPrecedence: 800,
    distinguisherMethod: 'ByNamespace',
    rules: [{ subjects: users(KUBE_CONTROLLER_MANAGER), ...EVERYTHING }],
  },
  {
    name: 'kube-scheduler',
    priorityLevel: 'workload-high',
    matchingPrecedence: 800,
    distinguisherMethod: 'ByNamespace',
    rules: [{ subjects: users(KUBE_SCHEDULER), ...EVERYTHING }],
  },
  {
    name: 'kube-system-service-accounts',
    priorityLevel: 'workload-high',
    matchingPrecedence: 900,
    distinguisherMethod: 'ByNamespace',
    rules: [{ subjects: [kubeSystemServiceAccounts], ...EVERYTHING }],
  },
  {
    name: 'service-accounts',
    priorityLevel: 'workload-low',
    matchingPrecedence: 9000,
    distinguisherMethod: 'ByUser',
    rules: [{ subjects: groups(ALL_SERVICE_ACCOUNTS_GROUP), ...EVERYTHING }],
  },
  {
    name: 'global-default',
    priorityLevel: 'global-default',
    matchingPrecedence: 9900,
    distinguisherMethod: 'ByUser',
    rules: [{ subjects: groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED), ...EVERYTHING }],
  },
  {
    name: 'catch-all',
    priorityLevel: 'catch-all',
    matchingPrecedence: 10000,
    distinguisherMethod: 'ByUser',
    rules: [{ subjects: groups(ALL_UNAUTHENTICATED, ALL_AUTHENTICATED), ...EVERYTHING }],
  },
];

export const DEFAULT_FLOW_CONTROL: FlowControlConfig = {
  flowSchemas: DEFAULT_FLOW_SCHEMAS,
  priorityLevels: DEFAULT_PRIORITY_LEVELS,
};
