import { describe, expect, it } from 'vitest';
import type { HttpMethod } from '../../../../core/api/http.ts';
import type {
  ClusterRole,
  ClusterRoleBinding,
  PolicyRule,
  Role,
  RoleBinding,
  Subject,
} from '../../../../core/api/rbac-types.ts';
import type { KObject } from '../../../../core/api/types.ts';
import { userInfo, type UserInfo } from '../../../../core/apiserver/authn/user.ts';
import { requestAttributes } from '../../../../core/apiserver/authz/attributes.ts';
import {
  authorizeChain,
  forbiddenStatus,
  PRIVILEGED_GROUPS,
} from '../../../../core/apiserver/authz/authorizer.ts';
import {
  CLUSTER_ROLE_BINDINGS,
  CLUSTER_ROLES,
} from '../../../../core/apiserver/authz/bootstrap-policy.ts';
import { RbacAuthorizer } from '../../../../core/apiserver/authz/rbac-authorizer.ts';
import { RBAC_RESOURCES, RbacCache } from '../../../../core/apiserver/authz/rbac-cache.ts';

const RBAC_V1 = 'rbac.authorization.k8s.io/v1';
const meta = (name: string, namespace?: string, labels?: Record<string, string>) => ({
  name,
  ...(namespace === undefined ? {} : { namespace }),
  ...(labels === undefined ? {} : { labels }),
});

function role(namespace: string, name: string, rules: PolicyRule[]): Role {
  return { apiVersion: RBAC_V1, kind: 'Role', metadata: meta(name, namespace), rules };
}

function clusterRole(
  name: string,
  rules: PolicyRule[],
  labels?: Record<string, string>,
): ClusterRole {
  return {
    apiVersion: RBAC_V1,
    kind: 'ClusterRole',
    metadata: meta(name, undefined, labels),
    rules,
  };
}

const userSubject = (name: string): Subject => ({
  kind: 'User',
  apiGroup: 'rbac.authorization.k8s.io',
  name,
});

function roleBinding(
  namespace: string,
  name: string,
  roleRef: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Subject[],
): RoleBinding {
  return {
    apiVersion: RBAC_V1,
    kind: 'RoleBinding',
    metadata: meta(name, namespace),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', ...roleRef },
    subjects,
  };
}

function clusterRoleBinding(
  name: string,
  roleName: string,
  subjects: Subject[],
): ClusterRoleBinding {
  return {
    apiVersion: RBAC_V1,
    kind: 'ClusterRoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: roleName },
    subjects,
  };
}

const RESOURCE_OF: Record<string, (typeof RBAC_RESOURCES)[number]> = {
  Role: 'roles',
  ClusterRole: 'clusterroles',
  RoleBinding: 'rolebindings',
  ClusterRoleBinding: 'clusterrolebindings',
};

/** A cache holding `objects`, listed and synced as the mirrors would deliver them. */
function cacheWith(objects: readonly KObject[]): RbacCache {
  const cache = new RbacCache();
  for (const r of RBAC_RESOURCES) cache.handlers(r).reset();
  for (const o of objects)
    cache.handlers(RESOURCE_OF[o.kind] as (typeof RBAC_RESOURCES)[number]).upsert(o);
  for (const r of RBAC_RESOURCES) cache.handlers(r).synced();
  return cache;
}

const alice = userInfo('alice', ['system:authenticated']);

/** alice: reads pods in ns-a, only the config map "app-config" there, and pods/log cluster-wide. */
const POLICY: KObject[] = [
  role('ns-a', 'pod-reader', [
    { verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] },
  ]),
  role('ns-a', 'one-config', [
    {
      verbs: ['get', 'list', 'update'],
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['app-config'],
    },
  ]),
  role('ns-a', 'scaler', [
    { verbs: ['update', 'patch'], apiGroups: ['apps'], resources: ['replicasets/scale'] },
  ]),
  clusterRole('log-reader', [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }]),
  clusterRole('any-status', [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/status'] }]),
  clusterRole('healthz', [{ verbs: ['get'], nonResourceURLs: ['/healthz', '/metrics/*'] }]),
  roleBinding('ns-a', 'alice-pods', { kind: 'Role', name: 'pod-reader' }, [userSubject('alice')]),
  roleBinding('ns-a', 'alice-config', { kind: 'Role', name: 'one-config' }, [userSubject('alice')]),
  roleBinding('ns-a', 'alice-scale', { kind: 'Role', name: 'scaler' }, [userSubject('alice')]),
  clusterRoleBinding('alice-logs', 'log-reader', [userSubject('alice')]),
  clusterRoleBinding('alice-status', 'any-status', [userSubject('alice')]),
  clusterRoleBinding('alice-healthz', 'healthz', [userSubject('alice')]),
];

function decide(
  cache: RbacCache,
  user: UserInfo,
  method: HttpMethod,
  path: string,
  query: Record<string, string> = {},
): string {
  const a = requestAttributes(user, method, path, query);
  return authorizeChain([PRIVILEGED_GROUPS, new RbacAuthorizer(cache)], a).decision;
}

describe('RBAC authorizer', () => {
  const cache = cacheWith(POLICY);

  it.each<[string, HttpMethod, string, Record<string, string>, string]>([
    // verbs on a resource in the bound namespace
    ['get a pod', 'GET', '/api/v1/namespaces/ns-a/pods/p', {}, 'allow'],
    ['list pods', 'GET', '/api/v1/namespaces/ns-a/pods', {}, 'allow'],
    ['watch pods', 'GET', '/api/v1/namespaces/ns-a/pods', { watch: 'true' }, 'allow'],
    ['create a pod', 'POST', '/api/v1/namespaces/ns-a/pods', {}, 'no-opinion'],
    ['delete a pod', 'DELETE', '/api/v1/namespaces/ns-a/pods/p', {}, 'no-opinion'],
    ['deletecollection pods', 'DELETE', '/api/v1/namespaces/ns-a/pods', {}, 'no-opinion'],
    // namespaces: a Role grants only in its own
    ['get a pod in another namespace', 'GET', '/api/v1/namespaces/ns-b/pods/p', {}, 'no-opinion'],
    ['list pods in all namespaces', 'GET', '/api/v1/pods', {}, 'no-opinion'],
    // resources and groups
    ['get a service', 'GET', '/api/v1/namespaces/ns-a/services/s', {}, 'no-opinion'],
    [
      'get a same-named resource of another group',
      'GET',
      '/apis/example.com/v1/namespaces/ns-a/pods/p',
      {},
      'no-opinion',
    ],
    // subresources: pods does not grant pods/log; pods/log does not grant pods
    ['get pods/log anywhere', 'GET', '/api/v1/namespaces/ns-b/pods/p/log', {}, 'allow'],
    ['get pods/status (*/status)', 'GET', '/api/v1/namespaces/ns-b/pods/p/status', {}, 'allow'],
    ['get nodes/status (*/status)', 'GET', '/api/v1/nodes/n/status', {}, 'allow'],
    ['update pods/status', 'PUT', '/api/v1/namespaces/ns-a/pods/p/status', {}, 'no-opinion'],
    ['get pods/exec', 'GET', '/api/v1/namespaces/ns-a/pods/p/exec', {}, 'no-opinion'],
    [
      'update replicasets/scale',
      'PUT',
      '/apis/apps/v1/namespaces/ns-a/replicasets/r/scale',
      {},
      'allow',
    ],
    ['update a replicaset', 'PUT', '/apis/apps/v1/namespaces/ns-a/replicasets/r', {}, 'no-opinion'],
    // resourceNames
    [
      'get the named config map',
      'GET',
      '/api/v1/namespaces/ns-a/configmaps/app-config',
      {},
      'allow',
    ],
    [
      'update the named config map',
      'PUT',
      '/api/v1/namespaces/ns-a/configmaps/app-config',
      {},
      'allow',
    ],
    ['get another config map', 'GET', '/api/v1/namespaces/ns-a/configmaps/other', {}, 'no-opinion'],
    ['list config maps', 'GET', '/api/v1/namespaces/ns-a/configmaps', {}, 'no-opinion'],
    [
      'list config maps narrowed to the name by a field selector',
      'GET',
      '/api/v1/namespaces/ns-a/configmaps',
      { fieldSelector: 'metadata.name=app-config' },
      'allow',
    ],
    // non-resource URLs, exact and by prefix
    ['get /healthz', 'GET', '/healthz', {}, 'allow'],
    ['get /metrics/cadvisor', 'GET', '/metrics/cadvisor', {}, 'allow'],
    ['post /healthz', 'POST', '/healthz', {}, 'no-opinion'],
    ['get /version', 'GET', '/version', {}, 'no-opinion'],
  ])('%s: %s %s -> %s', (_, method, path, query, expected) => {
    expect(decide(cache, alice, method, path, query)).toBe(expected);
  });

  it('lets system:masters do anything without a binding', () => {
    const admin = userInfo('root', ['system:masters']);
    expect(decide(cache, admin, 'DELETE', '/api/v1/namespaces/x/pods')).toBe('allow');
  });

  it('matches groups and service accounts, a subject without namespace meaning the binding’s', () => {
    const sa = userInfo('system:serviceaccount:ns-a:builder', [
      'system:serviceaccounts',
      'system:serviceaccounts:ns-a',
    ]);
    const c = cacheWith([
      role('ns-a', 'pod-reader', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]),
      roleBinding('ns-a', 'by-sa', { kind: 'Role', name: 'pod-reader' }, [
        { kind: 'ServiceAccount', name: 'builder' },
      ]),
      roleBinding('ns-b', 'by-group', { kind: 'ClusterRole', name: 'lister' }, [
        {
          kind: 'Group',
          apiGroup: 'rbac.authorization.k8s.io',
          name: 'system:serviceaccounts:ns-a',
        },
      ]),
      clusterRole('lister', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }]),
    ]);
    expect(decide(c, sa, 'GET', '/api/v1/namespaces/ns-a/pods')).toBe('allow');
    expect(decide(c, sa, 'GET', '/api/v1/namespaces/ns-b/pods')).toBe('allow');
    expect(decide(c, sa, 'GET', '/api/v1/namespaces/ns-c/pods')).toBe('no-opinion');
    expect(decide(c, alice, 'GET', '/api/v1/namespaces/ns-a/pods')).toBe('no-opinion');
  });

  it('names a binding to a missing role in the reason', () => {
    const c = cacheWith([
      roleBinding('ns-a', 'dangling', { kind: 'Role', name: 'gone' }, [userSubject('alice')]),
    ]);
    const a = requestAttributes(alice, 'GET', '/api/v1/namespaces/ns-a/pods', {});
    expect(new RbacAuthorizer(c).authorize(a)).toEqual({
      decision: 'no-opinion',
      reason: 'RBAC: role.rbac.authorization.k8s.io "gone" not found',
    });
  });

  it('aggregates cluster roles by label, and follows new matching roles at once', () => {
    const objects: KObject[] = [
      {
        apiVersion: RBAC_V1,
        kind: 'ClusterRole',
        metadata: meta('monitoring'),
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { 'example.com/monitoring': 'true' } }],
        },
      },
      clusterRole('pods-view', [{ verbs: ['list'], apiGroups: [''], resources: ['pods'] }], {
        'example.com/monitoring': 'true',
      }),
      clusterRoleBinding('alice-monitoring', 'monitoring', [userSubject('alice')]),
    ];
    const c = cacheWith(objects);
    expect(decide(c, alice, 'GET', '/api/v1/pods')).toBe('allow');
    expect(decide(c, alice, 'GET', '/api/v1/nodes')).toBe('no-opinion');
    c.handlers('clusterroles').upsert(
      clusterRole('nodes-view', [{ verbs: ['list'], apiGroups: [''], resources: ['nodes'] }], {
        'example.com/monitoring': 'true',
      }),
    );
    expect(decide(c, alice, 'GET', '/api/v1/nodes')).toBe('allow');
  });

  it('gives the bootstrap policy’s users what upstream gives them', () => {
    const c = cacheWith([...CLUSTER_ROLES, ...CLUSTER_ROLE_BINDINGS]);
    const scheduler = userInfo('system:kube-scheduler', ['system:authenticated']);
    expect(decide(c, scheduler, 'POST', '/api/v1/namespaces/x/pods/p/binding')).toBe('allow');
    expect(decide(c, scheduler, 'GET', '/api/v1/nodes', { watch: 'true' })).toBe('allow');
    expect(decide(c, scheduler, 'POST', '/api/v1/namespaces/x/pods')).toBe('no-opinion');
    expect(decide(c, scheduler, 'GET', '/api/v1/namespaces/x/secrets/s')).toBe('no-opinion');
    const anyone = userInfo('bob', ['system:authenticated']);
    expect(decide(c, anyone, 'GET', '/version')).toBe('allow');
    expect(
      decide(c, anyone, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews'),
    ).toBe('allow');
    expect(decide(c, anyone, 'GET', '/api/v1/namespaces/default/pods')).toBe('no-opinion');
    // admin, edit and view are aggregated from the aggregate-to-* roles.
    const viewer = userInfo('viewer', ['system:authenticated']);
    const v = cacheWith([
      ...CLUSTER_ROLES,
      roleBinding('team', 'view', { kind: 'ClusterRole', name: 'view' }, [userSubject('viewer')]),
      roleBinding('team', 'edit', { kind: 'ClusterRole', name: 'edit' }, [userSubject('editor')]),
    ]);
    expect(decide(v, viewer, 'GET', '/apis/apps/v1/namespaces/team/replicasets')).toBe('allow');
    expect(decide(v, viewer, 'GET', '/api/v1/namespaces/team/secrets')).toBe('no-opinion');
    expect(decide(v, viewer, 'DELETE', '/api/v1/namespaces/team/pods/p')).toBe('no-opinion');
    const editor = userInfo('editor', ['system:authenticated']);
    expect(decide(v, editor, 'DELETE', '/api/v1/namespaces/team/pods/p')).toBe('allow');
    expect(
      decide(v, editor, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/team/rolebindings'),
    ).toBe('no-opinion');
  });

  it.each([
    [
      'GET',
      '/api/v1/namespaces/y/pods',
      'pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"',
    ],
    [
      'GET',
      '/api/v1/nodes/n1',
      'nodes "n1" is forbidden: User "x" cannot get resource "nodes" in API group "" at the cluster scope',
    ],
    [
      'PUT',
      '/apis/apps/v1/namespaces/y/replicasets/r/scale',
      'replicasets.apps "r" is forbidden: User "x" cannot update resource "replicasets/scale" in API group "apps" in the namespace "y"',
    ],
    ['GET', '/healthz', 'forbidden: User "x" cannot get path "/healthz"'],
  ] as const)('403 text for %s %s', (method, path, message) => {
    const a = requestAttributes(userInfo('x'), method, path, {});
    const s = forbiddenStatus(a, '');
    expect(s.message).toBe(message);
    expect(s.code).toBe(403);
    expect(s.reason).toBe('Forbidden');
  });
});
