import { describe, expect, it } from 'vitest';
import type { ResourceQuota } from '../../../core/api/kinds/resource-quota.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import type { KObject } from '../../../core/api/types.ts';
import { ApiServer } from '../../../core/apiserver/server.ts';
import { ApiClient, type ApiResult } from '../../../core/client/api-client.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY } from '../../../core/cluster/identities.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { establish, widgetCrd } from '../apiserver/custom-resource-fixtures.ts';
import { waitFor } from './harness.ts';

const S = 1_000_000;

function quota(name: string, hard: Record<string, string>, scopes?: string[]): ResourceQuota {
  return {
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name, namespace: 'default' },
    spec: { hard, ...(scopes === undefined ? {} : { scopes }) },
  } as ResourceQuota;
}

function pod(name: string, cpu?: string): Pod {
  const resources = cpu === undefined ? {} : { requests: { cpu }, limits: { cpu } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'c', image: 'nginx', resources }] },
  };
}

function configMap(name: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'default' },
    data: {},
  } as KObject;
}

/** Records every status.used the quota controller stored, from the trace. */
function usageRecords(sim: Simulation): { quota: string; used: Record<string, string> }[] {
  const out: { quota: string; used: Record<string, string> }[] = [];
  sim.trace.addSink((line) => {
    if (line.includes('"resourcequota.usage"')) out.push(JSON.parse(line));
  });
  return out;
}

async function usedOf(api: ApiClient, name: string): Promise<Record<string, string>> {
  const r = await api.get('ResourceQuota', 'default', name);
  if (!r.ok) throw new Error(`get quota ${name}: ${r.status}`);
  return { ...r.value.status?.used };
}

/** Waits until the quota controller has stored the quota's first usage. */
async function counted(api: ApiClient, ports: ProcessPorts, name: string): Promise<void> {
  let ready = false;
  for (let i = 0; i < 300 && !ready; i++) {
    const r = await api.get('ResourceQuota', 'default', name);
    ready = r.ok && r.value.status?.used !== undefined;
    if (!ready) await ports.clock.sleep(100_000);
  }
  expect(ready).toBe(true);
}

const message = (r: ApiResult<unknown>) => (r.ok ? 'created' : `${r.status} ${r.error.message}`);

describe('ResourceQuota: admission and the quota controller', () => {
  it('counts usage, refuses what exceeds it with upstream messages, gives back what deletions free', async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    const records = usageRecords(sim);
    await runScript(sim, async (api, ports) => {
      expect((await api.create(pod('before', '100m'))).ok).toBe(true);
      const q = quota('compute', { pods: '2', 'requests.cpu': '1', 'count/configmaps': '1' });
      expect((await api.create(q)).ok).toBe(true);
      await counted(api, ports, 'compute');
      // The controller counted the pod that was there before the quota.
      expect(await usedOf(api, 'compute')).toEqual({
        'count/configmaps': '0',
        pods: '1',
        'requests.cpu': '100m',
      });
      expect(records[0]).toMatchObject({ quota: 'default/compute', used: { pods: '1' } });

      expect(message(await api.create(pod('big', '1')))).toBe(
        '403 pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=100m, limited: requests.cpu=1',
      );
      expect(message(await api.create(pod('no-cpu')))).toBe(
        '403 pods "no-cpu" is forbidden: failed quota: compute: must specify requests.cpu for: c',
      );
      expect((await api.create(pod('second', '500m'))).ok).toBe(true);
      // Admission charged it at once, before any recount.
      expect(await usedOf(api, 'compute')).toMatchObject({ pods: '2', 'requests.cpu': '600m' });
      expect(message(await api.create(pod('third', '100m')))).toBe(
        '403 pods "third" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=2, limited: pods=2',
      );
      expect((await api.create(configMap('one'))).ok).toBe(true);
      expect(message(await api.create(configMap('two')))).toBe(
        '403 configmaps "two" is forbidden: exceeded quota: compute, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1',
      );

      // A dry run is checked but not charged.
      const dry = await api.request('POST', '/api/v1/namespaces/default/pods', {
        body: pod('dry', '100m'),
        query: { dryRun: 'All' },
      });
      expect(dry.ok).toBe(false);
      expect((await api.delete('Pod', 'default', 'before', { gracePeriodSeconds: 0 })).ok).toBe(
        true,
      );
      await waitFor(
        ports,
        () => records.some((r) => r.used['pods'] === '1' && r.used['requests.cpu'] === '500m'),
        10 * S,
        'the deletion replenished',
      );
      const dryRun = await api.request('POST', '/api/v1/namespaces/default/pods', {
        body: pod('dry', '100m'),
        query: { dryRun: 'All' },
      });
      expect(dryRun.ok).toBe(true);
      expect(await usedOf(api, 'compute')).toMatchObject({ pods: '1', 'requests.cpu': '500m' });
      expect((await api.create(pod('third', '100m'))).ok).toBe(true);
    });
  });

  it("gives back a finished pod's compute, and recounts after the spec changes", async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    await runScript(sim, async (api, ports) => {
      expect((await api.create(quota('q', { pods: '1' }))).ok).toBe(true);
      await counted(api, ports, 'q');
      const created = await api.create(pod('job-pod', '100m'));
      expect(created.ok).toBe(true);
      if (!created.ok) return;
      expect(message(await api.create(pod('next', '100m')))).toContain('exceeded quota: q');
      const done = await api.updateStatus({ ...created.value, status: { phase: 'Succeeded' } });
      expect(done.ok).toBe(true);
      await ports.clock.sleep(2 * S);
      expect(await usedOf(api, 'q')).toEqual({ pods: '0' });
      expect((await api.create(pod('next', '100m'))).ok).toBe(true);

      const current = await api.get('ResourceQuota', 'default', 'q');
      if (!current.ok) throw new Error('quota gone');
      const raised = { ...current.value, spec: { hard: { pods: '5', 'count/pods': '9' } } };
      expect((await api.update(raised)).ok).toBe(true);
      await ports.clock.sleep(2 * S);
      const after = await api.get('ResourceQuota', 'default', 'q');
      expect(after.ok && after.value.status).toEqual({
        hard: { 'count/pods': '9', pods: '5' },
        used: { 'count/pods': '2', pods: '1' },
      });
    });
  });

  it('counts custom resources, including ones whose CRD comes after the quota', async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    const records = usageRecords(sim);
    await runScript(sim, async (api, ports) => {
      const widgets = '/apis/example.com/v1/namespaces/default/widgets';
      const widget = (name: string) => ({
        apiVersion: 'example.com/v1',
        kind: 'Widget',
        metadata: { name, namespace: 'default' },
        spec: { size: 1 },
      });
      // The quota names widgets before anything serves them.
      expect((await api.create(quota('w', { 'count/widgets.example.com': '2' }))).ok).toBe(true);
      await establish(api, widgetCrd());
      // Until discovery is read again (within 30 s) the controller cannot count them.
      const early = await api.request('POST', widgets, { body: widget('early') });
      expect(message(early)).toBe(
        '403 widgets.example.com "early" is forbidden: status unknown for quota: w, resources: count/widgets.example.com',
      );
      await ports.clock.sleep(31 * S);
      for (const name of ['a', 'b']) {
        expect((await api.request('POST', widgets, { body: widget(name) })).status).toBe(201);
      }
      const third = await api.request('POST', widgets, { body: widget('c') });
      expect(message(third)).toBe(
        '403 widgets.example.com "c" is forbidden: exceeded quota: w, requested: count/widgets.example.com=1, used: count/widgets.example.com=2, limited: count/widgets.example.com=2',
      );
      // The controller counts from its informer and gives back what a deletion frees.
      expect((await api.request('DELETE', `${widgets}/a`)).ok).toBe(true);
      await ports.clock.sleep(2 * S);
      expect(await usedOf(api, 'w')).toEqual({ 'count/widgets.example.com': '1' });
      expect((await api.request('POST', widgets, { body: widget('c') })).status).toBe(201);
    });
    expect(records.some((r) => r.used['count/widgets.example.com'] === '1')).toBe(true);
  });

  it('requires a covering quota for limited resources, even where no quota exists', async () => {
    const sim = controlPlane({
      secure: true,
      apiServer: {
        admission: {
          resourceQuota: {
            limitedResources: [
              { resource: 'pods', matchContains: ['requests.cpu'] },
              {
                resource: 'pods',
                matchScopes: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }],
              },
            ],
          },
        },
      },
    });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    await runScript(sim, async (api, ports) => {
      expect(message(await api.create(pod('plain')))).toBe('created');
      expect(message(await api.create(pod('cpu', '100m')))).toBe(
        '403 pods "cpu" is forbidden: insufficient quota to consume: requests.cpu',
      );
      expect((await api.create(quota('compute', { 'requests.cpu': '1' }))).ok).toBe(true);
      await counted(api, ports, 'compute');
      expect(message(await api.create(pod('cpu', '100m')))).toBe('created');

      const high = {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'high' },
        value: 1000,
      } as unknown as KObject;
      expect((await api.create(high)).ok).toBe(true);
      const important = {
        ...pod('important', '100m'),
        spec: { ...pod('important', '100m').spec, priorityClassName: 'high' },
      };
      const refused = await api.create(important);
      expect(!refused.ok && refused.error).toMatchObject({
        code: 500,
        reason: '',
        message: 'insufficient quota to match these scopes: [{PriorityClass In [high]}]',
      });
      const scoped = {
        ...quota('high-pods', { pods: '5' }),
        spec: {
          hard: { pods: '5' },
          scopeSelector: {
            matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }],
          },
        },
      } as ResourceQuota;
      expect((await api.create(scoped)).ok).toBe(true);
      await counted(api, ports, 'high-pods');
      expect(message(await api.create(important))).toBe('created');
    });
  });

  it('counts only the pods in its scopes', async () => {
    const sim = controlPlane({ secure: true });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    await runScript(sim, async (api, ports) => {
      expect((await api.create(quota('best-effort', { pods: '1' }, ['BestEffort']))).ok).toBe(true);
      await counted(api, ports, 'best-effort');
      expect((await api.create(pod('guaranteed-1', '100m'))).ok).toBe(true);
      expect((await api.create(pod('guaranteed-2', '100m'))).ok).toBe(true);
      expect((await api.create(pod('free-1'))).ok).toBe(true);
      expect(message(await api.create(pod('free-2')))).toContain('exceeded quota: best-effort');
      expect(await usedOf(api, 'best-effort')).toEqual({ pods: '1' });
    });
  });

  it('never lets concurrent creates through two API servers exceed a quota', async () => {
    const sim = controlPlane({ secure: true, seed: 7 });
    startControllerManager(sim, { controllers: ['resourcequota'] });
    sim.spawnProcess('apiserver-2', (p) => {
      new ApiServer(p, {
        storeMembers: ['etcd-0'],
        access: { signer: SIM_SIGNER, authorization: 'Node,RBAC' },
      });
    });
    await runScript(sim, async (api, ports) => {
      const second = new ApiClient(ports.transport, 'apiserver-2', {
        requestTimeoutUs: 10 * S,
        credential: issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY),
      });
      expect((await api.create(quota('q', { pods: '5' }))).ok).toBe(true);
      await counted(api, ports, 'q');
      await counted(second, ports, 'q');
      const results = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          (i % 2 === 0 ? api : second).create(pod(`p-${i}`, '10m')),
        ),
      );
      const ok = results.filter((r) => r.ok).length;
      expect(ok).toBe(5);
      for (const r of results) {
        if (!r.ok) expect(r.status === 403 || r.status === 409).toBe(true);
      }
      const pods = await api.list('Pod', 'default');
      expect(pods.ok && pods.value.items.length).toBe(5);
      expect(await usedOf(api, 'q')).toEqual({ pods: '5' });
    });
  });
});
