/**
 * The invariants added for cluster runs (issue 17): watch streams gap-free and ordered
 * (watch-streams.ts), the API servers' store history linearizable (store-history.ts), and
 * rolling-update bounds (cluster-invariants.ts). Each is fed a history that breaks it and one
 * that does not.
 */
import { describe, expect, it } from 'vitest';
import type { Entry, Index, NodeId, Term } from '../../../core/raft/types.ts';
import type { KvOutcome, StoreClient } from '../../../core/store/kv-client.ts';
import { encodeEntryOp } from '../../../core/store/member/op-codec.ts';
import type { Op, Revision } from '../../../core/store/types.ts';
import { ClusterInvariants } from '../../../sim/invariants/cluster-invariants.ts';
import type { ObjectChange } from '../../../sim/invariants/committed-objects.ts';
import { StoreHistory } from '../../../sim/invariants/store-history.ts';
import { WatchStreamChecker } from '../../../sim/invariants/watch-streams.ts';
import { runScenario } from '../../../sim/scenario/run.ts';
import { parseScenario } from '../../../sim/scenario/scenario.ts';
import { Simulation } from '../../../sim/simulation.ts';

const pod = (name: string, rv: number, node = 'node-1') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: String(rv) },
  spec: { nodeName: node, containers: [] },
});

function change(name: string, revision: number, node = 'node-1', deleted = false): ObjectChange {
  const obj = pod(name, revision, node);
  return {
    resource: 'pods',
    key: `/registry/pods/default/${name}`,
    revision,
    before: deleted ? obj : undefined,
    after: deleted ? undefined : obj,
  };
}

function checker(): { c: WatchStreamChecker; found: string[] } {
  const found: string[] = [];
  return { c: new WatchStreamChecker((m) => found.push(m)), found };
}

const watchPods = (rv: number, query: Record<string, string> = {}) => ({
  kind: 'http',
  method: 'GET',
  path: '/api/v1/pods',
  query: { watch: 'true', resourceVersion: String(rv), ...query },
});

describe('watch-gap-free', () => {
  // Regression: the invariant's first find. With seed 3 the metrics-server's node watch from
  // resourceVersion 102 was sent node-1's ADDED at 102 by a watch cache still catching up with
  // the store; the cache now skips changes at or below a watcher's version.
  it('a cluster starting up: no watcher is sent changes at or below its resourceVersion', async () => {
    const report = await runScenario(
      parseScenario(`
apiVersion: ksim.io/v1alpha1
kind: Scenario
metadata: { name: wc }
spec:
  duration: 20s
  cluster:
    controlPlane: { schedulers: 2 }
    nodes: [{ count: 2, capacity: { cpu: '2', memory: 4Gi, pods: '10' } }]
`),
      { seed: 3 },
    );
    expect(report.invariants.find((i) => i.name === 'watch-gap-free')).toMatchObject({
      enabled: true,
      violations: 0,
    });
  }, 120_000);

  it('a stream that delivers every change after its start, in order, passes', () => {
    const { c, found } = checker();
    for (const [n, r] of [
      ['a', 5],
      ['b', 6],
      ['a', 7],
    ] as const)
      c.committed(change(n, r));
    c.opened(1, 'kubelet', watchPods(5));
    c.delivered(1, { type: 'ADDED', object: pod('b', 6) });
    c.delivered(1, { type: 'MODIFIED', object: pod('a', 7) });
    expect(found).toEqual([]);
  });

  it('a change left out before a later one is a gap, naming it', () => {
    const { c, found } = checker();
    for (const [n, r] of [
      ['a', 5],
      ['b', 6],
      ['a', 7],
    ] as const)
      c.committed(change(n, r));
    c.opened(1, 'scheduler', watchPods(5));
    c.delivered(1, { type: 'MODIFIED', object: pod('a', 7) });
    expect(found).toEqual([
      "scheduler's watch of /api/v1/pods: the change of /registry/pods/default/b at 6 never arrived, and the stream went on to 7",
    ]);
  });

  it('a bookmark past a change that never arrived is a gap too', () => {
    const { c, found } = checker();
    c.committed(change('a', 6));
    c.opened(1, 'x', watchPods(5));
    c.delivered(1, {
      type: 'BOOKMARK',
      object: { kind: 'Pod', metadata: { resourceVersion: '6' } },
    });
    expect(found).toHaveLength(1);
    expect(found[0]).toContain('a bookmark at 6');
  });

  it('a change delivered twice or at or below the start is out of order', () => {
    const { c, found } = checker();
    c.committed(change('a', 5));
    c.committed(change('a', 6));
    c.opened(1, 'x', watchPods(5));
    c.delivered(1, { type: 'ADDED', object: pod('a', 5) });
    expect(found[0]).toContain('ADDED /registry/pods/default/a at 5 after revision 5');
  });

  it('an event that was never committed is flagged', () => {
    const { c, found } = checker();
    c.committed(change('a', 6));
    c.opened(1, 'x', watchPods(5));
    c.delivered(1, { type: 'ADDED', object: pod('b', 6) });
    expect(found[0]).toContain('no such change was committed');
  });

  it('a field selector only expects its own changes; leaving the selection is expected', () => {
    const { c, found } = checker();
    c.committed(change('a', 6, 'node-2'));
    c.committed(change('b', 7, 'node-1'));
    c.opened(1, 'node-1', watchPods(5, { fieldSelector: 'spec.nodeName=node-1' }));
    c.delivered(1, { type: 'ADDED', object: pod('b', 7) });
    expect(found).toEqual([]);
    c.committed(change('b', 8, 'node-1', true));
    c.committed(change('c', 9, 'node-1'));
    c.delivered(1, { type: 'ADDED', object: pod('c', 9) });
    expect(found[0]).toContain('the delete of /registry/pods/default/b at 8 never arrived');
  });

  it('a stream ends at its 410: nothing after it is checked; watches without a version are not', () => {
    const { c, found } = checker();
    c.committed(change('a', 6));
    c.committed(change('a', 7));
    c.opened(1, 'x', watchPods(5));
    c.delivered(1, { type: 'ERROR', object: { code: 410 } });
    c.delivered(1, { type: 'MODIFIED', object: pod('a', 7) });
    c.opened(2, 'y', watchPods(0));
    c.delivered(2, { type: 'ADDED', object: pod('a', 7) });
    c.delivered(2, { type: 'ADDED', object: pod('a', 6) });
    expect(found).toEqual([]);
  });
});

/** A store client answering from a script: each op's outcome in turn. */
function scripted(outcomes: KvOutcome<Op>[]): StoreClient {
  return {
    do: <O extends Op>() => Promise.resolve(outcomes.shift() as KvOutcome<O>),
    watch: () => ({ cancel() {} }),
  };
}

const header = (revision: number) => ({ revision: revision as Revision });

describe('store-linearizable', () => {
  it('a read that misses a write acknowledged before it is not linearizable', async () => {
    let now = 0;
    const history = new StoreHistory(() => now);
    const client = history.wrap(
      scripted([
        { kind: 'put', header: header(2) },
        { kind: 'range', header: header(1), kvs: [], count: 0, more: false },
      ] as unknown as KvOutcome<Op>[]),
    );
    await client.do({ kind: 'put', key: 'k', value: 'v' });
    now = 10;
    await client.do({ kind: 'range', key: 'k' });
    expect(history.check()).toMatch(
      /^the API servers' store history \(2 ops\) is not linearizable/,
    );
  });

  it('the same ops with the read after the write answered in order pass', async () => {
    let now = 0;
    const history = new StoreHistory(() => now);
    const client = history.wrap(
      scripted([
        { kind: 'put', header: header(2) },
        {
          kind: 'range',
          header: header(2),
          kvs: [{ key: 'k', value: 'v', createRevision: 2, modRevision: 2, version: 1, lease: 0 }],
          count: 1,
          more: false,
        },
      ] as unknown as KvOutcome<Op>[]),
    );
    await client.do({ kind: 'put', key: 'k', value: 'v' });
    now = 10;
    await client.do({ kind: 'range', key: 'k' });
    expect(history.check()).toBeUndefined();
  });

  it('beyond its sample the history is not recorded: a later stale read is not seen', async () => {
    let now = 0;
    const history = new StoreHistory(() => now, 1);
    const client = history.wrap(
      scripted([
        { kind: 'put', header: header(2) },
        { kind: 'range', header: header(1), kvs: [], count: 0, more: false },
      ] as unknown as KvOutcome<Op>[]),
    );
    await client.do({ kind: 'put', key: 'k', value: 'v' });
    now = 10;
    await client.do({ kind: 'range', key: 'k' });
    expect(history.check()).toBeUndefined();
  });
});

describe('rolling-update-bounds', () => {
  function harness() {
    const sim = new Simulation({ seed: 1 });
    const inv = new ClusterInvariants(sim);
    let index = 0;
    const put = (key: string, obj: object): void => {
      index++;
      const entry: Entry = {
        type: 'normal',
        data: encodeEntryOp({ kind: 'put', key, value: JSON.stringify(obj) }),
        term: 1 as Term,
        index: index as Index,
      };
      inv.probe.applied(1 as NodeId, entry, (index + 1) as Revision, 1 as Term);
    };
    return { inv, put };
  }
  const rs = (name: string, replicas: number, max: number) => ({
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      annotations: { 'deployment.kubernetes.io/max-replicas': String(max) },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'dep', controller: true },
      ],
    },
    spec: { replicas },
  });
  const result = (inv: ClusterInvariants) =>
    inv.finish().find((r) => r.name === 'rolling-update-bounds')!;

  it('a new ReplicaSet scaled up within replicas + maxSurge beside the old one passes', () => {
    const { inv, put } = harness();
    put('/registry/replicasets/default/old', rs('old', 4, 5));
    put('/registry/replicasets/default/new', rs('new', 1, 5));
    put('/registry/replicasets/default/old', rs('old', 3, 5));
    put('/registry/replicasets/default/new', rs('new', 2, 5));
    expect(result(inv).violations).toBe(0);
  });

  it('a scale-up past replicas + maxSurge is flagged', () => {
    const { inv, put } = harness();
    put('/registry/replicasets/default/old', rs('old', 4, 5));
    put('/registry/replicasets/default/new', rs('new', 2, 5));
    expect(result(inv)).toMatchObject({
      violations: 1,
      first:
        "scaling ReplicaSet default/new to 2 makes Deployment web's ReplicaSets ask for 6 pods, above replicas + maxSurge = 5",
    });
  });
});
