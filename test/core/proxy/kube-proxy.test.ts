import { describe, expect, it } from 'vitest';
import type { NodeProcess } from '../../../core/cluster/assembly.ts';
import type { EndpointSlice } from '../../../core/api/kinds/endpoint-slice.ts';
import type { Service } from '../../../core/api/kinds/service-types.ts';
import type { KObject } from '../../../core/api/types.ts';
import type { ApiClient } from '../../../core/client/api-client.ts';
import { parseTraceRecord, type TraceRecord } from '../../../core/trace/index.ts';
import type { SimNetfilter } from '../../../sim/netfilter.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { testService, testSlice } from './upstream-fixtures.ts';

async function mustCreate<T extends KObject>(api: ApiClient, obj: T): Promise<T> {
  const r = await api.create(obj);
  if (!r.ok) throw new Error(`create ${obj.kind} ${obj.metadata?.name}: ${r.error.message}`);
  return r.value;
}

const web = (): Service => {
  const s = testService('default', 'web', {
    ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }],
  });
  return { ...s, status: {} } as Service;
};

const webSlice = (ips: readonly string[]): EndpointSlice =>
  testSlice(
    'default',
    'web',
    1,
    ips.map((ip) => ({ ip, nodeName: 'node-1' })),
    [{ name: 'http', port: 8080 }],
  );

function cluster(): { sim: Simulation; records: TraceRecord[] } {
  const sim = controlPlane({ secure: true });
  const records: TraceRecord[] = [];
  sim.trace.addSink((line) => records.push(parseTraceRecord(line)));
  spawnNode(sim);
  return { sim, records };
}

const node = (sim: Simulation) => sim.process('node-1').instance as NodeProcess;

describe('kube-proxy', () => {
  it('programs a Service of the API server into its node, as system:kube-proxy under RBAC', async () => {
    const { sim, records } = cluster();
    let clusterIP = '';
    await runScript(sim, async (api, ports) => {
      clusterIP = (await mustCreate(api, web())).spec?.clusterIP ?? '';
      await mustCreate(api, webSlice(['10.244.1.5', '10.244.1.6']));
      await ports.clock.sleep(3_000_000);
    });
    const rules = node(sim).proxy?.lastRenderedRules ?? '';
    expect(rules).toContain(
      `"default/web:http cluster IP" -m tcp -p tcp -d ${clusterIP} --dport 80`,
    );
    expect(rules).toContain('--to-destination 10.244.1.5:8080');
    const nf = node(sim).netfilter as SimNetfilter;
    const v = nf.evaluate(
      { src: '10.244.1.9', dst: clusterIP, protocol: 'tcp', sport: 40000, dport: 80 },
      'PREROUTING',
    );
    expect(v.kind === 'accept' && ['10.244.1.5', '10.244.1.6'].includes(v.packet.dst)).toBe(true);
    const syncs = records.filter((r) => r.k === 'proxy.sync');
    expect(syncs.length).toBeGreaterThan(0);
    expect(syncs.every((r) => r.k === 'proxy.sync' && r.ok)).toBe(true);
    expect(syncs[0]?.k === 'proxy.sync' && syncs[0].full).toBe(true);
  });

  it('syncs partially after the first sync, and at most twice in a burst then once a second', async () => {
    const { sim, records } = cluster();
    await runScript(sim, async (api, ports) => {
      await mustCreate(api, web());
      await ports.clock.sleep(3_000_000);
      for (let i = 0; i < 10; i++) {
        await mustCreate(api, {
          ...webSlice([`10.244.1.${10 + i}`]),
          metadata: { ...webSlice([]).metadata, name: `web-${10 + i}` },
        });
      }
      await ports.clock.sleep(5_000_000);
    });
    const syncs = records.filter((r) => r.k === 'proxy.sync');
    expect(syncs.slice(1).every((r) => r.k === 'proxy.sync' && !r.full)).toBe(true);
    const times = syncs.map((r) => r.t);
    for (let i = 2; i < times.length; i++)
      expect((times[i] as number) - (times[i - 2] as number)).toBeGreaterThanOrEqual(1_000_000);
    expect(node(sim).proxy?.lastRenderedRules).toContain('10.244.1.19:8080');
  });

  it('deletes the chains of a Service that lost its endpoints, and rejects its traffic', async () => {
    const { sim } = cluster();
    await runScript(sim, async (api, ports) => {
      await mustCreate(api, web());
      await mustCreate(api, webSlice(['10.244.1.5']));
      await ports.clock.sleep(3_000_000);
      const nat = await (node(sim).netfilter as SimNetfilter).save('nat');
      expect(nat.ok && /:KUBE-SEP-\w+ /.test(nat.value)).toBe(true);
      const r = await api.delete('EndpointSlice', 'default', 'web-1');
      expect(r.ok).toBe(true);
      await ports.clock.sleep(3_000_000);
    });
    const nat = await (node(sim).netfilter as SimNetfilter).save('nat');
    expect(nat.ok && /KUBE-(SVC|SEP)-/.test(nat.value)).toBe(false);
    expect(node(sim).proxy?.lastRenderedRules).toContain('"default/web:http has no endpoints"');
  });

  it('re-renders identical rules after its node process crashes and restarts', async () => {
    const { sim } = cluster();
    await runScript(sim, async (api, ports) => {
      await mustCreate(api, web());
      await mustCreate(api, webSlice(['10.244.1.5', '10.244.1.6', '10.244.1.7']));
      await ports.clock.sleep(3_000_000);
    });
    const before = node(sim).proxy?.lastRenderedRules;
    const savedBefore = await (node(sim).netfilter as SimNetfilter).save('nat');
    expect(before).toBeDefined();
    sim.crash('node-1');
    sim.restart('node-1');
    expect(node(sim).proxy?.lastRenderedRules).toBeUndefined();
    await sim.run({ untilUs: sim.now + 5_000_000 });
    expect(node(sim).proxy?.lastRenderedRules).toBe(before);
    expect(await (node(sim).netfilter as SimNetfilter).save('nat')).toEqual(savedBefore);
  });
});
