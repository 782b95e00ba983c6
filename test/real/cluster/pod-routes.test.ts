/** The routes a node agent wants from the Nodes it sees, and the ones it finds it made. */
import { describe, expect, it } from 'vitest';
import type { Node } from '../../../core/api/node-types.ts';
import { desiredPodRoutes, parsePodRoutes } from '../../../real/cluster/pod-routes.ts';

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
