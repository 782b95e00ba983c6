import type { PersistentVolumeClaim } from '../../../api/kinds/persistent-volume-claim.ts';
import { isBeingDeleted, keyOf, objectKey } from '../../../api/meta.ts';
import { isPodTerminal } from '../../../api/pod-helpers.ts';
import type { Pod } from '../../../api/pod-types.ts';
import { podClaimNames, PVC_PROTECTION_FINALIZER } from '../../../api/volume-binding.ts';
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

/** Pods by the claims they use, as namespace/claim (upstream's podPVCIndex). */
const POD_CLAIM_INDEX = 'pod-pvc';

function podClaimIndex(pod: Pod): readonly string[] {
  return podClaimNames(pod).map((c) => objectKey(pod.metadata.namespace, c));
}

/**
 * A scheduled pod that has not terminated uses its claims (podUsesPVC: the kubelet never
 * starts an unscheduled pod on a claim being deleted, so unscheduled pods do not count).
 */
function podUsesClaim(pod: Pod, claim: string): boolean {
  return !!pod.spec.nodeName && !isPodTerminal(pod) && podClaimNames(pod).some((c) => c === claim);
}

type SyncError = string | undefined;

/**
 * The PVC protection controller (pkg/controller/volume/pvcprotection): a claim being deleted
 * keeps the kubernetes.io/pvc-protection finalizer while a pod uses it, asked of the informer
 * and then of the API server (the cache may not have seen a pod that was just created); claims
 * without the finalizer (made before the admission plugin) get it.
 */
export class PvcProtectionController implements Controller {
  readonly name = 'pvc-protection';
  private readonly claims: Informer<'PersistentVolumeClaim'>;
  private readonly pods: Informer<'Pod'>;
  private readonly queue: WorkQueue<string>;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.queue = new WorkQueue(ports);
    this.claims = informers.informer('PersistentVolumeClaim');
    this.pods = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_CLAIM_INDEX, podClaimIndex);
    const claimChanged = (c: PersistentVolumeClaim): void => {
      if (needsWork(c)) this.queue.add(keyOf(c));
    };
    this.claims.addEventHandler({ onAdd: claimChanged, onUpdate: (_o, c) => claimChanged(c) });
    // A pod that goes away or terminates may free its claims.
    const podChanged = (pod: Pod): void => {
      if (pod.metadata.deletionTimestamp === undefined && !isPodTerminal(pod)) return;
      for (const key of podClaimIndex(pod)) this.queue.add(key);
    };
    this.pods.addEventHandler({
      onUpdate: (_o, p) => podChanged(p),
      onDelete: (p) => {
        for (const key of podClaimIndex(p)) this.queue.add(key);
      },
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.claims, this.pods]);
    await runWorker(
      this.queue,
      (k) => this.sync(k),
      (key, error) =>
        this.ports.trace.debug('pv.sync-error', { object: `pvc-protection ${key}`, error }),
    );
  }

  stop(): void {
    this.queue.shutDown();
  }

  private async sync(key: string): Promise<SyncError> {
    const claim = this.claims.get(key);
    if (claim === undefined || !needsWork(claim)) return undefined;
    if (!isBeingDeleted(claim)) return this.setFinalizer(claim, true);
    const used = await this.isBeingUsed(claim);
    if (typeof used === 'string') return used;
    if (used) return undefined;
    return this.setFinalizer(claim, false);
  }

  /** isBeingUsed: the informer first; only when it finds no user, a live list of the namespace's pods. */
  private async isBeingUsed(claim: PersistentVolumeClaim): Promise<boolean | string> {
    const name = claim.metadata.name ?? '';
    const key = keyOf(claim);
    if (this.pods.byIndex(POD_CLAIM_INDEX, key).some((p) => podUsesClaim(p, name))) return true;
    const r = await this.api.list('Pod', claim.metadata.namespace);
    if (!r.ok) return `list pods for ${key}: ${describeFailure(r)}`;
    return r.value.items.some((p) => podUsesClaim(p, name));
  }

  private async setFinalizer(claim: PersistentVolumeClaim, present: boolean): Promise<SyncError> {
    const r = await this.api.update<PersistentVolumeClaim>({
      ...claim,
      metadata: withFinalizer(claim.metadata, PVC_PROTECTION_FINALIZER, present),
    });
    if (!r.ok) {
      return r.status === 404 ? undefined : `update ${keyOf(claim)}: ${describeFailure(r)}`;
    }
    if (!present) {
      this.ports.trace.emit('pv-protection.remove-finalizer', {
        kind: 'PersistentVolumeClaim',
        object: keyOf(claim),
      });
    }
    return undefined;
  }
}

/** Being deleted with the finalizer (maybe removable), or alive without it (to add). */
function needsWork(claim: PersistentVolumeClaim): boolean {
  return isBeingDeleted(claim) === hasFinalizer(claim.metadata, PVC_PROTECTION_FINALIZER);
}
