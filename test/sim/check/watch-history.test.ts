import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { FROM_KEY, MvccStore, WatchHub, leaseId, revision } from '../../../core/store/index.ts';
import type {
  CommittedRevision,
  KeyValue,
  Op,
  Revision,
  WatchEvent,
  WatchId,
} from '../../../core/store/index.ts';
import {
  checkWatchStream,
  type ReceivedResponse,
  type WatchSpec,
} from '../../../sim/check/index.ts';

const kv = (key: string, value: string, mod: number, create = mod, version = 1): KeyValue => ({
  key,
  value,
  createRevision: revision(create),
  modRevision: revision(mod),
  version,
  lease: leaseId(0),
});
const tombstone = (key: string, mod: number): KeyValue => ({ ...kv(key, '', mod, 0, 0) });

/** a=1 @2; b=1 @3; a=2 and c=1 @4 (one txn); delete a @5. */
const committed: CommittedRevision[] = [
  { revision: revision(2), events: [{ type: 'PUT', kv: kv('a', '1', 2) }] },
  { revision: revision(3), events: [{ type: 'PUT', kv: kv('b', '1', 3) }] },
  {
    revision: revision(4),
    events: [
      { type: 'PUT', kv: kv('a', '2', 4, 2, 2), prevKv: kv('a', '1', 2) },
      { type: 'PUT', kv: kv('c', '1', 4) },
    ],
  },
  {
    revision: revision(5),
    events: [{ type: 'DELETE', kv: tombstone('a', 5), prevKv: kv('a', '2', 4, 2, 2) }],
  },
];

const all: WatchSpec = { key: 'a', rangeEnd: FROM_KEY, startRevision: revision(2), prevKv: true };
/** What a correct hub delivers to `all`. */
const stream = (): ReceivedResponse[] =>
  committed.map((c) => ({ revision: c.revision, events: c.events }));
const kinds = (received: ReceivedResponse[], spec = all, through?: Revision) => {
  const result = checkWatchStream(
    committed,
    spec,
    received,
    through === undefined ? {} : { throughRevision: through },
  );
  return { kinds: result.violations.map((v) => v.kind), first: result.firstOffendingRevision };
};
const strip = (e: WatchEvent): WatchEvent => ({ type: e.type, kv: e.kv });

describe('checkWatchStream', () => {
  it('accepts the exact stream, any prefix of it, and a filtered one', () => {
    expect(kinds(stream(), all, revision(5))).toEqual({ kinds: [], first: null });
    expect(kinds(stream().slice(0, 2))).toEqual({ kinds: [], first: null });
    const onlyA: WatchSpec = { key: 'a', startRevision: revision(3) };
    const received = [
      { revision: revision(4), events: [strip(committed[2]!.events[0]!)] },
      { revision: revision(5), events: [strip(committed[3]!.events[0]!)] },
    ];
    expect(kinds(received, onlyA, revision(5))).toEqual({ kinds: [], first: null });
  });

  it('reports a gap at the missing revision', () => {
    const s = stream();
    expect(kinds([s[0]!, s[2]!, s[3]!])).toEqual({ kinds: ['gap'], first: 3 });
    // A missing event inside one revision is a gap too.
    const partial = { revision: revision(4), events: [committed[2]!.events[1]!] };
    expect(kinds([s[0]!, s[1]!, partial, s[3]!])).toEqual({ kinds: ['gap'], first: 4 });
  });

  it('reports a missing tail only when the watcher is known to be caught up', () => {
    const s = stream().slice(0, 2);
    expect(kinds(s).kinds).toEqual([]);
    expect(kinds(s, all, revision(4))).toEqual({ kinds: ['incomplete'], first: 4 });
  });

  it('reports duplicates and reordering', () => {
    const s = stream();
    expect(kinds([s[0]!, s[1]!, s[1]!, s[2]!])).toEqual({ kinds: ['duplicate'], first: 3 });
    expect(kinds([s[0]!, s[2]!, s[1]!, s[3]!])).toEqual({ kinds: ['out-of-order'], first: 3 });
    const swapped = { revision: revision(4), events: [...committed[2]!.events].reverse() };
    expect(kinds([s[0]!, s[1]!, swapped, s[3]!])).toEqual({ kinds: ['out-of-order'], first: 4 });
  });

  it('reports events before the start, outside the range, never committed or altered', () => {
    const s = stream();
    const fromThree: WatchSpec = { ...all, startRevision: revision(3) };
    expect(kinds(s, fromThree)).toEqual({ kinds: ['before-start'], first: 2 });
    const onlyA: WatchSpec = { key: 'a', startRevision: revision(2), prevKv: true };
    expect(kinds([s[0]!, s[1]!], onlyA)).toEqual({ kinds: ['outside-range'], first: 3 });
    const ghost = {
      revision: revision(6),
      events: [{ type: 'PUT' as const, kv: kv('a', '9', 6) }],
    };
    expect(kinds([...s, ghost])).toEqual({ kinds: ['not-committed'], first: 6 });
    const altered = {
      revision: revision(3),
      events: [{ type: 'PUT' as const, kv: kv('b', 'X', 3) }],
    };
    expect(kinds([s[0]!, altered, s[2]!])).toEqual({ kinds: ['wrong-event'], first: 3 });
    const misfiled = { revision: revision(3), events: committed[2]!.events };
    expect(kinds([s[0]!, s[1]!, misfiled]).kinds).toEqual([
      'response-revision',
      'response-revision',
    ]);
  });

  it('checks prevKv against the request', () => {
    const s = stream();
    const bare = s.map((r) => ({ ...r, events: r.events.map(strip) }));
    expect(kinds(bare)).toEqual({ kinds: ['prev-kv', 'prev-kv'], first: 4 });
    expect(kinds(bare, { ...all, prevKv: false }).kinds).toEqual([]);
    expect(kinds(s, { ...all, prevKv: false }).kinds).toEqual(['prev-kv', 'prev-kv']);
  });
});

/** Random writes through the real store; every watcher's stream must check out. */
const keyArb = fc.constantFrom('a', 'ab', 'b', 'c');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ key: keyArb, v: fc.nat(5) })
      .map(({ key, v }): Op => ({ kind: 'put', key, value: `${v}` })),
  },
  {
    weight: 2,
    arbitrary: keyArb.map((key): Op => ({ kind: 'delete-range', key, rangeEnd: FROM_KEY })),
  },
  { weight: 2, arbitrary: keyArb.map((key): Op => ({ kind: 'delete-range', key })) },
  {
    weight: 2,
    arbitrary: fc.tuple(keyArb, keyArb).map(([k1, k2]): Op => ({
      kind: 'txn',
      compare: [],
      success:
        k1 === k2
          ? [{ kind: 'put', key: k1, value: 'T' }]
          : [
              { kind: 'put', key: k1, value: 'T' },
              { kind: 'delete-range', key: k2 },
            ],
      failure: [],
    })),
  },
  { weight: 1, arbitrary: fc.nat(30).map((r): Op => ({ kind: 'compact', revision: revision(r) })) },
);
const watchArb = fc.record({
  key: keyArb,
  range: fc.constantFrom('single', 'from', 'to-c'),
  start: fc.nat(30),
  prevKv: fc.boolean(),
});
const cmdArb = fc.oneof(
  { weight: 6, arbitrary: opArb.map((op) => ({ t: 'op' as const, op })) },
  { weight: 1, arbitrary: watchArb.map((w) => ({ t: 'watch' as const, w })) },
  { weight: 1, arbitrary: fc.constant({ t: 'drain' as const }) },
);

function apply(store: MvccStore, op: Op): void {
  switch (op.kind) {
    case 'put':
      return void store.put(op);
    case 'delete-range':
      return void store.deleteRange(op);
    case 'txn':
      return void store.txn(op);
    case 'compact':
      return void store.compact(op);
    default:
      throw new Error(`not generated: ${op.kind}`);
  }
}

describe('checkWatchStream against the real watch hub', () => {
  let nonEmptyStreams = 0;
  afterAll(() => expect(nonEmptyStreams).toBeGreaterThan(100));

  test.prop([fc.array(cmdArb, { minLength: 1, maxLength: 80, size: 'max' })], { numRuns: 200 })(
    'every stream is exactly the committed history; dropping or duplicating an event is caught',
    (cmds) => {
      const log: CommittedRevision[] = [];
      let hub: WatchHub | undefined;
      const store = new MvccStore({ onCommit: (c) => (log.push(c), hub!.onCommit(c)) });
      hub = new WatchHub(store);
      const watchers = new Map<WatchId, { spec: WatchSpec; received: ReceivedResponse[] }>();
      const drain = (): void => {
        for (const r of hub!.drain()) watchers.get(r.watchId)!.received.push(r);
      };
      for (const cmd of cmds) {
        if (cmd.t === 'op') apply(store, cmd.op);
        else if (cmd.t === 'drain') drain();
        else {
          const { key, range, start, prevKv } = cmd.w;
          const rangeEnd = range === 'single' ? undefined : range === 'from' ? FROM_KEY : 'c';
          const startRevision = revision(start % (store.revision + 2));
          const created = hub.watch({ key, rangeEnd, startRevision, prevKv });
          if (created.kind !== 'created') continue;
          const resolved = startRevision > 0 ? startRevision : revision(store.revision + 1);
          const spec: WatchSpec = {
            key,
            ...(rangeEnd === undefined ? {} : { rangeEnd }),
            startRevision: resolved,
            prevKv,
          };
          watchers.set(created.watchId, { spec, received: [] });
        }
      }
      drain();
      for (const { spec, received } of watchers.values()) {
        const result = checkWatchStream(log, spec, received, { throughRevision: store.revision });
        expect(result.violations).toEqual([]);
        const events = received.flatMap((r) =>
          r.events.map((e) => ({ revision: r.revision, events: [e] })),
        );
        if (events.length === 0) continue;
        nonEmptyStreams++;
        const dropped = events.slice(1);
        const droppedResult = checkWatchStream(log, spec, dropped, {
          throughRevision: store.revision,
        });
        expect(droppedResult.violations.map((v) => v.kind)).toEqual([
          events.length > 1 ? 'gap' : 'incomplete',
        ]);
        const doubled = [...events, events[events.length - 1]!];
        expect(checkWatchStream(log, spec, doubled).violations.map((v) => v.kind)).toEqual([
          'duplicate',
        ]);
      }
    },
  );
});
