import { createHook } from 'node:async_hooks';
import FastPriorityQueue from 'fastpriorityqueue';
import { assert } from '../core/util/assert.ts';

/**
 * Who an event belongs to. An owned event is dropped when its owner has crashed or restarted
 * since the event was scheduled: a crashed process's timers, replies and deliveries vanish,
 * so its suspended async functions simply never resume.
 */
export interface EventOwner {
  readonly name: string;
  incarnation: number;
  alive: boolean;
}

/** A scheduled callback. `fn === null` marks a cancelled event (lazy deletion). */
export interface SimEvent {
  readonly timeUs: number;
  readonly seq: number;
  fn: (() => unknown) | null;
  readonly owner: EventOwner | null;
  readonly incarnation: number;
}

export interface RunLimits {
  /** Stop before the first event later than this virtual time; the clock then reads untilUs. */
  readonly untilUs?: number;
  readonly maxEvents?: number;
  /** Checked after every event; true stops the run. */
  readonly stopWhen?: () => boolean;
}

export interface RunOutcome {
  readonly reason: 'until' | 'idle' | 'max-events' | 'stopped';
  readonly eventsRun: number;
}

function before(a: SimEvent, b: SimEvent): boolean {
  return a.timeUs < b.timeUs || (a.timeUs === b.timeUs && a.seq < b.seq);
}

const yieldToMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Set when any promise resolves. A resolved promise means continuations are queued as
 * microtasks, which must run before the next event (at the virtual time that resolved them).
 */
let promiseResolved = false;
const promiseHook = createHook({
  promiseResolve() {
    promiseResolved = true;
  },
});

/**
 * The discrete-event loop: one virtual clock, events ordered by (time, sequence).
 *
 * Async code in services settles through promises, whose continuations run as microtasks. The
 * loop lets them settle before the next event by yielding one macrotask turn (setImmediate —
 * the one documented mechanism DESIGN.md §3 allows): the whole microtask queue, chains
 * included, drains before a macrotask runs. Yielding costs about a microsecond, so the loop
 * yields only after an event during which some promise resolved, which a V8 promise hook
 * reports (about 75 ns per resolution, nothing for synchronous code); purely synchronous events
 * run back to back. Because the hook sees every promise, core code may resolve its own promises
 * (a work queue handing an item to a waiting worker) without telling the host.
 */
export class EventLoop {
  private readonly queue = new FastPriorityQueue<SimEvent>(before);
  private seq = 0;
  private nowUs = 0;
  private failure: unknown = undefined;
  private eventsTotal = 0;
  /** Cancelled events still in the heap (lazy deletion), so it can be compacted when they pile up. */
  private cancelledInQueue = 0;

  get now(): number {
    return this.nowUs;
  }

  get eventsProcessed(): number {
    return this.eventsTotal;
  }

  get pending(): number {
    return this.queue.size;
  }

  schedule(delayUs: number, fn: () => unknown, owner: EventOwner | null = null): SimEvent {
    assert(Number.isInteger(delayUs) && delayUs >= 0, `delay must be a non-negative integer, got ${delayUs}`);
    return this.scheduleAt(this.nowUs + delayUs, fn, owner);
  }

  scheduleAt(timeUs: number, fn: () => unknown, owner: EventOwner | null = null): SimEvent {
    assert(timeUs >= this.nowUs, `cannot schedule in the past (${timeUs} < ${this.nowUs})`);
    const ev: SimEvent = {
      timeUs,
      seq: this.seq++,
      fn,
      owner,
      incarnation: owner === null ? 0 : owner.incarnation,
    };
    this.queue.add(ev);
    return ev;
  }

  cancel(ev: SimEvent): void {
    if (ev.fn === null) return;
    ev.fn = null;
    // Request timeouts are armed for every call and almost always cancelled: without compaction
    // the heap would hold mostly dead entries and every operation on it would pay for them.
    if (++this.cancelledInQueue > 4096 && this.cancelledInQueue * 2 > this.queue.size) {
      this.queue.removeMany((e) => e.fn === null);
      this.cancelledInQueue = 0;
    }
  }

  /** Records an error raised inside async work; the running `run` rethrows it. */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new Error('unknown failure');
  }

  async run(limits: RunLimits = {}): Promise<RunOutcome> {
    promiseHook.enable();
    try {
      return await this.runEvents(limits);
    } finally {
      promiseHook.disable();
    }
  }

  private async runEvents(limits: RunLimits): Promise<RunOutcome> {
    const untilUs = limits.untilUs ?? Number.POSITIVE_INFINITY;
    const maxEvents = limits.maxEvents ?? Number.POSITIVE_INFINITY;
    const stopWhen = limits.stopWhen;
    let eventsRun = 0;
    const queue = this.queue;
    promiseResolved = false;
    while (true) {
      if (eventsRun >= maxEvents) return { reason: 'max-events', eventsRun };
      const ev = queue.peek();
      if (ev === undefined) {
        if (untilUs !== Number.POSITIVE_INFINITY) this.nowUs = Math.max(this.nowUs, untilUs);
        return { reason: 'idle', eventsRun };
      }
      if (ev.timeUs > untilUs) {
        this.nowUs = untilUs;
        return { reason: 'until', eventsRun };
      }
      queue.poll();
      const fn = ev.fn;
      if (fn === null) {
        this.cancelledInQueue--;
        continue;
      }
      const owner = ev.owner;
      if (owner !== null && (!owner.alive || owner.incarnation !== ev.incarnation)) continue;
      ev.fn = null;
      this.nowUs = ev.timeUs;
      eventsRun++;
      this.eventsTotal++;
      const result = fn();
      if (result instanceof Promise) result.then(undefined, (e: unknown) => this.fail(e));
      if (promiseResolved) {
        await yieldToMacrotask();
        promiseResolved = false;
      }
      if (this.failure !== undefined) throw this.failure;
      if (stopWhen !== undefined && stopWhen()) return { reason: 'stopped', eventsRun };
    }
  }
}
