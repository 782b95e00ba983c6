import { describe, expect, it } from 'vitest';
import type { Clock, TimerId } from '../../../core/ports/clock.ts';
import type { KObject } from '../../../core/api/types.ts';
import { internalError } from '../../../core/api/errors.ts';
import { mustDefinitionFor } from '../../../core/api/kinds/index.ts';
import { LEAK_GRACE_US, RangeAllocations } from '../../../core/apiserver/registry/allocations.ts';
import type { IPRangeAllocator } from '../../../core/apiserver/range-allocator.ts';
import type { ObjectStorage } from '../../../core/apiserver/storage.ts';
import { SeededRandom } from '../../../sim/random.ts';

/** A clock whose sleeps resolve when the test advances it. */
class ManualClock implements Clock {
  private t = 0;
  private readonly sleepers: { at: number; wake: () => void }[] = [];
  now(): number {
    return this.t;
  }
  /** Never jumps: the same reading as now(). */
  monotonicNow(): number {
    return this.now();
  }

  setTimer(): TimerId {
    throw new Error('not used');
  }
  cancelTimer(): void {}
  sleep(delayUs: number): Promise<void> {
    return new Promise((wake) => this.sleepers.push({ at: this.t + delayUs, wake }));
  }
  async advance(us: number): Promise<void> {
    this.t += us;
    for (const s of this.sleepers.filter((x) => x.at <= this.t)) s.wake();
    await flush();
  }
}

const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

/** Stored Services as the repair reads them; `gate` holds a list until the test opens it. */
class FakeStorage {
  services: KObject[] = [];
  gate: Promise<void> | undefined;
  async list() {
    const snapshot = [...this.services];
    if (this.gate) await this.gate;
    return { ok: true as const, value: { items: snapshot, resourceVersion: '1' } };
  }
}

const svc = (name: string, clusterIP: string): KObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'default' },
    spec: { type: 'ClusterIP', clusterIP, clusterIPs: [clusterIP] },
  }) as KObject;

function setup() {
  const storage = new FakeStorage();
  const clock = new ManualClock();
  const allocations = new RangeAllocations(
    storage as unknown as ObjectStorage,
    clock,
    SeededRandom.root(1),
    { 'service-cluster-ip-range': '10.0.0.0/29' },
    [mustDefinitionFor('Service')],
  );
  const ips = () => allocations.range('serviceips') as IPRangeAllocator;
  return { storage, clock, allocations, ips };
}

describe('RangeAllocations: the ranges rebuilt from the stored objects', () => {
  it('rebuilds from what is stored and frees nothing a stored object holds', async () => {
    const { storage, allocations, ips } = setup();
    storage.services = [svc('a', '10.0.0.2'), svc('b', '10.0.0.5'), svc('h', 'None')];
    await allocations.repair();
    expect(ips().has('10.0.0.2')).toBe(true);
    expect(ips().has('10.0.0.5')).toBe(true);
    expect(ips().used).toBe(2);
  });

  it('reads the store again when a write ends while the store is being read', async () => {
    const { storage, allocations, ips } = setup();
    await allocations.repair();
    const txn = await allocations.begin();
    expect(txn.ip('serviceips').allocate('10.0.0.3')).toBeUndefined();
    let open!: () => void;
    storage.gate = new Promise((r) => (open = r));
    const repaired = allocations.repair();
    // The write lands after the store was read, and its transaction ends before the read answers.
    storage.services = [svc('c', '10.0.0.3')];
    txn.commit();
    storage.gate = undefined;
    open();
    await repaired;
    expect(ips().has('10.0.0.3')).toBe(true);
    expect(ips().allocate('10.0.0.3')).toBe('provided IP is already allocated');
  });

  it('frees what a rolled-back write reserved, once a second pass has read the store', async () => {
    const { storage, allocations, ips } = setup();
    await allocations.repair();
    const txn = await allocations.begin();
    txn.ip('serviceips').allocate('10.0.0.4');
    let open!: () => void;
    storage.gate = new Promise((r) => (open = r));
    const repaired = allocations.repair();
    txn.rollback();
    storage.gate = undefined;
    open();
    await repaired;
    expect(ips().has('10.0.0.4')).toBe(false);
  });

  it('holds the values of a write with an unknown outcome for the grace period, then repairs', async () => {
    const { storage, clock, allocations, ips } = setup();
    await allocations.repair();
    const lost = await allocations.begin();
    lost.ip('serviceips').allocate('10.0.0.2');
    lost.settle(internalError('store timeout'));
    const landed = await allocations.begin();
    landed.ip('serviceips').allocate('10.0.0.6');
    landed.settle(internalError('store timeout'));
    storage.services = [svc('landed', '10.0.0.6')];
    await allocations.repair();
    expect(ips().has('10.0.0.2')).toBe(true);
    await clock.advance(LEAK_GRACE_US);
    await allocations.ready();
    expect(ips().has('10.0.0.2')).toBe(false);
    expect(ips().has('10.0.0.6')).toBe(true);
  });

  it('makes writes wait while a repair runs', async () => {
    const { storage, allocations } = setup();
    let open!: () => void;
    storage.gate = new Promise((r) => (open = r));
    void allocations.repair();
    let begun = false;
    void allocations.begin().then(() => (begun = true));
    await flush();
    expect(begun).toBe(false);
    open();
    await flush();
    expect(begun).toBe(true);
  });
});
