/**
 * The client-side load balancer over API servers (core/cluster/api-balancer.ts): a client
 * addresses one API name; its requests reach a live API server while another is down.
 */
import { describe, expect, it } from 'vitest';
import { apiServerPlan } from '../../../core/cluster/assembly.ts';
import { ApiServerBalancer } from '../../../core/cluster/api-balancer.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { issueClientCredential } from '../../../core/apiserver/authn/client-credential.ts';
import { ADMIN_IDENTITY, storeMemberName } from '../../../core/cluster/identities.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';
import { controlPlane } from '../../support/cluster.ts';

const SERVICE = 'api.example';
const BACKENDS = ['apiserver', 'apiserver-1'];

/** The control plane of test/support with a second API server over the same store. */
function twoApiServers() {
  const sim = controlPlane();
  const plan = apiServerPlan(
    {
      storeMembers: [storeMemberName(0)],
      access: { signer: SIM_SIGNER, anonymous: true, authorization: 'AlwaysAllow' },
    },
    'apiserver-1',
  );
  sim.spawnProcess(plan.name, plan.start);
  return sim;
}

function balancedClient(ports: ProcessPorts): { api: ApiClient; balancer: ApiServerBalancer } {
  const balancer = new ApiServerBalancer(ports.transport, SERVICE, BACKENDS);
  const api = new ApiClient(balancer, SERVICE, {
    requestTimeoutUs: 2_000_000,
    credential: issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY),
  });
  return { api, balancer };
}

describe('API server load balancer', () => {
  it('sends a refused request to the next API server at once', async () => {
    const sim = twoApiServers();
    const seen: { status: number; backend: string; atUs: number }[] = [];
    sim.spawnProcess('client', (ports) =>
      ports.spawn(async () => {
        await ports.clock.sleep(2_000_000);
        const { api, balancer } = balancedClient(ports);
        const cm = {
          apiVersion: 'v1' as const,
          kind: 'ConfigMap' as const,
          metadata: { name: 'a', namespace: 'default' },
        };
        const first = await api.create(cm);
        seen.push({ status: first.status, backend: balancer.backend, atUs: ports.clock.now() });
        sim.crash(balancer.backend);
        const before = ports.clock.now();
        const second = await api.get('ConfigMap', 'default', 'a');
        seen.push({
          status: second.status,
          backend: balancer.backend,
          atUs: ports.clock.now() - before,
        });
      }),
    );
    await sim.run({ untilUs: 10_000_000 });
    expect(seen).toHaveLength(2);
    const [first, second] = seen as [(typeof seen)[number], (typeof seen)[number]];
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.backend).not.toBe(first.backend);
    // Refused, not timed out: the failover costs no request timeout.
    expect(second.atUs).toBeLessThan(1_000_000);
  });

  it('passes other addresses and protocols through untouched', async () => {
    const sim = twoApiServers();
    let status = 0;
    sim.spawnProcess('client', (ports) =>
      ports.spawn(async () => {
        await ports.clock.sleep(2_000_000);
        const balancer = new ApiServerBalancer(ports.transport, SERVICE, BACKENDS);
        const direct = new ApiClient(balancer, 'apiserver-1', {
          requestTimeoutUs: 2_000_000,
          credential: issueClientCredential(SIM_SIGNER, ADMIN_IDENTITY),
        });
        sim.crash('apiserver-1');
        status = (await direct.get('Namespace', undefined, 'default')).status;
      }),
    );
    await sim.run({ untilUs: 10_000_000 });
    // Addressed to a crashed server by name, not through the balancer: no failover.
    expect(status).toBeGreaterThanOrEqual(500);
  });
});
