/**
 * The routes a node agent wants from the Nodes it sees, the ones it finds it made, and the
 * agent itself on a simulated API server with an `ip` that keeps a routing table in memory:
 * routes follow Nodes joining, getting a range, changing address and leaving, a route a killed agent left goes, other
 * routes stay, and stopping removes the agent's own.
 */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../core/api/node-types.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import {
  desiredPodRoutes,
  parsePodRoutes,
  PodRouteAgent,
  POD_ROUTE_PROTOCOL,
  type IpCommand,
} from '../../../real/cluster/pod-routes.ts';
import { controlPlane } from '../../support/cluster.ts';

function node(name: string, podCIDR?: string, internalIP?: string): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name },
    spec: podCIDR === undefined ? {} : { podCIDR },
    status: {
      addresses: [
        { type: 'Hostname', address: name },
        ...(internalIP === undefined ? [] : [{ type: 'InternalIP', address: internalIP }]),
      ],
    },
  } as Node;
}

describe('desiredPodRoutes', () => {
  it('routes every other node with a pod range and an InternalIP, sorted, never itself', () => {
    const nodes = [
      node('c', '10.1.3.0/24', '172.16.0.4'),
      node('self', '10.1.1.0/24', '172.16.0.2'),
      node('b', '10.1.2.0/24', '172.16.0.3'),
      node('no-range', undefined, '172.16.0.5'),
      node('no-address', '10.1.5.0/24'),
    ];
    expect(desiredPodRoutes(nodes, 'self')).toEqual([
      { destination: '10.1.2.0/24', gateway: '172.16.0.3' },
      { destination: '10.1.3.0/24', gateway: '172.16.0.4' },
    ]);
    expect(desiredPodRoutes([node('self', '10.1.1.0/24', '172.16.0.2')], 'self')).toEqual([]);
  });
});

describe('parsePodRoutes', () => {
  it("reads `ip -4 route show proto N`'s lines", () => {
    const text =
      '10.1.2.0/24 via 172.16.0.3 dev eth0 proto 107 \n10.1.3.0/24 via 172.16.0.4 dev eth0 proto 107 \n';
    expect(parsePodRoutes(text)).toEqual([
      { destination: '10.1.2.0/24', gateway: '172.16.0.3' },
      { destination: '10.1.3.0/24', gateway: '172.16.0.4' },
    ]);
    expect(parsePodRoutes('')).toEqual([]);
  });
});

/** `ip -4 route show|replace|delete` on an in-memory table of `DEST via GW proto P` lines. */
function fakeIp(table: Map<string, string>): IpCommand {
  const ok = (stdout = '') => ({ code: 0, stdout, stderr: '', timedOut: false });
  return async (args) => {
    const [, , verb, dest] = args;
    const proto = args[args.indexOf('proto') + 1];
    if (verb === 'show') {
      const lines = [...table.entries()]
        .filter(([, v]) => v.endsWith(`proto ${proto}`))
        .map(([d, v]) => `${d} ${v.replace(/ proto .*/, '')} dev eth0 proto ${proto} \n`);
      return ok(lines.join(''));
    }
    if (verb === 'replace') table.set(dest!, `via ${args[5]} proto ${proto}`);
    if (verb === 'delete') table.delete(dest!);
    return ok();
  };
}

describe('PodRouteAgent', () => {
  it('reports a route the kernel refused once, and tries it again later', async () => {
    const sim = controlPlane({ seed: 6 });
    const table = new Map<string, string>();
    const inner = fakeIp(table);
    let refusals = 1;
    const ip: IpCommand = async (args) => {
      if (args[2] === 'replace' && refusals-- > 0)
        return {
          code: 2,
          stdout: '',
          stderr: 'Error: Nexthop has invalid gateway.\n',
          timedOut: false,
        };
      return inner(args);
    };
    const reports: string[] = [];
    let done = false;
    sim.spawnProcess('node-1', (p) => {
      new PodRouteAgent(p, new ApiClient(p.transport, 'apiserver'), 'node-1', ip, (m) =>
        reports.push(m),
      );
    });
    sim.spawnProcess('admin', (p) =>
      p.spawn(async () => {
        await p.clock.sleep(2_000_000); // the agent's first sync, with no other Node, is done
        await new ApiClient(p.transport, 'apiserver').create(
          node('node-2', '10.1.2.0/24', '172.16.0.3'),
        );
        await p.clock.sleep(2_000_000);
        expect([...table.keys()]).toEqual([]);
        await p.clock.sleep(15_000_000);
        done = true;
      }),
    );
    await sim.run({ untilUs: 60_000_000, stopWhen: () => done });
    expect(done).toBe(true);
    expect(reports).toEqual(['10.1.2.0/24 via 172.16.0.3: Error: Nexthop has invalid gateway.']);
    expect([...table.entries()]).toEqual([
      ['10.1.2.0/24', `via 172.16.0.3 proto ${POD_ROUTE_PROTOCOL}`],
    ]);
  });

  it('keeps a route per other Node, following joins, ranges, address changes and deletes, and removes its own on stop', async () => {
    const sim = controlPlane({ seed: 5 });
    const P = POD_ROUTE_PROTOCOL;
    const table = new Map([
      ['10.9.9.0/24', `via 172.16.0.9 proto ${P}`], // left by a killed agent
      ['10.96.0.0/12', 'via 172.16.255.1 proto static'], // not the agent's
    ]);
    const seen: string[][] = [];
    const snapshot = () => seen.push([...table.entries()].map(([d, v]) => `${d} ${v}`).sort());
    let agent: PodRouteAgent | undefined;
    let done = false;
    sim.spawnProcess('node-1', (p) => {
      agent = new PodRouteAgent(
        p,
        new ApiClient(p.transport, 'apiserver'),
        'node-1',
        fakeIp(table),
      );
    });
    sim.spawnProcess('admin', (p) =>
      p.spawn(async () => {
        const api = new ApiClient(p.transport, 'apiserver');
        const settle = async () => {
          await p.clock.sleep(2_000_000);
          snapshot();
        };
        await settle();
        await api.create(node('node-1', '10.1.1.0/24', '172.16.0.2'));
        await api.create(node('node-2', '10.1.2.0/24', '172.16.0.3'));
        await api.create(node('node-3', undefined, '172.16.0.4'));
        await settle();
        await api.patch('Node', undefined, 'node-3', { spec: { podCIDR: '10.1.3.0/24' } });
        await settle();
        // node-2 moves to another address: its route follows.
        const moved = await api.request('PATCH', '/api/v1/nodes/node-2/status', {
          body: { status: { addresses: [{ type: 'InternalIP', address: '172.16.0.5' }] } },
          contentType: 'application/strategic-merge-patch+json',
        });
        expect(moved.ok).toBe(true);
        await settle();
        await api.delete('Node', undefined, 'node-2');
        await settle();
        await agent!.stop();
        snapshot();
        done = true;
      }),
    );
    await sim.run({ untilUs: 60_000_000, stopWhen: () => done });
    expect(done).toBe(true);
    const other = `10.96.0.0/12 via 172.16.255.1 proto static`;
    expect(seen).toEqual([
      [other],
      [`10.1.2.0/24 via 172.16.0.3 proto ${P}`, other],
      [`10.1.2.0/24 via 172.16.0.3 proto ${P}`, `10.1.3.0/24 via 172.16.0.4 proto ${P}`, other],
      [`10.1.2.0/24 via 172.16.0.5 proto ${P}`, `10.1.3.0/24 via 172.16.0.4 proto ${P}`, other],
      [`10.1.3.0/24 via 172.16.0.4 proto ${P}`, other],
      [other],
    ]);
  });
});
