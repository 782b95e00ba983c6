import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  QueueSet,
  type Admission,
  type Decision,
  type QueueSetConfig,
} from '../../../../core/apiserver/flow-control/queue-set.ts';
import { dealHand, hashFlowId } from '../../../../core/apiserver/flow-control/shuffle-shard.ts';
import { VirtualClock } from '../../../../sim/scheduler-perf/virtual-clock.ts';

/** Lets the decisions' promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/**
 * A queue set on a virtual clock and a driver that submits requests of named flows: each one
 * that is let through holds its seat for `serviceUs`, then finishes.
 */
function harness(config: Omit<QueueSetConfig, 'name'>) {
  const clock = new VirtualClock(0);
  const qs = new QueueSet({ name: 'test', ...config }, clock);
  /** Requests in the order they started executing. */
  const executed: string[] = [];
  const decisions = new Map<string, Decision>();
  const admissions = new Map<string, Admission>();
  const submit = (flow: string, id: string, serviceUs: number): Admission => {
    const decided = (d: Decision): void => {
      decisions.set(id, d);
      if (d.kind !== 'execute') return;
      executed.push(id);
      if (serviceUs > 0) clock.setTimer(serviceUs, d.finish);
    };
    const a = qs.start(hashFlowId('schema', flow));
    admissions.set(id, a);
    if (a.kind === 'queued') void a.decision.then(decided);
    else decided(a);
    return a;
  };
  const runUntil = async (untilUs: number): Promise<void> => {
    for (;;) {
      await settle();
      const next = clock.nextTimerUs();
      if (next === undefined || next > untilUs) break;
      clock.advanceTo(next);
    }
    clock.advanceTo(untilUs);
    await settle();
  };
  return { clock, qs, executed, decisions, admissions, submit, runUntil };
}

describe('shuffle sharding', () => {
  it('deals the hand upstream deals: remainders of successive divisions, skipping cards drawn', () => {
    // 10 = 2*4 + 2, then 2 = 0*3 + 2: cards 2, then the 2nd of the 3 left (0, 1, 3), i.e. 3.
    expect(dealHand(10n, 4, 2)).toEqual([2, 3]);
    expect(dealHand(0n, 128, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(dealHand(7n, 8, 1)).toEqual([7]);
  });

  test.prop([
    fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    fc.integer({ min: 1, max: 128 }),
    fc.integer({ min: 1, max: 15 }),
  ])('a hand is handSize distinct queues of the deck', (hash, deck, hand) => {
    fc.pre(hand <= deck);
    const cards = dealHand(hash, deck, hand);
    expect(cards).toHaveLength(hand);
    expect(new Set(cards).size).toBe(hand);
    for (const c of cards) expect(c >= 0 && c < deck).toBe(true);
    expect(dealHand(hash, deck, hand)).toEqual(cards);
  });

  it('refuses a hand larger than the deck or than 15 cards', () => {
    expect(() => dealHand(1n, 4, 5)).toThrow(/hand size 5/);
    expect(() => dealHand(1n, 64, 16)).toThrow(/hand size 16/);
  });

  it("hashes a flow as upstream's hashFlowID: SHA-256 of schema NUL distinguisher, 8 bytes LE", () => {
    const digest = createHash('sha256').update('global-default\u0000alice').digest();
    expect(hashFlowId('global-default', 'alice')).toBe(digest.readBigUInt64LE(0));
    expect(hashFlowId('global-default', 'bob')).not.toBe(hashFlowId('global-default', 'alice'));
  });
});

describe('queue set', () => {
  it('executes at once while seats are free, and queues beyond them', async () => {
    const h = harness({ concurrencyLimit: 2, queuing: q(4, 2, 10), waitLimitUs: 15_000_000 });
    expect(h.submit('a', 'a1', 1000).kind).toBe('execute');
    expect(h.submit('a', 'a2', 1000).kind).toBe('execute');
    expect(h.submit('a', 'a3', 1000).kind).toBe('queued');
    expect(h.qs.executingSeats).toBe(2);
    expect(h.qs.waitingRequests).toBe(1);
    await h.runUntil(1000);
    expect(h.executed).toEqual(['a1', 'a2', 'a3']);
    expect(h.decisions.get('a3')).toMatchObject({ kind: 'execute', waitedUs: 1000 });
    await h.runUntil(10_000);
    expect(h.qs.executingSeats).toBe(0);
    expect(h.qs.waitingRequests).toBe(0);
  });

  it('serves a light flow beside a flooding one instead of after it', async () => {
    // Two flows whose hands do not overlap, so they queue apart.
    const config = { concurrencyLimit: 2, queuing: q(16, 2, 100), waitLimitUs: 60_000_000 };
    const handOf = (flow: string) => dealHand(hashFlowId('schema', flow), 16, 2);
    expect(handOf('flood').filter((c) => handOf('light').includes(c))).toEqual([]);
    const h = harness(config);
    for (let i = 0; i < 60; i++) h.submit('flood', `f${i}`, 10_000);
    h.submit('light', 'l0', 10_000);
    h.submit('light', 'l1', 10_000);
    h.submit('light', 'l2', 10_000);
    await h.runUntil(10_000_000);
    expect(h.executed).toHaveLength(63);
    const lastLight = Math.max(...['l0', 'l1', 'l2'].map((id) => h.executed.indexOf(id)));
    // First come, first served would run them 61st to 63rd; fair queuing interleaves them.
    expect(lastLight).toBeLessThan(12);
    const lightWaits = ['l0', 'l1', 'l2'].map((id) => h.decisions.get(id)?.waitedUs ?? -1);
    expect(Math.max(...lightWaits)).toBeLessThan(100_000);
  });

  it('rejects with queue-full when every seat is taken and the chosen queue is at its limit', async () => {
    const h = harness({ concurrencyLimit: 1, queuing: q(1, 1, 2), waitLimitUs: 15_000_000 });
    expect(h.submit('a', 'r0', 1000).kind).toBe('execute');
    expect(h.submit('a', 'r1', 1000).kind).toBe('queued');
    expect(h.submit('b', 'r2', 1000).kind).toBe('queued');
    expect(h.submit('b', 'r3', 1000)).toEqual({
      kind: 'reject',
      reason: 'queue-full',
      waitedUs: 0,
    });
    await h.runUntil(5000);
    expect(h.executed).toEqual(['r0', 'r1', 'r2']);
    expect(h.qs.executingSeats).toBe(0);
  });

  it('rejects at once over the limit when the level has no queues (limitResponse Reject)', () => {
    const h = harness({ concurrencyLimit: 1, waitLimitUs: 15_000_000 });
    expect(h.submit('a', 'r0', 1000).kind).toBe('execute');
    expect(h.submit('a', 'r1', 1000)).toEqual({
      kind: 'reject',
      reason: 'concurrency-limit',
      waitedUs: 0,
    });
  });

  it('rejects a request that waited past its queue wait limit, and serves the next one', async () => {
    const h = harness({ concurrencyLimit: 1, queuing: q(2, 1, 10), waitLimitUs: 1_000_000 });
    h.submit('a', 'slow', 5_000_000);
    h.submit('a', 'late', 1000);
    await h.runUntil(1_000_000);
    expect(h.decisions.get('late')).toEqual({
      kind: 'reject',
      reason: 'time-out',
      waitedUs: 1_000_000,
    });
    expect(h.qs.waitingRequests).toBe(0);
    expect(h.qs.executingSeats).toBe(1);
    await h.runUntil(5_000_000);
    expect(h.qs.executingSeats).toBe(0);
    expect(h.submit('a', 'next', 1000).kind).toBe('execute');
    expect(h.executed).toEqual(['slow', 'next']);
  });

  it('gives a seat back once however the request ended, and drops a cancelled waiter', async () => {
    const h = harness({ concurrencyLimit: 1, queuing: q(2, 1, 10), waitLimitUs: 15_000_000 });
    const first = h.submit('a', 'first', 0);
    const gone = h.submit('a', 'gone', 1000);
    h.submit('a', 'kept', 0);
    expect(first.kind === 'execute' && gone.kind === 'queued').toBe(true);
    if (first.kind !== 'execute' || gone.kind !== 'queued') return;
    // The client of `gone` disconnects while it waits.
    gone.cancel();
    gone.cancel();
    await settle();
    expect(h.decisions.get('gone')).toMatchObject({ kind: 'reject', reason: 'cancelled' });
    expect(h.qs.waitingRequests).toBe(1);
    // The first request ends (served, or failed: the handler's `finally` calls it either way);
    // a second call, as from a handler that also saw an error, changes nothing.
    first.finish();
    first.finish();
    await settle();
    expect(h.executed).toEqual(['first', 'kept']);
    expect(h.qs.executingSeats).toBe(1);
    const kept = h.decisions.get('kept');
    if (kept?.kind === 'execute') kept.finish();
    expect(h.qs.executingSeats).toBe(0);
    expect(h.qs.waitingRequests).toBe(0);
  });

  it('dispatches in the same order every run (virtual time only)', async () => {
    const order = async (): Promise<string[]> => {
      const h = harness({ concurrencyLimit: 3, queuing: q(8, 3, 20), waitLimitUs: 15_000_000 });
      for (let i = 0; i < 30; i++) h.submit(`flow${i % 5}`, `r${i}`, 1000 + 37 * i);
      await h.runUntil(1_000_000);
      return h.executed;
    };
    const a = await order();
    expect(a).toHaveLength(30);
    expect(await order()).toEqual(a);
  });
});

function q(queues: number, handSize: number, queueLengthLimit: number) {
  return { queues, handSize, queueLengthLimit };
}
