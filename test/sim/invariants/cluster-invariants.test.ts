/**
 * The always-on invariants, each made to fail on a history that breaks it and to hold on one
 * that does not. Object histories are fed as the store members feed them (committed Raft
 * entries through the probe); process histories as trace records. Violations are observed in
 * the trace (`invariant.violation` records) as well as in the verdicts.
 */
import { describe, expect, it } from 'vitest';
import type { Entry, Index, NodeId, Term } from '../../../core/raft/types.ts';
import { encodeEntryOp } from '../../../core/store/member/op-codec.ts';
import type { Op, Revision } from '../../../core/store/types.ts';
import { ClusterInvariants } from '../../../sim/invariants/cluster-invariants.ts';
import { INVARIANT_NAMES } from '../../../sim/invariants/names.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { Simulation } from '../../../sim/simulation.ts';

interface Harness {
  readonly sim: Simulation;
  readonly inv: ClusterInvariants;
  /** Commits `op` as the next entry, as member 1 applies it. */
  commit(op: Op): void;
  put(key: string, obj: object): void;
  del(key: string): void;
  /** Runs virtual time forward to `us`. */
  until(us: number): Promise<void>;
  violations(): { invariant: string; message: string }[];
}

function harness(enabled: Record<string, boolean> = {}): Harness {
  const sim = new Simulation({ seed: 1 });
  const lines: string[] = [];
  sim.trace.addSink((l) => lines.push(l));
  const inv = new ClusterInvariants(sim, { enabled });
  let index = 0;
  const commit = (op: Op): void => {
    index++;
    const entry: Entry = {
      type: 'normal',
      data: encodeEntryOp(op),
      term: 1 as Term,
      index: index as Index,
    };
    inv.probe.applied(1 as NodeId, entry, (index + 1) as Revision, 1 as Term);
  };
  return {
    sim,
    inv,
    commit,
    put: (key, obj) => commit({ kind: 'put', key, value: JSON.stringify(obj) }),
    del: (key) => commit({ kind: 'delete-range', key }),
    until: async (us) => {
      sim.at(us, () => {});
      await sim.run({ untilUs: us });
    },
    violations: () =>
      lines
        .map((l) => JSON.parse(l) as { k: string; invariant: string; message: string })
        .filter((r) => r.k === 'invariant.violation'),
  };
}

const node = (name: string, cpu: string) => ({
  kind: 'Node',
  metadata: { name, uid: `uid-${name}` },
  status: { allocatable: { cpu, memory: '8Gi', pods: '110' } },
});

const pod = (name: string, extra: { nodeName?: string; cpu?: string; owner?: string[] } = {}) => ({
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    ...(extra.owner === undefined
      ? {}
      : {
          ownerReferences: extra.owner.map((o) => ({
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: o,
            uid: `uid-${o}`,
          })),
        }),
  },
  spec: {
    ...(extra.nodeName === undefined ? {} : { nodeName: extra.nodeName }),
    containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: extra.cpu ?? '100m' } } }],
  },
});

const rs = (name: string) => ({
  kind: 'ReplicaSet',
  metadata: { name, namespace: 'default', uid: `uid-${name}` },
  spec: {},
});

const podKey = (n: string) => `/registry/pods/default/${n}`;
const rsKey = (n: string) => `/registry/replicasets/default/${n}`;

describe('always-on invariants', () => {
  it('pod-bound-once: a pod that moves to another node is flagged, a bound one is not', () => {
    const h = harness();
    h.put(podKey('a'), pod('a'));
    h.put(podKey('a'), pod('a', { nodeName: 'node-1' }));
    h.put(podKey('a'), pod('a', { nodeName: 'node-1' }));
    expect(h.violations()).toEqual([]);
    h.put(podKey('a'), pod('a', { nodeName: 'node-2' }));
    const v = h.violations();
    expect(v.map((x) => x.invariant)).toEqual(['pod-bound-once']);
    expect(v[0]!.message).toContain('default/a');
    expect(h.inv.finish().find((r) => r.name === 'pod-bound-once')?.violations).toBe(1);
  });

  it('node-overcommit: a binding beyond allocatable cpu is flagged; a pod created bound is not blamed', () => {
    const h = harness();
    h.put('/registry/nodes/node-1', node('node-1', '1'));
    h.put(podKey('a'), pod('a', { cpu: '600m' }));
    h.put(podKey('a'), pod('a', { cpu: '600m', nodeName: 'node-1' }));
    // Created bound (no scheduler involved): counted, not blamed.
    h.put(podKey('static'), pod('static', { cpu: '300m', nodeName: 'node-1' }));
    expect(h.violations()).toEqual([]);
    h.put(podKey('b'), pod('b', { cpu: '200m' }));
    h.put(podKey('b'), pod('b', { cpu: '200m', nodeName: 'node-1' }));
    const v = h.violations();
    expect(v.map((x) => x.invariant)).toEqual(['node-overcommit']);
    expect(v[0]!.message).toContain('cpu requests 1100 of 1000');
  });

  it('node-overcommit: deleted and finished pods free their requests', () => {
    const h = harness();
    h.put('/registry/nodes/node-1', node('node-1', '1'));
    h.put(podKey('a'), pod('a', { cpu: '600m' }));
    h.put(podKey('a'), pod('a', { cpu: '600m', nodeName: 'node-1' }));
    h.del(podKey('a'));
    h.put(podKey('b'), pod('b', { cpu: '600m' }));
    h.put(podKey('b'), pod('b', { cpu: '600m', nodeName: 'node-1' }));
    h.put(podKey('b'), {
      ...pod('b', { cpu: '600m', nodeName: 'node-1' }),
      status: { phase: 'Succeeded' },
    });
    h.put(podKey('c'), pod('c', { cpu: '600m' }));
    h.put(podKey('c'), pod('c', { cpu: '600m', nodeName: 'node-1' }));
    expect(h.violations()).toEqual([]);
  });

  it('one-leader-per-lease: a second acquire while the first leads is flagged; after a crash or loss it is not', () => {
    const h = harness();
    const lease = 'kube-system/kube-scheduler';
    h.sim.trace.record('scheduler-0', 'leader-election.acquired', {
      lease,
      identity: 'scheduler-0_a',
    });
    h.sim.trace.record('scheduler-0', 'process.crash', { incarnation: 1 });
    h.sim.trace.record('scheduler-1', 'leader-election.acquired', {
      lease,
      identity: 'scheduler-1_b',
    });
    h.sim.trace.record('scheduler-1', 'leader-election.lost', { lease, identity: 'scheduler-1_b' });
    h.sim.trace.record('scheduler-0', 'leader-election.acquired', {
      lease,
      identity: 'scheduler-0_c',
    });
    expect(h.violations()).toEqual([]);
    h.sim.trace.record('scheduler-1', 'leader-election.acquired', {
      lease,
      identity: 'scheduler-1_d',
    });
    const v = h.violations();
    expect(v.map((x) => x.invariant)).toEqual(['one-leader-per-lease']);
    expect(v[0]!.message).toBe(
      `scheduler-1_d acquired ${lease} while scheduler-0_c still leads it`,
    );
  });

  it('owner-outlived: a dependent left 60 s after its only owner went is flagged at the end', async () => {
    const h = harness();
    h.put(rsKey('web'), rs('web'));
    h.put(podKey('web-1'), pod('web-1', { owner: ['web'] }));
    h.put(rsKey('db'), rs('db'));
    h.put(podKey('shared'), pod('shared', { owner: ['web', 'db'] }));
    await h.until(1_000_000);
    h.del(rsKey('web'));
    await h.until(60_000_000);
    expect(h.inv.finish().find((r) => r.name === 'owner-outlived')?.violations).toBe(0);
    await h.until(62_000_000);
    h.inv.finish();
    const v = h.violations();
    // The pod with a live second owner is fine; the orphan is not.
    expect(v.map((x) => x.invariant)).toEqual(['owner-outlived']);
    expect(v[0]!.message).toContain('/registry/pods/default/web-1 outlived its last owner by 61s');
  });

  it('gc-live-owner: the garbage collector deleting a dependent with a live owner is flagged', () => {
    const h = harness();
    h.put(rsKey('web'), rs('web'));
    h.put(rsKey('db'), rs('db'));
    h.put(podKey('shared'), pod('shared', { owner: ['web', 'db'] }));
    h.put(podKey('orphan'), pod('orphan', { owner: ['gone'] }));
    h.del(rsKey('web'));
    h.sim.trace.record('controller-manager', 'gc.delete', {
      object: 'v1/Pod default/orphan',
      uid: 'uid-orphan',
      propagationPolicy: 'Background',
    });
    expect(h.violations()).toEqual([]);
    h.del(podKey('shared'));
    h.sim.trace.record('controller-manager', 'gc.delete', {
      object: 'v1/Pod default/shared',
      uid: 'uid-shared',
      propagationPolicy: 'Background',
    });
    const v = h.violations();
    expect(v.map((x) => x.invariant)).toEqual(['gc-live-owner']);
    expect(v[0]!.message).toContain('owner ReplicaSet db (uid uid-db) is live');
  });

  it('an invariant switched off is neither recorded nor counted, and says so', () => {
    const h = harness({ 'pod-bound-once': false });
    h.put(podKey('a'), pod('a', { nodeName: 'node-1' }));
    h.put(podKey('a'), pod('a', { nodeName: 'node-2' }));
    expect(h.violations()).toEqual([]);
    const r = h.inv.finish().find((x) => x.name === 'pod-bound-once');
    expect(r).toEqual({ name: 'pod-bound-once', enabled: false, violations: 0 });
  });

  it('a scenario run reports every invariant, holding, and the switch off in the scenario file', async () => {
    const scenario = parseScenario(`
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: inv }
spec:
  duration: 30s
  invariants: { node-overcommit: false }
  cluster:
    store: { members: 3 }
    controlPlane: { schedulers: 2 }
    nodes: [{ count: 2, capacity: { cpu: '2', memory: 4Gi, pods: '110' } }]
  objects:
    - apiVersion: apps/v1
      kind: ReplicaSet
      metadata: { name: web, namespace: default }
      spec:
        replicas: 3
        selector: { matchLabels: { app: web } }
        template:
          metadata: { labels: { app: web } }
          spec: { containers: [{ name: c, image: nginx, resources: { requests: { cpu: 500m } } }] }
`);
    const report = await runScenario(scenario, { seed: 3 });
    expect(report.invariants.map((r) => r.name)).toEqual(INVARIANT_NAMES);
    expect(report.invariants.filter((r) => r.violations > 0)).toEqual([]);
    expect(report.invariants.find((r) => r.name === 'node-overcommit')?.enabled).toBe(false);
    expect(report.invariants.find((r) => r.name === 'raft-safety')?.enabled).toBe(true);
    expect(report.passed).toBe(true);
  }, 120_000);

  it('an unknown invariant name in a scenario is an error naming it', () => {
    expect(() =>
      parseScenario(`
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: bad }
spec:
  duration: 10s
  invariants: { pod-moved: false }
  cluster: { nodes: [{ count: 1 }] }
`),
    ).toThrow(/invariants.*pod-moved/s);
  });
});
