/**
 * A simulated process's processor (the Cpu port): `cores` virtual cores serving charged work
 * first come, first served. A charge takes the core that frees up first, runs there for its
 * cost without being interrupted, and settles when it is done; while every core is busy, work
 * waits its turn. Time spent waiting is how load shows up as latency.
 *
 * Work runs to completion on one core (no time slicing): a charge is a few microseconds to a
 * few milliseconds, far below a scheduler's time slice, so FIFO per core is close to what a
 * loaded Go runtime does with short goroutines.
 */
import type { Cpu, CpuWork } from '../core/ports/cpu.ts';
import { assert } from '../core/util/assert.ts';
import type { EventLoop, EventOwner } from './event-loop.ts';

/** What one charge of a kind of work costs: `baseUs + perUnitUs * units`, rounded. */
export interface WorkCost {
  readonly baseUs: number;
  readonly perUnitUs: number;
}

/** A process's processor: its cores and what each kind of work costs on one of them. */
export interface CpuProfile {
  readonly cores: number;
  readonly costs: Readonly<Record<CpuWork, WorkCost>>;
}

/** What a process's processors did, over all its incarnations. */
export class CpuUsage {
  /** Core-microseconds of work charged. */
  busyUs = 0;
  /** Core-microseconds charged work waited for a free core. */
  waitedUs = 0;
  charges = 0;
}

/** The cost of `units` of work, in whole microseconds. */
export function workCostUs(cost: WorkCost, units: number): number {
  assert(Number.isFinite(units) && units >= 0, `work units must be finite and >= 0, got ${units}`);
  return Math.round(cost.baseUs + cost.perUnitUs * units);
}

export class SimCpu implements Cpu {
  readonly free = false;
  /** Virtual time at which each core is next free. */
  private readonly freeAtUs: number[];

  constructor(
    private readonly loop: EventLoop,
    private readonly owner: EventOwner,
    private readonly profile: CpuProfile,
    private readonly usage: CpuUsage,
  ) {
    assert(
      Number.isInteger(profile.cores) && profile.cores >= 1,
      `a processor needs a whole number of cores >= 1, got ${profile.cores}`,
    );
    this.freeAtUs = new Array<number>(profile.cores).fill(0);
  }

  charge(work: CpuWork, units: number): Promise<void> | undefined {
    const costUs = workCostUs(this.profile.costs[work], units);
    if (costUs === 0) return undefined;
    const core = this.firstFreeCore();
    const nowUs = this.loop.now;
    const startUs = Math.max(nowUs, this.freeAtUs[core] as number);
    const doneUs = startUs + costUs;
    this.freeAtUs[core] = doneUs;
    this.usage.busyUs += costUs;
    this.usage.waitedUs += startUs - nowUs;
    this.usage.charges++;
    return new Promise((resolve) => {
      this.loop.scheduleAt(doneUs, resolve, this.owner);
    });
  }

  /** The core that is free soonest (the lowest-numbered one on a tie, for determinism). */
  private firstFreeCore(): number {
    const free = this.freeAtUs;
    let best = 0;
    for (let i = 1; i < free.length; i++) {
      if ((free[i] as number) < (free[best] as number)) best = i;
    }
    return best;
  }
}
