/**
 * The ranges of the kinds that allocate (Services' cluster IPs and node ports), kept by the API
 * server in memory and derived from the stored objects, as upstream's repair loops
 * (pkg/registry/core/service/ipallocator/controller/repair.go, portallocator/controller) rebuild
 * its RangeAllocation bitmaps from the stored Services.
 *
 * ksim runs one API server, so its memory is the only place values are handed out; what it must
 * survive is its own crash and writes whose outcome it cannot know. So:
 * - at start, before any write of an allocating kind is served, the ranges are rebuilt from the
 *   stored objects (a crash loses nothing the store holds, and holds nothing the store lost);
 * - a write reserves values before it reaches the store and gives them back if the write
 *   failed; values an update or delete frees are given back only once the store took it;
 * - a write whose outcome is unknown (the store did not answer) keeps its reservations for a
 *   grace period, then a repair keeps exactly what the stored objects and the writes still in
 *   flight hold. The grace is upstream's: a value the repair loop finds allocated but unused is
 *   freed only after three runs three minutes apart, so a write still travelling to the store
 *   cannot land on a value handed out again meanwhile.
 */
import * as errors from '../../api/errors.ts';
import {
  configuredRange,
  DEFINITIONS,
  type AllocationContext,
  type RangeAllocator,
  type RangeConfig,
  type ResourceDefinition,
} from '../../api/kinds/index.ts';
import type { Status } from '../../api/status-types.ts';
import type { KObject } from '../../api/types.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { assert } from '../../util/assert.ts';
import { collectionPrefix } from '../keys.ts';
import { IPRangeAllocator, newRangeAllocator, type AnyRangeAllocator } from '../range-allocator.ts';
import type { ObjectStorage } from '../storage.ts';

/** How long a repair waits before trying an unavailable store again. */
const REPAIR_RETRY_US = 1_000_000;
/** numRepairsBeforeLeakCleanup (3) times the repair interval (3 minutes). */
export const LEAK_GRACE_US = 3 * 180_000_000;

interface Held {
  readonly range: string;
  readonly value: string | number;
}

/**
 * After a write that may have removed `obj` from the store (`result` is its answer): the values
 * it held are free once the store took the delete; an unknown outcome is left to a repair.
 */
export async function afterDelete(
  allocations: RangeAllocations,
  def: ResourceDefinition,
  obj: KObject,
  result: KObject | Status,
): Promise<void> {
  if (def.allocation === undefined) return;
  if (errors.isStatus(result) && result.code < 500) return;
  const txn = await allocations.begin();
  if (errors.isStatus(result)) return txn.abandon();
  def.allocation.release(txn, obj);
  txn.commit();
}

export class RangeAllocations {
  private readonly ranges = new Map<string, AnyRangeAllocator>();
  private readonly open = new Set<AllocationTxn>();
  /** Reservations of writes with an unknown outcome, and when their grace ends. */
  private readonly uncertain: { readonly held: readonly Held[]; readonly untilUs: number }[] = [];
  private repairing: Promise<void> | undefined;
  private repairAgain = false;

  constructor(
    private readonly storage: ObjectStorage,
    private readonly clock: Clock,
    random: Random,
    config: RangeConfig,
    private readonly definitions: readonly ResourceDefinition[] = DEFINITIONS,
  ) {
    for (const def of definitions) {
      for (const decl of def.allocation?.ranges ?? []) {
        if (this.ranges.has(decl.name)) continue;
        const r = newRangeAllocator(decl, configuredRange(decl, config), random.fork(decl.name));
        assert(typeof r !== 'string', r as string);
        this.ranges.set(decl.name, r as AnyRangeAllocator);
      }
    }
  }

  /** The allocator of a range (tests look at what is allocated). */
  range(name: string): AnyRangeAllocator {
    const r = this.ranges.get(name);
    assert(r !== undefined, `no range ${JSON.stringify(name)} is declared`);
    return r;
  }

  /** Rebuilds the ranges from the stored objects; writes of allocating kinds wait for it. */
  repair(): Promise<void> {
    if (this.repairing !== undefined) {
      this.repairAgain = true;
      return this.repairing;
    }
    this.repairing = this.repairLoop().finally(() => {
      this.repairing = undefined;
    });
    return this.repairing;
  }

  /** Resolves once no repair is running (at once, usually). */
  async ready(): Promise<void> {
    while (this.repairing !== undefined) await this.repairing;
  }

  /** A write that may reserve and release values, once no repair is running. */
  async begin(): Promise<AllocationTxn> {
    await this.ready();
    const txn = new AllocationTxn(this);
    this.open.add(txn);
    return txn;
  }

  /** @internal */
  closed(txn: AllocationTxn, unknown: boolean): void {
    this.open.delete(txn);
    if (!unknown) return;
    this.uncertain.push({ held: txn.reservations, untilUs: this.clock.now() + LEAK_GRACE_US });
    void this.clock.sleep(LEAK_GRACE_US).then(() => this.repair());
  }

  /** @internal */
  allocator(name: string): AnyRangeAllocator {
    return this.range(name);
  }

  private async repairLoop(): Promise<void> {
    do {
      this.repairAgain = false;
      // No write begins during a repair, but one under way may end while the store is read,
      // its write landing before or after the read: then the store is read again.
      const underway = [...this.open];
      const held = await this.storedHeld();
      for (const r of this.ranges.values()) r.clear();
      for (const h of held) this.hold(h);
      for (const txn of this.open) for (const h of txn.reservations) this.hold(h);
      if (underway.some((txn) => !this.open.has(txn))) this.repairAgain = true;
      const nowUs = this.clock.now();
      while ((this.uncertain[0]?.untilUs ?? Infinity) <= nowUs) this.uncertain.shift();
      for (const u of this.uncertain) for (const h of u.held) this.hold(h);
    } while (this.repairAgain);
  }

  private hold(h: Held): void {
    const r = this.ranges.get(h.range);
    if (r === undefined) return;
    // A value outside the configured range (the flag changed) is not the allocator's to track.
    if (r instanceof IPRangeAllocator) (r as RangeAllocator<string>).allocate(String(h.value));
    else (r as RangeAllocator<number>).allocate(Number(h.value));
  }

  /** What every stored object of an allocating kind holds, read in one pass per kind. */
  private async storedHeld(): Promise<Held[]> {
    const held: Held[] = [];
    for (const def of this.definitions) {
      const hooks = def.allocation;
      if (hooks === undefined) continue;
      const prefix = collectionPrefix(def.resource.resource, undefined);
      while (true) {
        const list = await this.storage.list<KObject>(prefix);
        if (list.ok) {
          for (const obj of list.value.items) held.push(...hooks.held(obj));
          break;
        }
        await this.clock.sleep(REPAIR_RETRY_US);
      }
    }
    return held;
  }
}

/**
 * One write's view of the ranges: reservations take effect at once (so concurrent writes see
 * them), releases only at commit.
 */
export class AllocationTxn implements AllocationContext {
  readonly reservations: Held[] = [];
  private readonly releases: Held[] = [];
  private done = false;

  constructor(private readonly owner: RangeAllocations) {}

  ip(name: string): RangeAllocator<string> {
    const r = this.owner.allocator(name);
    assert(r instanceof IPRangeAllocator, `range ${name} is not an IP range`);
    return this.view<string>(name, r);
  }

  port(name: string): RangeAllocator<number> {
    const r = this.owner.allocator(name);
    assert(!(r instanceof IPRangeAllocator), `range ${name} is not a port range`);
    return this.view<number>(name, r as RangeAllocator<number>);
  }

  private view<V extends string | number>(name: string, r: RangeAllocator<V>): RangeAllocator<V> {
    return {
      range: r.range,
      allocate: (value) => {
        const refused = r.allocate(value);
        if (refused === undefined) this.reservations.push({ range: name, value });
        return refused;
      },
      allocateNext: () => {
        const value = r.allocateNext();
        if (value !== undefined) this.reservations.push({ range: name, value });
        return value;
      },
      release: (value) => {
        this.releases.push({ range: name, value });
      },
    };
  }

  /** The write is stored: what it released is free now. */
  commit(): void {
    this.finish();
    for (const h of this.releases) this.free(h);
    this.owner.closed(this, false);
  }

  /** The write failed: what it reserved is free again. */
  rollback(): void {
    this.finish();
    for (const h of this.reservations) this.free(h);
    this.owner.closed(this, false);
  }

  /** The store did not say whether the write happened: the ranges are rebuilt from it. */
  abandon(): void {
    this.finish();
    this.owner.closed(this, true);
  }

  /** Settles the transaction from the write's answer. */
  settle<T>(result: T | Status): T | Status {
    if (!errors.isStatus(result)) this.commit();
    else if (result.code >= 500) this.abandon();
    else this.rollback();
    return result;
  }

  private finish(): void {
    assert(!this.done, 'allocation transaction settled twice');
    this.done = true;
  }

  private free(h: Held): void {
    const r = this.owner.allocator(h.range) as RangeAllocator<string | number>;
    r.release(h.value);
  }
}
