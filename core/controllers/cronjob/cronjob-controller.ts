import type { ObjectReference } from 'kubernetes-types/core/v1.d.ts';
import type { CronJob } from '../../api/kinds/cron-job.ts';
import type { Job } from '../../api/kinds/job.ts';
import {
  deepCopy,
  getControllerOf,
  isBeingDeleted,
  isControlledBy,
  keyOf,
  newControllerRef,
  objectKey,
} from '../../api/meta.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { EventRecorder } from '../common/events.ts';
import { resolveControllerRef } from '../common/owner-lookup.ts';
import { runWorker } from '../common/worker.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import {
  formatInZone,
  formatRfc1123z,
  mostRecentScheduleTime,
  nextScheduleDelayUs,
  parseSchedule,
  type CronSchedule,
} from './schedule.ts';
import { timeZoneLoadError } from '../../api/cron-schedule.ts';

export interface CronJobControllerOptions {
  /** --concurrent-cron-job-syncs. */
  readonly workers: number;
}

export const DEFAULT_CRON_JOB_CONTROLLER: CronJobControllerOptions = { workers: 5 };

const CRON_JOB_GVK = { group: 'batch', version: 'v1', kind: 'CronJob' } as const;
/** Jobs by the CronJob their controller reference names: `<namespace>/<cronjob name>`. */
const JOBS_BY_CRON_JOB = 'cronJobName';
/** batchv1.CronJobScheduledTimestampAnnotation. */
export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** What a sync asks of the queue: wait for the next schedule, retry with backoff, or nothing. */
type SyncResult =
  | { readonly kind: 'requeue-after'; readonly delayUs: number }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'done' };

const DONE: SyncResult = { kind: 'done' };

/** The outcome of syncCronJob: the status to write (if it changed) and what the queue does. */
interface Reconciled {
  readonly cronJob: CronJob;
  readonly statusChanged: boolean;
  readonly result: SyncResult;
}

/**
 * The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go): for each CronJob,
 * reconciles `status.active` with the Jobs it owns, deletes finished Jobs beyond the history
 * limits, and at each activation of the schedule creates one Job named after the scheduled
 * minute (the name is the lock that stops a restarted controller from starting it twice),
 * honouring suspend, startingDeadlineSeconds and the concurrency policy. Between activations
 * the CronJob waits in the queue until 100 ms after the next one, on the virtual clock.
 */
export class CronJobController implements Controller {
  readonly name = 'cronjob';
  private readonly cronJobInformer: Informer<'CronJob'>;
  private readonly jobInformer: Informer<'Job'>;
  private readonly queue: WorkQueue<string>;
  private readonly events: EventRecorder;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: CronJobControllerOptions = DEFAULT_CRON_JOB_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.events = new EventRecorder(ports, api, 'cronjob-controller');
    this.cronJobInformer = informers.informer('CronJob');
    this.jobInformer = informers.informer('Job');
    informers.addIndexer('Job', undefined, JOBS_BY_CRON_JOB, (job: Job) => {
      const ref = getControllerOf(job);
      return ref?.kind === CRON_JOB_GVK.kind ? [objectKey(job.metadata.namespace, ref.name)] : [];
    });
    this.cronJobInformer.addEventHandler({
      onAdd: (cj) => this.queue.add(keyOf(cj)),
      onUpdate: (old, cj) => this.cronJobUpdated(old, cj),
      onDelete: (cj) => this.queue.add(keyOf(cj)),
    });
    const jobChanged = (job: Job): void => {
      const owner = this.ownerOf(job);
      if (owner !== undefined) this.queue.add(keyOf(owner));
    };
    this.jobInformer.addEventHandler({
      onAdd: jobChanged,
      onUpdate: (old, job) => {
        if (old.metadata.resourceVersion === job.metadata.resourceVersion) return;
        const oldOwner = this.ownerOf(old);
        if (oldOwner !== undefined && getControllerOf(job)?.uid !== oldOwner.metadata.uid)
          this.queue.add(keyOf(oldOwner));
        jobChanged(job);
      },
      onDelete: jobChanged,
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.cronJobInformer, this.jobInformer]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** The CronJob a Job's controller reference names, if it is that one. */
  private ownerOf(job: Job): CronJob | undefined {
    const ref = getControllerOf(job);
    return ref === undefined
      ? undefined
      : resolveControllerRef(this.cronJobInformer, CRON_JOB_GVK.kind, job.metadata.namespace, ref);
  }

  /**
   * updateCronJob: a new schedule or zone requeues at its next activation (a sooner one than
   * already queued takes effect; a later one makes the queued sync a no-op); any other change
   * syncs now.
   */
  private cronJobUpdated(old: CronJob, cj: CronJob): void {
    if (old.spec.schedule === cj.spec.schedule && old.spec.timeZone === cj.spec.timeZone) {
      this.queue.add(keyOf(cj));
      return;
    }
    const parsed = parseSchedule(cj);
    if (!parsed.ok) {
      this.events.event(
        cj,
        CRON_JOB_GVK,
        'Warning',
        'UnParseableCronJobSchedule',
        `unparseable schedule for cronjob: ${cj.spec.schedule}`,
      );
      return;
    }
    const delayUs = this.nextDelayUs(cj, this.ports.clock.now(), parsed.schedule);
    if (delayUs !== undefined) this.queue.addAfter(keyOf(cj), Math.max(0, delayUs));
  }

  private worker(): Promise<void> {
    return runWorker(
      this.queue,
      async (key) => {
        const result = await this.sync(key);
        switch (result.kind) {
          case 'error':
            return result.message;
          case 'requeue-after':
            // The next activation: forgotten backoff, then a plain delay.
            this.queue.addAfter(key, Math.max(0, result.delayUs));
            return undefined;
          case 'done':
            return undefined;
        }
      },
      (key, error) => this.ports.trace.debug('cronjob.sync-error', { cronJob: key, error }),
    );
  }

  private async sync(key: string): Promise<SyncResult> {
    const cached = this.cronJobInformer.get(key);
    if (cached === undefined) return DONE;
    const jobs = this.jobInformer.byIndex(JOBS_BY_CRON_JOB, key);
    const cleaned = await this.cleanupFinishedJobs(cached, jobs);
    const synced = await this.syncCronJob(cleaned.cronJob, jobs);
    if (cleaned.statusChanged || synced.statusChanged) {
      const r = await this.api.updateStatus<CronJob>(synced.cronJob);
      if (!r.ok) return { kind: 'error', message: `update status: ${describeFailure(r)}` };
    }
    return synced.result;
  }

  /** syncCronJob: the status from the Jobs, then at most one new Job for a due activation. */
  private async syncCronJob(start: CronJob, jobs: readonly Job[]): Promise<Reconciled> {
    const now = this.ports.clock.now();
    let cronJob = start;
    let statusChanged = false;
    const status = (): NonNullable<CronJob['status']> => cronJob.status ?? {};
    const setStatus = (s: NonNullable<CronJob['status']>): void => {
      cronJob = { ...cronJob, status: s };
      statusChanged = true;
    };
    const active = (): readonly ObjectReference[] => status().active ?? [];
    const inActive = (uid: string | undefined): boolean => active().some((r) => r.uid === uid);
    const withoutActive = (uid: string | undefined): void =>
      setStatus({ ...status(), active: active().filter((r) => r.uid !== uid) });

    const children = new Set<string>();
    for (const job of jobs) {
      children.add(job.metadata.uid ?? '');
      const found = inActive(job.metadata.uid);
      const finished = finishedType(job);
      if (!found && finished === undefined) {
        // Our cache may be older than the CronJob's status: read it before calling the Job
        // unexpected (a crash between creating a Job and recording it also lands here).
        const fresh = await this.api.get(
          'CronJob',
          cronJob.metadata.namespace,
          cronJob.metadata.name ?? '',
        );
        if (!fresh.ok) return this.failed(cronJob, statusChanged, `get: ${describeFailure(fresh)}`);
        if (fresh.value.status?.active?.some((r) => r.uid === job.metadata.uid)) {
          cronJob = fresh.value;
          continue;
        }
        this.events.event(
          cronJob,
          CRON_JOB_GVK,
          'Warning',
          'UnexpectedJob',
          `Saw a job that the controller did not create or forgot: ${job.metadata.name}`,
        );
      } else if (found && finished !== undefined) {
        withoutActive(job.metadata.uid);
        this.events.event(
          cronJob,
          CRON_JOB_GVK,
          'Normal',
          'SawCompletedJob',
          `Saw completed job: ${job.metadata.name}, status: ${finished}`,
        );
      } else if (finished === 'Complete') {
        // lastSuccessfulTime follows every succeeded Job, recorded or not.
        const completion = job.status?.completionTime;
        const last = status().lastSuccessfulTime;
        if (
          completion !== undefined &&
          (last === undefined || (parseTime(completion) ?? 0) > (parseTime(last) ?? 0))
        )
          setStatus({ ...status(), lastSuccessfulTime: completion });
      }
    }

    // An active Job that is gone (checked against the API server, not only the cache) leaves.
    for (const ref of active()) {
      if (children.has(ref.uid ?? '')) continue;
      const r = await this.api.get('Job', ref.namespace, ref.name ?? '');
      if (r.ok) continue;
      if (r.status !== 404)
        return this.failed(cronJob, statusChanged, `get Job: ${describeFailure(r)}`);
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Normal',
        'MissingJob',
        `Active job went missing: ${ref.name}`,
      );
      withoutActive(ref.uid);
    }

    const settled = (result: SyncResult): Reconciled => ({ cronJob, statusChanged, result });
    if (isBeingDeleted(cronJob)) return settled(DONE);
    const zone = cronJob.spec.timeZone;
    if (zone !== undefined) {
      const err = timeZoneLoadError(zone);
      if (err !== undefined) {
        this.events.event(
          cronJob,
          CRON_JOB_GVK,
          'Warning',
          'UnknownTimeZone',
          `invalid timeZone: ${JSON.stringify(zone)}: ${err}`,
        );
        return settled(DONE);
      }
    }
    if (cronJob.spec.suspend === true) return settled(DONE);
    if (cronJob.spec.schedule.includes('TZ')) {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'UnsupportedSchedule',
        `CRON_TZ or TZ used in schedule ${JSON.stringify(cronJob.spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
      );
    }
    const parsed = parseSchedule(cronJob);
    if (!parsed.ok) {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${JSON.stringify(cronJob.spec.schedule)} : ${parsed.error}`,
      );
      return settled(DONE);
    }
    const schedule = parsed.schedule;
    const requeue = (): SyncResult => {
      const delayUs = this.nextDelayUs(cronJob, now, schedule);
      return delayUs === undefined ? DONE : { kind: 'requeue-after', delayUs };
    };

    // nextScheduleTime: the activation due now, if any.
    const recent = mostRecentScheduleTime(
      cronJob,
      creationUs(cronJob),
      lastScheduleUs(cronJob),
      now,
      schedule,
      true,
    );
    if (recent.error !== undefined) {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'InvalidSchedule',
        `invalid schedule: ${cronJob.spec.schedule} : ${recent.error}`,
      );
      return settled(DONE);
    }
    const scheduledUs = recent.mostRecentUs;
    if (scheduledUs === undefined) return settled(requeue());
    if (recent.missed === 'many') {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'TooManyMissedTimes',
        'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
      );
    }
    const deadline = cronJob.spec.startingDeadlineSeconds;
    if (deadline !== undefined && scheduledUs + deadline * 1_000_000 < now) {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'MissSchedule',
        `Missed scheduled time to start a job: ${formatRfc1123z(scheduledUs)}`,
      );
      return settled(requeue());
    }
    const jobName = jobNameFor(cronJob, scheduledUs);
    if (active().some((r) => r.name === jobName) || lastScheduleUs(cronJob) === scheduledUs)
      return settled(requeue());
    const policy = cronJob.spec.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active().length > 0) {
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return settled(requeue());
    }
    if (policy === 'Replace') {
      for (const ref of active()) {
        const r = await this.api.delete('Job', ref.namespace, ref.name ?? '', {
          propagationPolicy: 'Background',
        });
        if (!r.ok && r.status !== 404) {
          this.events.event(
            cronJob,
            CRON_JOB_GVK,
            'Warning',
            'FailedDelete',
            `Deleted job: ${describeFailure(r)}`,
          );
          return this.failed(
            cronJob,
            statusChanged,
            `could not replace job ${ref.namespace}/${ref.name}`,
          );
        }
        withoutActive(ref.uid);
        this.events.event(
          cronJob,
          CRON_JOB_GVK,
          'Normal',
          'SuccessfulDelete',
          `Deleted job ${ref.name}`,
        );
      }
    }

    const created = await this.api.create(jobFor(cronJob, scheduledUs, parsed.zone));
    let job: Job;
    if (created.ok) {
      job = created.value;
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Normal',
        'SuccessfulCreate',
        `Created job ${job.metadata.name}`,
      );
      this.ports.trace.emit('cronjob.create-job', {
        cronJob: keyOf(cronJob),
        job: keyOf(job),
        scheduledUs,
        lateUs: now - scheduledUs,
      });
    } else if (created.status === 409 && created.error.reason === 'AlreadyExists') {
      // Created before (by us, before a crash or a lost status write) or by someone else.
      const existing = await this.api.get('Job', cronJob.metadata.namespace, jobName);
      if (!existing.ok)
        return this.failed(cronJob, statusChanged, `get Job: ${describeFailure(existing)}`);
      job = existing.value;
      if (!isControlledBy(job, cronJob) || inActive(job.metadata.uid)) return settled(DONE);
    } else {
      const reason = describeFailure(created);
      this.events.event(
        cronJob,
        CRON_JOB_GVK,
        'Warning',
        'FailedCreate',
        `Error creating job: ${reason}`,
      );
      return this.failed(cronJob, statusChanged, `create Job: ${reason}`);
    }
    setStatus({
      ...status(),
      active: [...active(), referenceTo(job)],
      lastScheduleTime: formatTime(scheduledUs),
    });
    return settled(requeue());
  }

  private failed(cronJob: CronJob, statusChanged: boolean, message: string): Reconciled {
    return { cronJob, statusChanged, result: { kind: 'error', message } };
  }

  private nextDelayUs(cronJob: CronJob, nowUs: number, schedule: CronSchedule): number | undefined {
    return nextScheduleDelayUs(
      cronJob,
      creationUs(cronJob),
      lastScheduleUs(cronJob),
      nowUs,
      schedule,
    );
  }

  /**
   * cleanupFinishedJobs: beyond successfulJobsHistoryLimit (default 3) and
   * failedJobsHistoryLimit (default 1), the Jobs that started first are deleted.
   */
  private async cleanupFinishedJobs(
    cronJob: CronJob,
    jobs: readonly Job[],
  ): Promise<{ cronJob: CronJob; statusChanged: boolean }> {
    let current = cronJob;
    let statusChanged = false;
    const limits: [string, number | undefined][] = [
      ['Complete', cronJob.spec.successfulJobsHistoryLimit],
      ['Failed', cronJob.spec.failedJobsHistoryLimit],
    ];
    for (const [type, limit] of limits) {
      if (limit === undefined) continue;
      const finished = jobs.filter((j) => finishedType(j) === type).sort(byStartTime);
      for (const job of finished.slice(0, Math.max(0, finished.length - limit))) {
        const r = await this.api.delete('Job', job.metadata.namespace, job.metadata.name ?? '', {
          propagationPolicy: 'Background',
        });
        if (!r.ok && r.status !== 404) {
          this.events.event(
            current,
            CRON_JOB_GVK,
            'Warning',
            'FailedDelete',
            `Deleted job: ${describeFailure(r)}`,
          );
          continue;
        }
        const active = current.status?.active ?? [];
        current = {
          ...current,
          status: { ...current.status, active: active.filter((a) => a.uid !== job.metadata.uid) },
        };
        statusChanged = true;
        this.events.event(
          current,
          CRON_JOB_GVK,
          'Normal',
          'SuccessfulDelete',
          `Deleted job ${job.metadata.name}`,
        );
      }
    }
    return { cronJob: current, statusChanged };
  }
}

/** getFinishedStatus: Complete or Failed once a finished condition is true. */
function finishedType(job: Job): 'Complete' | 'Failed' | undefined {
  const c = job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  return c === undefined ? undefined : (c.type as 'Complete' | 'Failed');
}

/** byJobStartTime: started Jobs first, oldest first, names breaking ties. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (sa === undefined && sb !== undefined) return 1;
  if (sa !== undefined && sb === undefined) return -1;
  const ta = parseTime(sa ?? '') ?? 0;
  const tb = parseTime(sb ?? '') ?? 0;
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

function creationUs(cronJob: CronJob): number {
  return parseTime(cronJob.metadata.creationTimestamp ?? '') ?? 0;
}

function lastScheduleUs(cronJob: CronJob): number | undefined {
  const t = cronJob.status?.lastScheduleTime;
  return t === undefined ? undefined : parseTime(t);
}

/** getJobName: the CronJob's name and the scheduled time in minutes since the epoch. */
export function jobNameFor(cronJob: CronJob, scheduledUs: number): string {
  return `${cronJob.metadata.name}-${Math.floor(scheduledUs / 60_000_000)}`;
}

/**
 * getJobFromTemplate2: the template's labels, annotations and spec, the scheduled time as an
 * annotation (RFC 3339 in the schedule's zone), owned by the CronJob.
 */
export function jobFor(cronJob: CronJob, scheduledUs: number, zone: string): Job {
  const template = cronJob.spec.jobTemplate;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cronJob, scheduledUs),
      namespace: cronJob.metadata.namespace,
      labels: { ...template.metadata?.labels },
      annotations: {
        ...template.metadata?.annotations,
        [SCHEDULED_TIMESTAMP_ANNOTATION]: formatInZone(scheduledUs, zone),
      },
      ownerReferences: [newControllerRef(cronJob, CRON_JOB_GVK)],
    },
    spec: deepCopy(template.spec),
  } as Job;
}

function referenceTo(job: Job): ObjectReference {
  return {
    kind: 'Job',
    namespace: job.metadata.namespace,
    name: job.metadata.name,
    uid: job.metadata.uid,
    apiVersion: 'batch/v1',
    resourceVersion: job.metadata.resourceVersion,
  };
}
