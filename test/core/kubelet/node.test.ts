import { describe, expect, it } from 'vitest';
import { parseTime } from '../../../core/api/time.ts';
import { controlPlane, runScript, spawnNode } from '../../support/cluster.ts';
import { recordTrace, waitFor } from './harness.ts';

describe('kubelet node registration and lease', () => {
  it('registers a Ready node with allocatable and renews its lease every 10 s', async () => {
    const sim = controlPlane();
    const trace = recordTrace(sim);
    spawnNode(sim, {
      kubelet: {
        capacity: { cpu: '8', memory: '32Gi' },
        systemReserved: { cpu: '500m' },
        labels: { zone: 'a' },
      },
    });
    await runScript(sim, async (api, ports) => {
      const node = await waitFor(
        ports,
        'node',
        async () => {
          const r = await api.get('Node', undefined, 'node-1');
          return r.ok ? r.value : undefined;
        },
        5_000_000,
      );
      const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready).toMatchObject({
        status: 'True',
        reason: 'KubeletReady',
        message: 'kubelet is posting ready status',
      });
      for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure']) {
        expect(node.status?.conditions?.find((c) => c.type === type)?.status).toBe('False');
      }
      expect(node.metadata.labels).toMatchObject({
        'kubernetes.io/hostname': 'node-1',
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        zone: 'a',
      });
      expect(node.spec?.podCIDR).toBe('10.244.1.0/24');
      expect(node.status?.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
      expect(node.status?.capacity).toMatchObject({ cpu: '8', memory: '32Gi', pods: '110' });
      // 32Gi minus the 100Mi hard eviction threshold; cpu minus system-reserved.
      expect(node.status?.allocatable).toMatchObject({
        cpu: '7500m',
        memory: '32668Mi',
        pods: '110',
      });
      expect(node.status?.addresses?.map((a) => a.type)).toEqual(['InternalIP', 'Hostname']);

      const renewTimes: number[] = [];
      await waitFor(
        ports,
        'four lease renewals',
        async () => {
          const r = await api.get('Lease', 'kube-node-lease', 'node-1');
          if (!r.ok) return undefined;
          expect(r.value.spec).toMatchObject({
            holderIdentity: 'node-1',
            leaseDurationSeconds: 40,
          });
          const t = parseTime(r.value.spec?.renewTime ?? '');
          if (t !== undefined && t !== renewTimes.at(-1)) renewTimes.push(t);
          return renewTimes.length >= 4 ? true : undefined;
        },
        40_000_000,
        100_000,
      );
      const gaps = renewTimes.slice(1).map((t, i) => t - (renewTimes[i] as number));
      for (const gap of gaps) {
        expect(gap).toBeGreaterThanOrEqual(10_000_000);
        expect(gap).toBeLessThanOrEqual(10_500_000);
      }
    });
    expect(trace.filter((r) => r.k === 'kubelet.node-registered')).toHaveLength(1);
  });

  it('restores Ready=True within one status period after another writer set it to Unknown', async () => {
    const sim = controlPlane();
    spawnNode(sim);
    await runScript(sim, async (api, ports) => {
      const node = await waitFor(
        ports,
        'node',
        async () => {
          const r = await api.get('Node', undefined, 'node-1');
          return r.ok ? r.value : undefined;
        },
        5_000_000,
      );
      // What the node lifecycle controller does when leases go stale (e.g. the store was down).
      const conditions = (node.status?.conditions ?? []).map((c) =>
        c.type === 'Ready'
          ? {
              ...c,
              status: 'Unknown' as const,
              reason: 'NodeStatusUnknown',
              message: 'Kubelet stopped posting node status.',
            }
          : c,
      );
      const written = await api.updateStatus({ ...node, status: { ...node.status, conditions } });
      expect(written.ok).toBe(true);
      const startUs = ports.clock.now();
      await waitFor(
        ports,
        'Ready=True again',
        async () => {
          const r = await api.get('Node', undefined, 'node-1');
          return r.ok &&
            r.value.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True'
            ? true
            : undefined;
        },
        30_000_000,
      );
      // nodeStatusUpdateFrequency is 10 s: corrected at the next update, not after 5 min.
      expect(ports.clock.now() - startUs).toBeLessThanOrEqual(11_000_000);
    });
  });
});
