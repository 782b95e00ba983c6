import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../../core/api/cluster-types.ts';
import type { Node } from '../../../core/api/node-types.ts';
import { CidrSet, NO_CIDRS_REMAINING } from '../../../core/controllers/nodeipam/cidr-set.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import type { Pod } from '../../../core/api/pod-types.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
} from '../../support/cluster.ts';
import { mustCreate, waitFor } from './harness.ts';
import { watchKindAsAdmin } from './workloads.ts';

const S = 1_000_000;

describe('CidrSet (cidrset.CidrSet)', () => {
  it('hands out blocks in order from after the last one, skipping occupied ones, and reports exhaustion', () => {
    const set = new CidrSet('10.1.0.0/22', 24);
    expect(set.size).toBe(4);
    expect(set.occupy('10.1.1.0/24')).toBeUndefined();
    const got = [set.allocateNext(), set.allocateNext(), set.allocateNext(), set.allocateNext()];
    expect(got).toEqual([
      { ok: true, cidr: '10.1.0.0/24' },
      { ok: true, cidr: '10.1.2.0/24' },
      { ok: true, cidr: '10.1.3.0/24' },
      { ok: false, message: NO_CIDRS_REMAINING },
    ]);
    // A released block comes back, and the scan goes on from where it stopped.
    expect(set.release('10.1.0.0/24')).toBeUndefined();
    expect(set.allocatedCount).toBe(3);
    expect(set.allocateNext()).toEqual({ ok: true, cidr: '10.1.0.0/24' });
  });

  it('occupies every block a larger range covers and refuses ranges outside the cluster CIDR', () => {
    const set = new CidrSet('10.1.0.0/22', 24);
    expect(set.occupy('10.1.2.0/23')).toBeUndefined();
    expect(set.isUsed('10.1.2.0/24') && set.isUsed('10.1.3.0/24')).toBe(true);
    expect(set.allocatedCount).toBe(2);
    expect(set.occupy('10.2.0.0/24')).toBe(
      'cidr 10.2.0.0/24 is out the range of cluster cidr 10.1.0.0/22',
    );
    expect(set.occupy('10.0.0.0/8')).toMatch(/out the range/);
    expect(set.occupy('nope')).toBe('nope is not an IPv4 CIDR');
    expect(() => new CidrSet('10.1.0.0/22', 20)).toThrow(/mask size 20 must be an integer/);
    expect(() => new CidrSet('10.1.0.0', 24)).toThrow(/not an IPv4 CIDR/);
  });
});

describe('CidrSet properties', () => {
  // 10.1.0.0/21 in /24 blocks: 8 blocks, held as node ranges or occupied as a /23 (2 blocks).
  const op = fc.oneof(
    fc.constant({ kind: 'allocate' as const }),
    fc.record({ kind: fc.constant('release' as const), block: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('occupy' as const), pair: fc.integer({ min: 0, max: 3 }) }),
  );
  test.prop([fc.array(op, { maxLength: 200 })])(
    'never hands out a used block, answers full only when all are used, and counts exactly',
    (ops) => {
      const set = new CidrSet('10.1.0.0/21', 24);
      const used = new Set<number>();
      const block = (i: number): string => `10.1.${i}.0/24`;
      for (const o of ops) {
        if (o.kind === 'allocate') {
          const r = set.allocateNext();
          if (!r.ok) expect(used.size).toBe(8);
          else {
            const i = Number(r.cidr.split('.')[2]);
            expect(r.cidr).toBe(block(i));
            expect(used.has(i)).toBe(false);
            used.add(i);
          }
        } else if (o.kind === 'release') {
          expect(set.release(block(o.block))).toBeUndefined();
          used.delete(o.block);
        } else {
          expect(set.occupy(`10.1.${o.pair * 2}.0/23`)).toBeUndefined();
          used.add(o.pair * 2).add(o.pair * 2 + 1);
        }
        expect(set.allocatedCount).toBe(used.size);
      }
    },
  );
});

const node = (name: string, podCIDR?: string): Node => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name },
  ...(podCIDR === undefined ? {} : { spec: { podCIDR, podCIDRs: [podCIDR] } }),
});

describe('node IPAM controller (--allocate-node-cidrs)', () => {
  it('gives each Node a range, keeps held ones, warns when none is left, and reuses a deleted Node’s', async () => {
    const sim = controlPlane({ seed: 5, secure: true });
    const allocations: string[] = [];
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'nodeipam.allocate') allocations.push(`${r.node}=${r.podCIDR}`);
    });
    startControllerManager(sim, {
      controllers: ['nodeipam'],
      allocateNodeCIDRs: { clusterCIDR: '10.200.0.0/22', nodeCIDRMaskSize: 24 },
    });
    const nodes = watchKindAsAdmin(sim, 'Node', 'watch-nodes');
    const events = watchKindAsAdmin(sim, 'Event', 'watch-events');
    const podCIDR = (name: string): string | undefined => nodes().get(name)?.spec?.podCIDR;
    await runScript(sim, async (api, ports) => {
      // A Node that brings its own range holds it: nobody else gets 10.200.1.0/24.
      await mustCreate(ports, api, node('own', '10.200.1.0/24'));
      for (const name of ['a', 'b', 'c']) {
        await mustCreate(ports, api, node(name));
        await waitFor(ports, () => podCIDR(name) !== undefined, 30 * S, `${name} podCIDR`);
      }
      expect(['a', 'b', 'c'].map((n) => nodes().get(n)?.spec)).toEqual([
        { podCIDR: '10.200.0.0/24', podCIDRs: ['10.200.0.0/24'] },
        { podCIDR: '10.200.2.0/24', podCIDRs: ['10.200.2.0/24'] },
        { podCIDR: '10.200.3.0/24', podCIDRs: ['10.200.3.0/24'] },
      ]);
      // The cluster CIDR is full: d waits, with upstream's Warning on the Node.
      await mustCreate(ports, api, node('d'));
      const warned = (): Event | undefined =>
        events()
          .list()
          .find((e) => e.involvedObject.name === 'd' && e.reason === 'CIDRNotAvailable');
      await waitFor(ports, () => warned() !== undefined, 30 * S, 'CIDRNotAvailable event');
      expect(warned()).toMatchObject({
        type: 'Warning',
        message: 'Node d status is now: CIDRNotAvailable',
        involvedObject: { kind: 'Node' },
        source: { component: 'cidrAllocator' },
      });
      expect(podCIDR('d')).toBeUndefined();
      // b goes away: its range is free again, and d's retry takes it.
      expect((await api.delete('Node', undefined, 'b')).ok).toBe(true);
      await waitFor(ports, () => podCIDR('d') !== undefined, 60 * S, 'd podCIDR after b left');
      expect(podCIDR('d')).toBe('10.200.2.0/24');
    });
    expect(allocations).toEqual([
      'a=10.200.0.0/24',
      'b=10.200.2.0/24',
      'c=10.200.3.0/24',
      'd=10.200.2.0/24',
    ]);
  });

  it('does not run without --allocate-node-cidrs', async () => {
    const sim = controlPlane({ seed: 5, secure: true });
    startControllerManager(sim, { controllers: ['nodeipam'] });
    const nodes = watchKindAsAdmin(sim, 'Node', 'watch-nodes');
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, node('a'));
      await waitFor(ports, () => nodes().get('a') !== undefined, 30 * S, 'a seen');
      await ports.clock.sleep(5 * S);
      expect(nodes().get('a')?.spec?.podCIDR).toBeUndefined();
    });
  });

  it('a kubelet without --pod-cidr registers without one, takes the range IPAM gives its Node, and its pods get IPs from it', async () => {
    const sim = controlPlane({ seed: 8, secure: true });
    const records: string[] = [];
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'nodeipam.allocate') records.push(`${r.k} ${r.node} ${r.podCIDR}`);
      if (r.k === 'kubelet.pod-cidr') records.push(`${r.k} ${r.node} ${r.podCIDR}`);
    });
    startControllerManager(sim, {
      controllers: ['nodeipam'],
      allocateNodeCIDRs: { clusterCIDR: '10.200.0.0/16', nodeCIDRMaskSize: 24 },
    });
    spawnNode(sim, { name: 'joiner', kubelet: { podCIDR: '', internalIP: '172.20.9.2' } });
    const pods = watchKindAsAdmin(sim, 'Pod', 'watch-pods');
    await runScript(sim, async (api, ports) => {
      const pod: Pod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'p', namespace: 'default' },
        spec: { nodeName: 'joiner', containers: [{ name: 'c', image: 'busybox' }] },
      };
      await mustCreate(ports, api, pod);
      const ip = (): string | undefined => pods().get('default/p')?.status?.podIP;
      await waitFor(ports, () => ip() !== undefined, 60 * S, 'pod IP');
      expect(ip()).toMatch(/^10\.200\.0\.\d+$/);
    });
    expect(records).toEqual([
      'nodeipam.allocate joiner 10.200.0.0/24',
      'kubelet.pod-cidr joiner 10.200.0.0/24',
    ]);
  });
});
