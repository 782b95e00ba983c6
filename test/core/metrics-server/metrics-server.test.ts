import { describe, expect, it } from 'vitest';
import { METRICS_API, type NodeProcess } from '../../../core/cluster/assembly.ts';
import { cpuQuantity, memoryQuantity, type PodMetrics } from '../../../core/api/metrics-types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { KUBELET_PROTOCOL } from '../../../core/api/kubelet-protocol.ts';
import { nodeClientIdentity } from '../../../core/cluster/identities.ts';
import type { MetricsServer } from '../../../core/metrics-server/metrics-server.ts';
import { parseUsage, Usage } from '../../../sim/usage-model.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { controlPlane, runScript, spawnNode, startMetricsServer } from '../../support/cluster.ts';
import { pod } from '../kubelet/harness.ts';

const S = 1_000_000;
const PRELOADED = { runtime: { preloadedImages: ['nginx:1.25'] } };
const GROUP = '/apis/metrics.k8s.io/v1beta1';

function app(name: string, nodeName: string, cpu: string, memory: string, labels = {}) {
  const p = pod(
    name,
    {
      containers: [
        {
          name: 'app',
          image: 'nginx:1.25',
          env: [
            { name: 'KSIM_CPU', value: cpu },
            { name: 'KSIM_MEMORY', value: memory },
          ],
          resources: { requests: { cpu: '100m', memory: '64Mi' } },
        },
      ],
    },
    nodeName,
  );
  return { ...p, metadata: { ...p.metadata, labels } };
}

function cluster() {
  const sim = controlPlane({ secure: true, apiServer: { aggregated: [METRICS_API] } });
  spawnNode(sim, { ...PRELOADED, name: 'node-1' });
  spawnNode(sim, { ...PRELOADED, name: 'node-2', kubelet: { podCIDR: '10.244.2.0/24' } });
  startMetricsServer(sim);
  return sim;
}

async function get<T>(api: ApiClient, path: string, query?: Record<string, string>) {
  const r = await api.request<T>('GET', path, query === undefined ? {} : { query });
  if (!r.ok) throw new Error(`GET ${path}: ${r.status} ${r.error.message}`);
  return r.value;
}

describe('metrics-server', () => {
  it('serves what the usage model says at the time of the last scrape, through the API server', async () => {
    const sim = cluster();
    await runScript(sim, async (api, ports) => {
      await api.create(app('steady', 'node-1', '250m', '100Mi', { app: 'steady' }));
      await api.create(app('ramp', 'node-2', 'ramp:100m..700m/120s', '64Mi', { app: 'ramp' }));
      await ports.clock.sleep(61 * S);

      const steady = await get<PodMetrics>(api, `${GROUP}/namespaces/default/pods/steady`);
      expect(steady.containers).toEqual([
        { name: 'app', usage: { cpu: '250000000n', memory: '102400Ki' } },
      ]);
      expect(steady.metadata.labels).toEqual({ app: 'steady' });

      // The ramp's sample, against the model at the sample's time since the container started.
      const server = sim.process('metrics-server').instance as MetricsServer;
      const stored = server.storage.pod('default', 'ramp');
      const node2 = sim.process('node-2').instance as NodeProcess;
      const containers = await node2.runtime.listContainers();
      const started = containers.ok ? containers.value[0]?.startedAtUs : undefined;
      expect(stored).toBeDefined();
      expect(started).toBeDefined();
      const model = new Usage(parseUsage('ramp:100m..700m/120s', 'millicores')!, ports.random);
      // The runtime reports whole millicores.
      const expected = Math.round(model.at(stored!.timestampUs - started!));
      expect(expected).toBeGreaterThan(300);
      const ramp = await get<PodMetrics>(api, `${GROUP}/namespaces/default/pods/ramp`);
      expect(ramp.containers[0]?.usage).toEqual({
        cpu: cpuQuantity(expected),
        memory: memoryQuantity(64 * 1024 * 1024),
      });

      const list = await get<{ items: PodMetrics[] }>(api, `${GROUP}/namespaces/default/pods`, {
        labelSelector: 'app=ramp',
      });
      expect(list.items.map((i) => i.metadata.name)).toEqual(['ramp']);
      const all = await get<{ items: PodMetrics[] }>(api, `${GROUP}/pods`);
      expect(all.items.map((i) => i.metadata.name)).toEqual(['ramp', 'steady']);
      const none = await get<{ items: PodMetrics[] }>(api, `${GROUP}/namespaces/other/pods`);
      expect(none.items).toEqual([]);
      const missing = await api.request('GET', `${GROUP}/namespaces/default/pods/nope`);
      expect(missing.status).toBe(404);

      const node1 = await get<{ usage: { cpu: string } }>(api, `${GROUP}/nodes/node-1`);
      expect(node1.usage.cpu).toBe('250000000n');
      const groups = await get<{ groups: { name: string }[] }>(api, '/apis');
      expect(groups.groups.map((g) => g.name)).toContain('metrics.k8s.io');
      const resources = await get<{ resources: { name: string }[] }>(api, GROUP);
      expect(resources.resources.map((r) => r.name)).toEqual(['nodes', 'pods']);
    });
  });

  it('drops a node that stops answering from NodeMetrics, and its pods from PodMetrics', async () => {
    const sim = cluster();
    await runScript(sim, async (api, ports) => {
      await api.create(app('a', 'node-1', '100m', '10Mi'));
      await api.create(app('b', 'node-2', '100m', '10Mi'));
      await ports.clock.sleep(31 * S);
      const names = async (path: string) =>
        (await get<{ items: { metadata: { name: string } }[] }>(api, path)).items.map(
          (i) => i.metadata.name,
        );
      expect(await names(`${GROUP}/nodes`)).toEqual(['node-1', 'node-2']);
      sim.crash('node-2');
      await ports.clock.sleep(31 * S);
      expect(await names(`${GROUP}/nodes`)).toEqual(['node-1']);
      expect(await names(`${GROUP}/pods`)).toEqual(['a']);
    });
  });

  it('kubelets answer only callers allowed to get nodes/metrics', async () => {
    const sim = cluster();
    await runScript(sim, async (_api, ports) => {
      const ask = async (authorization?: string) => {
        const r = await ports.transport.request(
          KUBELET_PROTOCOL,
          'node-1',
          { kind: 'resource-metrics', ...(authorization === undefined ? {} : { authorization }) },
          S,
        );
        return r.kind === 'reply' ? (r.body.kind === 'error' ? r.body.code : 200) : r.kind;
      };
      expect(await ask()).toBe(401);
      const node2 = issueClientCredential(SIM_SIGNER, nodeClientIdentity('node-2'));
      expect(await ask(`Bearer ${node2}`)).toBe(403);
      const admin = issueClientCredential(SIM_SIGNER, {
        user: 'kubernetes-admin',
        groups: ['system:masters'],
      });
      expect(await ask(`Bearer ${admin}`)).toBe(200);
    });
  });

  it('refuses requests that do not come through the aggregator', async () => {
    const sim = cluster();
    await runScript(sim, async (api, ports) => {
      const r = await api.request('GET', `${GROUP}/nodes`);
      expect(r.status).toBe(200);
      const { API_PROTOCOL } = await import('../../../core/api/http-codec.ts');
      const direct = await ports.transport.request(
        API_PROTOCOL,
        'metrics-server',
        { kind: 'http', method: 'GET', path: `${GROUP}/nodes` },
        S,
      );
      expect(direct.kind === 'reply' && direct.body.status).toBe(401);
    });
  });
});
