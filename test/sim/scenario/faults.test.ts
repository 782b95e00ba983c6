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
import { drawFaults, drawnAction } from '../../../sim/scenario/fault-rates.ts';
import { SeededRandom } from '../../../sim/random.ts';

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

  it('takes down the control-plane processes controlPlane.zones puts in the zone, with its nodes', async () => {
    const text = `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: control-plane-zones }
spec:
  duration: 60s
  cluster:
    store: { members: 3 }
    controlPlane: { apiServers: 2, schedulers: 2, zones: [a, b, c] }
    nodes:
      - namePrefix: node
        count: 3
        labels: { topology.kubernetes.io/zone: { roundRobin: [a, b, c] } }
  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: web }
      spec:
        replicas: 2
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: c, image: nginx:1.25 }] }
  actions:
    - { at: 10s, fault: { kind: zone-outage, zone: a, duration: 20s } }
    - { at: 35s, scale: { kind: ReplicaSet, name: web, replicas: 4 } }
`;
    const { report, trace } = await run(text);
    // Zone a holds the first replica of each component (the one controller manager too) and
    // node-1.
    const zoneA = ['etcd-0', 'apiserver-0', 'scheduler-0', 'controller-manager', 'node-1'];
    const outage = trace.find((r) => r.k === 'fault.zone-outage');
    expect(outage?.processes).toEqual(zoneA);
    const crashed = trace.filter((r) => r.k === 'process.crash' && r.t === 10 * S).map((r) => r.p);
    expect(crashed.sort()).toEqual([...zoneA].sort());
    const restarted = trace
      .filter((r) => r.k === 'process.start' && r.t === 30 * S)
      .map((r) => r.p);
    expect(restarted.sort()).toEqual([...zoneA].sort());
    // The rest of the control plane kept the cluster going: the scale after the outage is met.
    expect(report.pods.filter((p) => p.phase === 'Running')).toHaveLength(4);
  });

  it('refuses a zone no node is in', () => {
    expect(problems(ZONES.replace('zone: a, duration: 90s', 'zone: d')).join('\n')).toMatch(
      /spec\.actions\[0\]\.fault\.zone: unknown zone: no node has the label topology\.kubernetes\.io\/zone=d/,
    );
  });
});

const RATES = (rates: string, actions = '', duration = '2m') => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: rates }
spec:
  duration: ${duration}
  cluster:
    nodes:
      - namePrefix: node
        count: 4
        labels: { topology.kubernetes.io/zone: { roundRobin: [a, b] } }
  faultRates:
${rates}
${actions}
`;

const rawCluster = (text: string) => parseScenario(text, 'rates.yaml').spec;

describe('faults drawn from rates', () => {
  it('draws a schedule from the seed: the same seed the same faults, another seed others', () => {
    const spec = rawCluster(
      RATES(
        '    - { kind: crash, among: [node], every: 20s, duration: { min: 5s, max: 15s } }',
        '',
        '10m',
      ),
    );
    const draw = (seed: number) =>
      drawFaults(spec.faultRates ?? [], new SeededRandom(`x:${seed}`), spec.duration, spec.cluster);
    const a = draw(1);
    expect(draw(1)).toEqual(a);
    expect(draw(2)).not.toEqual(a);
    // Poisson arrivals of mean 20 s over 10 min: about 30 (a busy target is not drawn again).
    expect(a.length).toBeGreaterThan(15);
    expect(a.length).toBeLessThan(45);
    for (const d of a) {
      expect(d.fault.kind).toBe('crash');
      const f = d.fault as { process: string; restartAfter: number };
      expect(f.process).toMatch(/^node-[1-4]$/);
      expect(f.restartAfter).toBeGreaterThanOrEqual(5 * S);
      expect(f.restartAfter).toBeLessThanOrEqual(15 * S);
      expect(d.atUs % 1000).toBe(0);
    }
    // A node is never drawn while it is down from an earlier draw.
    const downUntil = new Map<string, number>();
    for (const d of a) {
      const f = d.fault as { process: string; restartAfter: number };
      expect(d.atUs).toBeGreaterThanOrEqual(downUntil.get(f.process) ?? 0);
      downUntil.set(f.process, d.atUs + f.restartAfter);
    }
  });

  it('constant arrivals come every interval within the window; zones are drawn from among', () => {
    const spec = rawCluster(
      RATES(
        '    - { kind: zone-outage, among: [a, b], every: 30s, arrival: constant, duration: 10s, from: 15s, until: 100s }',
      ),
    );
    const drawn = drawFaults(
      spec.faultRates ?? [],
      new SeededRandom('y'),
      spec.duration,
      spec.cluster,
    );
    expect(drawn.map((d) => d.atUs)).toEqual([45 * S, 75 * S]);
    for (const d of drawn) expect(d.fault).toMatchObject({ kind: 'zone-outage', duration: 10 * S });
    expect(drawnAction(drawn[0]!)).toMatch(
      /^\{ at: 45s, fault: \{ kind: zone-outage, zone: [ab], duration: 10s \} \}$/,
    );
  });

  it('draws partitions (two random sides, or one way) healed after their duration, and clock jumps and drift', () => {
    const spec = rawCluster(
      RATES(
        [
          '    - { kind: partition, among: [node, apiserver], every: 20s, duration: 5s }',
          '    - { kind: partition, oneWay: true, among: [node-1, node-2, node-3], every: 20s, duration: { min: 1s, max: 3s } }',
          '    - { kind: clock-jump, among: [node], every: 30s, duration: 2s, backwards: true }',
          '    - { kind: clock-rate, among: [node-4], every: 30s, duration: 10s, rate: { min: 0.5, max: 2 } }',
        ].join('\n'),
        '',
        '5m',
      ),
    );
    const drawn = drawFaults(
      spec.faultRates ?? [],
      new SeededRandom('z'),
      spec.duration,
      spec.cluster,
    );
    const of = (rule: number) => drawn.filter((d) => d.rule === rule);
    // Rule 0: each partition splits its five processes into two non-empty sides, and a heal
    // follows 5 s later, before the next partition of the rule.
    const parts = of(0);
    expect(parts.length).toBeGreaterThan(4);
    for (let i = 0; i < parts.length; i += 2) {
      const f = parts[i]!.fault as { kind: string; groups: string[][] };
      expect(f.kind).toBe('partition');
      expect(f.groups).toHaveLength(2);
      expect(f.groups.every((g) => g.length > 0)).toBe(true);
      expect(f.groups.flat().sort()).toEqual(['apiserver', 'node-1', 'node-2', 'node-3', 'node-4']);
      const heal = parts[i + 1];
      if (heal === undefined) break;
      expect(heal.fault).toEqual({ kind: 'heal' });
      expect(heal.atUs - parts[i]!.atUs).toBe(5 * S);
      if (parts[i + 2] !== undefined) expect(parts[i + 2]!.atUs).toBeGreaterThanOrEqual(heal.atUs);
    }
    // Different draws give different groupings.
    const groupings = new Set(
      parts.filter((d) => d.fault.kind === 'partition').map((d) => JSON.stringify(d.fault)),
    );
    expect(groupings.size).toBeGreaterThan(1);
    // Rule 1: one way, from one of the three to another.
    const blocks = of(1).filter((d) => d.fault.kind === 'block');
    expect(blocks.length).toBeGreaterThan(0);
    for (const d of blocks) {
      const f = d.fault as { from: string; to: string };
      expect(f.from).not.toBe(f.to);
      expect([f.from, f.to].every((p) => /^node-[123]$/.test(p))).toBe(true);
    }
    // Rule 2: a node's clock jumps back 2 s.
    expect(of(2).length).toBeGreaterThan(0);
    for (const d of of(2))
      expect(d.fault).toMatchObject({ kind: 'clock-jump', by: 2 * S, backwards: true });
    // Rule 3: node-4's clock drifts at a drawn rate, then runs at 1 again 10 s later.
    const rates = of(3);
    expect(rates.length).toBeGreaterThan(1);
    const first = rates[0]!.fault as { kind: string; rate: number };
    expect(first.kind).toBe('clock-rate');
    expect(first.rate).toBeGreaterThanOrEqual(0.5);
    expect(first.rate).toBeLessThanOrEqual(2);
    expect(rates[1]).toMatchObject({
      atUs: rates[0]!.atUs + 10 * S,
      fault: { kind: 'clock-rate', process: 'node-4', rate: 1 },
    });
    expect(drawnAction(rates[0]!)).toMatch(
      /^\{ at: [\d.]+s, fault: \{ kind: clock-rate, process: node-4, rate: [\d.]+ \} \}$/,
    );
    expect(drawnAction(of(2)[0]!)).toMatch(
      /^\{ at: [\d.]+s, fault: \{ kind: clock-jump, process: node-\d, by: 2s, backwards: true \} \}$/,
    );
  });

  it('runs drawn partitions and clock faults as the faults they print', async () => {
    const text = RATES(
      [
        '    - { kind: partition, among: [node, apiserver], every: 40s, duration: 5s, from: 10s }',
        '    - { kind: clock-rate, among: [node], every: 40s, duration: 10s, rate: 2, from: 10s }',
      ].join('\n'),
    );
    const { report, trace } = await run(text, 3);
    const drawn = trace.filter((r) => r.k === 'fault.drawn');
    expect(drawn.map((r) => r.action)).toEqual(report.drawnFaults);
    const partitions = trace.filter((r) => r.k === 'fault.partition');
    const heals = trace.filter((r) => r.k === 'fault.heal');
    expect(partitions.length).toBeGreaterThan(0);
    expect(heals.length).toBe(partitions.length);
    expect(heals.map((r) => r.t)).toEqual(partitions.map((r) => r.t + 5 * S));
    const rates = trace.filter((r) => r.k === 'fault.clock-rate');
    expect(rates.map((r) => r.rate)).toEqual(rates.map((_, i) => (i % 2 === 0 ? 2 : 1)));
  });

  it('draws link changes (one link, or the default link) and disk faults, each undone after its duration', () => {
    const spec = rawCluster(
      RATES(
        [
          '    - { kind: link, among: [node], every: 20s, duration: 4s, lossProbability: { min: 0.1, max: 0.3 }, latency: { min: 5ms, max: 50ms } }',
          '    - { kind: link, every: 30s, duration: 2s, duplicateProbability: 0.2 }',
          '    - { kind: disk-faults, among: [node-1, node-2], every: 30s, duration: 10s, tornWriteProbability: { min: 0.5, max: 1 }, readErrorProbability: 0.1 }',
        ].join('\n'),
        '',
        '5m',
      ),
    );
    const drawn = drawFaults(
      spec.faultRates ?? [],
      new SeededRandom('l'),
      spec.duration,
      spec.cluster,
    );
    const of = (rule: number) => drawn.filter((d) => d.rule === rule);
    // Rule 0: the link from one node to another: a drawn loss and the latency, then, 4 s later,
    // the same link back to the default (a link fault with nothing but its ends).
    const links = of(0);
    const starts = links.filter((d) => 'lossProbability' in d.fault);
    expect(starts.length).toBeGreaterThan(2);
    // Each start has its end, unless the end falls after the run.
    expect(links.length - starts.length).toBe(
      starts.filter((d) => d.atUs + 4 * S <= spec.duration).length,
    );
    for (const start of starts) {
      const f = start.fault as { from: string; to: string; lossProbability: number };
      expect(f).toMatchObject({ kind: 'link', latency: { min: 5_000, max: 50_000 } });
      expect([f.from, f.to].every((p) => /^node-[1-4]$/.test(p))).toBe(true);
      expect(f.from).not.toBe(f.to);
      expect(f.lossProbability).toBeGreaterThanOrEqual(0.1);
      expect(f.lossProbability).toBeLessThanOrEqual(0.3);
      if (start.atUs + 4 * S > spec.duration) continue;
      expect(links).toContainEqual({
        rule: 0,
        atUs: start.atUs + 4 * S,
        fault: { kind: 'link', from: f.from, to: f.to },
      });
    }
    expect(drawnAction(starts[0]!)).toMatch(
      /^\{ at: [\d.]+s, fault: \{ kind: link, from: node-\d, to: node-\d, latency: \{ min: 0\.005s, max: 0\.05s \}, lossProbability: [\d.]+ \} \}$/,
    );
    // Rule 1: without among, the default link, one change at a time.
    const defaults = of(1);
    expect(defaults.length).toBeGreaterThan(2);
    expect(defaults[0]!.fault).toEqual({ kind: 'link', duplicateProbability: 0.2 });
    expect(defaults[1]!.fault).toEqual({ kind: 'link' });
    // Rule 2: a drawn node's disk tears writes and fails reads for 10 s, then is sound again.
    const disks = of(2);
    expect(disks.length).toBeGreaterThan(2);
    const d0 = disks[0]!.fault as { process: string; tornWriteProbability: number };
    expect(d0).toMatchObject({ kind: 'disk-faults', readErrorProbability: 0.1 });
    expect(d0.process).toMatch(/^node-[12]$/);
    expect(d0.tornWriteProbability).toBeGreaterThanOrEqual(0.5);
    expect(disks).toContainEqual({
      rule: 2,
      atUs: disks[0]!.atUs + 10 * S,
      fault: {
        kind: 'disk-faults',
        process: d0.process,
        tornWriteProbability: 0,
        readErrorProbability: 0,
      },
    });
  });

  it('runs drawn link changes and disk faults as the faults they print, and replays them', async () => {
    const text = RATES(
      [
        '    - { kind: link, among: [node, apiserver], every: 30s, duration: 5s, lossProbability: 0.2, from: 10s }',
        '    - { kind: disk-faults, among: [node], every: 40s, duration: 10s, tornWriteProbability: 1, from: 10s }',
      ].join('\n'),
    );
    const first = await run(text, 5);
    const drawn = first.trace.filter((r) => r.k === 'fault.drawn');
    expect(drawn.map((r) => r.action)).toEqual(first.report.drawnFaults);
    const faults = (trace: TraceLine[]) =>
      trace
        .filter((r) => r.k === 'fault.link' || r.k === 'fault.disk')
        .map(({ t, k, from, to, lossProbability, process, tornWriteProbability }) => ({
          t,
          k,
          from,
          to,
          lossProbability,
          process,
          tornWriteProbability,
        }));
    const struck = faults(first.trace);
    // Every drawn fault struck at its time: the links' loss on and off, the disks' tears.
    expect(struck.map((f) => f.t)).toEqual(drawn.map((r) => r.atUs));
    // Per link and per disk, the fault and its end alternate (different targets may overlap).
    const alternating = (k: string, target: (f: (typeof struck)[number]) => string, on: number) => {
      const byTarget = new Map<string, unknown[]>();
      for (const f of struck.filter((x) => x.k === k)) {
        const v = k === 'fault.link' ? f.lossProbability : f.tornWriteProbability;
        byTarget.set(target(f), [...(byTarget.get(target(f)) ?? []), v]);
      }
      expect(byTarget.size).toBeGreaterThan(0);
      for (const values of byTarget.values())
        expect(values).toEqual(values.map((_, i) => (i % 2 === 0 ? on : 0)));
    };
    alternating('fault.link', (f) => `${String(f.from)}>${String(f.to)}`, 0.2);
    alternating('fault.disk', (f) => String(f.process), 1);
    const explicit = RATES(
      '    []',
      `  actions:\n${first.report.drawnFaults.map((a) => `    - ${a}`).join('\n')}`,
    );
    const replay = await run(explicit, 5);
    expect(faults(replay.trace)).toEqual(struck);
  });

  it('refuses rates of the new kinds without what they need', () => {
    const got = problems(
      RATES(
        [
          '    - { kind: partition, among: [node-1], every: 1m, duration: 1s }',
          '    - { kind: clock-rate, among: [node], every: 1m, duration: 1s }',
          '    - { kind: clock-jump, among: [node], every: 1m }',
          '    - { kind: crash, among: [node], every: 1m, oneWay: true }',
          '    - { kind: link, among: [node], every: 1m, duration: 1s }',
          '    - { kind: disk-faults, among: [node], every: 1m, duration: 1s, lossProbability: 0.1 }',
        ].join('\n'),
      ),
    ).join('\n');
    expect(got).toMatch(
      /spec\.faultRates\[4\]\.kind: a link rate needs latency, lossProbability or duplicateProbability/,
    );
    expect(got).toMatch(
      /spec\.faultRates\[5\]\.lossProbability: lossProbability goes with kind link/,
    );
    expect(got).toMatch(
      /spec\.faultRates\[5\]\.kind: a disk-faults rate needs tornWriteProbability or readErrorProbability/,
    );
    expect(got).toMatch(/spec\.faultRates\[0\]\.among: a partition needs at least two processes/);
    expect(got).toMatch(/spec\.faultRates\[1\]\.rate: a clock-rate needs a rate/);
    expect(got).toMatch(/spec\.faultRates\[2\]\.duration: a clock-jump rate needs a duration/);
    expect(got).toMatch(/spec\.faultRates\[3\]\.oneWay: oneWay goes with kind partition/);
  });

  it('refuses bad rates with their path', () => {
    const text = RATES(
      [
        '    - { kind: crash, among: [node], every: 0s }',
        '    - { kind: zone-outage, among: [a, z], every: 1m }',
        '    - { kind: clog, among: [nodes], every: 1m }',
        '    - { kind: crash, leaderOf: kube-system/kube-scheduler, every: 1m }',
        '    - { kind: crash, among: [node-1], every: 1ms }',
      ].join('\n'),
    );
    const got = problems(text).join('\n');
    expect(got).toMatch(/spec\.faultRates\[0\]\.every: a rate needs an interval above 0/);
    expect(got).toMatch(/spec\.faultRates\[2\]\.duration: a clog needs a duration/);
    const fixed = problems(
      text
        .replace('every: 0s', 'every: 1s')
        .replace(
          'every: 1m }\n    - { kind: crash, leaderOf',
          'every: 1m, duration: 1s }\n    - { kind: crash, leaderOf',
        ),
    );
    const all = fixed.join('\n');
    expect(all).toMatch(
      /spec\.faultRates\[1\]\.among: unknown zone: no node has the label topology\.kubernetes\.io\/zone=z/,
    );
    expect(all).toMatch(/spec\.faultRates\[2\]\.among: "nodes" is no process/);
    expect(all).toMatch(
      /spec\.faultRates\[3\]\.leaderOf: no leader is elected over kube-system\/kube-scheduler/,
    );
    expect(all).toMatch(/spec\.faultRates\[4\]\.every: would draw about 120000 faults/);
  });

  it('runs the drawn faults, traces and prints them; as explicit actions they replay the same faults', async () => {
    const text = RATES(
      '    - { kind: crash, among: [node], every: 30s, duration: { min: 5s, max: 20s }, from: 10s }',
    );
    const first = await run(text, 7);
    const drawn = first.trace.filter((r) => r.k === 'fault.drawn');
    expect(drawn.length).toBeGreaterThan(0);
    expect(drawn.map((r) => r.action)).toEqual(first.report.drawnFaults);
    expect(drawn.every((r) => r.t === 0)).toBe(true);
    const faults = (trace: TraceLine[]) =>
      trace
        .filter((r) => (r.k === 'process.crash' || r.k === 'process.start') && r.t > 0)
        .map((r) => `${r.t} ${r.k} ${r.p}`);
    const crashes = first.trace.filter((r) => r.k === 'process.crash');
    expect(crashes.map((r) => r.t)).toEqual(drawn.map((r) => r.atUs));
    expect(summary(first.report, 1, undefined, false)).toContain(
      `faults drawn from spec.faultRates (${drawn.length};`,
    );
    const explicit = RATES(
      '    []',
      `  actions:\n${first.report.drawnFaults.map((a) => `    - ${a}`).join('\n')}`,
    );
    const replay = await run(explicit, 7);
    expect(replay.report.drawnFaults).toEqual([]);
    expect(faults(replay.trace)).toEqual(faults(first.trace));
  });
});

describe('figure-8', () => {
  it('refuses a store of fewer than 3 members, or in memory', () => {
    const scenario = (store: string, clients = '[apiserver]') => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: f8 }
spec:
  duration: 1m
  cluster:
    store: ${store}
    nodes: [{ namePrefix: node, count: 1 }]
  actions:
    - { at: 5s, fault: { kind: figure-8, clients: ${clients}, duration: 20s } }
`;
    expect(problems(scenario('{ members: 1 }')).join('\n')).toMatch(
      /spec\.actions\[0\]\.fault: Figure 8 needs a replicated store of 3 or more members \(spec\.cluster\.store\.members is 1\)/,
    );
    expect(problems(scenario('{ inMemory: true }')).join('\n')).toMatch(
      /Figure 8 needs a replicated store of 3 or more members \(spec\.cluster\.store\.members is in memory\)/,
    );
    expect(problems(scenario('{ members: 3 }'))).toEqual([]);
  });
});

describe('watch latency records', () => {
  const SMALL = (sample: string) => `
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: watch }
spec:
  duration: 20s
  cluster:
    store: { members: 3 }
    nodes: [{ count: 2 }]
  slos: { ${sample} }
  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: web }
      spec:
        replicas: 3
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: c, image: nginx:1.25 }] }
`;

  it('records the commit of every sampled revision and its deliveries to watchers, after it', async () => {
    const { trace } = await run(SMALL('watchLatencySample: 0.25'));
    const commits = trace.filter((r) => r.k === 'watch.committed');
    const deliveries = trace.filter((r) => r.k === 'watch.delivered');
    expect(commits.length).toBeGreaterThan(10);
    for (const c of commits) expect((c.revision as number) % 4).toBe(0);
    const committedAt = new Map(commits.map((c) => [c.revision as number, c.t]));
    // Not every write is watched (Events, say), and a pod write reaches several watchers.
    expect(deliveries.length).toBeGreaterThan(10);
    for (const d of deliveries) {
      expect((d.revision as number) % 4).toBe(0);
      const at = committedAt.get(d.revision as number);
      expect(at, `revision ${String(d.revision)}`).toBeDefined();
      expect(d.t).toBeGreaterThanOrEqual(at!);
    }
    // Pods are watched by the scheduler, the controller manager, the kubelets, metrics-server
    // and the runner.
    const podWatchers = new Set(deliveries.filter((d) => d.resource === 'pods').map((d) => d.p));
    expect(podWatchers).toEqual(
      new Set([
        'scheduler',
        'controller-manager',
        'metrics-server',
        'node-1',
        'node-2',
        'ksim-runner',
      ]),
    );
    const none = await run(SMALL('watchLatencySample: 0'));
    expect(none.trace.filter((r) => r.k.startsWith('watch.'))).toEqual([]);
  });
});
