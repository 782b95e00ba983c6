/**
 * The API server's store lease reuse (upstream etcd3 lease_manager.go): one grant serves the
 * writes of the next minute (5% of the TTL, at most 60 s), up to 1,000 objects, and writes that
 * arrive while a grant is in flight wait for it.
 */
import { describe, expect, it } from 'vitest';
import { LeaseManager } from '../../../core/apiserver/lease-manager.ts';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import type { KvOutcome, StoreClient } from '../../../core/store/kv-client.ts';
import type { LeaseGrantOp, Op } from '../../../core/store/types.ts';
import { revision } from '../../../core/store/types.ts';
import { SeededRandom } from '../../../sim/random.ts';

class ManualClock implements Clock {
  nowUs = 0;
  now(): number {
    return this.nowUs;
  }
  monotonicNow(): number {
    return this.nowUs;
  }
  setTimer(): TimerId {
    throw new Error('no timers here');
  }
  cancelTimer(): void {}
  sleep(): Promise<void> {
    throw new Error('no sleeping here');
  }
}

/** Grants what it is asked, answering when the test releases it; `taken` ids are refused. */
class GrantingStore implements StoreClient {
  readonly grants: LeaseGrantOp[] = [];
  readonly taken = new Set<number>();
  private held: (() => void)[] = [];
  hold = false;

  do<O extends Op>(op: O): Promise<KvOutcome<O>> {
    if (op.kind !== 'lease-grant') throw new Error(`unexpected op ${op.kind}`);
    const header = { revision: revision(1) };
    const answer = (): KvOutcome<O> => {
      if (this.taken.has(op.id)) {
        return { kind: 'error', reason: 'lease-exists', header } as unknown as KvOutcome<O>;
      }
      this.grants.push(op);
      return { kind: 'lease-grant', header, id: op.id, ttlSeconds: op.ttlSeconds } as KvOutcome<O>;
    };
    if (!this.hold) return Promise.resolve(answer());
    return new Promise((resolve) => this.held.push(() => resolve(answer())));
  }

  watch(): never {
    throw new Error('no watches here');
  }

  release(): void {
    for (const r of this.held.splice(0)) r();
  }
}

function setup() {
  const store = new GrantingStore();
  const clock = new ManualClock();
  const leases = new LeaseManager(store, clock, SeededRandom.root(3).fork('leases'));
  return { store, clock, leases };
}

async function id(leases: LeaseManager, ttlSeconds = 3600): Promise<number> {
  const r = await leases.leaseFor(ttlSeconds);
  if (!r.ok) throw new Error(r.reason);
  return r.id;
}

describe('LeaseManager', () => {
  it('grants TTL + 60 s and reuses the lease for the next minute only', async () => {
    const { store, clock, leases } = setup();
    const first = await id(leases);
    expect(store.grants).toEqual([{ kind: 'lease-grant', id: first, ttlSeconds: 3660 }]);
    clock.nowUs = 59_000_000;
    expect(await id(leases)).toBe(first);
    clock.nowUs = 60_000_000;
    const second = await id(leases);
    expect(second).not.toBe(first);
    expect(store.grants).toHaveLength(2);
    // A short TTL reuses for 5% of it: 100 s -> 5 s.
    const short = await id(leases, 100);
    expect(store.grants.at(-1)?.ttlSeconds).toBe(105);
    clock.nowUs += 4_000_000;
    expect(await id(leases, 100)).toBe(short);
    clock.nowUs += 1_000_000;
    expect(await id(leases, 100)).not.toBe(short);
  });

  it('holds at most 1,000 objects on one lease', async () => {
    const { store, leases } = setup();
    const first = await id(leases);
    for (let i = 1; i < 1_000; i++) expect(await id(leases)).toBe(first);
    expect(await id(leases)).not.toBe(first);
    expect(store.grants).toHaveLength(2);
  });

  it('makes writes that come during a grant wait for it, and draws again when an id is taken', async () => {
    const { store, leases } = setup();
    store.hold = true;
    const pending = [leases.leaseFor(3600), leases.leaseFor(3600), leases.leaseFor(3600)];
    store.release();
    const answers = await Promise.all(pending);
    expect(store.grants).toHaveLength(1);
    expect(new Set(answers.map((a) => (a.ok ? a.id : 0)))).toEqual(new Set([store.grants[0]!.id]));
    // The next draw of the same stream is refused as taken: the manager draws another id.
    const replay = new LeaseManager(store, new ManualClock(), SeededRandom.root(3).fork('leases'));
    store.hold = false;
    store.taken.add(store.grants[0]!.id);
    const again = await id(replay);
    expect(again).not.toBe(store.grants[0]!.id);
    expect(store.grants).toHaveLength(2);
  });
});
