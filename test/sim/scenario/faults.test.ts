/**
 * The scenario faults beyond the timed ones: a crash of whichever process leads a Lease, a zone
 * outage, and faults drawn from rates. Each is observed in the trace: who crashed and when,
 * the standby's takeover, the node lifecycle controller's taints and evictions, the
 * replacements' bindings, and the drawn schedule replayed as explicit actions.
 */
import { describe, expect, it } from 'vitest';
import { runScenario, type RunReport } from '../../../sim/scenario/run.ts';
import { parseScenario, ScenarioError } from '../../../sim/scenario/scenario.ts';
import { summary } from '../../../sim/cli/run-command.ts';

type TraceLine = Record<string, unknown> & { k: string; t: number; p: string };

async function run(text: string, seed = 1): Promise<{ report: RunReport; trace: TraceLine[] }> {
  const lines: string[] = [];
  const report = await runScenario(parseScenario(text, 'faults.yaml'), {
    seed,
    checkTrace: true,
    traceSink: (l) => lines.push(l),
  });
  return { report, trace: lines.map((l) => JSON.parse(l) as TraceLine) };
}

const problems = (text: string): string[] => {
  try {
    parseScenario(text, 'faults.yaml');
  } catch (e) {
    if (e instanceof ScenarioError) return [...e.problems];
    throw e;
  }
  return [];
};

const S = 1_000_000;

const ha = (duration: string, actions: string, rest = ''): string => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: leader }
spec:
  duration: ${duration}
  cluster:
    controlPlane: { schedulers: 2 }
    nodes: [{ namePrefix: node, count: 1 }]
  actions:
${actions}
${rest}
`;

describe('crash of the leader of a Lease', () => {
  it('crashes the acting leader at fault time; the standby takes over; restartAfter restarts it', async () => {
    const { trace } = await run(
      ha(
        '70s',
        `    - { at: 20s, fault: { kind: crash, leaderOf: kube-system/kube-scheduler, restartAfter: 30s } }
    - { at: 25s, fault: { kind: crash, leaderOf: kube-system/kube-scheduler } }`,
      ),
    );
    const acquired = trace.filter(
      (r) => r.k === 'leader-election.acquired' && r.lease === 'kube-system/kube-scheduler',
    );
    const first = acquired[0]!;
    expect(first.t).toBeLessThan(20 * S);
    const resolved = trace.filter((r) => r.k === 'fault.lease-leader');
    expect(resolved).toHaveLength(2);
    // At 20 s the leader is the process that acquired the Lease first.
    expect(resolved[0]).toMatchObject({ t: 20 * S, process: first.p });
    const crash = trace.find((r) => r.k === 'process.crash' && r.p === first.p);
    expect(crash?.t).toBe(20 * S);
    // At 25 s nobody leads yet (the standby waits 15 s for the Lease to expire): a no-op.
    expect(resolved[1]).toMatchObject({ t: 25 * S });
    expect(resolved[1]!.process).toBeUndefined();
    expect(trace.filter((r) => r.k === 'process.crash')).toHaveLength(1);
    const takeover = acquired.find((r) => r.t > 20 * S);
    expect(takeover?.p).not.toBe(first.p);
    expect(takeover!.t).toBeGreaterThan(35 * S);
    const restarted = trace.find((r) => r.k === 'process.start' && r.p === first.p && r.t > 0);
    expect(restarted?.t).toBe(50 * S);
  });

  it('refuses a Lease the cluster elects no leader over', () => {
    const one = ha(
      '1m',
      '    - { at: 5s, fault: { kind: crash, leaderOf: kube-system/kube-scheduler } }',
    ).replace('controlPlane: { schedulers: 2 }', 'controlPlane: { controllerManagers: 2 }');
    expect(problems(one).join('\n')).toMatch(
      /faults\.yaml:\d+: spec\.actions\[0\]\.fault\.leaderOf: no leader is elected over kube-system\/kube-scheduler in this cluster \(leases: kube-system\/kube-controller-manager\)/,
    );
    const both = ha(
      '1m',
      '    - { at: 5s, fault: { kind: crash, process: scheduler-0, leaderOf: kube-system/kube-scheduler } }',
    );
    expect(problems(both).join('\n')).toMatch(/a crash needs exactly one of process and leaderOf/);
  });
});

const ZONES = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: zones }
spec:
  duration: 150s
  cluster:
    nodes:
      - namePrefix: node
        count: 3
        labels: { topology.kubernetes.io/zone: { roundRobin: [a, b, c] } }
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: { name: web }
      spec:
        replicas: 3
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec:
            topologySpreadConstraints:
              - { maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: ScheduleAnyway, labelSelector: { matchLabels: { app: web } } }
            tolerations:
              - { key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 10 }
              - { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 10 }
            containers: [{ name: c, image: nginx:1.25 }]
  actions:
    - { at: 30s, fault: { kind: zone-outage, zone: a, duration: 90s } }
`;

describe('zone outage', () => {
  it("stops the zone's kubelets; its nodes are tainted and their pods replaced in the other zones; it recovers", async () => {
    const { trace, report } = await run(ZONES);
    const outage = trace.find((r) => r.k === 'fault.zone-outage');
    expect(outage).toMatchObject({
      t: 30 * S,
      label: 'topology.kubernetes.io/zone',
      zone: 'a',
      processes: ['node-1'],
      durationUs: 90 * S,
    });
    expect(trace.find((r) => r.k === 'process.crash')).toMatchObject({ p: 'node-1', t: 30 * S });
    // The kubelet stops: no lease renewal from node-1 during the outage.
    const renewals = trace.filter(
      (r) => r.k === 'kubelet.lease-renewed' && r.p === 'node-1' && r.t > 30 * S && r.t < 120 * S,
    );
    expect(renewals).toHaveLength(0);
    // Upstream's schedule: Unknown after the 40 s grace period (node-monitor-grace-period),
    // then the unreachable NoExecute taint, then the pods go when their 10 s toleration ends.
    const unknown = trace.find((r) => r.k === 'node-lifecycle.node-unknown' && r.node === 'node-1');
    expect(unknown!.t).toBeGreaterThanOrEqual(30 * S + 40 * S - 10 * S);
    const taint = trace.find(
      (r) =>
        r.k === 'node-lifecycle.taint' &&
        r.node === 'node-1' &&
        JSON.stringify(r.added).includes('unreachable:NoExecute'),
    );
    expect(taint!.t).toBeGreaterThanOrEqual(unknown!.t);
    const evicted = trace.filter((r) => r.k === 'taint-eviction.delete' && r.node === 'node-1');
    expect(evicted).toHaveLength(1);
    expect(evicted[0]!.t).toBeGreaterThanOrEqual(taint!.t + 10 * S);
    const replacement = trace.find((r) => r.k === 'scheduler.bind' && r.t > evicted[0]!.t);
    expect(['node-2', 'node-3']).toContain(replacement?.node);
    // The zone comes back after 90 s and its node is Ready again.
    expect(trace.find((r) => r.k === 'fault.zone-recovered')).toMatchObject({
      t: 120 * S,
      zone: 'a',
    });
    expect(trace.find((r) => r.k === 'process.start' && r.p === 'node-1' && r.t > 0)?.t).toBe(
      120 * S,
    );
    expect(report.nodes.find((n) => n.name === 'node-1')?.ready).toBe('True');
    const running = report.pods.filter((p) => p.phase === 'Running' && !p.terminating);
    expect(running).toHaveLength(3);
  });

  it('refuses a zone no node is in', () => {
    expect(problems(ZONES.replace('zone: a, duration: 90s', 'zone: d')).join('\n')).toMatch(
      /spec\.actions\[0\]\.fault\.zone: unknown zone: no node has the label topology\.kubernetes\.io\/zone=d/,
    );
  });
});
