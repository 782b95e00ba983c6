import type { Job } from '../../api/kinds/job.ts';
import {
  getControllerOf,
  isBeingDeleted,
  keyOf,
  newControllerRef,
  objectKey,
} from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { runWorker } from '../common/worker.ts';
import { EventRecorder } from '../common/events.ts';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_US } from '../common/expectations.ts';
import { POD_CONTROLLER_INDEX, podControllerIndex } from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../common/slow-start.ts';
import { type BackoffRecord, NO_BACKOFF, nextBackoff, remainingBackoffUs } from './backoff.ts';
import {
  hasBackoffLimitPerIndex,
  indexFailureAnnotations,
  isIndexFailed,
  podsWithDelayedDeletion,
  remainingIndexBackoffUs,
} from './backoff-per-index.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import { matchSuccessPolicy } from './success-policy.ts';
import { completionIndex, firstPendingIndexes, formatIndexes, parseIndexes } from './indexes.ts';
import { hasTrackingFinalizer, JOB_TRACKING_FINALIZER, podForJob, podOutcome } from './job-pods.ts';
import {
  type JobCondition,
  type JobStatus,
  isFinished,
  pastBackoffLimitOnFailure,
  setJobCondition,
} from './job-status.ts';

export interface JobControllerOptions {
  /** --concurrent-job-syncs. */
  readonly workers: number;
  /** MaxPodCreateDeletePerSync. */
  readonly maxPodCreateDeletePerSync: number;
}

export const DEFAULT_JOB_CONTROLLER: JobControllerOptions = {
  workers: 5,
  maxPodCreateDeletePerSync: 500,
};

const JOB_GVK = { group: 'batch', version: 'v1', kind: 'Job' } as const;

type SyncError = string | undefined;

/**
 * The Job controller (pkg/controller/job/job_controller.go): runs a Job's pods to completion.
 * Pods carry the job-tracking finalizer; a finished pod is first recorded in
 * status.uncountedTerminatedPods, then its finalizer removed, then it moves into the succeeded
 * or failed count, so no pod is counted twice or lost when the pod is deleted. Keeps at most
 * parallelism pods active and never more than the completions still missing, waits out the pod
 * failure backoff, fails the Job past backoffLimit or activeDeadlineSeconds, and suspends.
 */
export class JobController implements Controller {
  readonly name = 'job';
  private readonly jobInformer: Informer<'Job'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly queue: WorkQueue<string>;
  private readonly expectations: ControllerExpectations;
  private readonly events: EventRecorder;
  private readonly backoff = new Map<string, BackoffRecord>();
  /** Pods whose finalizer this controller removed and whose update the cache has not shown. */
  private readonly finalizerRemoved = new Set<string>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: JobControllerOptions = DEFAULT_JOB_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.expectations = new ControllerExpectations(ports.clock, EXPECTATIONS_TIMEOUT_US);
    this.events = new EventRecorder(ports, api, 'job-controller');
    this.jobInformer = informers.informer('Job');
    this.podInformer = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_CONTROLLER_INDEX, podControllerIndex);
    this.jobInformer.addEventHandler({
      onAdd: (job) => this.queue.add(keyOf(job)),
      onUpdate: (_old, job) => this.queue.add(keyOf(job)),
      onDelete: (job) => {
        this.expectations.delete(keyOf(job));
        this.backoff.delete(keyOf(job));
        this.queue.add(keyOf(job));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.jobInformer, this.podInformer]);
    for (let i = 0; i < this.options.workers; i++)
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) => this.ports.trace.debug('job.sync-error', { job: key, error }),
        ),
      );
  }

  stop(): void {
    this.queue.shutDown();
  }

  // ---- event handlers ------------------------------------------------------------------------

  private podAdded(pod: Pod): void {
    const job = this.jobOf(pod);
    if (job === undefined) {
      this.releaseOrphan(pod);
      return;
    }
    if (isBeingDeleted(pod)) this.expectations.deletionObserved(keyOf(job), keyOf(pod));
    else this.expectations.creationObserved(keyOf(job));
    this.queue.add(keyOf(job));
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (!hasTrackingFinalizer(cur)) this.finalizerRemoved.delete(cur.metadata.uid ?? '');
    const job = this.jobOf(cur);
    if (job === undefined) {
      this.releaseOrphan(cur);
      return;
    }
    if (isBeingDeleted(cur) && !isBeingDeleted(old))
      this.expectations.deletionObserved(keyOf(job), keyOf(cur));
    this.queue.add(keyOf(job));
  }

  private podDeleted(pod: Pod): void {
    this.finalizerRemoved.delete(pod.metadata.uid ?? '');
    const job = this.jobOf(pod);
    if (job === undefined) return;
    this.expectations.deletionObserved(keyOf(job), keyOf(pod));
    this.queue.add(keyOf(job));
  }

  private jobOf(pod: Pod): Job | undefined {
    const ref = getControllerOf(pod);
    if (ref === undefined || ref.kind !== JOB_GVK.kind) return undefined;
    const job = this.jobInformer.get(objectKey(pod.metadata.namespace, ref.name));
    return job !== undefined && job.metadata.uid === ref.uid ? job : undefined;
  }

  /**
   * A pod whose Job is gone keeps the tracking finalizer forever unless someone removes it
   * (upstream's orphan pod queue). Only pods a Job created carry it; a missing Job in a cache
   * that has not synced yet is not a missing Job, hence the synced check.
   */
  private releaseOrphan(pod: Pod): void {
    if (!hasTrackingFinalizer(pod) || !this.jobInformer.hasSynced) return;
    const ref = getControllerOf(pod);
    if (ref !== undefined && ref.kind !== JOB_GVK.kind) return;
    this.ports.spawn(() => this.removeFinalizer(pod));
  }

  // ---- workers -------------------------------------------------------------------------------

  /** syncJob. */
  private async sync(key: string): Promise<SyncError> {
    const job = this.jobInformer.get(key);
    if (job === undefined) {
      this.expectations.delete(key);
      this.backoff.delete(key);
      return undefined;
    }
    const pods = this.podsOf(job);
    if (isFinished(job)) return this.removeFinalizers(pods.filter(hasTrackingFinalizer));
    const counted = await this.trackFinishedPods(key, job, pods);
    if (typeof counted === 'string') return counted;
    return this.reconcile(key, counted.job, pods, counted.newlySucceeded, counted.newlyFailed);
  }

  /**
   * trackJobStatusAndRemoveFinalizers: record finished pods still holding the finalizer in
   * uncountedTerminatedPods, remove their finalizers, then count the ones whose finalizer is
   * gone. For an Indexed Job a success counts at once as a completed index.
   */
  private async trackFinishedPods(
    key: string,
    job: Job,
    pods: readonly Pod[],
  ): Promise<{ job: Job; newlySucceeded: number; newlyFailed: number } | string> {
    const status: JobStatus = job.status ?? {};
    const uncountedSucceeded = new Set(status.uncountedTerminatedPods?.succeeded ?? []);
    const uncountedFailed = new Set(status.uncountedTerminatedPods?.failed ?? []);
    const indexed = job.spec.completionMode === 'Indexed';
    const completions = job.spec.completions ?? 0;
    const completed = parseIndexes(status.completedIndexes, completions);
    const perIndex = hasBackoffLimitPerIndex(job);
    const failedIndexes = parseIndexes(status.failedIndexes ?? '', completions);
    let delayed = new Map<number, Pod>();
    if (perIndex) {
      // calculateFailedIndexes, then the delayed pods of the indexes still open.
      for (const pod of pods) {
        const ix = completionIndex(pod);
        if (ix === undefined || ix >= completions || !hasTrackingFinalizer(pod)) continue;
        if (podOutcome(pod, job) === 'failed' && isIndexFailed(job, pod)) failedIndexes.add(ix);
      }
      delayed = this.delayedDeletions(job, pods, completed, failedIndexes);
    }
    const policy = job.spec.podFailurePolicy;
    let newlySucceeded = 0;
    let newlyFailed = 0;
    /** Failed pods an Ignore rule matched: released without being counted. */
    const ignored = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!hasTrackingFinalizer(pod) || this.finalizerRemoved.has(uid)) continue;
      if (uncountedSucceeded.has(uid) || uncountedFailed.has(uid)) continue;
      const outcome = podOutcome(pod, job);
      const ix = completionIndex(pod);
      if (outcome === 'succeeded') {
        uncountedSucceeded.add(uid);
        newlySucceeded++;
        if (indexed && ix !== undefined && ix < completions) completed.add(ix);
      } else if (outcome === 'failed') {
        if (indexed && (ix === undefined || ix >= completions)) continue;
        // The index's last failure waits for its replacement, which copies its counts.
        if (ix !== undefined && delayed.get(ix)?.metadata.uid === uid) continue;
        if (matchPodFailurePolicy(policy, pod).countFailed) {
          uncountedFailed.add(uid);
          newlyFailed++;
        } else {
          ignored.add(uid);
        }
      }
    }
    let current = job;
    const failedIndexesText = perIndex ? formatIndexes(failedIndexes) : undefined;
    if (
      newlySucceeded + newlyFailed + ignored.size > 0 ||
      failedIndexesText !== status.failedIndexes
    ) {
      const now = this.ports.clock.now();
      const prev = this.backoff.get(key) ?? NO_BACKOFF;
      this.backoff.set(key, nextBackoff(prev, newlySucceeded, newlyFailed + ignored.size, now));
      const w = await this.writeStatus(current, {
        ...status,
        uncountedTerminatedPods: {
          succeeded: [...uncountedSucceeded],
          failed: [...uncountedFailed],
        },
        ...(indexed
          ? { completedIndexes: formatIndexes(completed), succeeded: completed.size }
          : {}),
        ...(failedIndexesText === undefined ? {} : { failedIndexes: failedIndexesText }),
      });
      if (typeof w === 'string') return w;
      current = w;
    }
    const holding = pods.filter((p) => {
      const uid = p.metadata.uid ?? '';
      return (
        hasTrackingFinalizer(p) &&
        (uncountedSucceeded.has(uid) || uncountedFailed.has(uid) || ignored.has(uid))
      );
    });
    const removed = await this.removeFinalizers(holding);
    if (removed !== undefined) return removed;
    // Whatever no longer holds the finalizer moves from uncounted into the counts.
    const stillHeld = new Set(
      pods
        .filter((p) => hasTrackingFinalizer(p) && !this.finalizerRemoved.has(p.metadata.uid ?? ''))
        .map((p) => p.metadata.uid ?? ''),
    );
    const s: JobStatus = current.status ?? {};
    let succeeded = s.succeeded ?? 0;
    let failed = s.failed ?? 0;
    const keepSucceeded: string[] = [];
    const keepFailed: string[] = [];
    for (const uid of uncountedSucceeded) {
      if (stillHeld.has(uid)) keepSucceeded.push(uid);
      else if (!indexed) succeeded++;
    }
    for (const uid of uncountedFailed) {
      if (stillHeld.has(uid)) keepFailed.push(uid);
      else failed++;
    }
    const moved =
      uncountedSucceeded.size + uncountedFailed.size - keepSucceeded.length - keepFailed.length;
    if (moved > 0) {
      const w = await this.writeStatus(current, {
        ...s,
        succeeded,
        failed,
        uncountedTerminatedPods: { succeeded: keepSucceeded, failed: keepFailed },
      });
      if (typeof w === 'string') return w;
      current = w;
    }
    return { job: current, newlySucceeded, newlyFailed };
  }

  /** The rest of syncJob: finish the Job, or manage its pods; then the status counts. */
  private async reconcile(
    key: string,
    job: Job,
    pods: readonly Pod[],
    _newlySucceeded: number,
    newlyFailed: number,
  ): Promise<SyncError> {
    const now = this.ports.clock.now();
    const nowIso = formatTime(now);
    const s: JobStatus = job.status ?? {};
    const uncounted = s.uncountedTerminatedPods;
    const indexed = job.spec.completionMode === 'Indexed';
    const succeeded = (s.succeeded ?? 0) + (indexed ? 0 : (uncounted?.succeeded?.length ?? 0));
    const failed = (s.failed ?? 0) + (uncounted?.failed?.length ?? 0);
    let active = pods.filter((p) => podOutcome(p, job) === 'active');
    const suspended = job.spec.suspend === true;
    let status: JobStatus = { ...s };
    if (!suspended && status.startTime === undefined) status = { ...status, startTime: nowIso };
    // Decided before: a SuccessCriteriaMet or FailureTarget stays the outcome while the pods
    // wind down.
    let success = successCriteriaOf(status);
    let finished = success === undefined ? failureTargetOf(status, nowIso) : undefined;
    const failJob = success === undefined ? failJobMessage(job, pods) : undefined;
    const backoffLimit = job.spec.backoffLimit ?? 6;
    if (success !== undefined || finished !== undefined) {
      // Already decided.
    } else if (failJob !== undefined) {
      finished = failedCondition('PodFailurePolicy', failJob, nowIso);
    } else if (
      (newlyFailed > 0 && failed > backoffLimit) ||
      pastBackoffLimitOnFailure(job, active)
    ) {
      finished = failedCondition(
        'BackoffLimitExceeded',
        'Job has reached the specified backoff limit',
        nowIso,
      );
    } else if (this.pastActiveDeadline(job, status, now)) {
      finished = failedCondition(
        'DeadlineExceeded',
        'Job was active longer than specified deadline',
        nowIso,
      );
    }
    if (indexed && success === undefined && finished === undefined) {
      const completions = job.spec.completions ?? 0;
      const completedIndexes = parseIndexes(status.completedIndexes, completions);
      if (hasBackoffLimitPerIndex(job)) {
        const failedCount = parseIndexes(status.failedIndexes ?? '', completions).size;
        const maxFailed = job.spec.maxFailedIndexes;
        if (maxFailed !== undefined && failedCount > maxFailed)
          finished = failedCondition(
            'MaxFailedIndexesExceeded',
            'Job has exceeded the specified maximal number of failed indexes',
            nowIso,
          );
        else if (failedCount > 0 && failedCount + completedIndexes.size >= completions)
          finished = failedCondition('FailedIndexes', 'Job has failed indexes', nowIso);
      }
      const matched =
        finished === undefined
          ? matchSuccessPolicy(job.spec.successPolicy, completions, completedIndexes)
          : undefined;
      if (matched !== undefined) success = { reason: 'SuccessPolicy', message: matched };
    }
    if (
      success === undefined &&
      finished === undefined &&
      succeededEnough(job, succeeded, status, active.length)
    )
      success = {
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      };
    // The terminal condition waits until every pod is counted and none is still terminating.
    const settled =
      (uncounted?.succeeded?.length ?? 0) + (uncounted?.failed?.length ?? 0) === 0 &&
      !pods.some(isBeingDeleted) &&
      active.length === 0;
    let manageError: SyncError;
    if (finished !== undefined) {
      manageError = await this.deletePods(key, job, active);
      active = [];
      status = setJobCondition(status, { ...finished, type: 'FailureTarget' }, nowIso);
      if (settled && manageError === undefined) {
        status = setJobCondition(status, finished, nowIso);
        this.events.event(job, JOB_GVK, 'Warning', finished.reason ?? '', finished.message ?? '');
      }
    } else if (success !== undefined) {
      manageError = await this.deletePods(key, job, active);
      active = [];
      const done = completeCondition(success, nowIso);
      status = setJobCondition(status, { ...done, type: 'SuccessCriteriaMet' }, nowIso);
      if (settled && manageError === undefined) {
        status = { ...setJobCondition(status, done, nowIso), completionTime: nowIso };
        this.events.event(job, JOB_GVK, 'Normal', 'Completed', 'Job completed');
      }
    } else {
      if (this.expectations.satisfied(key) && !isBeingDeleted(job)) {
        const r = await this.manageJob(key, job, active, succeeded, now);
        manageError = r.error;
        active = r.active;
      }
      status = suspendedConditions(job, status, nowIso);
      if (!suspended) this.requeueForDeadline(key, job, status, now);
    }
    const next: JobStatus = {
      ...status,
      active: active.length,
      ready: active.filter(isReady).length,
    };
    const w = await this.writeStatus(job, next);
    if (typeof w === 'string') return w;
    return manageError;
  }

  private pastActiveDeadline(job: Job, status: JobStatus, nowUs: number): boolean {
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline === undefined || status.startTime === undefined || job.spec.suspend === true)
      return false;
    const start = parseTime(status.startTime) ?? nowUs;
    return nowUs - start >= deadline * 1_000_000;
  }

  private requeueForDeadline(key: string, job: Job, status: JobStatus, nowUs: number): void {
    const deadline = job.spec.activeDeadlineSeconds;
    if (deadline === undefined || status.startTime === undefined) return;
    const start = parseTime(status.startTime) ?? nowUs;
    this.queue.addAfter(key, Math.max(0, start + deadline * 1_000_000 - nowUs));
  }

  /**
   * manageJob: delete what is beyond the pods still wanted (suspended: all), else create up to
   * it once the failure backoff allows. Returns the pods left active.
   */
  private async manageJob(
    key: string,
    job: Job,
    active: Pod[],
    succeeded: number,
    nowUs: number,
  ): Promise<{ error: SyncError; active: Pod[] }> {
    const parallelism = job.spec.parallelism ?? 1;
    const indexed = job.spec.completionMode === 'Indexed';
    if (job.spec.suspend === true) {
      const error = await this.deletePods(key, job, active);
      return { error, active: [] };
    }
    const completions = job.spec.completions;
    let want: number;
    if (completions === undefined) want = succeeded > 0 ? active.length : parallelism;
    else want = Math.max(0, Math.min(parallelism, completions - succeeded));
    // An Indexed Job keeps one pod per index: duplicates and completed indexes go first.
    const excess = indexed ? this.redundantIndexed(job, active) : [];
    const rest = active.filter((p) => !excess.includes(p));
    const toDelete = [
      ...excess,
      ...activePodsForRemoval(rest, Math.max(0, rest.length - want)),
    ].slice(0, this.options.maxPodCreateDeletePerSync);
    if (toDelete.length > 0) {
      const error = await this.deletePods(key, job, toDelete);
      return { error, active: active.filter((p) => !toDelete.includes(p)) };
    }
    if (active.length >= want) return { error: undefined, active };
    const perIndex = hasBackoffLimitPerIndex(job);
    // With backoffLimitPerIndex every index waits out its own backoff instead.
    const waitUs = perIndex ? 0 : remainingBackoffUs(this.backoff.get(key) ?? NO_BACKOFF, nowUs);
    if (waitUs > 0) {
      this.queue.addAfter(key, waitUs);
      return { error: undefined, active };
    }
    let count = Math.min(want - active.length, this.options.maxPodCreateDeletePerSync);
    let indexes: (number | undefined)[] = Array.from({ length: count }, () => undefined);
    let replaced = new Map<number, Pod>();
    if (indexed) {
      const n = completions ?? 0;
      const taken = parseIndexes(job.status?.completedIndexes, n);
      for (const ix of parseIndexes(job.status?.failedIndexes ?? '', n)) taken.add(ix);
      const held = new Set(active.map(completionIndex).filter((i) => i !== undefined));
      indexes = firstPendingIndexes(taken, held, count, n);
      if (perIndex) {
        replaced = this.delayedDeletions(
          job,
          this.podsOf(job),
          parseIndexes(job.status?.completedIndexes, n),
          parseIndexes(job.status?.failedIndexes ?? '', n),
        );
        let soonestUs = Infinity;
        indexes = indexes.filter((ix) => {
          const waitIx = remainingIndexBackoffUs(replaced.get(ix as number), nowUs);
          if (waitIx > 0) soonestUs = Math.min(soonestUs, waitIx);
          return waitIx === 0;
        });
        if (soonestUs !== Infinity) this.queue.addAfter(key, soonestUs);
      }
      count = indexes.length;
    }
    if (count === 0) return { error: undefined, active };
    const error = await this.createPods(key, job, indexes, perIndex ? replaced : undefined);
    return { error, active };
  }

  private podsOf(job: Job): Pod[] {
    return this.podInformer.byIndex(POD_CONTROLLER_INDEX, job.metadata.uid ?? '');
  }

  /** The last failed pod of each index still to be replaced (backoffLimitPerIndex). */
  private delayedDeletions(
    job: Job,
    pods: readonly Pod[],
    done: ReadonlySet<number>,
    failed: ReadonlySet<number>,
  ): Map<number, Pod> {
    const running = new Set<number>();
    const failedPods: Pod[] = [];
    for (const pod of pods) {
      const outcome = podOutcome(pod, job);
      const ix = completionIndex(pod);
      if (outcome === 'active' && ix !== undefined) running.add(ix);
      if (outcome === 'failed') failedPods.push(pod);
    }
    return podsWithDelayedDeletion(
      job,
      failedPods,
      (ix) => done.has(ix) || failed.has(ix) || running.has(ix),
    );
  }

  /**
   * Pods of an Indexed Job whose index is completed, failed (backoffLimitPerIndex), out of
   * range, or held by another pod.
   */
  private redundantIndexed(job: Job, active: readonly Pod[]): Pod[] {
    const completions = job.spec.completions ?? 0;
    const completed = parseIndexes(job.status?.completedIndexes, completions);
    for (const ix of parseIndexes(job.status?.failedIndexes ?? '', completions)) completed.add(ix);
    const seen = new Set<number>();
    const out: Pod[] = [];
    for (const pod of [...active].sort(byCreation)) {
      const ix = completionIndex(pod);
      if (ix === undefined || ix >= completions || completed.has(ix) || seen.has(ix)) out.push(pod);
      else seen.add(ix);
    }
    return out;
  }

  private async createPods(
    key: string,
    job: Job,
    indexes: readonly (number | undefined)[],
    /** With backoffLimitPerIndex: the failed pod each index's new pod replaces. */
    replaced: ReadonlyMap<number, Pod> | undefined,
  ): Promise<SyncError> {
    const controllerRef: OwnerReference = newControllerRef(job, JOB_GVK);
    this.expectations.expectCreations(key, indexes.length);
    this.ports.trace.emit('job.create-pods', { job: key, count: indexes.length });
    let next = 0;
    const result = await slowStartBatch(indexes.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const index = indexes[next++];
      const counts =
        replaced === undefined || index === undefined
          ? undefined
          : indexFailureAnnotations(job, replaced.get(index));
      const r = await this.api.create(podForJob(job, controllerRef, index, counts));
      if (r.ok) return undefined;
      return `create pod for ${key}: ${describeFailure(r)}`;
    });
    // Upstream lowers its expectations for every create that did not succeed.
    for (let i = result.successes; i < indexes.length; i++) this.expectations.creationObserved(key);
    if (result.error !== undefined)
      this.events.event(job, JOB_GVK, 'Warning', 'FailedCreate', result.error);
    return result.error;
  }

  /**
   * deleteJobPods: the finalizer comes off first, so a pod the controller removes is never
   * counted as a failure; then the pod is deleted.
   */
  private async deletePods(key: string, job: Job, pods: readonly Pod[]): Promise<SyncError> {
    if (pods.length === 0) return undefined;
    this.expectations.expectDeletions(key, pods.map(keyOf));
    this.ports.trace.emit('job.delete-pods', {
      job: key,
      pods: pods.map((p) => p.metadata.name ?? ''),
    });
    const errors = await Promise.all(
      pods.map(async (pod): Promise<SyncError> => {
        const f = await this.removeFinalizer(pod);
        if (f !== undefined) {
          this.expectations.deletionObserved(key, keyOf(pod));
          return f;
        }
        const r = await this.api.delete('Pod', pod.metadata.namespace, pod.metadata.name ?? '');
        if (r.ok) return undefined;
        this.expectations.deletionObserved(key, keyOf(pod));
        return r.status === 404 ? undefined : `delete pod ${keyOf(pod)}: ${describeFailure(r)}`;
      }),
    );
    const error = errors.find((e) => e !== undefined);
    if (error === undefined && pods.length > 0)
      this.events.event(
        job,
        JOB_GVK,
        'Normal',
        'SuccessfulDelete',
        `Deleted ${pods.length} pod(s)`,
      );
    return error;
  }

  private async removeFinalizers(pods: readonly Pod[]): Promise<SyncError> {
    const errors = await Promise.all(pods.map((p) => this.removeFinalizer(p)));
    return errors.find((e) => e !== undefined);
  }

  /** A merge patch of the finalizer list, guarded by the pod's resourceVersion. */
  private async removeFinalizer(pod: Pod): Promise<SyncError> {
    const uid = pod.metadata.uid ?? '';
    if (!hasTrackingFinalizer(pod) || this.finalizerRemoved.has(uid)) return undefined;
    const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    const r = await this.api.patch('Pod', pod.metadata.namespace, pod.metadata.name ?? '', {
      metadata: { resourceVersion: pod.metadata.resourceVersion, finalizers },
    });
    if (r.ok || r.status === 404) {
      this.finalizerRemoved.add(uid);
      return undefined;
    }
    return `remove finalizer of pod ${keyOf(pod)}: ${describeFailure(r)}`;
  }

  /** Writes a changed status; returns the stored Job or an error. */
  private async writeStatus(job: Job, status: JobStatus): Promise<Job | string> {
    if (JSON.stringify(job.status ?? {}) === JSON.stringify(status)) return job;
    const r = await this.api.updateStatus<Job>({ ...job, status });
    if (!r.ok) return `update status of Job ${keyOf(job)}: ${describeFailure(r)}`;
    return r.value;
  }
}

function failedCondition(reason: string, message: string, nowIso: string): JobCondition {
  return {
    type: 'Failed',
    status: 'True',
    reason,
    message,
    lastProbeTime: nowIso,
    lastTransitionTime: nowIso,
  };
}

interface SuccessReason {
  readonly reason: string;
  readonly message: string;
}

/** Complete, with the reason SuccessCriteriaMet gave (CompletionsReached or SuccessPolicy). */
function completeCondition(why: SuccessReason, nowIso: string): JobCondition {
  return {
    type: 'Complete',
    status: 'True',
    reason: why.reason,
    message: why.message,
    lastProbeTime: nowIso,
    lastTransitionTime: nowIso,
  };
}

/** A SuccessCriteriaMet already recorded: its reason carries over to Complete. */
function successCriteriaOf(status: JobStatus): SuccessReason | undefined {
  const c = status.conditions?.find((x) => x.type === 'SuccessCriteriaMet' && x.status === 'True');
  return c === undefined ? undefined : { reason: c.reason ?? '', message: c.message ?? '' };
}

/** getFailJobMessage: the message of the first failed pod a FailJob rule matches. */
function failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
  const policy = job.spec.podFailurePolicy;
  if (policy === undefined) return undefined;
  for (const pod of pods) {
    if (podOutcome(pod, job) !== 'failed') continue;
    const m = matchPodFailurePolicy(policy, pod).failJobMessage;
    if (m !== undefined) return m;
  }
  return undefined;
}

/** Suspended True (JobSuspended) while suspended; False (JobResumed) and a new startTime after. */
function suspendedConditions(job: Job, status: JobStatus, nowIso: string): JobStatus {
  const cond = status.conditions?.find((c) => c.type === 'Suspended');
  if (job.spec.suspend === true) {
    if (cond?.status === 'True') return status;
    const { startTime: _dropped, ...rest } = status;
    return setJobCondition(
      rest,
      {
        type: 'Suspended',
        status: 'True',
        reason: 'JobSuspended',
        message: 'Job suspended',
        lastProbeTime: nowIso,
        lastTransitionTime: nowIso,
      },
      nowIso,
    );
  }
  if (cond?.status !== 'True') return status;
  return {
    ...setJobCondition(
      status,
      {
        type: 'Suspended',
        status: 'False',
        reason: 'JobResumed',
        message: 'Job resumed',
        lastProbeTime: nowIso,
        lastTransitionTime: nowIso,
      },
      nowIso,
    ),
    startTime: nowIso,
  };
}

/**
 * activePodsForRemoval: the `count` pods upstream deletes first: not yet on a node, then
 * pending, then not ready, then the newest.
 */
function activePodsForRemoval(pods: readonly Pod[], count: number): Pod[] {
  if (count <= 0) return [];
  const rank = (p: Pod): number =>
    (p.spec.nodeName ? 4 : 0) + (p.status?.phase === 'Running' ? 2 : 0) + (isReady(p) ? 1 : 0);
  return [...pods].sort((a, b) => rank(a) - rank(b) || byCreation(b, a)).slice(0, count);
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true;
}

function byCreation(a: Pod, b: Pod): number {
  const ta = parseTime(a.metadata.creationTimestamp ?? '') ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp ?? '') ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The success criterion: completions reached (a work queue: a success and nothing running). */
function succeededEnough(job: Job, succeeded: number, status: JobStatus, active: number): boolean {
  const completions = job.spec.completions;
  if (job.spec.completionMode === 'Indexed')
    return parseIndexes(status.completedIndexes, completions ?? 0).size >= (completions ?? 0);
  if (completions === undefined) return succeeded > 0 && active === 0;
  return succeeded >= completions;
}

/** A FailureTarget already recorded, as the Failed condition it leads to. */
function failureTargetOf(status: JobStatus, nowIso: string): JobCondition | undefined {
  const c = status.conditions?.find((x) => x.type === 'FailureTarget' && x.status === 'True');
  return c === undefined ? undefined : failedCondition(c.reason ?? '', c.message ?? '', nowIso);
}
