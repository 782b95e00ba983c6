/**
 * One priority level's queues and seats: fair queuing for server requests
 * (k8s.io/apiserver/pkg/util/flowcontrol/fairqueuing/queueset/queueset.go). A request is dealt
 * to the least loaded queue of its flow's hand, waits there, and is dispatched when a seat is
 * free from the queue whose oldest request would finish first in virtual time R, which advances
 * at the rate each active queue would be served at: min(seats asked, seats) / active queues.
 * Every request here is one seat wide and costs G = 3 s of work up front; its queue is credited
 * back with what it did not use when it finishes, as upstream does.
 */
import type { Clock, Micros, TimerId } from '../../ports/clock.ts';
import { assert } from '../../util/assert.ts';
import { dealHand } from './shuffle-shard.ts';
import type { QueuingConfig } from './config.ts';

/** upstream's estimatedServiceDuration, G: the work a request is charged when dispatched. */
export const ESTIMATED_SERVICE_US = 3_000_000;

export type RejectReason = 'queue-full' | 'concurrency-limit' | 'time-out' | 'cancelled';

/** Why a request was let through or turned away, and how long it waited. */
export type Decision =
  | { readonly kind: 'execute'; readonly waitedUs: Micros; readonly finish: () => void }
  | { readonly kind: 'reject'; readonly reason: RejectReason; readonly waitedUs: Micros };

/** A request waiting in a queue: its decision comes later, unless cancelled first. */
export interface Queued {
  readonly kind: 'queued';
  readonly decision: Promise<Decision>;
  /** The client went away: leave the queue (a no-op once decided). */
  cancel(): void;
}

export type Admission = Decision | Queued;

export interface QueueSetConfig {
  readonly name: string;
  /** Seats: at most this many requests execute at once. */
  readonly concurrencyLimit: number;
  /** Absent: no queues, a request over the limit is rejected at once (limitResponse Reject). */
  readonly queuing?: QueuingConfig;
  /** How long a request may wait in its queue before it is rejected. */
  readonly waitLimitUs: Micros;
}

type QueueClock = Pick<Clock, 'monotonicNow' | 'setTimer' | 'cancelTimer'>;

interface Waiting {
  readonly queue: Queue;
  readonly arrivalUs: Micros;
  /** R when the request arrived: its queue is never dispatched from before it. */
  readonly arrivalR: number;
  /** Decided before anyone waited for it (dispatched as it was enqueued). */
  decided: Decision | undefined;
  resolve: ((d: Decision) => void) | undefined;
  timer: TimerId | undefined;
}

function decide(request: Waiting, decision: Decision): void {
  if (request.resolve === undefined) request.decided = decision;
  else request.resolve(decision);
}

class Queue {
  readonly waiting: Waiting[] = [];
  nextDispatchR = 0;
  seatsInUse = 0;
  executing = 0;

  get active(): boolean {
    return this.waiting.length > 0 || this.executing > 0;
  }
}

/** A request's width, in seats, and its work, in seat-microseconds of R. */
const WIDTH = 1;
const WORK = WIDTH * ESTIMATED_SERVICE_US;

export class QueueSet {
  private readonly queues: Queue[];
  private readonly hands = new Map<bigint, readonly number[]>();
  private currentR = 0;
  private lastUs: Micros;
  private seatsInUse = 0;
  private waitingCount = 0;
  private activeQueues = 0;
  private robinIndex = -1;
  private enqueues = 0;

  constructor(
    readonly config: QueueSetConfig,
    private readonly clock: QueueClock,
  ) {
    assert(config.concurrencyLimit >= 1, `${config.name}: concurrency limit must be at least 1`);
    const queues = config.queuing?.queues ?? 0;
    this.queues = Array.from({ length: queues }, () => new Queue());
    this.lastUs = clock.monotonicNow();
  }

  get executingSeats(): number {
    return this.seatsInUse;
  }

  get waitingRequests(): number {
    return this.waitingCount;
  }

  /**
   * Admits a request of the flow with hash `flowHash`: it executes at once when seats are free
   * and nobody waits, is queued, or is rejected when its queue is full and no seat is free.
   */
  start(flowHash: bigint): Admission {
    this.syncTime();
    const queuing = this.config.queuing;
    if (queuing === undefined || this.queues.length === 0) {
      if (this.seatsInUse + WIDTH > this.config.concurrencyLimit) {
        return { kind: 'reject', reason: 'concurrency-limit', waitedUs: 0 };
      }
      return this.executeUnqueued();
    }
    const queue = this.queues[this.chooseQueue(flowHash, queuing)] as Queue;
    if (
      this.seatsInUse >= this.config.concurrencyLimit &&
      queue.waiting.length >= queuing.queueLengthLimit
    ) {
      return { kind: 'reject', reason: 'queue-full', waitedUs: 0 };
    }
    const request = this.enqueue(queue);
    this.dispatchAsMuchAsPossible();
    // Dispatched at once (seats were free): no promise, no event-loop hop.
    if (request.decided !== undefined) return request.decided;
    request.timer = this.clock.setTimer(this.config.waitLimitUs, () => {
      request.timer = undefined;
      this.leaveQueue(request, 'time-out');
    });
    const decision = new Promise<Decision>((resolve) => (request.resolve = resolve));
    return { kind: 'queued', decision, cancel: () => this.leaveQueue(request, 'cancelled') };
  }

  /** shuffleShardLocked: the queue of the hand with the least work waiting. */
  private chooseQueue(flowHash: bigint, queuing: QueuingConfig): number {
    let hand = this.hands.get(flowHash);
    if (hand === undefined) {
      hand = dealHand(flowHash, this.queues.length, queuing.handSize);
      // Flows come and go (one per user or namespace): a bounded memo, not a registry.
      if (this.hands.size >= MAX_REMEMBERED_HANDS) this.hands.clear();
      this.hands.set(flowHash, hand);
    }
    // Start from a different card each time, so flows with overlapping hands are not biased.
    const offset = this.enqueues % hand.length;
    this.enqueues++;
    let best = -1;
    let bestWork = Infinity;
    for (let i = 0; i < hand.length; i++) {
      const index = hand[(offset + i) % hand.length] as number;
      const work = (this.queues[index] as Queue).waiting.length * WORK;
      if (work < bestWork) {
        best = index;
        bestWork = work;
      }
    }
    return best;
  }

  private enqueue(queue: Queue): Waiting {
    if (!queue.active) {
      queue.nextDispatchR = this.currentR;
      this.activeQueues++;
    }
    const request: Waiting = {
      queue,
      arrivalUs: this.clock.monotonicNow(),
      arrivalR: this.currentR,
      decided: undefined,
      resolve: undefined,
      timer: undefined,
    };
    queue.waiting.push(request);
    this.waitingCount++;
    this.boundNextDispatch(queue);
    return request;
  }

  /** A waiting request gives up: timed out or cancelled. A no-op once it left its queue. */
  private leaveQueue(request: Waiting, reason: RejectReason): void {
    const queue = request.queue;
    const at = queue.waiting.indexOf(request);
    if (at < 0) return;
    this.syncTime();
    if (request.timer !== undefined) this.clock.cancelTimer(request.timer);
    queue.waiting.splice(at, 1);
    this.waitingCount--;
    if (!queue.active) this.activeQueues--;
    decide(request, {
      kind: 'reject',
      reason,
      waitedUs: this.clock.monotonicNow() - request.arrivalUs,
    });
  }

  private dispatchAsMuchAsPossible(): void {
    while (
      this.waitingCount > 0 &&
      this.seatsInUse < this.config.concurrencyLimit &&
      this.dispatchOne()
    );
  }

  /** findDispatchQueueToBoundLocked and dispatchLocked. */
  private dispatchOne(): boolean {
    const n = this.queues.length;
    let minQueue: Queue | undefined;
    let minIndex = -1;
    let minFinishR = Infinity;
    for (let k = 0; k < n; k++) {
      this.robinIndex = (this.robinIndex + 1) % n;
      const queue = this.queues[this.robinIndex] as Queue;
      if (queue.waiting.length === 0) continue;
      const finishR = queue.nextDispatchR + WORK;
      if (finishR < minFinishR) {
        minFinishR = finishR;
        minQueue = queue;
        minIndex = this.robinIndex;
      }
    }
    if (minQueue === undefined) return false;
    if (this.seatsInUse + WIDTH > this.config.concurrencyLimit) return false;
    const request = minQueue.waiting.shift() as Waiting;
    // The next round starts after the chosen queue: the others win ties.
    this.robinIndex = minIndex;
    this.waitingCount--;
    if (request.timer !== undefined) this.clock.cancelTimer(request.timer);
    minQueue.nextDispatchR += WORK;
    const waitedUs = this.clock.monotonicNow() - request.arrivalUs;
    decide(request, { kind: 'execute', waitedUs, finish: this.executing(minQueue) });
    this.boundNextDispatch(minQueue);
    return true;
  }

  private executeUnqueued(): Decision {
    return { kind: 'execute', waitedUs: 0, finish: this.executing(undefined) };
  }

  /** Takes a seat; the function that gives it back, once, however the request ended. */
  private executing(queue: Queue | undefined): () => void {
    const startUs = this.clock.monotonicNow();
    this.seatsInUse += WIDTH;
    if (queue !== undefined) {
      queue.seatsInUse += WIDTH;
      queue.executing++;
    }
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.finish(queue, startUs);
    };
  }

  /** finishRequestLocked: frees the seat, credits the queue what G overestimated, dispatches. */
  private finish(queue: Queue | undefined, startUs: Micros): void {
    this.syncTime();
    this.seatsInUse -= WIDTH;
    if (queue !== undefined) {
      queue.seatsInUse -= WIDTH;
      queue.executing--;
      if (!queue.active) this.activeQueues--;
      const servedUs = this.clock.monotonicNow() - startUs;
      queue.nextDispatchR -= WIDTH * (ESTIMATED_SERVICE_US - servedUs);
      this.boundNextDispatch(queue);
    }
    this.dispatchAsMuchAsPossible();
  }

  /** The anti-windup bound: a queue is never dispatched from before its oldest arrival in R. */
  private boundNextDispatch(queue: Queue): void {
    const oldest = queue.waiting[0];
    if (oldest !== undefined && queue.nextDispatchR < oldest.arrivalR) {
      queue.nextDispatchR = oldest.arrivalR;
    }
  }

  /** Advances R by the real time since the last sync at getVirtualTimeRatio's rate. */
  private syncTime(): void {
    const now = this.clock.monotonicNow();
    const elapsedUs = now - this.lastUs;
    this.lastUs = now;
    if (elapsedUs <= 0 || this.activeQueues === 0) return;
    const seatsAsked = this.seatsInUse + this.waitingCount * WIDTH;
    this.currentR +=
      (Math.min(seatsAsked, this.config.concurrencyLimit) / this.activeQueues) * elapsedUs;
  }
}

/** How many flows' hands a queue set remembers before it deals them afresh. */
const MAX_REMEMBERED_HANDS = 4096;
