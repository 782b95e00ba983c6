import { describe, expect, it } from 'vitest';
import type { HttpMethod } from '../../../../core/api/http.ts';
import { userInfo } from '../../../../core/apiserver/authn/user.ts';
import {
  DEFAULT_PRIORITY_LEVELS,
  DEFAULT_FLOW_CONTROL,
} from '../../../../core/apiserver/flow-control/config.ts';
import {
  FlowControl,
  nominalConcurrencyLimits,
} from '../../../../core/apiserver/flow-control/flow-control.ts';
import { requestDigest } from '../../../../core/apiserver/flow-control/matching.ts';
import { hashFlowId } from '../../../../core/apiserver/flow-control/shuffle-shard.ts';
import { VirtualClock } from '../../../../sim/scheduler-perf/virtual-clock.ts';

const node = userInfo('system:node:n1', ['system:nodes', 'system:authenticated']);
const controllerManager = userInfo('system:kube-controller-manager', ['system:authenticated']);
const scheduler = userInfo('system:kube-scheduler', ['system:authenticated']);
const replicaSetController = userInfo('system:serviceaccount:kube-system:replicaset-controller', [
  'system:serviceaccounts',
  'system:serviceaccounts:kube-system',
  'system:authenticated',
]);
const appAccount = userInfo('system:serviceaccount:default:app', [
  'system:serviceaccounts',
  'system:serviceaccounts:default',
  'system:authenticated',
]);
const alice = userInfo('alice', ['system:authenticated']);
const anonymous = userInfo('system:anonymous', ['system:unauthenticated']);
const admin = userInfo('kubernetes-admin', ['system:masters', 'system:authenticated']);
const groupless = userInfo('nobody');

const LEASE = '/apis/coordination.k8s.io/v1/namespaces';

describe('classification by the default FlowSchemas of 1.32', () => {
  const flowControl = new FlowControl({ serverConcurrencyLimit: 600 }, new VirtualClock(0));
  const cases: [string, ReturnType<typeof userInfo>, HttpMethod, string, string, string][] = [
    [
      'a node writes its status',
      node,
      'PUT',
      '/api/v1/nodes/n1/status',
      'system-node-high',
      'node-high',
    ],
    [
      'a node renews its lease',
      node,
      'PUT',
      `${LEASE}/kube-node-lease/leases/n1`,
      'system-node-high',
      'node-high',
    ],
    ['a node gets its Node', node, 'GET', '/api/v1/nodes/n1', 'system-node-high', 'node-high'],
    ['a node lists pods', node, 'GET', '/api/v1/pods', 'system-nodes', 'system'],
    [
      'a node writes pod status',
      node,
      'PUT',
      '/api/v1/namespaces/default/pods/p/status',
      'system-nodes',
      'system',
    ],
    [
      'the controller manager renews its lease',
      controllerManager,
      'PUT',
      `${LEASE}/kube-system/leases/kube-controller-manager`,
      'system-leader-election',
      'leader-election',
    ],
    [
      'the controller manager lists pods',
      controllerManager,
      'GET',
      '/api/v1/pods',
      'kube-controller-manager',
      'workload-high',
    ],
    [
      'the scheduler renews its lease',
      scheduler,
      'PUT',
      `${LEASE}/kube-system/leases/kube-scheduler`,
      'system-leader-election',
      'leader-election',
    ],
    [
      'the scheduler binds a pod',
      scheduler,
      'POST',
      '/api/v1/namespaces/default/pods/p/binding',
      'kube-scheduler',
      'workload-high',
    ],
    [
      'a controller creates a pod',
      replicaSetController,
      'POST',
      '/api/v1/namespaces/default/pods',
      'kube-system-service-accounts',
      'workload-high',
    ],
    [
      'a controller gets a lease in kube-system',
      replicaSetController,
      'GET',
      `${LEASE}/kube-system/leases/x`,
      'system-leader-election',
      'leader-election',
    ],
    [
      'a controller deletes a lease',
      replicaSetController,
      'DELETE',
      `${LEASE}/default/leases/x`,
      'kube-system-service-accounts',
      'workload-high',
    ],
    [
      'a kube-system account updates a lease elsewhere',
      replicaSetController,
      'PUT',
      `${LEASE}/default/leases/x`,
      'system-leader-election',
      'leader-election',
    ],
    [
      'an application service account lists pods',
      appAccount,
      'GET',
      '/api/v1/namespaces/default/pods',
      'service-accounts',
      'workload-low',
    ],
    [
      'an authenticated user',
      alice,
      'GET',
      '/apis/apps/v1/deployments',
      'global-default',
      'global-default',
    ],
    [
      'an anonymous user',
      anonymous,
      'GET',
      '/api/v1/namespaces',
      'global-default',
      'global-default',
    ],
    ['an anonymous probe', anonymous, 'GET', '/readyz', 'probes', 'exempt'],
    [
      'an anonymous probe of a sub-path is not one',
      anonymous,
      'GET',
      '/readyz/etcd',
      'global-default',
      'global-default',
    ],
    ['a super-user', admin, 'DELETE', '/api/v1/namespaces/default/pods/p', 'exempt', 'exempt'],
    [
      'a user in no group falls back to catch-all',
      groupless,
      'GET',
      '/api/v1/pods',
      'catch-all',
      'catch-all',
    ],
  ];
  it.each(cases)('%s', (_, user, method, path, flowSchema, priorityLevel) => {
    const flow = flowControl.classify(user, method, path, {});
    expect([flow.flowSchema, flow.priorityLevel]).toEqual([flowSchema, priorityLevel]);
    expect(flow.queueSet === undefined).toBe(priorityLevel === 'exempt');
  });

  it('tells flows apart by user or by namespace, as the schema says', () => {
    const inDefault = flowControl.classify(
      replicaSetController,
      'POST',
      '/api/v1/namespaces/default/pods',
      {},
    );
    expect(inDefault.flowHash).toBe(hashFlowId('kube-system-service-accounts', 'default'));
    const cluster = flowControl.classify(replicaSetController, 'GET', '/api/v1/nodes', {});
    expect(cluster.flowHash).toBe(hashFlowId('kube-system-service-accounts', ''));
    const byUser = flowControl.classify(alice, 'GET', '/api/v1/namespaces/default/pods', {});
    expect(byUser.flowHash).toBe(hashFlowId('global-default', 'alice'));
    const exempt = flowControl.classify(admin, 'GET', '/api/v1/pods', {});
    expect(exempt.flowHash).toBe(hashFlowId('exempt', ''));
  });

  it('remembers flow hashes, and past its bound starts over without a wrong one', () => {
    const hashOf = (name: string): bigint =>
      flowControl.classify(userInfo(name, ['system:authenticated']), 'GET', '/api/v1/pods', {})
        .flowHash;
    // 5,000 users overrun the 4,096 remembered flows once; every answer, first or remembered,
    // is the flow's own hash.
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5000; i++) {
        expect(hashOf(`user-${i}`)).toBe(hashFlowId('global-default', `user-${i}`));
      }
    }
    expect(hashOf('alice')).toBe(hashFlowId('global-default', 'alice'));
  });
});

describe('request digest', () => {
  const cases: [HttpMethod, string, Record<string, string>, ReturnType<typeof requestDigest>][] = [
    [
      'GET',
      '/api/v1/pods',
      {},
      { kind: 'resource', verb: 'list', apiGroup: '', resource: 'pods', namespace: '' },
    ],
    [
      'GET',
      '/api/v1/namespaces/ns/pods',
      { watch: 'true' },
      { kind: 'resource', verb: 'watch', apiGroup: '', resource: 'pods', namespace: 'ns' },
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/ns/deployments/d/scale',
      {},
      {
        kind: 'resource',
        verb: 'patch',
        apiGroup: 'apps',
        resource: 'deployments/scale',
        namespace: 'ns',
      },
    ],
    [
      'GET',
      '/api/v1/namespaces/ns',
      {},
      { kind: 'resource', verb: 'get', apiGroup: '', resource: 'namespaces', namespace: 'ns' },
    ],
    [
      'PUT',
      '/api/v1/namespaces/ns/finalize',
      {},
      {
        kind: 'resource',
        verb: 'update',
        apiGroup: '',
        resource: 'namespaces/finalize',
        namespace: 'ns',
      },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/ns/pods',
      {},
      {
        kind: 'resource',
        verb: 'deletecollection',
        apiGroup: '',
        resource: 'pods',
        namespace: 'ns',
      },
    ],
    ['GET', '/apis/apps/v1', {}, { kind: 'non-resource', verb: 'get', path: '/apis/apps/v1' }],
    ['GET', '/healthz', {}, { kind: 'non-resource', verb: 'get', path: '/healthz' }],
  ];
  it.each(cases)('%s %s', (method, path, query, digest) => {
    expect(requestDigest(method, path, query)).toEqual(digest);
  });
});

describe('seats', () => {
  it("splits 600 seats by nominalConcurrencyShares, rounding up, as upstream's defaults give", () => {
    expect(Object.fromEntries(nominalConcurrencyLimits(DEFAULT_PRIORITY_LEVELS, 600))).toEqual({
      'catch-all': 13,
      system: 74,
      'node-high': 98,
      'leader-election': 25,
      'workload-high': 98,
      'workload-low': 245,
      'global-default': 49,
    });
  });

  it('refuses a configuration with a missing priority level or no seats', () => {
    const clock = new VirtualClock(0);
    const broken = {
      ...DEFAULT_FLOW_CONTROL,
      flowSchemas: [
        ...DEFAULT_FLOW_CONTROL.flowSchemas,
        { name: 'x', priorityLevel: 'nowhere', matchingPrecedence: 5, rules: [] },
      ],
    };
    expect(() => new FlowControl({ serverConcurrencyLimit: 600, config: broken }, clock)).toThrow(
      /FlowSchema x refers to priority level nowhere/,
    );
    expect(() => new FlowControl({ serverConcurrencyLimit: 0 }, clock)).toThrow(/positive integer/);
  });
});
