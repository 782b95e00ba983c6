/**
 * Differential property: random op sequences through the MVCC state machine and through the
 * independent sequential model must give identical results, and every watcher must receive
 * exactly the committed history from its start revision (derived from the model's states).
 */
import fc from 'fast-check';
import { test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import {
  FROM_KEY,
  KvStateMachine,
  initialModelState,
  leaseId,
  prefix,
  revision,
  step,
  type Compare,
  type KeyValue,
  type ModelState,
  type Op,
  type Result,
  type Revision,
  type TxnRequestOp,
  type WatchEvent,
  type WatchId,
} from '../../../core/store/index.ts';

const KEYS = ['a', 'ab', 'b', 'c', 'd'];
const VALUES = ['', 'x', 'y'];

const keyArb = fc.constantFrom(...KEYS);
/** [key, rangeEnd?] */
const spanArb: fc.Arbitrary<{ key: string; rangeEnd?: string }> = fc.oneof(
  keyArb.map((key) => ({ key })),
  fc.tuple(keyArb, keyArb).map(([key, rangeEnd]) => ({ key, rangeEnd })),
  keyArb.map((key) => ({ key, rangeEnd: FROM_KEY })),
  fc.constantFrom('a', 'b').map((p) => ({ ...prefix(p) })),
  fc.constant({ key: FROM_KEY, rangeEnd: FROM_KEY }),
);
const leaseArb = fc
  .oneof(
    { weight: 4, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.constantFrom(1, 2, 3) },
  )
  .map(leaseId);
/** Resolved against the current revision at run time: 0 = current, else 1..current+1. */
const revPickArb = fc.oneof(fc.constant(0), fc.nat(40));

type Cmd =
  | { readonly t: 'op'; readonly op: (current: Revision) => Op; readonly drain: boolean }
  | {
      readonly t: 'watch';
      readonly span: { key: string; rangeEnd?: string };
      readonly startPick: number;
      readonly prevKv: boolean;
    };

function pickRevision(pick: number, current: Revision): Revision {
  return revision(pick === 0 ? 0 : 1 + (pick % (current + 1)));
}

const putArb = fc
  .record({
    key: keyArb,
    value: fc.constantFrom(...VALUES),
    lease: leaseArb,
    prevKv: fc.boolean(),
    ignore: fc.oneof(
      { weight: 8, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: fc.constantFrom('value', 'lease') },
    ),
  })
  .map(({ key, value, lease, prevKv, ignore }): TxnRequestOp => ({
    kind: 'put',
    key,
    value: ignore === 'value' ? '' : value,
    lease: ignore === 'lease' ? leaseId(0) : lease,
    prevKv,
    ...(ignore === 'value'
      ? { ignoreValue: true }
      : ignore === 'lease'
        ? { ignoreLease: true }
        : {}),
  }));

const deleteArb = fc
  .record({ span: spanArb, prevKv: fc.boolean() })
  .map(({ span, prevKv }): TxnRequestOp => ({ kind: 'delete-range', ...span, prevKv }));

const rangeFieldsArb = fc.record({
  span: spanArb,
  limit: fc.constantFrom(0, 1, 2),
  countOnly: fc.boolean(),
  keysOnly: fc.boolean(),
});

/** Nested ranges read the current state or a future revision: the model keeps no history. */
const nestedRangeArb = fc
  .record({ fields: rangeFieldsArb, future: fc.boolean() })
  .map(({ fields, future }) => (current: Revision): TxnRequestOp => ({
    kind: 'range',
    ...fields.span,
    limit: fields.limit,
    countOnly: fields.countOnly,
    keysOnly: fields.keysOnly,
    revision: revision(future ? current + 1 : 0),
  }));

const requestArb: fc.Arbitrary<(current: Revision) => TxnRequestOp> = fc.oneof(
  putArb.map((op) => () => op),
  deleteArb.map((op) => () => op),
  nestedRangeArb,
);

const compareArb: fc.Arbitrary<Compare> = fc.oneof(
  fc.record({
    target: fc.constant('value' as const),
    key: keyArb,
    result: fc.constantFrom('=', '!=', '<', '>'),
    value: fc.constantFrom(...VALUES),
  }),
  fc.record({
    target: fc.constantFrom('version' as const),
    key: keyArb,
    result: fc.constantFrom('=', '!=', '<', '>'),
    value: fc.nat(4),
  }),
  fc.record({
    target: fc.constantFrom('create' as const, 'mod' as const),
    key: keyArb,
    result: fc.constantFrom('=', '!=', '<', '>'),
    value: fc.nat(12).map(revision),
  }),
  fc.record({
    target: fc.constant('lease' as const),
    key: keyArb,
    result: fc.constantFrom('=', '!=', '<', '>'),
    value: leaseArb,
  }),
);

const opArb: fc.Arbitrary<(current: Revision) => Op> = fc.oneof(
  { weight: 5, arbitrary: putArb.map((op) => () => op) },
  { weight: 2, arbitrary: deleteArb.map((op) => () => op) },
  {
    weight: 3,
    arbitrary: fc
      .record({ fields: rangeFieldsArb, pick: revPickArb })
      .map(({ fields, pick }) => (current: Revision): Op => ({
        kind: 'range',
        ...fields.span,
        limit: fields.limit,
        countOnly: fields.countOnly,
        keysOnly: fields.keysOnly,
        revision: pickRevision(pick, current),
      })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        compare: fc.array(compareArb, { maxLength: 2 }),
        success: fc.array(requestArb, { maxLength: 3 }),
        failure: fc.array(requestArb, { maxLength: 3 }),
      })
      .map(({ compare, success, failure }) => (current: Revision): Op => ({
        kind: 'txn',
        compare,
        success: success.map((f) => f(current)),
        failure: failure.map((f) => f(current)),
      })),
  },
  {
    weight: 1,
    arbitrary: revPickArb.map((pick) => (current: Revision): Op => ({
      kind: 'compact',
      revision: pickRevision(pick, current),
    })),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ id: fc.constantFrom(0, 1, 1, 2, 3), ttlSeconds: fc.constantFrom(0, 5, 60, 60) })
      .map(({ id, ttlSeconds }) => (): Op => ({
        kind: 'lease-grant',
        id: leaseId(id),
        ttlSeconds,
      })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(1, 2, 3, 4)
      .map((id) => (): Op => ({ kind: 'lease-revoke', id: leaseId(id) })),
  },
);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .record({ op: opArb, drain: fc.boolean() })
      .map(({ op, drain }): Cmd => ({ t: 'op', op, drain })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        span: spanArb,
        startPick: fc.oneof(fc.constant(0), fc.nat(40)),
        prevKv: fc.boolean(),
      })
      .map(({ span, startPick, prevKv }): Cmd => ({ t: 'watch', span, startPick, prevKv })),
  },
);

/** What the model predicts, reading past revisions from the model state recorded then. */
function expectedResult(
  model: ModelState,
  op: Op,
  states: readonly ModelState[],
): [ModelState, Result] {
  if (op.kind === 'range' && op.revision !== undefined && op.revision > 0) {
    const past = op.revision < model.revision && op.revision >= model.compactRevision;
    if (past) {
      const [, result] = step(states[op.revision]!, { ...op, revision: revision(0) });
      return [model, { ...result, header: { revision: model.revision } }];
    }
  }
  return step(model, op);
}

function inSpan(span: { key: string; rangeEnd?: string }, key: string): boolean {
  if (span.rangeEnd === undefined || span.rangeEnd === '') return key === span.key;
  return key >= span.key && (span.rangeEnd === FROM_KEY || key < span.rangeEnd);
}

/** The changes between two consecutive model states, by key. */
function diff(before: ModelState, after: ModelState, rev: Revision): WatchEvent[] {
  const keys = [...new Set([...before.kvs.keys(), ...after.kvs.keys()])].sort();
  const events: WatchEvent[] = [];
  for (const key of keys) {
    const old = before.kvs.get(key);
    const now = after.kvs.get(key);
    if (now !== undefined && now.modRevision === rev) {
      events.push(
        old === undefined ? { type: 'PUT', kv: now } : { type: 'PUT', kv: now, prevKv: old },
      );
    } else if (now === undefined && old !== undefined) {
      const tombstone: KeyValue = {
        key,
        value: '',
        createRevision: revision(0),
        modRevision: rev,
        version: 0,
        lease: leaseId(0),
      };
      events.push({ type: 'DELETE', kv: tombstone, prevKv: old });
    }
  }
  return events;
}

interface WatchRecord {
  readonly id: WatchId;
  readonly span: { key: string; rangeEnd?: string };
  readonly start: Revision;
  readonly prevKv: boolean;
  readonly received: { revision: Revision; events: readonly WatchEvent[] }[];
}

function run(cmds: readonly Cmd[]): void {
  const sm = new KvStateMachine();
  let model = initialModelState;
  const states: ModelState[] = [];
  states[model.revision] = model;
  const watchers = new Map<WatchId, WatchRecord>();
  const drain = (): void => {
    for (const response of sm.drainWatchEvents())
      watchers.get(response.watchId)!.received.push(response);
  };

  for (const cmd of cmds) {
    if (cmd.t === 'watch') {
      const startRevision = pickRevision(cmd.startPick, sm.revision);
      const result = sm.watch({ ...cmd.span, startRevision, prevKv: cmd.prevKv });
      const start = startRevision > 0 ? startRevision : revision(sm.revision + 1);
      if (start <= model.compactRevision) {
        expect(result).toMatchObject({
          kind: 'error',
          reason: 'compacted',
          compactRevision: model.compactRevision,
        });
        continue;
      }
      expect(result.kind).toBe('created');
      if (result.kind === 'created') {
        watchers.set(result.watchId, {
          id: result.watchId,
          span: cmd.span,
          start,
          prevKv: cmd.prevKv,
          received: [],
        });
      }
      continue;
    }
    const op = cmd.op(sm.revision);
    const actual = sm.apply(op);
    const [next, expected] = expectedResult(model, op, states);
    expect(actual, JSON.stringify(op)).toEqual(expected);
    model = next;
    states[model.revision] = model;
    expect(sm.revision).toBe(model.revision);
    expect(sm.compactRevision).toBe(model.compactRevision);
    if (cmd.drain) drain();
  }
  drain();

  expect(sm.leases()).toEqual(
    [...model.leases]
      .sort((a, b) => a[0] - b[0])
      .map(([id, ttlSeconds]) => ({
        id,
        ttlSeconds,
        keys: [...model.kvs.values()]
          .filter((kv) => kv.lease === id)
          .map((kv) => kv.key)
          .sort(),
      })),
  );

  for (const w of watchers.values()) {
    const expected: { revision: Revision; events: WatchEvent[] }[] = [];
    for (let r = Math.max(w.start, 2); r <= model.revision; r++) {
      const events = diff(states[r - 1]!, states[r]!, revision(r))
        .filter((e) => inSpan(w.span, e.kv.key))
        .map((e) => (w.prevKv || e.prevKv === undefined ? e : { type: e.type, kv: e.kv }));
      if (events.length > 0) expected.push({ revision: revision(r), events });
    }
    const received = w.received.map((r) => ({
      revision: r.revision,
      events: [...r.events].sort((a, b) => (a.kv.key < b.kv.key ? -1 : 1)),
    }));
    expect(received, `watch ${JSON.stringify(w.span)} from ${w.start}`).toEqual(expected);
  }

  const restored = KvStateMachine.restore(sm.snapshot());
  expect(restored.hash()).toBe(sm.hash());
  for (let r = Math.max(model.compactRevision, 1); r <= model.revision; r++) {
    const read: Op = { kind: 'range', key: FROM_KEY, rangeEnd: FROM_KEY, revision: revision(r) };
    expect(restored.apply(read)).toEqual(sm.apply(read));
  }
}

describe('MVCC store against the sequential model', () => {
  test.prop([fc.array(cmdArb, { minLength: 1, maxLength: 80, size: 'max' })], { numRuns: 300 })(
    'same results, exact watch streams, faithful snapshots',
    (cmds) => run(cmds),
  );
});
