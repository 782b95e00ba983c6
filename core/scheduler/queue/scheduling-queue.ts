/**
 * The scheduling queue (pkg/scheduler/backend/queue/scheduling_queue.go PriorityQueue):
 *
 * - activeQ: pods ready to be tried, ordered by the QueueSort plugin;
 * - backoffQ: pods that failed recently, ordered by when their backoff ends
 *   (1 s doubling per attempt up to 10 s);
 * - unschedulable pool: pods rejected by some plugins, waiting for a cluster event one of
 *   those plugins registered; pods gated by PreEnqueue (spec.schedulingGates) wait here too.
 *
 * The queue never blocks and owns no timers: the host calls flushBackoffCompleted every second
 * and flushUnschedulableLeftover every 30 s (upstream's periods), and pop() returns undefined
 * when nothing is ready. `onReady` tells a waiting scheduler loop that activeQ got a pod.
 */
import type { Pod } from '../../api/pod-types.ts';
import type { Clock } from '../../ports/clock.ts';
import {
  eventMatches,
  type ClusterEvent,
  type ClusterEventWithHint,
} from '../framework/cluster-event.ts';
import { cachedPodInfo, podInfoOf, podKey, type PodInfo } from '../framework/pod-info.ts';
import { QueuedPodInfo } from '../framework/queued-pod-info.ts';
import type { MaybeStatus } from '../framework/status.ts';
import { backoffDurationUs } from './backoff.ts';
import { KeyedHeap } from './heap.ts';
import { Nominator } from './nominator.ts';

export interface QueueOptions {
  readonly podInitialBackoffUs: number;
  readonly podMaxBackoffUs: number;
  /** How long a pod may sit in the unschedulable pool before the leftover flush retries it. */
  readonly podMaxInUnschedulablePodsDurationUs: number;
}

/** KubeSchedulerConfiguration defaults: 1 s, 10 s; scheduling_queue.go: 5 min. */
export const DEFAULT_QUEUE_OPTIONS: QueueOptions = {
  podInitialBackoffUs: 1_000_000,
  podMaxBackoffUs: 10_000_000,
  podMaxInUnschedulablePodsDurationUs: 5 * 60 * 1_000_000,
};

export interface QueueHooks {
  readonly less: (a: QueuedPodInfo, b: QueuedPodInfo) => boolean;
  /** PreEnqueue plugins of the pod's profile. */
  readonly preEnqueue: (pod: PodInfo) => MaybeStatus;
  /** Plugin name -> events it registered, across profiles. */
  readonly events: ReadonlyMap<string, readonly ClusterEventWithHint[]>;
}

export interface PendingPods {
  readonly active: number;
  readonly backoff: number;
  readonly unschedulable: number;
  readonly gated: number;
}

export class SchedulingQueue {
  private readonly activeQ: KeyedHeap<QueuedPodInfo>;
  private readonly backoffQ: KeyedHeap<QueuedPodInfo>;
  private readonly unschedulable = new Map<string, QueuedPodInfo>();
  /** Popped and not yet back in a queue or done. */
  private readonly inFlight = new Map<string, QueuedPodInfo>();
  readonly nominator = new Nominator();
  /** Bumped by every pop. */
  schedulingCycle = 0;
  /** The cycle in which the last move request happened (lost-wakeup guard). */
  private moveRequestCycle = -1;
  private seq = 0;
  onReady: (() => void) | undefined = undefined;

  constructor(
    private readonly clock: Clock,
    private readonly hooks: QueueHooks,
    private readonly options: QueueOptions = DEFAULT_QUEUE_OPTIONS,
  ) {
    this.activeQ = new KeyedHeap((q) => q.key, hooks.less);
    this.backoffQ = new KeyedHeap(
      (q) => q.key,
      (a, b) => {
        const ea = this.backoffExpiryUs(a);
        const eb = this.backoffExpiryUs(b);
        return ea !== eb ? ea < eb : hooks.less(a, b);
      },
    );
  }

  // ---- adding and popping --------------------------------------------------------------------

  /** A new unscheduled pod (informer add). */
  add(pod: Pod): void {
    const pi = podInfoOf(pod);
    if (this.contains(pi.key)) {
      this.update(pod, pod);
      return;
    }
    const q = new QueuedPodInfo(pi, this.clock.now());
    q.seq = this.seq++;
    this.nominator.add(pi);
    this.moveToActiveOrGate(q);
  }

  /** The next pod to try, or undefined when activeQ is empty. */
  pop(): QueuedPodInfo | undefined {
    const q = this.activeQ.pop();
    if (q === undefined) return undefined;
    q.attempts++;
    q.initialAttemptTimestampUs ??= this.clock.now();
    this.schedulingCycle++;
    this.inFlight.set(q.key, q);
    return q;
  }

  /**
   * A tried pod failed. Rejected pods wait in the unschedulable pool for an event, unless an
   * event already arrived during their cycle (then backoff); errors always go to backoff.
   */
  addUnschedulableIfNotPresent(q: QueuedPodInfo, podSchedulingCycle: number): void {
    const wasInFlight = this.inFlight.delete(q.key);
    if (
      !wasInFlight ||
      this.activeQ.has(q.key) ||
      this.backoffQ.has(q.key) ||
      this.unschedulable.has(q.key)
    )
      return;
    q.timestampUs = this.clock.now();
    q.seq = this.seq++;
    q.lastFailureUs = q.timestampUs;
    if (
      q.lastFailureWasError ||
      this.moveRequestCycle >= podSchedulingCycle ||
      q.unschedulablePlugins.size === 0
    )
      this.backoffQ.addOrUpdate(q);
    else this.unschedulable.set(q.key, q);
  }

  /** The pod's cycle ended without it returning to the queue (bound, or skipped). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /** Unscheduled pod updated (informer). */
  update(oldPod: Pod, newPod: Pod): void {
    const pi = podInfoOf(newPod, cachedPodInfo(oldPod));
    const key = pi.key;
    const inActive = this.activeQ.get(key);
    if (inActive !== undefined) {
      inActive.podInfo = pi;
      this.activeQ.addOrUpdate(inActive);
      this.nominator.update(pi);
      return;
    }
    const inBackoff = this.backoffQ.get(key);
    if (inBackoff !== undefined) {
      inBackoff.podInfo = pi;
      this.backoffQ.addOrUpdate(inBackoff);
      this.nominator.update(pi);
      return;
    }
    const waiting = this.unschedulable.get(key);
    if (waiting !== undefined) {
      waiting.podInfo = pi;
      this.nominator.update(pi);
      if (waiting.gatingPlugin !== undefined) {
        this.unschedulable.delete(key);
        this.moveToActiveOrGate(waiting);
        return;
      }
      if (specChanged(oldPod, newPod)) {
        this.unschedulable.delete(key);
        this.requeue(waiting);
      }
      return;
    }
    const flying = this.inFlight.get(key);
    if (flying !== undefined) {
      flying.podInfo = pi;
      this.nominator.update(pi);
      // The pod changed while being tried: retry after backoff rather than wait for an event.
      if (specChanged(oldPod, newPod)) this.moveRequestCycle = this.schedulingCycle;
      return;
    }
    this.add(newPod);
  }

  delete(pod: Pod): void {
    const key = podKey(pod);
    this.activeQ.delete(key);
    this.backoffQ.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
    this.nominator.delete(key);
  }

  /** Moves the given pods to activeQ at once (PodsToActivate, preemption errors). */
  activate(pods: readonly Pod[]): void {
    for (const pod of pods) {
      const key = podKey(pod);
      const q = this.unschedulable.get(key) ?? this.backoffQ.get(key);
      if (q === undefined || q.gatingPlugin !== undefined) continue;
      this.unschedulable.delete(key);
      this.backoffQ.delete(key);
      this.pushActive(q);
    }
  }

  // ---- events --------------------------------------------------------------------------------

  /**
   * A cluster event happened: pods in the unschedulable pool whose rejecting plugins
   * registered it (and whose hint says Queue) go to backoffQ or activeQ.
   */
  moveAllToActiveOrBackoffQueue(
    event: ClusterEvent,
    oldObj: unknown,
    newObj: unknown,
    preCheck?: (pod: Pod) => boolean,
  ): void {
    const moved: QueuedPodInfo[] = [];
    for (const q of this.unschedulable.values()) {
      if (q.gatingPlugin !== undefined) continue;
      if (preCheck !== undefined && !preCheck(q.podInfo.pod)) continue;
      if (this.interested(q, event, oldObj, newObj)) moved.push(q);
    }
    for (const q of moved) {
      this.unschedulable.delete(q.key);
      this.requeue(q);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Backoff over: backoffQ -> activeQ (every second). */
  flushBackoffCompleted(): void {
    const now = this.clock.now();
    for (;;) {
      const q = this.backoffQ.peek();
      if (q === undefined || this.backoffExpiryUs(q) > now) return;
      this.backoffQ.pop();
      this.pushActive(q);
    }
  }

  /** Pods unschedulable for too long are retried (every 30 s). */
  flushUnschedulableLeftover(): void {
    const now = this.clock.now();
    const stale = [...this.unschedulable.values()].filter(
      (q) =>
        q.gatingPlugin === undefined &&
        now - q.timestampUs > this.options.podMaxInUnschedulablePodsDurationUs,
    );
    for (const q of stale) {
      this.unschedulable.delete(q.key);
      this.requeue(q);
    }
    if (stale.length > 0) this.moveRequestCycle = this.schedulingCycle;
  }

  // ---- introspection -------------------------------------------------------------------------

  pending(): PendingPods {
    let gated = 0;
    for (const q of this.unschedulable.values()) if (q.gatingPlugin !== undefined) gated++;
    return {
      active: this.activeQ.size,
      backoff: this.backoffQ.size,
      unschedulable: this.unschedulable.size - gated,
      gated,
    };
  }

  /** Where a pod is: 'active' | 'backoff' | 'unschedulable' | 'gated' | 'inFlight' | undefined. */
  whereIs(key: string): string | undefined {
    if (this.activeQ.has(key)) return 'active';
    if (this.backoffQ.has(key)) return 'backoff';
    const u = this.unschedulable.get(key);
    if (u !== undefined) return u.gatingPlugin !== undefined ? 'gated' : 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  contains(key: string): boolean {
    return this.whereIs(key) !== undefined;
  }

  /** When the pod's current backoff ends, µs. */
  backoffExpiryUs(q: QueuedPodInfo): number {
    return (
      q.lastFailureUs +
      backoffDurationUs(q.attempts, this.options.podInitialBackoffUs, this.options.podMaxBackoffUs)
    );
  }

  // ---- internals -----------------------------------------------------------------------------

  private interested(
    q: QueuedPodInfo,
    event: ClusterEvent,
    oldObj: unknown,
    newObj: unknown,
  ): boolean {
    if (q.unschedulablePlugins.size === 0) return true;
    for (const plugin of q.unschedulablePlugins) {
      for (const reg of this.hooks.events.get(plugin) ?? []) {
        if (!eventMatches(reg.event, event)) continue;
        if (reg.hint === undefined || reg.hint(q.podInfo.pod, oldObj, newObj) === 'Queue')
          return true;
      }
    }
    return false;
  }

  private requeue(q: QueuedPodInfo): void {
    if (q.attempts > 0 && this.backoffExpiryUs(q) > this.clock.now()) this.backoffQ.addOrUpdate(q);
    else this.pushActive(q);
  }

  private moveToActiveOrGate(q: QueuedPodInfo): void {
    const s = this.hooks.preEnqueue(q.podInfo);
    if (s !== undefined && s.code !== 'Success') {
      q.gatingPlugin = s.plugin === '' ? 'PreEnqueue' : s.plugin;
      this.unschedulable.set(q.key, q);
      return;
    }
    q.gatingPlugin = undefined;
    this.pushActive(q);
  }

  private pushActive(q: QueuedPodInfo): void {
    this.activeQ.addOrUpdate(q);
    this.onReady?.();
  }
}

/** isPodUpdated: a change beyond status and bookkeeping metadata. */
function specChanged(oldPod: Pod, newPod: Pod): boolean {
  if (oldPod === newPod) return false;
  const strip = (p: Pod): string =>
    JSON.stringify({
      spec: p.spec,
      labels: p.metadata.labels,
      annotations: p.metadata.annotations,
    });
  return strip(oldPod) !== strip(newPod);
}
