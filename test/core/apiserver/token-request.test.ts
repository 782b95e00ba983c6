import { describe, expect, it } from 'vitest';
import type { TokenRequest } from '../../../core/api/kinds/service-account-token.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import { parseTime } from '../../../core/api/time.ts';
import type { KObject } from '../../../core/api/types.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { adminClient, controlPlane } from '../../support/cluster.ts';

const TOKEN_PATH = '/api/v1/namespaces/app/serviceaccounts/builder/token';

/** Runs `script` as the admin once namespace app has ServiceAccounts builder and other. */
async function withAccounts(
  script: (admin: ApiClient, p: ProcessPorts) => Promise<void>,
): Promise<void> {
  const sim = controlPlane({ seed: 5, secure: true });
  let done = false;
  sim.spawnProcess('client', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      const admin = adminClient(p);
      const create = async (obj: unknown): Promise<KObject> => {
        const r = await admin.create(obj as KObject);
        if (!r.ok) throw new Error(`create failed: ${r.error.message}`);
        return r.value;
      };
      await create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
      for (const name of ['builder', 'other']) {
        await create({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name, namespace: 'app' },
        });
      }
      await script(admin, p);
      done = true;
    }),
  );
  await sim.run({ untilUs: 600_000_000, stopWhen: () => done });
  expect(done).toBe(true);
}

const pod = (name: string, serviceAccountName: string): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'app' },
    spec: { serviceAccountName, nodeName: 'node-9', containers: [{ name: 'c', image: 'busybox' }] },
  }) as Pod;

const request = (admin: ApiClient, spec: Partial<TokenRequest['spec']>, path = TOKEN_PATH) =>
  admin.request<TokenRequest>('POST', path, {
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec },
  });

function claims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
}

const as = (p: ProcessPorts, token: string): ApiClient =>
  new ApiClient(p.transport, 'apiserver', { requestTimeoutUs: 10_000_000, credential: token });

describe('the serviceaccounts/token subresource', () => {
  it('signs a token for the account that the API server then authenticates', async () => {
    await withAccounts(async (admin, p) => {
      const nowUs = p.clock.now();
      const r = await request(admin, { expirationSeconds: 1200 });
      expect(r.status).toBe(201);
      if (!r.ok) return;
      expect(r.value.metadata).toMatchObject({ name: 'builder', namespace: 'app' });
      expect(r.value.spec).toMatchObject({
        audiences: ['https://kubernetes.default.svc.cluster.local'],
        expirationSeconds: 1200,
      });
      const expires = parseTime(r.value.status?.expirationTimestamp ?? '') ?? 0;
      expect(Math.abs(expires - (nowUs + 1_200_000_000))).toBeLessThan(2_000_000);
      const c = claims(r.value.status?.token ?? '');
      expect(c).toMatchObject({
        sub: 'system:serviceaccount:app:builder',
        aud: ['https://kubernetes.default.svc.cluster.local'],
      });
      expect((c.exp as number) - (c.iat as number)).toBe(1200);
      // Authenticated as the account (RBAC then refuses it): not a 401.
      const listed = await as(p, r.value.status?.token ?? '').list('Pod', 'app');
      expect(!listed.ok && listed.error.message).toBe(
        'pods is forbidden: User "system:serviceaccount:app:builder" cannot list resource "pods" in API group "" in the namespace "app"',
      );
      // Another audience is not one this server accepts.
      const foreign = await request(admin, { audiences: ['vault'] });
      expect(foreign.ok && foreign.value.spec.audiences).toEqual(['vault']);
      const refused = await as(p, (foreign.ok && foreign.value.status?.token) || '').list(
        'Pod',
        'app',
      );
      expect(refused.status).toBe(401);
    });
  });

  it('binds a token to a pod, which invalidates it once deleted, and extends the kubelet’s', async () => {
    await withAccounts(async (admin, p) => {
      const created = await admin.create(pod('worker', 'builder'));
      if (!created.ok) throw new Error(created.error.message);
      const uid = created.value.metadata.uid ?? '';
      const r = await request(admin, {
        expirationSeconds: 3607,
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'worker', uid },
      });
      expect(r.status).toBe(201);
      if (!r.ok) return;
      const token = r.value.status?.token ?? '';
      const c = claims(token);
      const k = c['kubernetes.io'] as Record<string, unknown>;
      expect(k.pod).toEqual({ name: 'worker', uid });
      // The node does not exist: named without a uid.
      expect(k.node).toEqual({ name: 'node-9', uid: '' });
      // Extended: valid for a year, with a warning after the hour asked for.
      expect((c.exp as number) - (c.iat as number)).toBe(365 * 24 * 3600);
      expect((k.warnafter as number) - (c.iat as number)).toBe(3607);
      expect(r.value.spec.expirationSeconds).toBe(3607);
      expect((await as(p, token).list('Pod', 'app')).status).toBe(403);
      expect((await admin.delete('Pod', 'app', 'worker', { gracePeriodSeconds: 0 })).ok).toBe(true);
      // Past the token cache (10 s) and go-jose's one-minute leeway.
      await p.clock.sleep(71_000_000);
      expect((await as(p, token).list('Pod', 'app')).status).toBe(401);
    });
  });

  it('refuses what upstream refuses, with its messages', async () => {
    await withAccounts(async (admin) => {
      const short = await request(admin, { expirationSeconds: 60 });
      expect(!short.ok && short.error).toMatchObject({
        code: 422,
        message:
          'TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes',
      });
      const missing = await request(
        admin,
        {},
        '/api/v1/namespaces/app/serviceaccounts/ghost/token',
      );
      expect(!missing.ok && missing.error).toMatchObject({
        code: 404,
        message: 'serviceaccounts "ghost" not found',
      });
      const created = await admin.create(pod('other-pod', 'other'));
      expect(created.ok).toBe(true);
      const wrongAccount = await request(admin, {
        boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'other-pod' },
      });
      expect(!wrongAccount.ok && wrongAccount.error).toMatchObject({
        code: 400,
        message:
          'cannot bind token for serviceaccount "builder" to pod running with different serviceaccount name.',
      });
      const configMap = await request(admin, {
        boundObjectRef: { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' },
      });
      expect(!configMap.ok && configMap.error).toMatchObject({
        code: 400,
        message: 'cannot bind token to object of type /v1, Kind=ConfigMap',
      });
      await admin.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 's', namespace: 'app' },
      } as never);
      const staleUid = await request(admin, {
        boundObjectRef: { apiVersion: 'v1', kind: 'Secret', name: 's', uid: 'not-it' },
      });
      expect(!staleUid.ok && staleUid.error).toMatchObject({
        code: 409,
        message:
          'Operation cannot be fulfilled on Secret "s": the UID in the bound object reference (not-it) does not match the UID in record. The object might have been deleted and then recreated',
      });
      const renamed = await admin.request<TokenRequest>('POST', TOKEN_PATH, {
        body: { kind: 'TokenRequest', metadata: { name: 'other' }, spec: {} },
      });
      expect(!renamed.ok && renamed.error.message).toBe(
        'TokenRequest.authentication.k8s.io "builder" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified',
      );
    });
  });
});
