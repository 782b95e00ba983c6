import { describe, expect, it } from 'vitest';
import type { ClusterRole, Role, RoleBinding } from '../../../../core/api/rbac-types.ts';
import type { ClusterRoleBinding } from '../../../../core/api/rbac-types.ts';
import { ApiClient } from '../../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../../../sim/signer.ts';
import { adminClient, controlPlane } from '../../../support/cluster.ts';

const RBAC = 'rbac.authorization.k8s.io/v1';
const TOKENS = [
  { token: 'alice-token', user: 'alice', uid: '1', groups: ['devs'] },
  { token: 'bob-token', user: 'bob', uid: '2', groups: [] },
];

const role = (name: string, rules: Role['rules']): Role => ({
  apiVersion: RBAC,
  kind: 'Role',
  metadata: { name, namespace: 'team' },
  rules,
});

const binding = (name: string, kind: 'Role' | 'ClusterRole', roleName: string): RoleBinding => ({
  apiVersion: RBAC,
  kind: 'RoleBinding',
  metadata: { name, namespace: 'team' },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind, name: roleName },
  subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'carol' }],
});

const READ_PODS = [{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] }];

/**
 * alice may manage roles and bindings in `team` and read pods there; bob may create cluster
 * roles and nothing else. Runs `script` once their grants are in the authorizer's view.
 */
async function withUsers(
  script: (users: {
    admin: ApiClient;
    alice: ApiClient;
    bob: ApiClient;
    p: ProcessPorts;
  }) => Promise<void>,
): Promise<void> {
  const sim = controlPlane({
    seed: 7,
    secure: true,
    apiServer: { access: { signer: SIM_SIGNER, tokens: TOKENS, authorization: 'Node,RBAC' } },
  });
  let done = false;
  sim.spawnProcess('client', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      const admin = adminClient(p);
      const client = (credential: string): ApiClient =>
        new ApiClient(p.transport, 'apiserver', { requestTimeoutUs: 10_000_000, credential });
      await admin.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'team' },
      } as never);
      const manage = role('manager', [
        {
          verbs: ['get', 'list', 'create', 'update', 'patch'],
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['roles', 'rolebindings'],
        },
        ...READ_PODS,
      ]);
      expect((await admin.create(manage)).status).toBe(201);
      const aliceManages = { ...binding('alice-manages', 'Role', 'manager') };
      const grant: RoleBinding = {
        ...aliceManages,
        subjects: [{ kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' }],
      };
      expect((await admin.create(grant)).status).toBe(201);
      const creator: ClusterRole = {
        apiVersion: RBAC,
        kind: 'ClusterRole',
        metadata: { name: 'role-creator' },
        rules: [
          {
            verbs: ['create', 'update'],
            apiGroups: ['rbac.authorization.k8s.io'],
            resources: ['clusterroles'],
          },
        ],
      };
      expect((await admin.create(creator)).status).toBe(201);
      const bobCreates: ClusterRoleBinding = {
        apiVersion: RBAC,
        kind: 'ClusterRoleBinding',
        metadata: { name: 'bob-creates' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'role-creator',
        },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'bob' }],
      };
      expect((await admin.create(bobCreates)).status).toBe(201);
      // The authorizer's view follows the bindings through the watch cache.
      await p.clock.sleep(500_000);
      await script({ admin, alice: client('alice-token'), bob: client('bob-token'), p });
      done = true;
    }),
  );
  await sim.run({ untilUs: 600_000_000, stopWhen: () => done });
  expect(done).toBe(true);
}

describe('RBAC escalation check', () => {
  it('lets a user write a role with rules they hold, and refuses one with more', async () => {
    await withUsers(async ({ alice }) => {
      expect((await alice.create(role('pod-reader', READ_PODS))).status).toBe(201);
      const more = await alice.create(
        role('pod-deleter', [
          { verbs: ['get', 'delete'], apiGroups: [''], resources: ['pods'] },
          {
            verbs: ['list'],
            apiGroups: ['apps'],
            resources: ['deployments'],
            resourceNames: ['web'],
          },
        ]),
      );
      expect(!more.ok && more.error).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message:
          'roles.rbac.authorization.k8s.io "pod-deleter" is forbidden: user "alice" ' +
          '(groups=["devs" "system:authenticated"]) is attempting to grant RBAC permissions ' +
          'not currently held:\n' +
          '{APIGroups:[""], Resources:["pods"], Verbs:["delete"]}\n' +
          '{APIGroups:["apps"], Resources:["deployments"], ResourceNames:["web"], Verbs:["list"]}',
      });
      // Nothing was stored.
      expect((await alice.get('Role', 'team', 'pod-deleter')).status).toBe(404);
    });
  });

  it('lets a user bind a role whose rules they hold or that they may bind, and no other', async () => {
    await withUsers(async ({ admin, alice, p }) => {
      expect((await alice.create(role('pod-reader', READ_PODS))).status).toBe(201);
      await p.clock.sleep(200_000);
      expect((await alice.create(binding('carol-reads', 'Role', 'pod-reader'))).status).toBe(201);
      const escalating = await alice.create(binding('carol-admin', 'ClusterRole', 'admin'));
      expect(!escalating.ok && escalating.error).toMatchObject({ code: 403 });
      expect(!escalating.ok && escalating.error.message).toMatch(
        /^rolebindings\.rbac\.authorization\.k8s\.io "carol-admin" is forbidden: user "alice" \(groups=\["devs" "system:authenticated"\]\) is attempting to grant RBAC permissions not currently held:\n/,
      );
      const missing = await alice.create(binding('carol-ghost', 'Role', 'ghost'));
      expect(!missing.ok && missing.error).toMatchObject({
        code: 404,
        message: 'roles.rbac.authorization.k8s.io "ghost" not found',
      });
      // The `bind` verb on that one cluster role is enough, without holding its rules.
      expect(
        (
          await admin.create(
            role('binder', [
              {
                verbs: ['bind'],
                apiGroups: ['rbac.authorization.k8s.io'],
                resources: ['clusterroles'],
                resourceNames: ['admin'],
              },
            ]),
          )
        ).status,
      ).toBe(201);
      const grant: RoleBinding = {
        ...binding('alice-binds', 'Role', 'binder'),
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
      };
      expect((await admin.create(grant)).status).toBe(201);
      await p.clock.sleep(500_000);
      expect((await alice.create(binding('carol-admin', 'ClusterRole', 'admin'))).status).toBe(201);
      expect((await alice.create(binding('carol-edit', 'ClusterRole', 'edit'))).status).toBe(403);
    });
  });

  it('lets `escalate` write any rules, and leaves the garbage collector’s fields free', async () => {
    await withUsers(async ({ admin, alice, p }) => {
      expect(
        (await admin.create(role('big', [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }])))
          .status,
      ).toBe(201);
      const finalizer = await alice.patch(
        'Role',
        'team',
        'big',
        { metadata: { finalizers: ['example.com/keep'] } },
        'application/merge-patch+json',
      );
      expect(finalizer.status).toBe(200);
      const relabel = await alice.patch(
        'Role',
        'team',
        'big',
        { metadata: { labels: { a: 'b' } } },
        'application/merge-patch+json',
      );
      expect(relabel.status).toBe(403);
      const escalate = role('escalator', [
        { verbs: ['escalate'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'] },
      ]);
      expect((await admin.create(escalate)).status).toBe(201);
      const grant: RoleBinding = {
        ...binding('alice-escalates', 'Role', 'escalator'),
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' }],
      };
      expect((await admin.create(grant)).status).toBe(201);
      await p.clock.sleep(500_000);
      expect(
        (
          await alice.patch(
            'Role',
            'team',
            'big',
            { metadata: { labels: { a: 'b' } } },
            'application/merge-patch+json',
          )
        ).status,
      ).toBe(200);
      expect(
        (
          await alice.create(
            role('all-pods', [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]),
          )
        ).status,
      ).toBe(201);
    });
  });

  it('requires full authority for an aggregationRule, on create and on update', async () => {
    await withUsers(async ({ admin, bob }) => {
      const aggregated: ClusterRole = {
        apiVersion: RBAC,
        kind: 'ClusterRole',
        metadata: { name: 'aggregated' },
        aggregationRule: { clusterRoleSelectors: [{ matchLabels: { team: 'a' } }] },
        rules: [],
      };
      const refused = await bob.create(aggregated);
      expect(!refused.ok && refused.error).toMatchObject({
        code: 403,
        message:
          'clusterroles.rbac.authorization.k8s.io "aggregated" is forbidden: must have cluster-admin privileges to use the aggregationRule',
      });
      expect(
        (await bob.create({ ...aggregated, aggregationRule: undefined } as ClusterRole)).status,
      ).toBe(201);
      const created = await admin.get('ClusterRole', '', 'aggregated');
      if (!created.ok) throw new Error('no role');
      const removing = await bob.update({
        ...created.value,
        rules: [],
        aggregationRule: aggregated.aggregationRule,
      } as ClusterRole);
      expect(removing.status).toBe(403);
    });
  });
});
