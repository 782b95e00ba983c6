import { promiseHooks } from 'node:v8';
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

/**
 * Promise activity, counted by V8 promise hooks. `jobs` counts promise jobs (each `await`
 * resumption, each `.then` callback, each thenable adoption) as they start; `activity` moves on
 * any promise creation, settlement or job, which is how the loop learns that an event may have
 * left microtasks behind. A hook costs a few tens of nanoseconds per promise operation.
 */
let jobs = 0;
let activity = 0;
// Installed once, when the kernel is loaded, and never removed: an `await` set up while no
// hook is installed takes V8's fast path and its resumption would never be counted.
promiseHooks.createHook({
  init() {
    activity++;
  },
  settled() {
    activity++;
  },
  before() {
    jobs++;
    activity++;
  },
});

const SETTLED: Promise<void> = Promise.resolve();
/** After this many events the loop lets the host's macrotasks (I/O, signals, IPC) run once. */
const EVENTS_PER_HOST_TURN = 8192;

/**
 * The discrete-event loop: one virtual clock, events ordered by (time, sequence).
 *
 * Async code in services settles through promises, whose continuations run as microtasks. They
 * must all run before the next event, at the virtual time of the event that started them. After
 * an event that touched any promise, the loop hops through the microtask queue until it is empty
 * (the one documented mechanism of DESIGN.md §3); purely synchronous events
 * run back to back. Because the hooks see every promise, core code may resolve its own promises
 * (a work queue handing an item to a waiting worker) without telling the host. Draining never
 * leaves the microtask queue, so every few thousand events, with the queue empty, the loop
 * yields one macrotask turn to the host (trace output, signals, a test runner's messages); that
 * turn cannot touch simulation state, so it changes nothing in a run.
 *
 * Hopping replaced a setImmediate turn after each such event: traces are byte-identical and
 * `ksim bench store` went from about 38,000 to 45,000 writes/s, the macrotask turn (an epoll
 * call each time) having been about a sixth of the run.
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

  /** The time of the earliest queued event (perhaps a cancelled one), if any: a pacer's wake-up. */
  get nextEventUs(): number | undefined {
    return this.queue.peek()?.timeUs;
  }

  schedule(delayUs: number, fn: () => unknown, owner: EventOwner | null = null): SimEvent {
    assert(
      Number.isInteger(delayUs) && delayUs >= 0,
      `delay must be a non-negative integer, got ${delayUs}`,
    );
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

  /** `fail`, made once: the rejection handler of every event that returns a promise. */
  private readonly failHandler = (error: unknown): void => this.fail(error);

  /** Records an error raised inside async work; the running `run` rethrows it. */
  fail(error: unknown): void {
    if (this.failure === undefined) this.failure = error ?? new Error('unknown failure');
  }

  run(limits: RunLimits = {}): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve, reject) => {
      const run: ActiveRun = {
        untilUs: limits.untilUs ?? Number.POSITIVE_INFINITY,
        maxEvents: limits.maxEvents ?? Number.POSITIVE_INFINITY,
        stopWhen: limits.stopWhen,
        eventsRun: 0,
        sinceHostTurn: 0,
        jobsBefore: 0,
        resolve,
        reject,
        afterHop: () => this.afterHop(run),
        proceed: () => this.proceed(run),
      };
      this.proceed(run);
    });
  }

  /** Runs events until the run ends or an event leaves microtasks to drain. */
  private proceed(run: ActiveRun): void {
    try {
      const outcome = this.runEvents(run);
      if (outcome !== undefined) run.resolve(outcome);
    } catch (e) {
      run.reject(e);
    }
  }

  /**
   * Runs events back to back. Returns the run's outcome when it ends, or undefined after
   * starting a hop through the microtask queue (`afterHop` then carries on).
   */
  private runEvents(run: ActiveRun): RunOutcome | undefined {
    const queue = this.queue;
    while (true) {
      if (run.eventsRun >= run.maxEvents) return { reason: 'max-events', eventsRun: run.eventsRun };
      const ev = queue.peek();
      if (ev === undefined) {
        if (run.untilUs !== Number.POSITIVE_INFINITY)
          this.nowUs = Math.max(this.nowUs, run.untilUs);
        return { reason: 'idle', eventsRun: run.eventsRun };
      }
      if (ev.timeUs > run.untilUs) {
        this.nowUs = run.untilUs;
        return { reason: 'until', eventsRun: run.eventsRun };
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
      run.eventsRun++;
      this.eventsTotal++;
      const activityBefore = activity;
      const result = fn();
      if (result instanceof Promise) result.then(undefined, this.failHandler);
      if (activity !== activityBefore) {
        this.hop(run);
        return undefined;
      }
      const end = this.endEvent(run);
      if (end !== undefined) return end;
      if (run.sinceHostTurn === 0) {
        setImmediate(run.proceed);
        return undefined;
      }
    }
  }

  /**
   * Drains the microtask queue, one hop at a time. The queue is FIFO: when a hop (a callback
   * on a settled promise) runs, every job queued before it has run. If no other job ran in
   * between, nothing is queued behind it either, so the queue is empty; else those jobs may
   * have queued more, and it hops again. Core code queues microtasks only through promises
   * (the rules test forbids queueMicrotask and process.nextTick there). Hops are callbacks
   * made once per run, not `await`s: an await costs a few closures and promises each time.
   */
  private hop(run: ActiveRun): void {
    run.jobsBefore = jobs;
    void SETTLED.then(run.afterHop);
  }

  private afterHop(run: ActiveRun): void {
    if (jobs - run.jobsBefore !== 1) {
      this.hop(run);
      return;
    }
    try {
      const end = this.endEvent(run);
      if (end !== undefined) run.resolve(end);
      else if (run.sinceHostTurn === 0) setImmediate(run.proceed);
      else this.proceed(run);
    } catch (e) {
      run.reject(e);
    }
  }

  /**
   * After an event has settled: rethrows async failures, checks `stopWhen`, and counts events
   * towards the next host turn (`run.sinceHostTurn` is 0 when one is due).
   */
  private endEvent(run: ActiveRun): RunOutcome | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (run.stopWhen !== undefined && run.stopWhen()) {
      return { reason: 'stopped', eventsRun: run.eventsRun };
    }
    if (++run.sinceHostTurn >= EVENTS_PER_HOST_TURN) run.sinceHostTurn = 0;
    return undefined;
  }
}

/** The state of one `run` call. */
interface ActiveRun {
  readonly untilUs: number;
  readonly maxEvents: number;
  readonly stopWhen: (() => boolean) | undefined;
  eventsRun: number;
  /** Events since the host last had a macrotask turn; 0 when one is due. */
  sinceHostTurn: number;
  /** `jobs` when the current hop was queued. */
  jobsBefore: number;
  readonly resolve: (outcome: RunOutcome) => void;
  readonly reject: (error: unknown) => void;
  readonly afterHop: () => void;
  readonly proceed: () => void;
}
