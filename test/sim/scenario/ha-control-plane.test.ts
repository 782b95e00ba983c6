/**
 * Control-plane replicas: several API servers behind the client-side load balancer, and
 * standby schedulers and controller managers under leader election. The example scenario
 * crashes the acting scheduler and an API server mid-rollout; its trace shows the standby take
 * the Lease and the clients move to the API servers still up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { planCluster, type ClusterHost } from '../../../core/cluster/assembly.ts';
import type { TraceRecord } from '../../../core/trace/types.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';
import { SIM_SIGNER } from '../../../sim/signer.ts';

const FILE = 'scenarios/ha-control-plane.yaml';
const CRASH_US = 95_000_000;
/** client-go's --leader-elect-lease-duration: the standby waits this long on an unrenewed lease. */
const LEASE_DURATION_US = 15_000_000;

const NO_HOST: ClusterHost<never> = {
  machine: () => {
    throw new Error('no machines in this test');
  },
  signer: SIM_SIGNER,
};

type Rec = TraceRecord & Record<string, unknown>;

let run: Promise<{ records: Rec[]; passed: boolean }> | undefined;
/** The example's run at its seed, shared by the tests that read its trace. */
const haRun = (): Promise<{ records: Rec[]; passed: boolean }> => (run ??= haTrace(1));

async function haTrace(seed: number): Promise<{ records: Rec[]; passed: boolean }> {
  const scenario = parseScenario(readFileSync(FILE, 'utf8'), FILE);
  const records: Rec[] = [];
  const report = await runScenario(scenario, {
    seed,
    traceSink: (line) => {
      if (line !== '') records.push(JSON.parse(line) as Rec);
    },
  });
  return { records, passed: report.passed };
}

/** The first and last time each process wrote a record of `kind`. */
function spans(records: readonly Rec[], kind: string): Map<string, [number, number]> {
  const out = new Map<string, [number, number]>();
  for (const r of records) {
    if (r.k !== kind) continue;
    const span = out.get(r.p);
    out.set(r.p, span === undefined ? [r.t, r.t] : [span[0], r.t]);
  }
  return out;
}

describe('control-plane replicas', () => {
  it('one of each keeps the plain names; several are numbered, behind one API address', () => {
    const base = { store: { members: 1 }, nodePools: [] };
    const single = planCluster(base, NO_HOST).layout;
    expect(single).toMatchObject({
      apiServer: 'apiserver',
      apiServers: ['apiserver'],
      schedulers: ['scheduler'],
      controllerManagers: ['controller-manager'],
    });
    const ha = planCluster(
      { ...base, controlPlane: { apiServers: 3, schedulers: 2, controllerManagers: 2 } },
      NO_HOST,
    );
    expect(ha.layout).toMatchObject({
      apiServers: ['apiserver-0', 'apiserver-1', 'apiserver-2'],
      scheduler: 'scheduler-0',
      schedulers: ['scheduler-0', 'scheduler-1'],
      controllerManagers: ['controller-manager-0', 'controller-manager-1'],
    });
    expect(ha.processes.map((p) => p.name)).toEqual([
      'etcd-0',
      'apiserver-0',
      'apiserver-1',
      'apiserver-2',
      'scheduler-0',
      'scheduler-1',
      'controller-manager-0',
      'controller-manager-1',
      'metrics-server',
    ]);
  });

  it('refuses replica counts out of range and faults on process names the cluster lacks', async () => {
    const text = readFileSync(FILE, 'utf8');
    const problems = (t: string): string[] => {
      try {
        parseScenario(t, 'test.yaml');
      } catch (e) {
        if (e instanceof ScenarioError) return [...e.problems];
        throw e;
      }
      return [];
    };
    expect(problems(text.replace('apiServers: 3', 'apiServers: 0')).join('\n')).toMatch(
      /spec\.cluster\.controlPlane\.apiServers: must be >= 1, got 0/,
    );
    // One scheduler runs no leader election: a crash of the Lease's leader is refused at load.
    expect(problems(text.replace('schedulers: 2', 'schedulers: 1')).join('\n')).toMatch(
      /spec\.actions\[2\]\.fault\.leaderOf: no leader is elected over kube-system\/kube-scheduler in this cluster \(leases: kube-system\/kube-controller-manager\)/,
    );
    const scenario = parseScenario(text.replace('apiServers: 3', 'apiServers: 1'), FILE);
    await expect(runScenario(scenario, { seed: 1 })).rejects.toThrow(
      /no process named "apiserver-0" \(processes: .*apiserver,/,
    );
  });

  it('the standby scheduler takes over when the acting one crashes; no two bind at once', async () => {
    const { records, passed } = await haRun();
    expect(passed).toBe(true);
    const acquired = records.filter(
      (r) => r.k === 'leader-election.acquired' && r.lease === 'kube-system/kube-scheduler',
    );
    // Which replica wins the first election is the seed's; the other must take over.
    expect(acquired.map((r) => r.p).sort()).toEqual(['scheduler-0', 'scheduler-1']);
    const [first, second] = acquired as [Rec, Rec];
    expect(first.t).toBeLessThan(CRASH_US);
    // The standby waits a lease duration from the last renewal it could have seen: the crashed
    // leader's last write of the Lease, which reached an API server no later than it was stored.
    const renewals = records.filter(
      (r) =>
        r.k === 'api.request' &&
        r.verb === 'PUT' &&
        r.code === 200 &&
        String(r.path).endsWith('/leases/kube-scheduler') &&
        r.t <= CRASH_US,
    );
    const lastRenewal = renewals[renewals.length - 1] as Rec;
    const renewedAtUs = lastRenewal.t - (lastRenewal.latencyUs as number);
    expect(renewedAtUs).toBeGreaterThan(CRASH_US - 5_000_000);
    expect(second.t).toBeGreaterThanOrEqual(renewedAtUs + LEASE_DURATION_US);
    // The fault names the Lease, not a process: it struck whichever scheduler led it.
    expect(records.find((r) => r.k === 'fault.lease-leader')).toMatchObject({
      t: CRASH_US,
      lease: 'kube-system/kube-scheduler',
      process: first.p,
    });
    expect(records.find((r) => r.k === 'process.crash' && r.p === first.p)?.t).toBe(CRASH_US);
    // Binding periods: the acting scheduler's until its crash, the standby's after its takeover.
    const binds = spans(records, 'scheduler.bind');
    expect([...binds.keys()].sort()).toEqual(['scheduler-0', 'scheduler-1']);
    const [firstFrom, firstTo] = binds.get(first.p) as [number, number];
    const [secondFrom] = binds.get(second.p) as [number, number];
    expect(firstFrom).toBeGreaterThanOrEqual(first.t);
    expect(firstTo).toBeLessThanOrEqual(CRASH_US);
    expect(secondFrom).toBeGreaterThanOrEqual(second.t);
    // One controller manager acted throughout; the other stood by.
    const managers = records.filter(
      (r) =>
        r.k === 'leader-election.acquired' && r.lease === 'kube-system/kube-controller-manager',
    );
    expect(managers).toHaveLength(1);
  });

  it('clients fail over from the crashed API server to the others', async () => {
    const { records } = await haRun();
    const served = (from: number, to: number): Set<string> =>
      new Set(
        records.filter((r) => r.k === 'api.request' && r.t >= from && r.t < to).map((r) => r.p),
      );
    expect([...served(0, CRASH_US)].sort()).toEqual(['apiserver-0', 'apiserver-1', 'apiserver-2']);
    expect([...served(CRASH_US + 1, Infinity)].sort()).toEqual(['apiserver-1', 'apiserver-2']);
    // Every node's kubelet kept reporting through the surviving API servers.
    const users = new Set(
      records
        .filter((r) => r.k === 'api.request' && r.t > CRASH_US + LEASE_DURATION_US)
        .map((r) => r.user),
    );
    for (const node of ['node-1', 'node-2', 'node-3'])
      expect(users).toContain(`system:node:${node}`);
  });
});
