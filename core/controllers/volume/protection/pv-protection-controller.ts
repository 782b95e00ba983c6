import type { PersistentVolume } from '../../../api/kinds/persistent-volume.ts';
import { isBeingDeleted, keyOf } from '../../../api/meta.ts';
import { PV_PROTECTION_FINALIZER } from '../../../api/volume-binding.ts';
import type { ApiClient } from '../../../client/api-client.ts';
import type { Informer } from '../../../client/informer.ts';
import { WorkQueue } from '../../../client/workqueue.ts';
import type { ProcessPorts } from '../../../ports/process.ts';
import { describeFailure } from '../../common/api-errors.ts';
import { waitForCacheSync } from '../../common/cache-sync.ts';
import type { Controller } from '../../common/controller.ts';
import type { SharedInformers } from '../../common/shared-informers.ts';
import { runWorker } from '../../common/worker.ts';
import { hasFinalizer, withFinalizer } from './finalizer.ts';

type SyncError = string | undefined;

/**
 * The PV protection controller (pkg/controller/volume/pvprotection): a volume being deleted
 * keeps the kubernetes.io/pv-protection finalizer while it is Bound; volumes without the
 * finalizer get it.
 */
export class PvProtectionController implements Controller {
  readonly name = 'pv-protection';
  private readonly volumes: Informer<'PersistentVolume'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.queue = new WorkQueue(ports);
    this.volumes = informers.informer('PersistentVolume');
    const changed = (v: PersistentVolume): void => {
      if (needsWork(v)) this.queue.add(keyOf(v));
    };
    this.volumes.addEventHandler({ onAdd: changed, onUpdate: (_o, v) => changed(v) });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.volumes]);
    await runWorker(
      this.queue,
      (k) => this.sync(k),
      (key, error) =>
        this.ports.trace.debug('pv.sync-error', { object: `pv-protection ${key}`, error }),
    );
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async sync(key: string): Promise<SyncError> {
    const volume = this.volumes.get(key);
    if (volume === undefined || !needsWork(volume)) return undefined;
    const deleting = isBeingDeleted(volume);
    // isBeingUsed: a Bound volume is in use.
    if (deleting && volume.status?.phase === 'Bound') return undefined;
    const r = await this.api.update<PersistentVolume>({
      ...volume,
      metadata: withFinalizer(volume.metadata, PV_PROTECTION_FINALIZER, !deleting),
    });
    if (!r.ok) return r.status === 404 ? undefined : `update ${key}: ${describeFailure(r)}`;
    if (deleting) {
      this.ports.trace.emit('pv-protection.remove-finalizer', {
        kind: 'PersistentVolume',
        object: key,
      });
    }
    return undefined;
  }
}

function needsWork(volume: PersistentVolume): boolean {
  return isBeingDeleted(volume) === hasFinalizer(volume.metadata, PV_PROTECTION_FINALIZER);
}
