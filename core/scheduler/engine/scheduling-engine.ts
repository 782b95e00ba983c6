/**
 * The scheduling algorithm as a synchronous library: queue + cache + one framework per
 * profile, fed informer-style events, deciding one pod per scheduleOne() call
 * (pkg/scheduler/schedule_one.go ScheduleOne, schedulingCycle, bindingCycle,
 * handleSchedulingFailure; eventhandlers.go). No network: effects leave through
 * SchedulerActions, time through the Clock port, randomness through the Random port.
 *
 * A caller (the Scheduler process, or a benchmark) loops:
 *   const d = engine.scheduleOne();            // scheduling cycle, synchronous
 *   if (d?.kind === 'assumed') await engine.runBindingCycle(d);   // binding cycle
 *   if (d?.kind === 'failed') report d.condition / d.message to the API server
 */
import type { Node } from '../../api/node-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { OtherEventResource } from '../framework/cluster-event.ts';
import { DEFAULT_SCHEDULER_NAME } from '../../api/defaults.ts';
import { assertNever } from '../../util/assert.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Random } from '../../ports/random.ts';
import { SchedulerCache, type CacheOptions } from '../cache/cache.ts';
import { Snapshot } from '../cache/snapshot.ts';
import {
  DEFAULT_QUEUE_OPTIONS,
  SchedulingQueue,
  type QueueOptions,
} from '../queue/scheduling-queue.ts';
import {
  ActionType,
  EVENT_ASSIGNED_POD_DELETE,
  nodeUpdateActions,
  podUpdateActions,
  type ClusterEventWithHint,
} from '../framework/cluster-event.ts';
import { CycleState } from '../framework/cycle-state.ts';
import { ExplainCollector, type ExplainedOutcome, type Explainer } from '../framework/explain.ts';
import type { FitError } from '../framework/fit-error.ts';
import { Framework } from '../framework/framework.ts';
import type { SchedulerActions } from '../framework/interface.ts';
import { EMPTY_CLUSTER_LISTERS, type ClusterListers } from '../framework/listers.ts';
import { podKey } from '../framework/pod-info.ts';
import type { Registry, ResolvedProfile } from '../framework/profile.ts';
import type { QueuedPodInfo } from '../framework/queued-pod-info.ts';
import { PodScheduler, type ScheduleResult } from '../framework/schedule-pod.ts';
import { isRejected, Status, type MaybeStatus } from '../framework/status.ts';

/** validation.NoteLengthLimit: event and condition messages are cut to this length. */
export const NOTE_LENGTH_LIMIT = 1024;

export interface EngineOptions {
  readonly profiles: readonly ResolvedProfile[];
  readonly registry: Registry;
  readonly clock: Clock;
  readonly random: Random;
  readonly actions: SchedulerActions;
  readonly listers?: ClusterListers;
  /** Which attempts to explain, and where explanations go; none when absent. */
  readonly explainer?: Explainer;
  readonly queue?: QueueOptions;
  readonly cache?: CacheOptions;
}

/** A pod assumed onto a node; the binding cycle is still to run. */
export interface AssumedDecision {
  readonly kind: 'assumed';
  readonly qpi: QueuedPodInfo;
  readonly fwk: Framework;
  readonly state: CycleState;
  readonly result: ScheduleResult;
  readonly podSchedulingCycle: number;
}

/** The attempt failed; the pod is back in the queue. The caller reports it to the API server. */
export interface FailedDecision {
  readonly kind: 'failed';
  readonly qpi: QueuedPodInfo;
  readonly fwk: Framework;
  /** 'Unschedulable' when plugins rejected the pod, 'SchedulerError' otherwise. */
  readonly reason: 'Unschedulable' | 'SchedulerError';
  /** The PodScheduled=False message and the FailedScheduling event message (truncated). */
  readonly message: string;
  readonly fitError: FitError | undefined;
  /** A new status.nominatedNodeName ("" clears it), or undefined to leave it. */
  readonly nominatedNodeName: string | undefined;
}

/** The pod was popped but not tried (being deleted, already assumed, no profile). */
export interface SkippedDecision {
  readonly kind: 'skipped';
  readonly qpi: QueuedPodInfo;
}

export type Decision = AssumedDecision | FailedDecision | SkippedDecision;

/**
 * The work of a scheduling cycle, the unit the CPU cost model charges it by: nodes the filters
 * ran on plus nodes scored.
 */
export function nodesTried(d: AssumedDecision | FailedDecision): number {
  switch (d.kind) {
    case 'assumed':
      return d.result.evaluatedNodes + d.result.feasibleNodes;
    case 'failed':
      return d.fitError?.diagnosis.nodeToStatus.size ?? 0;
    default:
      return assertNever(d);
  }
}

export type BindingOutcome =
  | { readonly kind: 'bound'; readonly nodeName: string }
  | { readonly kind: 'failed'; readonly failure: FailedDecision };

export class SchedulingEngine {
  readonly cache: SchedulerCache;
  readonly snapshot = new Snapshot();
  readonly queue: SchedulingQueue;
  readonly frameworks = new Map<string, Framework>();
  private readonly algorithm: PodScheduler;
  private readonly clock: Clock;
  private readonly explainer: Explainer | undefined;

  constructor(opts: EngineOptions) {
    this.clock = opts.clock;
    this.explainer = opts.explainer;
    this.cache = new SchedulerCache(opts.cache);
    const listers = opts.listers ?? EMPTY_CLUSTER_LISTERS;
    const nominatorRef: { q?: SchedulingQueue } = {};
    const nominator = {
      get isEmpty(): boolean {
        return nominatorRef.q?.nominator.isEmpty ?? true;
      },
      nominatedPodsForNode: (n: string) => nominatorRef.q?.nominator.nominatedPodsForNode(n) ?? [],
    };
    for (const profile of opts.profiles) {
      const fwk = new Framework(profile, opts.registry, {
        snapshot: this.snapshot,
        listers,
        nominator,
        clock: opts.clock,
        random: opts.random.fork(`profile/${profile.schedulerName}`),
        actions: opts.actions,
      });
      this.frameworks.set(profile.schedulerName, fwk);
    }
    const first = this.frameworks.values().next().value;
    if (first === undefined) throw new Error('SchedulingEngine: at least one profile is required');
    const events = new Map<string, readonly ClusterEventWithHint[]>();
    for (const fwk of this.frameworks.values())
      for (const [k, v] of fwk.eventsToRegister()) events.set(k, v);
    this.queue = new SchedulingQueue(
      opts.clock,
      {
        // Upstream requires every profile to use the same QueueSort; the first one's orders all.
        less: (a, b) => first.queueSortPlugin.less(a, b),
        preEnqueue: (pi) => this.frameworkFor(pi.pod)?.runPreEnqueuePlugins(pi),
        events,
      },
      opts.queue ?? DEFAULT_QUEUE_OPTIONS,
    );
    nominatorRef.q = this.queue;
    this.algorithm = new PodScheduler(opts.random.fork('select-host'), this.snapshot);
  }

  frameworkFor(pod: Pod): Framework | undefined {
    return this.frameworks.get(pod.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME);
  }

  /** Is this pod for one of our profiles and still to be scheduled? */
  responsibleFor(pod: Pod): boolean {
    return this.frameworkFor(pod) !== undefined;
  }

  // ---- informer events (eventhandlers.go) ----------------------------------------------------

  onNodeAdd(node: Node): void {
    this.cache.addNode(node);
    this.queue.moveAllToActiveOrBackoffQueue(
      { resource: 'Node', actionType: ActionType.Add },
      undefined,
      node,
    );
  }

  onNodeUpdate(oldNode: Node, newNode: Node): void {
    this.cache.updateNode(newNode);
    const actions = nodeUpdateActions(oldNode, newNode);
    if (actions !== 0)
      this.queue.moveAllToActiveOrBackoffQueue(
        { resource: 'Node', actionType: actions },
        oldNode,
        newNode,
      );
  }

  onNodeDelete(node: Node): void {
    this.cache.removeNode(node);
    // Fewer domains can satisfy spreading (minDomains, skew against an emptied domain).
    this.queue.moveAllToActiveOrBackoffQueue(
      { resource: 'Node', actionType: ActionType.Delete },
      node,
      undefined,
    );
  }

  onPodAdd(pod: Pod): void {
    if (isAssigned(pod)) {
      if (isTerminal(pod)) return;
      this.cache.addPod(pod);
      this.queue.moveAllToActiveOrBackoffQueue(
        { resource: 'AssignedPod', actionType: ActionType.Add },
        undefined,
        pod,
      );
      return;
    }
    if (this.responsibleFor(pod) && !isTerminal(pod)) this.queue.add(pod);
  }

  onPodUpdate(oldPod: Pod, newPod: Pod): void {
    if (isAssigned(newPod)) {
      if (!isAssigned(oldPod)) {
        // The binding was observed: the pod leaves the queue and is confirmed in the cache.
        this.queue.delete(oldPod);
        if (isTerminal(newPod)) {
          this.cache.removePod(newPod);
          return;
        }
        this.cache.addPod(newPod);
        this.queue.moveAllToActiveOrBackoffQueue(
          { resource: 'AssignedPod', actionType: ActionType.Add },
          undefined,
          newPod,
        );
        return;
      }
      if (isTerminal(newPod)) {
        this.onPodDelete(oldPod);
        return;
      }
      this.cache.updatePod(newPod);
      this.queue.moveAllToActiveOrBackoffQueue(
        { resource: 'AssignedPod', actionType: podUpdateActions(oldPod, newPod) },
        oldPod,
        newPod,
      );
      return;
    }
    if (!this.responsibleFor(newPod) || isTerminal(newPod)) {
      this.queue.delete(newPod);
      return;
    }
    this.queue.update(oldPod, newPod);
  }

  onPodDelete(pod: Pod): void {
    if (isAssigned(pod) || this.cache.nodeOf(pod) !== undefined) {
      this.cache.removePod(pod);
      for (const fwk of this.frameworks.values())
        fwk.rejectWaitingPod(podKey(pod), '', 'pod deleted');
      this.queue.moveAllToActiveOrBackoffQueue(EVENT_ASSIGNED_POD_DELETE, pod, undefined);
      if (isAssigned(pod)) return;
    }
    this.queue.delete(pod);
  }

  /** Another object a plugin registered for changed (PodDisruptionBudget, Namespace, ...). */
  onOtherEvent(
    resource: OtherEventResource,
    actionType: number,
    oldObj: unknown,
    newObj: unknown,
  ): void {
    this.queue.moveAllToActiveOrBackoffQueue({ resource, actionType }, oldObj, newObj);
  }

  // ---- periodic work ---------------------------------------------------------------------------

  /** Every second: backoff expiries (and assumed-pod expiry, as upstream's 1 s cleanup period). */
  tickSecond(): void {
    this.queue.flushBackoffCompleted();
    const expired = this.cache.cleanupExpiredAssumedPods(this.clock.now());
    if (expired.length > 0)
      for (const p of expired)
        this.queue.moveAllToActiveOrBackoffQueue(EVENT_ASSIGNED_POD_DELETE, p, undefined);
  }

  /** Every 30 s: retry pods left unschedulable too long. */
  tickUnschedulableFlush(): void {
    this.queue.flushUnschedulableLeftover();
  }

  // ---- the scheduling cycle ------------------------------------------------------------------

  /** Pops one pod and runs its scheduling cycle; undefined when activeQ is empty. */
  scheduleOne(): Decision | undefined {
    const qpi = this.queue.pop();
    if (qpi === undefined) return undefined;
    const pod = qpi.podInfo.pod;
    const fwk = this.frameworkFor(pod);
    if (
      fwk === undefined ||
      pod.metadata.deletionTimestamp !== undefined ||
      this.cache.isAssumed(pod)
    ) {
      this.queue.done(qpi.key);
      return { kind: 'skipped', qpi };
    }
    // Looked up once per attempt: unexplained attempts pass no collector down.
    const explainer = this.explainer;
    const pi = qpi.podInfo;
    const explain =
      explainer !== undefined && explainer.wants(pi.namespace, pi.name)
        ? new ExplainCollector()
        : undefined;
    const d = this.schedulingCycle(qpi, fwk, explain);
    if (explain !== undefined)
      explainer?.record(
        explain.finish(`${pi.namespace}/${pi.name}`, qpi.attempts, explainedOutcome(d)),
      );
    return d;
  }

  private schedulingCycle(
    qpi: QueuedPodInfo,
    fwk: Framework,
    explain: ExplainCollector | undefined,
  ): AssumedDecision | FailedDecision {
    const pod = qpi.podInfo.pod;
    const podSchedulingCycle = this.queue.schedulingCycle;
    this.cache.updateSnapshot(this.snapshot);
    const state = new CycleState();
    const outcome = this.algorithm.schedulePod(fwk, state, qpi.podInfo, explain);
    switch (outcome.kind) {
      case 'noNodes':
        return this.fail(fwk, qpi, podSchedulingCycle, outcome.status, undefined, '');
      case 'error':
        return this.fail(fwk, qpi, podSchedulingCycle, outcome.status, undefined, '');
      case 'unschedulable': {
        const fitError = outcome.fitError;
        let nominated: string | undefined = '';
        if (fwk.hasPostFilterPlugins()) {
          const pf = fwk.runPostFilterPlugins(state, qpi.podInfo, fitError.diagnosis.nodeToStatus);
          fitError.diagnosis.postFilterMsg = pf.status?.message() ?? '';
          nominated = pf.result?.mode === 'Override' ? pf.result.nominatedNodeName : undefined;
        }
        const s = Status.unschedulable(fitError.message());
        return this.fail(fwk, qpi, podSchedulingCycle, s, fitError, nominated);
      }
      case 'scheduled':
        break;
    }
    const host = outcome.result.suggestedHost;
    this.cache.assumePod(pod, host);
    this.queue.nominator.delete(qpi.key);
    const rs = fwk.runReservePluginsReserve(state, qpi.podInfo, host);
    if (rs !== undefined) {
      fwk.runReservePluginsUnreserve(state, qpi.podInfo, host);
      this.cache.forgetPod(pod);
      return this.fail(fwk, qpi, podSchedulingCycle, rs, undefined, '');
    }
    const ps = fwk.runPermitPlugins(state, qpi.podInfo, host);
    if (ps !== undefined && ps.code !== 'Wait') {
      fwk.runReservePluginsUnreserve(state, qpi.podInfo, host);
      this.cache.forgetPod(pod);
      return this.fail(fwk, qpi, podSchedulingCycle, ps, undefined, '');
    }
    return { kind: 'assumed', qpi, fwk, state, result: outcome.result, podSchedulingCycle };
  }

  /**
   * WaitOnPermit, PreBind, Bind, PostBind. On failure the reservation is undone, the
   * assumption forgotten (an AssignedPod delete for the other pods) and the pod requeued.
   */
  async runBindingCycle(d: AssumedDecision): Promise<BindingOutcome> {
    const { fwk, state, qpi } = d;
    const host = d.result.suggestedHost;
    const pi = qpi.podInfo;
    // Awaits only when there is something to wait for: most pods go straight to Bind.
    let s: MaybeStatus =
      fwk.getWaitingPod(pi.key) === undefined ? undefined : await fwk.waitOnPermit(pi);
    if (s === undefined && fwk.preBindPlugins.length > 0 && fwk.preBindNeeded(state, pi, host))
      s = await fwk.runPreBindPlugins(state, pi, host);
    if (s === undefined) {
      s = await fwk.runBindPlugins(state, pi, host);
      this.cache.finishBinding(pi.pod, this.clock.now());
    }
    if (s === undefined) {
      this.queue.done(qpi.key);
      fwk.runPostBindPlugins(state, pi, host);
      return { kind: 'bound', nodeName: host };
    }
    fwk.runReservePluginsUnreserve(state, pi, host);
    this.cache.forgetPod(pi.pod);
    this.queue.moveAllToActiveOrBackoffQueue(
      EVENT_ASSIGNED_POD_DELETE,
      pi.pod,
      undefined,
      (p) => podKey(p) !== qpi.key,
    );
    return { kind: 'failed', failure: this.fail(fwk, qpi, d.podSchedulingCycle, s, undefined, '') };
  }

  private fail(
    fwk: Framework,
    qpi: QueuedPodInfo,
    podSchedulingCycle: number,
    status: Status,
    fitError: FitError | undefined,
    nominatedNodeName: string | undefined,
  ): FailedDecision {
    const rejected = isRejected(status);
    qpi.unschedulablePlugins =
      fitError?.diagnosis.unschedulablePlugins ??
      (rejected && status.plugin !== '' ? new Set([status.plugin]) : new Set());
    qpi.lastFailureWasError = !rejected;
    this.queue.addUnschedulableIfNotPresent(qpi, podSchedulingCycle);
    if (nominatedNodeName !== undefined) this.queue.nominator.add(qpi.podInfo, nominatedNodeName);
    const message = truncate(status.message());
    return {
      kind: 'failed',
      qpi,
      fwk,
      reason: rejected ? 'Unschedulable' : 'SchedulerError',
      message,
      fitError,
      nominatedNodeName,
    };
  }

  /** Pods the engine is waiting to schedule, by queue. */
  pending(): ReturnType<SchedulingQueue['pending']> {
    return this.queue.pending();
  }
}

function explainedOutcome(d: AssumedDecision | FailedDecision): ExplainedOutcome {
  return d.kind === 'assumed'
    ? { kind: 'Scheduled', node: d.result.suggestedHost }
    : { kind: d.reason, node: undefined, message: d.message };
}

function isAssigned(pod: Pod): boolean {
  return pod.spec.nodeName !== undefined && pod.spec.nodeName !== '';
}

function isTerminal(pod: Pod): boolean {
  const p = pod.status?.phase;
  return p === 'Succeeded' || p === 'Failed';
}

function truncate(msg: string): string {
  if (msg.length <= NOTE_LENGTH_LIMIT) return msg;
  const suffix = ' ...';
  return msg.slice(0, NOTE_LENGTH_LIMIT - suffix.length) + suffix;
}
