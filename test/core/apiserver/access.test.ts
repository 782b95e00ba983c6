import { describe, expect, it } from 'vitest';
import type { ServiceAccount } from '../../../core/api/kinds/service-account.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { Role, RoleBinding } from '../../../core/api/rbac-types.ts';
import {
  DEFAULT_SERVICE_ACCOUNT_ISSUER,
  issueServiceAccountToken,
} from '../../../core/apiserver/authn/service-account-token.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { adminClient, controlPlane, type ControlPlaneOptions } from '../../support/cluster.ts';

const pod = (name: string, namespace: string, serviceAccountName?: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
      containers: [{ name: 'c', image: 'nginx:1.25' }],
    },
  }) as Pod;

/** Runs `script` in a client process of a control plane; returns the requests' trace records. */
async function run(
  options: ControlPlaneOptions,
  script: (p: ProcessPorts, sim: Simulation) => Promise<void>,
): Promise<{ user?: string; code: number; path: string }[]> {
  const sim = controlPlane({ seed: 3, ...options });
  const requests: { user?: string; code: number; path: string }[] = [];
  sim.trace.addSink((line) => {
    const r = JSON.parse(line) as { k: string; user?: string; code: number; path: string };
    if (r.k === 'api.request') requests.push({ user: r.user, code: r.code, path: r.path });
  });
  let done = false;
  sim.spawnProcess('client', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      await script(p, sim);
      done = true;
    }),
  );
  await sim.run({ untilUs: 600_000_000, stopWhen: () => done });
  expect(done).toBe(true);
  return requests;
}

const withToken = (p: ProcessPorts, credential: string): ApiClient =>
  new ApiClient(p.transport, 'apiserver', { requestTimeoutUs: 10_000_000, credential });

describe('authentication', () => {
  it('answers 401 to requests without credentials or with a token nobody issued', async () => {
    const requests = await run({ secure: true }, async (p) => {
      const anonymous = new ApiClient(p.transport, 'apiserver');
      const none = await anonymous.list('Pod', 'default');
      expect(!none.ok && none.error).toMatchObject({ code: 401, reason: 'Unauthorized' });
      const forged = await withToken(p, 'a.b.c').list('Pod', 'default');
      expect(forged.status).toBe(401);
      const admin = await adminClient(p).list('Pod', 'default');
      expect(admin.status).toBe(200);
    });
    expect(requests.map((r) => [r.code, r.user])).toEqual([
      [401, undefined],
      [401, undefined],
      [200, 'kubernetes-admin'],
    ]);
  });

  it('takes static tokens from a token file', async () => {
    const tokens = [{ token: 't0k3n', user: 'carol', uid: '42', groups: ['system:masters'] }];
    await run(
      {
        secure: true,
        apiServer: { access: { signer: SIM_SIGNER, tokens, authorization: 'Node,RBAC' } },
      },
      async (p) => {
        expect((await withToken(p, 't0k3n').list('Pod', 'default')).status).toBe(200);
        expect((await withToken(p, 'other').list('Pod', 'default')).status).toBe(401);
      },
    );
  });

  it('lets anonymous requests in when anonymous auth is on, as system:anonymous', async () => {
    await run(
      { apiServer: { access: { anonymous: true, authorization: 'Node,RBAC' } } },
      async (p) => {
        const r = await new ApiClient(p.transport, 'apiserver').list('Pod', 'default');
        expect(!r.ok && r.error.message).toBe(
          'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group "" in the namespace "default"',
        );
      },
    );
  });
});

/** Creates a ServiceAccount (a token names its uid, which authentication checks). */
async function serviceAccount(admin: ApiClient, namespace: string, name: string): Promise<string> {
  const account: ServiceAccount = {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name, namespace },
  };
  const r = await admin.create(account);
  if (!r.ok) throw new Error(`creating service account ${namespace}/${name}: ${r.status}`);
  return r.value.metadata.uid ?? '';
}

describe('a pod’s service account under RBAC', () => {
  it('is denied until a RoleBinding grants it, and loses its token with its pod', async () => {
    const requests = await run({ secure: true }, async (p) => {
      const admin = adminClient(p);
      await admin.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'app' },
      } as never);
      const account = await serviceAccount(admin, 'app', 'builder');
      const created = await admin.create(pod('worker', 'app', 'builder'));
      expect(created.status).toBe(201);
      if (!created.ok) return;
      const { token } = issueServiceAccountToken(SIM_SIGNER, DEFAULT_SERVICE_ACCOUNT_ISSUER, {
        namespace: 'app',
        serviceAccount: { name: 'builder', uid: account },
        audiences: [DEFAULT_SERVICE_ACCOUNT_ISSUER],
        expirationSeconds: 3600,
        boundPod: { name: 'worker', uid: created.value.metadata.uid ?? '' },
        id: 'token-1',
        nowUs: p.clock.now(),
      });
      const sa = withToken(p, token);
      const denied = await sa.list('Pod', 'app');
      expect(!denied.ok && denied.error).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message:
          'pods is forbidden: User "system:serviceaccount:app:builder" cannot list resource "pods" in API group "" in the namespace "app"',
      });
      const role: Role = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'pod-reader', namespace: 'app' },
        rules: [{ verbs: ['get', 'list', 'watch'], apiGroups: [''], resources: ['pods'] }],
      };
      const binding: RoleBinding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'builder-reads-pods', namespace: 'app' },
        roleRef: { apiGroup: '', kind: 'Role', name: 'pod-reader' },
        subjects: [{ kind: 'ServiceAccount', name: 'builder' }],
      };
      expect((await admin.create(role)).status).toBe(201);
      const bound = await admin.create(binding);
      expect(bound.ok && bound.value.roleRef.apiGroup).toBe('rbac.authorization.k8s.io');
      // The authorizer's view follows the binding through the watch cache.
      await p.clock.sleep(100_000);
      const allowed = await sa.list('Pod', 'app');
      expect(allowed.ok && allowed.value.items.map((x) => x.metadata.name)).toEqual(['worker']);
      expect((await sa.list('Pod', 'default')).status).toBe(403);
      expect((await sa.delete('Pod', 'app', 'worker')).status).toBe(403);
      await admin.delete('Pod', 'app', 'worker', { gracePeriodSeconds: 0 });
      // The token's last authentication is remembered for 10 s, as upstream's token cache does.
      await p.clock.sleep(10_100_000);
      expect((await sa.list('Pod', 'app')).status).toBe(401);
    });
    expect(
      requests
        .filter((r) => r.user === 'system:serviceaccount:app:builder')
        .map((r) => [r.code, r.path]),
    ).toEqual([
      [403, '/api/v1/namespaces/app/pods'],
      [200, '/api/v1/namespaces/app/pods'],
      [403, '/api/v1/namespaces/default/pods'],
      [403, '/api/v1/namespaces/app/pods/worker'],
    ]);
  });
});

describe('max in flight (--enable-priority-and-fairness=false)', () => {
  it('answers 429 with Retry-After beyond the limit, and a client with a clock retries', async () => {
    await run(
      {
        apiServer: {
          maxMutatingRequestsInFlight: 2,
          maxRequestsInFlight: 3,
          enablePriorityAndFairness: false,
        },
      },
      async (p) => {
        const impatient = new ApiClient(p.transport, 'apiserver');
        const creates = await Promise.all(
          [0, 1, 2, 3, 4].map((i) => impatient.create(pod(`p${i}`, 'default'))),
        );
        // The network may deliver them in any order: two are served, three refused.
        expect(creates.map((r) => r.status).sort()).toEqual([201, 201, 429, 429, 429]);
        const refused = creates.find((r) => r.status === 429);
        expect(refused !== undefined && !refused.ok && refused.error).toMatchObject({
          reason: 'TooManyRequests',
          details: { retryAfterSeconds: 1 },
        });
        const reads = await Promise.all([0, 1, 2, 3].map(() => impatient.list('Pod', 'default')));
        expect(reads.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
        const patient = new ApiClient(p.transport, 'apiserver', {
          requestTimeoutUs: 10_000_000,
          clock: p.clock,
        });
        const start = p.clock.now();
        const retried = await Promise.all(
          [5, 6, 7, 8].map((i) => patient.create(pod(`p${i}`, 'default'))),
        );
        expect(retried.map((r) => r.status)).toEqual([201, 201, 201, 201]);
        expect(p.clock.now() - start).toBeGreaterThanOrEqual(1_000_000);
        // system:masters is never limited.
        const admin = adminClient(p);
        const unlimited = await Promise.all(
          [9, 10, 11].map((i) => admin.create(pod(`p${i}`, 'default'))),
        );
        expect(unlimited.map((r) => r.status)).toEqual([201, 201, 201]);
      },
    );
  });
});

describe('priority and fairness', () => {
  it("queues a burst over its level's seats instead of refusing it, and records the wait", async () => {
    // 5 seats in all: global-default's share (20 of 245) rounds up to 1 seat.
    const apiServer = { maxMutatingRequestsInFlight: 2, maxRequestsInFlight: 3 };
    const waits: {
      code: number;
      flowSchema?: string;
      priorityLevel?: string;
      queueWaitUs?: number;
    }[] = [];
    const sim = controlPlane({ seed: 3, apiServer });
    sim.trace.observe((r) => {
      if (r.k === 'api.request' && r.user === 'system:anonymous' && r.verb === 'POST') {
        const { code, flowSchema, priorityLevel, queueWaitUs } = r;
        waits.push({ code, flowSchema, priorityLevel, queueWaitUs });
      }
    });
    let statuses: number[] = [];
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.clock.sleep(100_000);
        const anonymous = new ApiClient(p.transport, 'apiserver');
        const creates = await Promise.all(
          [0, 1, 2, 3, 4, 5].map((i) => anonymous.create(pod(`q${i}`, 'default'))),
        );
        statuses = creates.map((r) => r.status);
      }),
    );
    await sim.run({ untilUs: 60_000_000, stopWhen: () => statuses.length > 0 });
    // max-in-flight refused three of these at once (the test above); here all are served.
    expect(statuses).toEqual([201, 201, 201, 201, 201, 201]);
    const queued = waits.filter((w) => w.queueWaitUs !== undefined);
    expect(queued).toHaveLength(5);
    for (const w of queued) {
      expect(w).toMatchObject({
        code: 201,
        flowSchema: 'global-default',
        priorityLevel: 'global-default',
      });
      expect(w.queueWaitUs).toBeGreaterThan(0);
    }
    // One seat: each waits for the one before it, so the waits grow.
    const sorted = queued.map((w) => w.queueWaitUs as number);
    expect([...sorted].sort((a, b) => a - b)).toEqual(sorted);
  });

  it("refuses 429 when the hand's queues are full, naming the level in the trace", async () => {
    const apiServer = { maxMutatingRequestsInFlight: 2, maxRequestsInFlight: 3 };
    const refused: { flowSchema?: string; priorityLevel?: string }[] = [];
    const sim = controlPlane({ seed: 3, apiServer });
    sim.trace.observe((r) => {
      if (r.k === 'api.request' && r.code === 429)
        refused.push({ flowSchema: r.flowSchema, priorityLevel: r.priorityLevel });
    });
    let statuses: number[] = [];
    sim.spawnProcess('client', (p) =>
      p.spawn(async () => {
        await p.clock.sleep(100_000);
        const anonymous = new ApiClient(p.transport, 'apiserver');
        // One flow (one user) reaches at most handSize 6 queues of 50: 1 seat + 300 waiting.
        const creates = await Promise.all(
          Array.from({ length: 320 }, (_, i) => anonymous.create(pod(`b${i}`, 'default'))),
        );
        statuses = creates.map((r) => r.status);
      }),
    );
    await sim.run({ untilUs: 120_000_000, stopWhen: () => statuses.length > 0 });
    expect(statuses.filter((s) => s === 201)).toHaveLength(301);
    expect(statuses.filter((s) => s === 429)).toHaveLength(19);
    expect(refused).toHaveLength(19);
    expect(refused[0]).toEqual({ flowSchema: 'global-default', priorityLevel: 'global-default' });
  });
});

describe('access reviews', () => {
  it('answer can-i questions for oneself and for others, and list one’s rules', async () => {
    await run({ secure: true }, async (p) => {
      const admin = adminClient(p);
      const account = await serviceAccount(admin, 'default', 'reader');
      const { token } = issueServiceAccountToken(SIM_SIGNER, DEFAULT_SERVICE_ACCOUNT_ISSUER, {
        namespace: 'default',
        serviceAccount: { name: 'reader', uid: account },
        audiences: [DEFAULT_SERVICE_ACCOUNT_ISSUER],
        expirationSeconds: 3600,
        id: 'token-2',
        nowUs: p.clock.now(),
      });
      const sa = withToken(p, token);
      await admin.create({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'reader-view', namespace: 'default' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: 'default' }],
      } as RoleBinding);
      await p.clock.sleep(100_000);
      const canI = (verb: string, namespace: string) =>
        sa.request<{ status: { allowed: boolean } }>(
          'POST',
          '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SelfSubjectAccessReview',
              spec: { resourceAttributes: { verb, resource: 'pods', namespace } },
            },
          },
        );
      const list = await canI('list', 'default');
      expect(list.status).toBe(201);
      expect(list.ok && list.value.status.allowed).toBe(true);
      const del = await canI('delete', 'default');
      expect(del.ok && del.value.status.allowed).toBe(false);
      const elsewhere = await canI('list', 'kube-system');
      expect(elsewhere.ok && elsewhere.value.status.allowed).toBe(false);

      const sar = {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: 'system:serviceaccount:default:reader',
          nonResourceAttributes: { verb: 'get', path: '/version' },
          groups: ['system:authenticated'],
        },
      };
      const path = '/apis/authorization.k8s.io/v1/subjectaccessreviews';
      const asked = await admin.request<{ status: { allowed: boolean } }>('POST', path, {
        body: sar,
      });
      expect(asked.ok && asked.value.status.allowed).toBe(true);
      const notAllowedToAsk = await sa.request('POST', path, { body: sar });
      expect(notAllowedToAsk.status).toBe(403);
      const invalid = await admin.request('POST', path, {
        body: { ...sar, spec: { nonResourceAttributes: { verb: 'get', path: '/' } } },
      });
      expect(!invalid.ok && invalid.error.message).toBe(
        'SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified',
      );

      const rules = await sa.request<{
        status: { resourceRules: { verbs: string[]; resources: string[] }[]; incomplete: boolean };
      }>('POST', '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', {
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SelfSubjectRulesReview',
          spec: { namespace: 'default' },
        },
      });
      expect(rules.status).toBe(201);
      if (!rules.ok) return;
      expect(rules.value.status.incomplete).toBe(false);
      const podRule = rules.value.status.resourceRules.find((r) => r.resources.includes('pods'));
      expect(podRule?.verbs).toEqual(['get', 'list', 'watch']);
      expect(
        rules.value.status.resourceRules.some((r) =>
          r.resources.includes('selfsubjectaccessreviews'),
        ),
      ).toBe(true);
    });
  });
});
