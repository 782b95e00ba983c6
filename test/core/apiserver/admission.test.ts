import { describe, expect, it } from 'vitest';
import type { Pod } from '../../../core/api/pod-types.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { userInfo } from '../../../core/apiserver/authn/user.ts';
import { AdmissionChain } from '../../../core/apiserver/admission/chain.ts';
import type { AdmissionAttributes } from '../../../core/apiserver/admission/attributes.ts';
import { AdmissionHooks, type AdmissionHook } from '../../../core/apiserver/admission/hooks.ts';
import { admissionPlugins } from '../../../core/apiserver/admission/plugins.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { nodeClientIdentity } from '../../../core/cluster/identities.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { adminClient, controlPlane, type ControlPlaneOptions } from '../../support/cluster.ts';

const pod = (name: string, extra: Partial<Pod['spec']> = {}, namespace = 'default'): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }], ...extra },
  }) as Pod;

async function run(options: ControlPlaneOptions, script: (p: ProcessPorts) => Promise<void>) {
  const sim = controlPlane({ seed: 5, ...options });
  let done = false;
  sim.spawnProcess('client', (p) =>
    p.spawn(async () => {
      await p.clock.sleep(100_000);
      await script(p);
      done = true;
    }),
  );
  await sim.run({ untilUs: 600_000_000, stopWhen: () => done });
  expect(done).toBe(true);
}

const podsRule = { operations: ['CREATE' as const], apiGroups: [''], resources: ['pods'] };

function hook(
  name: string,
  type: AdmissionHook['type'],
  review: AdmissionHook['review'],
  failurePolicy: AdmissionHook['failurePolicy'] = 'Fail',
): AdmissionHook {
  return { name, type, rules: [podsRule], failurePolicy, review };
}

describe('admission', () => {
  it('runs upstream’s plugins in upstream’s order', () => {
    const chain = new AdmissionChain(
      admissionPlugins(
        {
          get: async () => ({}) as never,
          list: async () => [],
          cached: () => undefined,
          cachedList: () => undefined,
        },
        new AdmissionHooks(),
      ),
    );
    expect(chain.pluginNames).toEqual([
      'NamespaceLifecycle',
      'LimitRanger',
      'NodeRestriction',
      'PodSecurity',
      'Priority',
      'DefaultTolerationSeconds',
      'DefaultStorageClass',
      'StorageObjectInUseProtection',
      'MutatingAdmissionWebhook',
      'ValidatingAdmissionWebhook',
    ]);
    // The plugins read through the server's informers, as upstream's read listers:
    // NamespaceLifecycle and PodSecurity namespaces, LimitRanger, Priority, DefaultStorageClass
    // (and ServiceAccount, when it runs) their kinds.
    expect(chain.informedKinds).toEqual([
      'Namespace',
      'LimitRange',
      'PriorityClass',
      'StorageClass',
    ]);
  });

  it('mutates in order, then validates the object as it will be stored', async () => {
    const seen: string[] = [];
    const hooks = new AdmissionHooks();
    hooks.install(
      hook('add-label.example.com', 'mutating', async (a) => {
        const p = a.object as Pod;
        // Built-in mutating plugins ran first: the default tolerations are there.
        seen.push(`mutating sees ${p.spec.tolerations?.length ?? 0} tolerations`);
        return {
          allowed: true,
          object: { ...p, metadata: { ...p.metadata, labels: { team: 'a' } } },
        };
      }),
    );
    hooks.install(
      hook('second.example.com', 'mutating', async (a) => {
        seen.push(`second mutating sees label ${(a.object as Pod).metadata.labels?.team}`);
        return { allowed: true, warnings: ['second was here'] };
      }),
    );
    hooks.install(
      hook('require-team.example.com', 'validating', async (a: AdmissionAttributes) => {
        const p = a.object as Pod;
        seen.push(`validating sees label ${p.metadata.labels?.team}, phase ${p.status?.phase}`);
        return p.metadata.name === 'bad'
          ? { allowed: false, message: 'name "bad" is not allowed' }
          : { allowed: true };
      }),
    );
    await run({ apiServer: { admission: { hooks } } }, async (p) => {
      const api = adminClient(p);
      const ok = await api.create(pod('good'));
      expect(ok.ok && ok.value.metadata.labels).toEqual({ team: 'a' });
      expect(ok.ok && ok.value.spec.tolerations?.map((t) => [t.key, t.tolerationSeconds])).toEqual([
        ['node.kubernetes.io/not-ready', 300],
        ['node.kubernetes.io/unreachable', 300],
      ]);
      const bad = await api.create(pod('bad'));
      expect(!bad.ok && bad.error).toMatchObject({
        code: 403,
        message:
          'admission webhook "require-team.example.com" denied the request: name "bad" is not allowed',
      });
      const got = await api.get('Pod', 'default', 'bad');
      expect(got.status).toBe(404);
    });
    expect(seen.slice(0, 3)).toEqual([
      'mutating sees 2 tolerations',
      'second mutating sees label a',
      'validating sees label a, phase Pending',
    ]);
  });

  it('keeps a pod’s own toleration of not-ready nodes', async () => {
    await run({}, async (p) => {
      const r = await adminClient(p).create(
        pod('tolerant', {
          tolerations: [
            {
              key: 'node.kubernetes.io/not-ready',
              operator: 'Exists',
              effect: 'NoExecute',
              tolerationSeconds: 10,
            },
          ],
        }),
      );
      expect(r.ok && r.value.spec.tolerations?.map((t) => [t.key, t.tolerationSeconds])).toEqual([
        ['node.kubernetes.io/not-ready', 10],
        ['node.kubernetes.io/unreachable', 300],
      ]);
    });
  });

  it.each([
    ['Ignore', 201, undefined],
    [
      'Fail',
      500,
      'Internal error occurred: failed calling webhook "flaky.example.com": connection refused',
    ],
  ] as const)(
    'a hook that cannot be called, with failurePolicy %s, gives %i',
    async (policy, code, message) => {
      const hooks = new AdmissionHooks();
      hooks.install(
        hook(
          'flaky.example.com',
          'validating',
          async () => {
            throw new Error('connection refused');
          },
          policy,
        ),
      );
      await run({ apiServer: { admission: { hooks } } }, async (p) => {
        const r = await adminClient(p).create(pod('p'));
        expect(r.status).toBe(code);
        if (message !== undefined) expect(!r.ok && r.error.message).toBe(message);
      });
    },
  );

  it('applies hooks only to what their rules name, and forgets removed ones', async () => {
    const hooks = new AdmissionHooks();
    hooks.install(
      hook('deny-all.example.com', 'validating', async () => ({ allowed: false, code: 422 })),
    );
    await run({ apiServer: { admission: { hooks } } }, async (p) => {
      const api = adminClient(p);
      const denied = await api.create(pod('p'));
      expect(!denied.ok && denied.error).toMatchObject({
        code: 422,
        message: 'admission webhook "deny-all.example.com" denied the request without explanation',
      });
      const ns = await api.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'other' },
      } as never);
      expect(ns.status).toBe(201);
      hooks.remove('deny-all.example.com');
      expect((await api.create(pod('p'))).status).toBe(201);
    });
  });

  it('refuses deleting the immortal namespaces (NamespaceLifecycle)', async () => {
    await run({}, async (p) => {
      const api = adminClient(p);
      for (const name of ['default', 'kube-system', 'kube-public']) {
        const r = await api.delete('Namespace', undefined, name);
        expect(!r.ok && r.error).toMatchObject({
          code: 403,
          message: `namespaces "${name}" is forbidden: this namespace may not be deleted`,
        });
      }
      expect((await api.delete('Namespace', undefined, 'kube-node-lease')).status).toBe(200);
    });
  });

  it('refuses creates in a missing or terminating namespace (NamespaceLifecycle)', async () => {
    await run({}, async (p) => {
      const api = adminClient(p);
      const missing = await api.create(pod('p', {}, 'nowhere'));
      expect(!missing.ok && missing.error).toMatchObject({
        code: 404,
        message: 'namespaces "nowhere" not found',
      });
      await api.create({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: 'doomed', finalizers: ['example.com/hold'] },
      } as never);
      await api.create({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'keep', namespace: 'doomed', finalizers: ['example.com/hold'] },
        spec: { containers: [{ name: 'c', image: 'i' }] },
      } as never);
      await api.delete('Namespace', undefined, 'doomed');
      const refused = await api.create(pod('late', {}, 'doomed'));
      expect(!refused.ok && refused.error).toMatchObject({
        code: 403,
        message:
          'pods "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      });
    });
  });

  it('holds a kubelet to its own objects (NodeRestriction)', async () => {
    await run({ secure: true }, async (p) => {
      const admin = adminClient(p);
      const kubelet = new ApiClient(p.transport, 'apiserver', {
        requestTimeoutUs: 10_000_000,
        credential: issueClientCredential(SIM_SIGNER, nodeClientIdentity('node-1')),
      });
      const node = (name: string) =>
        ({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {} }) as never;
      expect((await kubelet.create(node('node-1'))).status).toBe(201);
      const other = await kubelet.create(node('node-2'));
      expect(!other.ok && other.error.message).toBe(
        'nodes "node-2" is forbidden: node "node-1" is not allowed to modify node "node-2"',
      );
      const mine = await kubelet.get('Node', undefined, 'node-1');
      if (!mine.ok) throw new Error('no node');
      const tainted = await kubelet.update({
        ...mine.value,
        spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] },
      } as never);
      expect(!tainted.ok && tainted.error.message).toBe(
        'nodes "node-1" is forbidden: node "node-1" is not allowed to modify taints',
      );
      const notMirror = await kubelet.create(pod('x', { nodeName: 'node-1' }));
      expect(!notMirror.ok && notMirror.error.message).toBe(
        'pods "x" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "node-1" can only create mirror pods',
      );
      await admin.create(pod('elsewhere', { nodeName: 'node-2' }));
      const del = await kubelet.delete('Pod', 'default', 'elsewhere');
      // The Node authorizer lets nodes delete pods; NodeRestriction only their own.
      expect(!del.ok && del.error.message).toBe(
        'pods "Unknown" is forbidden: node "node-1" can only delete pods with spec.nodeName set to itself',
      );
      expect(userInfo('x').name).toBe('x');
    });
  });

  it('enforces and warns by the namespace’s Pod Security labels (PodSecurity)', async () => {
    await run({}, async (p) => {
      const api = adminClient(p);
      const ns = (name: string, labels: Record<string, string>) =>
        api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } } as never);
      await ns('strict', { 'pod-security.kubernetes.io/enforce': 'restricted' });
      await ns('base', {
        'pod-security.kubernetes.io/enforce': 'baseline',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      const plain = await api.create(pod('plain', {}, 'strict'));
      expect(!plain.ok && plain.error).toMatchObject({
        code: 403,
        message:
          'pods "plain" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
      });
      const hardened = {
        ...pod('hardened', {}, 'strict'),
        spec: {
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            {
              name: 'c',
              image: 'nginx:1.25',
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            },
          ],
        },
      } as unknown as Pod;
      expect((await api.create(hardened)).status).toBe(201);
      const hostile = {
        ...pod('hostile', { hostNetwork: true }, 'base'),
        spec: {
          hostNetwork: true,
          containers: [
            { name: 'a', image: 'i', securityContext: { privileged: true } },
            { name: 'b', image: 'i', securityContext: { privileged: true } },
          ],
        },
      } as unknown as Pod;
      const refused = await api.create(hostile);
      expect(!refused.ok && refused.error.message).toBe(
        'pods "hostile" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true), privileged (containers "a", "b" must not set securityContext.privileged=true)',
      );
      // Admitted under baseline, with restricted's complaints as a warning (a Warning header).
      const r = await p.transport.request(
        API_PROTOCOL,
        'apiserver',
        {
          kind: 'http',
          method: 'POST',
          path: '/api/v1/namespaces/base/pods',
          body: pod('warned', {}, 'base'),
          authorization: `Bearer ${issueClientCredential(SIM_SIGNER, { user: 'root', groups: ['system:masters'] })}`,
        },
        10_000_000,
      );
      expect(r.kind === 'reply' && r.body.status).toBe(201);
      expect(r.kind === 'reply' && r.body.warnings?.[0]).toMatch(
        /^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/,
      );
    });
  });
});
