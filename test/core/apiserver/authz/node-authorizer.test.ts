import { describe, expect, it } from 'vitest';
import type { HttpMethod } from '../../../../core/api/http.ts';
import type { KObject } from '../../../../core/api/types.ts';
import { userInfo } from '../../../../core/apiserver/authn/user.ts';
import { requestAttributes } from '../../../../core/apiserver/authz/attributes.ts';
import { NodeAuthorizer } from '../../../../core/apiserver/authz/node-authorizer.ts';
import { NodeGraph } from '../../../../core/apiserver/authz/node-graph.ts';

function pod(name: string, nodeName: string | undefined, extra: object = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns' },
    spec: {
      ...(nodeName === undefined ? {} : { nodeName }),
      serviceAccountName: 'app-sa',
      containers: [
        {
          name: 'c',
          image: 'i',
          env: [{ name: 'E', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }],
          envFrom: [{ configMapRef: { name: 'env-config' } }],
        },
      ],
      volumes: [
        { name: 'v1', secret: { secretName: 'vol-secret' } },
        { name: 'v2', configMap: { name: 'vol-config' } },
        { name: 'v3', persistentVolumeClaim: { claimName: 'data' } },
      ],
      ...extra,
    },
  } as unknown as KObject;
}

const node1 = userInfo('system:node:node-1', ['system:nodes', 'system:authenticated']);

function graphWith(...pods: KObject[]): NodeGraph {
  const g = new NodeGraph();
  g.handlers.reset();
  for (const p of pods) g.handlers.upsert(p);
  g.handlers.synced();
  return g;
}

function decide(
  g: NodeGraph,
  method: HttpMethod,
  path: string,
  query: Record<string, string> = {},
  user = node1,
): string {
  return new NodeAuthorizer(g).authorize(requestAttributes(user, method, path, query)).decision;
}

describe('Node authorizer', () => {
  const g = graphWith(pod('web', 'node-1'), pod('other', 'node-2'), pod('pending', undefined));

  it.each<[string, HttpMethod, string, Record<string, string>, string]>([
    // its own Node and Lease
    ['get its node', 'GET', '/api/v1/nodes/node-1', {}, 'allow'],
    ['get another node', 'GET', '/api/v1/nodes/node-2', {}, 'no-opinion'],
    ['list all nodes', 'GET', '/api/v1/nodes', {}, 'no-opinion'],
    [
      'list its node by field selector',
      'GET',
      '/api/v1/nodes',
      { fieldSelector: 'metadata.name=node-1' },
      'allow',
    ],
    ['update its node status', 'PUT', '/api/v1/nodes/node-1/status', {}, 'allow'],
    ['create a node (NodeRestriction checks which)', 'POST', '/api/v1/nodes', {}, 'allow'],
    ['delete a node', 'DELETE', '/api/v1/nodes/node-1', {}, 'no-opinion'],
    [
      'get its lease',
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1',
      {},
      'allow',
    ],
    [
      'update its lease',
      'PUT',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-1',
      {},
      'allow',
    ],
    [
      'update another lease',
      'PUT',
      '/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/node-2',
      {},
      'no-opinion',
    ],
    [
      'a lease elsewhere',
      'GET',
      '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/node-1',
      {},
      'no-opinion',
    ],
    // pods: only its own, listed by spec.nodeName
    ['list its pods', 'GET', '/api/v1/pods', { fieldSelector: 'spec.nodeName=node-1' }, 'allow'],
    [
      'watch its pods',
      'GET',
      '/api/v1/pods',
      { fieldSelector: 'spec.nodeName=node-1', watch: 'true' },
      'allow',
    ],
    ['list all pods', 'GET', '/api/v1/pods', {}, 'no-opinion'],
    [
      'list pods of another node',
      'GET',
      '/api/v1/pods',
      { fieldSelector: 'spec.nodeName=node-2' },
      'no-opinion',
    ],
    ['get a pod bound to it', 'GET', '/api/v1/namespaces/ns/pods/web', {}, 'allow'],
    ['get a pod bound elsewhere', 'GET', '/api/v1/namespaces/ns/pods/other', {}, 'no-opinion'],
    ['get an unbound pod', 'GET', '/api/v1/namespaces/ns/pods/pending', {}, 'no-opinion'],
    ['update pod status', 'PUT', '/api/v1/namespaces/ns/pods/web/status', {}, 'allow'],
    ['update a pod', 'PUT', '/api/v1/namespaces/ns/pods/web', {}, 'no-opinion'],
    ['create a (mirror) pod', 'POST', '/api/v1/namespaces/ns/pods', {}, 'allow'],
    ['evict a pod', 'POST', '/api/v1/namespaces/ns/pods/web/eviction', {}, 'allow'],
    // what its pods reference, and nothing else
    ['get a secret its pod mounts', 'GET', '/api/v1/namespaces/ns/secrets/vol-secret', {}, 'allow'],
    [
      'get a secret its pod reads in env',
      'GET',
      '/api/v1/namespaces/ns/secrets/env-secret',
      {},
      'allow',
    ],
    ['get another secret', 'GET', '/api/v1/namespaces/ns/secrets/db-password', {}, 'no-opinion'],
    ['list secrets', 'GET', '/api/v1/namespaces/ns/secrets', {}, 'no-opinion'],
    [
      'update a referenced secret',
      'PUT',
      '/api/v1/namespaces/ns/secrets/vol-secret',
      {},
      'no-opinion',
    ],
    [
      'get a config map its pod mounts',
      'GET',
      '/api/v1/namespaces/ns/configmaps/vol-config',
      {},
      'allow',
    ],
    [
      'watch a config map its pod reads',
      'GET',
      '/api/v1/namespaces/ns/configmaps',
      { fieldSelector: 'metadata.name=env-config', watch: 'true' },
      'allow',
    ],
    [
      'get its pod’s claim',
      'GET',
      '/api/v1/namespaces/ns/persistentvolumeclaims/data',
      {},
      'allow',
    ],
    [
      'token for its pod’s service account',
      'POST',
      '/api/v1/namespaces/ns/serviceaccounts/app-sa/token',
      {},
      'allow',
    ],
    [
      'token for another service account',
      'POST',
      '/api/v1/namespaces/ns/serviceaccounts/default/token',
      {},
      'no-opinion',
    ],
    // the rest of system:node's rules
    ['create events', 'POST', '/api/v1/namespaces/ns/events', {}, 'allow'],
    ['list services', 'GET', '/api/v1/services', {}, 'allow'],
    [
      'delete a deployment',
      'DELETE',
      '/apis/apps/v1/namespaces/ns/deployments/d',
      {},
      'no-opinion',
    ],
  ])('%s: %s %s -> %s', (_, method, path, query, expected) => {
    expect(decide(g, method, path, query)).toBe(expected);
  });

  it('has no opinion about users that are not nodes', () => {
    const notANode = userInfo('system:node:node-1', ['system:authenticated']);
    expect(decide(g, 'GET', '/api/v1/nodes/node-1', {}, notANode)).toBe('no-opinion');
    expect(decide(g, 'GET', '/api/v1/nodes/node-1', {}, userInfo('alice'))).toBe('no-opinion');
  });

  it('follows pods as they are bound, rebound and deleted', () => {
    const graph = graphWith(pod('p', undefined));
    const path = '/api/v1/namespaces/ns/secrets/vol-secret';
    expect(decide(graph, 'GET', path)).toBe('no-opinion');
    graph.handlers.upsert(pod('p', 'node-1'));
    expect(decide(graph, 'GET', path)).toBe('allow');
    graph.handlers.upsert(pod('q', 'node-1'));
    graph.handlers.remove(pod('p', 'node-1'));
    expect(decide(graph, 'GET', path)).toBe('allow');
    graph.handlers.remove(pod('q', 'node-1'));
    expect(decide(graph, 'GET', path)).toBe('no-opinion');
  });
});
