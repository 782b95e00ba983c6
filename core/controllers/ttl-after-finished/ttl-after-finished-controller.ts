import type { Job } from '../../api/kinds/job.ts';
import { isBeingDeleted, keyOf } from '../../api/meta.ts';
import { parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { isFinished } from '../job/job-status.ts';

export interface TtlAfterFinishedOptions {
  /** --concurrent-ttl-after-finished-syncs. */
  readonly workers: number;
}

export const DEFAULT_TTL_AFTER_FINISHED: TtlAfterFinishedOptions = { workers: 5 };

type SyncError = string | undefined;

/**
 * The TTL-after-finished controller (pkg/controller/ttlafterfinished): deletes a finished Job
 * ttlSecondsAfterFinished after it finished, with foreground propagation so its pods go first.
 * Before deleting it reads the Job again, since the TTL or the Job may have changed since the
 * cache saw it.
 */
export class TtlAfterFinishedController implements Controller {
  readonly name = 'ttl-after-finished';
  private readonly jobInformer: Informer<'Job'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: TtlAfterFinishedOptions = DEFAULT_TTL_AFTER_FINISHED,
  ) {
    this.queue = new WorkQueue(ports);
    this.jobInformer = informers.informer('Job');
    const enqueue = (job: Job): void => {
      if (needsCleanup(job)) this.queue.add(keyOf(job));
    };
    this.jobInformer.addEventHandler({ onAdd: enqueue, onUpdate: (_o, j) => enqueue(j) });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.jobInformer]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async worker(): Promise<void> {
    while (true) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const error = await this.sync(key);
      if (error === undefined) this.queue.forget(key);
      else this.queue.addRateLimited(key);
      this.queue.done(key);
    }
  }

  /** processJob: wait out the TTL, check the live Job, delete it. */
  private async sync(key: string): Promise<SyncError> {
    const cached = this.jobInformer.get(key);
    if (cached === undefined || !needsCleanup(cached)) return undefined;
    const now = this.ports.clock.now();
    const leftUs = expiresAtUs(cached) - now;
    if (leftUs > 0) {
      this.queue.addAfter(key, leftUs);
      return undefined;
    }
    const fresh = await this.api.get('Job', cached.metadata.namespace, cached.metadata.name ?? '');
    if (!fresh.ok) return fresh.status === 404 ? undefined : describeFailure(fresh);
    const job = fresh.value;
    if (!needsCleanup(job)) return undefined;
    const freshLeftUs = expiresAtUs(job) - now;
    if (freshLeftUs > 0) {
      this.queue.addAfter(key, freshLeftUs);
      return undefined;
    }
    const r = await this.api.delete('Job', job.metadata.namespace, job.metadata.name ?? '', {
      propagationPolicy: 'Foreground',
      preconditions: {
        uid: job.metadata.uid ?? '',
        resourceVersion: job.metadata.resourceVersion ?? '',
      },
    });
    if (!r.ok && r.status !== 404) return `delete Job ${key}: ${describeFailure(r)}`;
    this.ports.trace.emit('ttl-after-finished.delete', { job: key });
    return undefined;
  }
}

function needsCleanup(job: Job): boolean {
  return job.spec.ttlSecondsAfterFinished !== undefined && isFinished(job) && !isBeingDeleted(job);
}

/** getFinishAndExpireTime: the finished condition's transition time plus the TTL. */
function expiresAtUs(job: Job): number {
  const cond = job.status?.conditions?.find(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  const finishedUs = parseTime(cond?.lastTransitionTime ?? '') ?? 0;
  return finishedUs + (job.spec.ttlSecondsAfterFinished ?? 0) * 1_000_000;
}
