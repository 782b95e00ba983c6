import { describe, expect, it } from 'vitest';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import { parseTraceRecord } from '../../../core/trace/index.ts';
import type { Simulation } from '../../../sim/simulation.ts';
import {
  controlPlane,
  runScript,
  spawnNode,
  startControllerManager,
  startScheduler,
} from '../../support/cluster.ts';
import { mustCreate, replicaSet } from '../controllers/harness.ts';

const S = 1_000_000;

interface Term {
  readonly process: string;
  readonly identity: string;
  readonly fromUs: number;
  toUs: number;
}

/** Leadership terms per lease from the trace: acquired .. lost (or still running). */
function terms(sim: Simulation): Map<string, Term[]> {
  const out = new Map<string, Term[]>();
  sim.trace.addSink((line) => {
    const r = parseTraceRecord(line);
    if (r.k === 'leader-election.acquired') {
      const list = out.get(r.lease) ?? [];
      list.push({ process: r.p, identity: r.identity, fromUs: r.t, toUs: Infinity });
      out.set(r.lease, list);
    } else if (r.k === 'leader-election.lost') {
      const term = (out.get(r.lease) ?? []).find(
        (t) => t.identity === r.identity && t.toUs === Infinity,
      );
      if (term !== undefined) term.toUs = r.t;
    }
  });
  return out;
}

/** Processes whose leadership terms overlap (there must never be two leaders at once). */
function overlaps(list: readonly Term[]): string[] {
  const out: string[] = [];
  for (const a of list) {
    for (const b of list) {
      if (a !== b && a.fromUs < b.fromUs && b.fromUs < a.toUs)
        out.push(`${a.identity} / ${b.identity}`);
    }
  }
  return out;
}

describe('leader election (client-go leaderelection over a Lease)', () => {
  it('runs controllers only in the leader; a standby takes over after the leader crashes', async () => {
    const sim = controlPlane({ secure: true });
    const byLease = terms(sim);
    let starts = 0;
    sim.trace.addSink((line) => {
      if (line.includes('"controller-manager.start"')) starts++;
    });
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-a');
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-b');
    await runScript(sim, async (api, ports) => {
      await ports.clock.sleep(5 * S);
      const first = byLease.get('kube-system/kube-controller-manager') ?? [];
      expect(first).toHaveLength(1);
      expect(starts).toBe(1);
      const lease = await api.get('Lease', 'kube-system', 'kube-controller-manager');
      expect(lease.ok && lease.value.spec).toMatchObject({
        holderIdentity: first[0]!.identity,
        leaseDurationSeconds: 15,
        leaseTransitions: 0,
      });

      const crashedAtUs = sim.now;
      sim.crash(first[0]!.process);
      await ports.clock.sleep(25 * S);
      const all = byLease.get('kube-system/kube-controller-manager') ?? [];
      expect(all).toHaveLength(2);
      const second = all[1]!;
      expect(second.process).not.toBe(first[0]!.process);
      // Not before the lease ran out (15 s after the standby last saw it renewed), and soon after.
      expect(second.fromUs - crashedAtUs).toBeGreaterThan(13 * S);
      expect(second.fromUs - crashedAtUs).toBeLessThan(20 * S);
      const taken = await api.get('Lease', 'kube-system', 'kube-controller-manager');
      expect(taken.ok && taken.value.spec?.leaseTransitions).toBe(1);

      // The new leader's ReplicaSet controller works.
      await mustCreate(ports, api, replicaSet('web', 3));
      await ports.clock.sleep(3 * S);
      const pods = await api.list('Pod', 'default');
      expect(pods.ok && pods.value.items.length).toBe(3);
    });
    expect(starts).toBe(2);
  });

  it('a leader cut off from the API server steps down before a standby takes over', async () => {
    const sim = controlPlane({ secure: true, seed: 4 });
    const byLease = terms(sim);
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-a');
    startControllerManager(sim, { controllers: ['replicaset'], leaderElection: true }, 'kcm-b');
    await runScript(sim, async (_api, ports) => {
      await ports.clock.sleep(5 * S);
      const leader = byLease.get('kube-system/kube-controller-manager')![0]!;
      sim.network.block(leader.process, API_SERVER);
      await ports.clock.sleep(40 * S);
      sim.network.heal();
      await ports.clock.sleep(30 * S);
    });
    const list = byLease.get('kube-system/kube-controller-manager') ?? [];
    expect(list.length).toBeGreaterThanOrEqual(2);
    // The cut-off leader gave up within the renew deadline; the standby took over later.
    expect(list[0]!.toUs).toBeLessThan(list[1]!.fromUs);
    expect(list[1]!.process).not.toBe(list[0]!.process);
    expect(overlaps(list)).toEqual([]);
  });

  it('only the leading scheduler binds pods; its standby binds after it crashes', async () => {
    const sim = controlPlane({ secure: true, seed: 2 });
    const byLease = terms(sim);
    const binders = new Map<string, number>();
    sim.trace.addSink((line) => {
      const r = parseTraceRecord(line);
      if (r.k === 'scheduler.bind') binders.set(r.p, (binders.get(r.p) ?? 0) + 1);
    });
    startScheduler(sim, { leaderElection: true }, 'scheduler-a');
    startScheduler(sim, { leaderElection: true }, 'scheduler-b');
    startControllerManager(sim, { controllers: ['replicaset'] });
    spawnNode(sim, { name: 'node-1', kubelet: { podCIDR: '10.244.1.0/24' } });
    await runScript(sim, async (api, ports) => {
      await mustCreate(ports, api, replicaSet('a', 3));
      await ports.clock.sleep(10 * S);
      const leader = byLease.get('kube-system/kube-scheduler')![0]!;
      expect([...binders.keys()]).toEqual([leader.process]);
      expect(binders.get(leader.process)).toBe(3);
      sim.crash(leader.process);
      await mustCreate(ports, api, replicaSet('b', 2));
      await ports.clock.sleep(30 * S);
      const standby = leader.process === 'scheduler-a' ? 'scheduler-b' : 'scheduler-a';
      expect(binders.get(standby)).toBe(2);
    });
  });
});
