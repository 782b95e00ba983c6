import { describe, expect, it } from 'vitest';
import type { Namespace } from '../../../core/api/cluster-types.ts';
import * as errors from '../../../core/api/errors.ts';
import type { Status } from '../../../core/api/status-types.ts';
import type { KObject } from '../../../core/api/types.ts';
import type {
  AdmissionAttributes,
  AdmissionResult,
} from '../../../core/apiserver/admission/attributes.ts';
import type { ObjectLookups } from '../../../core/apiserver/admission/lookups.ts';
import {
  FORCE_LIVE_LOOKUP_TTL_US,
  namespaceLifecycle,
} from '../../../core/apiserver/admission/plugins/namespace-lifecycle.ts';
import { userInfo } from '../../../core/apiserver/authn/user.ts';
import { defaultStoreClient } from '../../../core/apiserver/server.ts';
import type { StoreClient } from '../../../core/store/kv-client.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';
import { ok, pod } from './fixtures.ts';

const active = (name: string): Namespace =>
  ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
    status: { phase: 'Active' },
  }) as Namespace;
const terminating = (name: string): Namespace =>
  ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, deletionTimestamp: '2026-01-01T00:00:00Z' },
    status: { phase: 'Terminating' },
  }) as Namespace;

/** The namespace as the informer and as the store have it; counts the store reads. */
function world(informer: Namespace | undefined, store: Namespace | undefined) {
  const w = { informer, store, liveReads: 0, nowUs: 0 };
  const lookups: ObjectLookups = {
    get: async (_kind, _ns, name) => {
      w.liveReads++;
      return (w.store ?? errors.notFound('namespaces', name)) as never;
    },
    list: async () => [],
    cached: () => w.informer as never,
    cachedList: () => undefined,
  };
  return { w, plugin: namespaceLifecycle(lookups, () => w.nowUs) };
}

const attributes = (
  operation: 'CREATE' | 'DELETE',
  resource: string,
  namespace: string,
  name: string,
): AdmissionAttributes => ({
  operation,
  kind: { group: '', version: 'v1', kind: resource === 'namespaces' ? 'Namespace' : 'Pod' },
  resource: { group: '', version: 'v1', resource },
  subresource: '',
  namespace,
  name,
  object: operation === 'CREATE' ? (pod(name, {}, namespace) as KObject) : undefined,
  oldObject: undefined,
  dryRun: false,
  userInfo: userInfo('admin', ['system:masters']),
});

const createPod = (namespace: string) => attributes('CREATE', 'pods', namespace, 'p');
const deleteNamespace = (name: string) => attributes('DELETE', 'namespaces', '', name);

async function decide(
  r: AdmissionResult | Promise<AdmissionResult> | undefined,
): Promise<AdmissionResult> {
  if (r === undefined) throw new Error('NamespaceLifecycle has no validate');
  return r;
}

const statusOf = (r: AdmissionResult): Status | undefined => (r.allowed ? undefined : r.status);

describe('NamespaceLifecycle reads its informer, and the store only when it must', () => {
  it('admits a create in an active namespace from the informer, at once', () => {
    const { w, plugin } = world(active('team'), active('team'));
    const r = plugin.validate?.(createPod('team'));
    // Answered synchronously: no store read, no wait.
    expect(r).toEqual({ allowed: true });
    expect(w.liveReads).toBe(0);
  });

  it('reads the store for a namespace the informer does not hold (just created)', async () => {
    const { w, plugin } = world(undefined, active('team'));
    expect((await decide(plugin.validate?.(createPod('team')))).allowed).toBe(true);
    expect(w.liveReads).toBe(1);
    const missing = world(undefined, undefined);
    const r = await decide(missing.plugin.validate?.(createPod('nowhere')));
    expect(statusOf(r)).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    expect(missing.w.liveReads).toBe(1);
  });

  it('reads a namespace deleted through it live for 30 s while the informer shows it active', async () => {
    const { w, plugin } = world(active('team'), terminating('team'));
    expect((await decide(plugin.validate?.(deleteNamespace('team')))).allowed).toBe(true);
    const refused = await decide(plugin.validate?.(createPod('team')));
    expect(statusOf(refused)).toMatchObject({
      code: 403,
      message:
        'pods "p" is forbidden: unable to create new content in namespace team because it is being terminated',
      details: { causes: [{ reason: 'NamespaceTerminating', field: 'metadata.namespace' }] },
    });
    expect(w.liveReads).toBe(1);
    // Other namespaces are still answered from the informer.
    w.informer = active('other');
    expect(await decide(plugin.validate?.(createPod('other')))).toEqual({ allowed: true });
    expect(w.liveReads).toBe(1);
    // Past the TTL the informer is trusted again (it has long caught up in practice).
    w.informer = active('team');
    w.nowUs = FORCE_LIVE_LOOKUP_TTL_US - 1;
    await decide(plugin.validate?.(createPod('team')));
    expect(w.liveReads).toBe(2);
    w.nowUs = FORCE_LIVE_LOOKUP_TTL_US;
    expect(await decide(plugin.validate?.(createPod('team')))).toEqual({ allowed: true });
    expect(w.liveReads).toBe(2);
  });

  it('confirms a terminating namespace in the store before refusing', async () => {
    // Deleted and created again: the informer has not seen the new one yet.
    const recreated = world(terminating('team'), active('team'));
    expect((await decide(recreated.plugin.validate?.(createPod('team')))).allowed).toBe(true);
    expect(recreated.w.liveReads).toBe(1);
    const still = world(terminating('team'), terminating('team'));
    expect(statusOf(await decide(still.plugin.validate?.(createPod('team'))))?.code).toBe(403);
  });

  it('refuses deleting an immortal namespace and admits other deletes without reads', async () => {
    const { w, plugin } = world(undefined, undefined);
    const r = await decide(plugin.validate?.(deleteNamespace('kube-system')));
    expect(statusOf(r)?.message).toBe(
      'namespaces "kube-system" is forbidden: this namespace may not be deleted',
    );
    expect(await decide(plugin.validate?.(attributes('DELETE', 'pods', 'team', 'p')))).toEqual({
      allowed: true,
    });
    expect(w.liveReads).toBe(0);
  });

  it('on a running API server, creates in an existing namespace read no namespace from the store', async () => {
    let namespaceReads = 0;
    const counting = (inner: StoreClient): StoreClient => ({
      do: (op) => {
        if (op.kind === 'range' && op.key === '/registry/namespaces/team') namespaceReads++;
        return inner.do(op);
      },
      watch: (request, handlers) => inner.watch(request, handlers),
    });
    const sim = controlPlane({
      apiServer: { storeClient: (ports, members) => counting(defaultStoreClient(ports, members)) },
    });
    await runScript(sim, async (api, ports) => {
      ok(await api.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } }));
      // The informer sees the namespace a moment after the create's answer.
      await ports.clock.sleep(1_000_000);
      const before = namespaceReads;
      for (let i = 0; i < 5; i++) ok(await api.create(pod(`p-${i}`, {}, 'team')));
      expect(namespaceReads).toBe(before);
      ok(await api.delete('Namespace', undefined, 'team'));
      const refused = await api.create(pod('late', {}, 'team'));
      expect(refused.status).toBe(403);
      expect(namespaceReads).toBeGreaterThan(before);
    });
  });
});
