/**
 * The garbage collector's promises under controller-manager crashes and message loss: a random
 * forest of ConfigMaps linked by owner references, some roots deleted with one propagation
 * policy while the controller manager crashes and restarts. A monitor watching the ConfigMaps
 * (one ordered, gap-free stream) checks at every removal that a foreground-deleted owner leaves
 * no blocking dependent behind and an orphaning owner leaves no reference to itself (the
 * finalizers ran first); after the faults, the objects left must be exactly the model's: orphans
 * kept, and in background and foreground deletion no dependent whose owners are all gone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FINALIZER_FOREGROUND, FINALIZER_ORPHAN } from '../../../core/api/meta.ts';
import type { OwnerReference, PropagationPolicy } from '../../../core/api/meta-types.ts';
import type { ConfigMap } from '../../../core/api/kinds/config-map.ts';
import { ApiClient } from '../../../core/client/api-client.ts';
import { Informer } from '../../../core/client/informer.ts';
import { storeMemberName } from '../../../core/cluster/identities.ts';
import { DEFAULT_LINK } from '../../../sim/network.ts';
import { controlPlane, runScript, startControllerManager } from '../../support/cluster.ts';
import { mustCreate, retry, waitFor } from './harness.ts';

interface Spec {
  /** owners[i]: the earlier objects object i names, with blockOwnerDeletion. */
  readonly owners: readonly (readonly { readonly index: number; readonly block: boolean }[])[];
  /** Roots (objects without owners) the test deletes, in this order. */
  readonly deleted: readonly number[];
  readonly policy: PropagationPolicy;
  /** Controller-manager crashes: when (after the first delete) and for how long. */
  readonly crashes: readonly { readonly atUs: number; readonly downUs: number }[];
  /** Crashes of members of a 3-member Raft store (none: one in-memory store). */
  readonly storeCrashes?: readonly {
    readonly member: number;
    readonly atUs: number;
    readonly downUs: number;
  }[];
  readonly seed: number;
}

const spec: fc.Arbitrary<Spec> = fc
  .integer({ min: 3, max: 12 })
  .chain((n) =>
    fc.record({
      owners: fc.tuple(
        ...Array.from({ length: n }, (_, i) =>
          i === 0
            ? fc.constant([])
            : fc.uniqueArray(fc.record({ index: fc.nat(i - 1), block: fc.boolean() }), {
                maxLength: 2,
                selector: (o) => o.index,
              }),
        ),
      ),
      deletedPick: fc.array(fc.nat(n - 1), { minLength: 1, maxLength: n }),
      policy: fc.constantFrom<PropagationPolicy>('Background', 'Foreground', 'Orphan'),
      crashes: fc.array(fc.record({ atUs: fc.nat(3_000_000), downUs: fc.nat(5_000_000) }), {
        minLength: 1,
        maxLength: 3,
      }),
      seed: fc.nat(1_000_000),
    }),
  )
  .map(({ owners, deletedPick, ...rest }) => {
    const roots = owners.flatMap((o, i) => (o.length === 0 ? [i] : []));
    const deleted = [...new Set(deletedPick.map((d) => roots[d % roots.length] as number))];
    return { owners, deleted, ...rest };
  });

/** Which objects the model says are left: orphans stay; otherwise an object needs a live owner. */
function survivors(s: Spec): Set<number> {
  const deleted = new Set(s.deleted);
  const alive = new Set<number>();
  s.owners.forEach((owners, i) => {
    if (deleted.has(i)) return;
    if (s.policy === 'Orphan' || owners.length === 0 || owners.some((o) => alive.has(o.index)))
      alive.add(i);
  });
  return alive;
}

const name = (i: number) => `cm-${i}`;

/**
 * The names left, sorted, once nothing is half-deleted and no reference names an object that
 * is gone; undefined before.
 */
function settled(left: readonly ConfigMap[]): string | undefined {
  const live = new Set(left.map((cm) => cm.metadata.uid));
  const done = left.every(
    (cm) =>
      cm.metadata.deletionTimestamp === undefined &&
      (cm.metadata.ownerReferences ?? []).every((r) => live.has(r.uid)),
  );
  return done
    ? left
        .map((cm) => cm.metadata.name ?? '')
        .sort()
        .join(',')
    : undefined;
}

/** The convergence bound after the last fault, in virtual time. */
const CONVERGENCE_US = 300_000_000;

async function run(s: Spec): Promise<void> {
  // The objects are created over a lossless network, then loss starts. Under loss a create
  // the test's client gave up on (10 s) can still be applied by the API server after its own
  // store retries, after the test deleted the object: seed 145886 saw cm-4 come back that way
  // 15 s late, which is a zombie of the test's own retry, not the garbage collector's doing.
  const sim = controlPlane({
    seed: s.seed,
    ...(s.storeCrashes === undefined ? {} : { storeMembers: 3 }),
  });
  startControllerManager(sim, { controllers: ['garbagecollector'] });
  const violations: string[] = [];
  let monitor: Informer<'ConfigMap'> | undefined;
  // The monitor's watch is a stream (retransmitted, never lost) and the API server does not
  // crash, so it sees every change once and in order.
  sim.spawnProcess('monitor', (p) => {
    const inf = new Informer(p, new ApiClient(p.transport, 'apiserver'), 'ConfigMap', {
      namespace: 'default',
    });
    const foreground = new Set<string>();
    const orphaning = new Set<string>();
    const note = (cm: ConfigMap): void => {
      const uid = cm.metadata.uid ?? '';
      if (cm.metadata.deletionTimestamp === undefined) return;
      if (cm.metadata.finalizers?.includes(FINALIZER_FOREGROUND)) foreground.add(uid);
      if (cm.metadata.finalizers?.includes(FINALIZER_ORPHAN)) orphaning.add(uid);
    };
    inf.addEventHandler({
      onAdd: note,
      onUpdate: (_old, cm) => note(cm),
      onDelete: (cm) => {
        const uid = cm.metadata.uid ?? '';
        for (const other of inf.list()) {
          const refs = (other.metadata.ownerReferences ?? []).filter((r) => r.uid === uid);
          if (foreground.has(uid) && refs.some((r) => r.blockOwnerDeletion === true))
            violations.push(
              `${cm.metadata.name} (foreground) left while ${other.metadata.name} still blocked it`,
            );
          if (orphaning.has(uid) && refs.length > 0)
            violations.push(
              `${cm.metadata.name} (orphan) left while ${other.metadata.name} still named it`,
            );
        }
      },
    });
    inf.start();
    monitor = inf;
  });
  const expected = survivors(s);
  let lastFaultUs = 0;
  await runScript(
    sim,
    async (api, ports) => {
      const uids: string[] = [];
      for (let i = 0; i < s.owners.length; i++) {
        const owners: OwnerReference[] = (s.owners[i] ?? []).map((o) => ({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          name: name(o.index),
          uid: uids[o.index] ?? '',
          blockOwnerDeletion: o.block,
        }));
        const obj: ConfigMap = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: name(i),
            namespace: 'default',
            ...(owners.length > 0 ? { ownerReferences: owners } : {}),
          },
        };
        const cm = await mustCreate(ports, api, obj);
        uids.push(cm.metadata.uid ?? '');
      }
      sim.network.setDefaultLink({ ...DEFAULT_LINK, lossProbability: 0.05 });
      await ports.clock.sleep(3_000_000);
      const start = ports.clock.now();
      for (const { atUs, downUs } of s.crashes) {
        ports.spawn(async () => {
          await ports.clock.sleep(atUs);
          sim.crash('controller-manager');
          await ports.clock.sleep(downUs);
          sim.restart('controller-manager');
        });
        lastFaultUs = Math.max(lastFaultUs, start + atUs + downUs);
      }
      for (const { member, atUs, downUs } of s.storeCrashes ?? []) {
        ports.spawn(async () => {
          await ports.clock.sleep(atUs);
          sim.crash(storeMemberName(member));
          await ports.clock.sleep(downUs);
          sim.restart(storeMemberName(member));
        });
        lastFaultUs = Math.max(lastFaultUs, start + atUs + downUs);
      }
      for (const i of s.deleted) {
        const r = await retry(ports, () =>
          api.delete('ConfigMap', 'default', name(i), { propagationPolicy: s.policy }),
        );
        if (!r.ok && r.status !== 404) throw new Error(`delete ${name(i)}: ${r.error.message}`);
        await ports.clock.sleep(ports.random.int(1_000_000));
      }
      const want = [...expected].map(name).sort().join(',');
      await ports.clock.sleep(Math.max(0, lastFaultUs - ports.clock.now()));
      await waitFor(
        ports,
        () => settled(monitor?.list() ?? []) === want,
        CONVERGENCE_US,
        `objects ${want}, none half-deleted or naming an absent owner`,
      );
    },
    { deadlineUs: 900_000_000 },
  );
  expect(violations).toEqual([]);
}

/** Runs of the property; each is one simulation with its own seed. */
const RUNS = 100;

describe('garbage collector under controller-manager crashes and 5% message loss', () => {
  it(`keeps orphans, leaves no dependent of a deleted owner, runs finalizers first (${RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(spec, run), { numRuns: RUNS });
  }, 600_000);
});

/**
 * The same promises when the store is 3 Raft members that crash too (losing what they had not
 * synced, electing new leaders), with the controller manager's crashes and the message loss.
 */
const withStoreFaults: fc.Arbitrary<Spec> = fc
  .tuple(
    spec,
    fc.array(fc.record({ member: fc.nat(2), atUs: fc.nat(3_000_000), downUs: fc.nat(5_000_000) }), {
      minLength: 1,
      maxLength: 2,
    }),
  )
  .map(([s, storeCrashes]) => ({ ...s, storeCrashes }));

const STORE_FAULT_RUNS = 40;

describe('garbage collector under store member crashes as well', () => {
  it(`keeps its promises over a 3-member store whose members crash (${STORE_FAULT_RUNS} runs)`, async () => {
    await fc.assert(fc.asyncProperty(withStoreFaults, run), { numRuns: STORE_FAULT_RUNS });
  }, 600_000);
});

describe('garbage collector regressions', () => {
  it('seed 145886: a crash during a background delete of a root without dependents (created before the loss)', async () => {
    await run({
      owners: [[], [{ index: 0, block: false }], [], [{ index: 0, block: false }], [], []],
      deleted: [4],
      policy: 'Background',
      crashes: [{ atUs: 930_713, downUs: 865_728 }],
      seed: 145_886,
    });
  }, 120_000);
});

describe('garbage collector regressions', () => {
  // Found by the property (seed -2079864015) when updates started from the watch cache's copy,
  // which only moved the message losses: the collector's foreground delete of cm-6 timed out at
  // the client (two lost store replies) but was still running in the API server; the retry read
  // cm-6 before that delete landed, with cm-1 now gone decided on a background delete, and that
  // delete, arriving after the foreground one, replaced its finalizer: cm-6 went while cm-7
  // still blocked it. The collector's delete is now pinned to the version it decided from.
  it('a foreground chain under a controller-manager crash deletes the blocking dependent first', async () => {
    await run({
      owners: [
        [],
        [],
        [
          { index: 1, block: true },
          { index: 0, block: false },
        ],
        [{ index: 0, block: true }],
        [],
        [],
        [
          { index: 1, block: false },
          { index: 5, block: false },
        ],
        [{ index: 6, block: true }],
        [],
        [{ index: 5, block: true }],
        [],
      ],
      deleted: [5, 4, 8, 10, 0, 1],
      policy: 'Foreground',
      crashes: [{ atUs: 70241, downUs: 2094921 }],
      seed: 2,
    } as unknown as Spec);
  }, 120_000);
});
