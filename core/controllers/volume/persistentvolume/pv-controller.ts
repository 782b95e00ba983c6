import type { PersistentVolume } from '../../../api/kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from '../../../api/kinds/persistent-volume-claim.ts';
import type { StorageClass } from '../../../api/kinds/storage-class.ts';
import { isBeingDeleted, keyOf, objectKey } from '../../../api/meta.ts';
import { formatTime } from '../../../api/time.ts';
import {
  ANN_BETA_STORAGE_PROVISIONER,
  ANN_BIND_COMPLETED,
  ANN_BOUND_BY_CONTROLLER,
  ANN_PROVISIONED_BY,
  ANN_STORAGE_PROVISIONER,
  claimClass,
  findMatchingVolume,
  isDelayBinding,
  isVolumeBoundToClaim,
  NO_PROVISIONER,
  selectedNode,
  SIMULATED_PROVISIONER,
  volumeModeMismatch,
  volumeSatisfiesClaim,
} from '../../../api/volume-binding.ts';
import type { ApiClient } from '../../../client/api-client.ts';
import type { Informer } from '../../../client/informer.ts';
import { WorkQueue } from '../../../client/workqueue.ts';
import type { ProcessPorts } from '../../../ports/process.ts';
import { describeFailure } from '../../common/api-errors.ts';
import { waitForCacheSync } from '../../common/cache-sync.ts';
import type { Controller } from '../../common/controller.ts';
import { EventRecorder, type EventType } from '../../common/events.ts';
import type { SharedInformers } from '../../common/shared-informers.ts';
import { runWorker } from '../../common/worker.ts';
import { provisionedVolumeName, simulatedVolume } from './simulated-provisioner.ts';

export interface PersistentVolumeControllerOptions {
  /** --pvclaimbinder-sync-period: every claim and volume is synced again this often. */
  readonly resyncPeriodUs: number;
}

export const DEFAULT_PERSISTENT_VOLUME_CONTROLLER: PersistentVolumeControllerOptions = {
  resyncPeriodUs: 15_000_000,
};

const CLAIM_GVK = { group: '', version: 'v1', kind: 'PersistentVolumeClaim' } as const;
const VOLUME_GVK = { group: '', version: 'v1', kind: 'PersistentVolume' } as const;

type SyncError = string | undefined;
type ClaimPhase = 'Pending' | 'Bound' | 'Lost';
type VolumePhase = 'Available' | 'Bound' | 'Released' | 'Failed';

/**
 * The PersistentVolume binder (pkg/controller/volume/persistentvolume/pv_controller.go): one
 * worker syncs claims (syncUnboundClaim / syncBoundClaim: bind to a pre-bound or the best
 * matching volume, provision, or wait; mark lost claims), another syncs volumes (syncVolume:
 * phases, completing or undoing half-done bindings, releasing volumes whose claim is gone and
 * reclaiming them by policy). Every write is an update at the object's resourceVersion, so a
 * stale cache costs a conflict and a retry, never a volume bound to two claims; a binding cut
 * short by a crash (volume side written, claim side not) is finished by the next sync, which
 * finds the volume pre-bound to the claim.
 *
 * Dynamic provisioning: classes naming ksim's simulated provisioner get a volume made here
 * (the in-tree provisioning path); other provisioners are external, and the claim is only
 * annotated for them, as upstream.
 */
export class PersistentVolumeController implements Controller {
  readonly name = 'persistentvolume-binder';
  private readonly claims: Informer<'PersistentVolumeClaim'>;
  private readonly volumes: Informer<'PersistentVolume'>;
  private readonly classes: Informer<'StorageClass'>;
  private readonly claimQueue: WorkQueue<string>;
  private readonly volumeQueue: WorkQueue<string>;
  private readonly recorder: EventRecorder;
  /** The last Event per object: repeats of a waiting state are not written again. */
  private readonly lastEvent = new Map<string, string>();
  /**
   * Volumes whose create got an answer that does not settle it (a lost reply's timeout, a 5xx),
   * by name, with the claim and class it was made for: when the volume shows up, this
   * controller made it, and it is recorded as provisioned then, once, as a create answered 201
   * is.
   */
  private readonly unsettledCreates = new Map<
    string,
    { readonly claim: PersistentVolumeClaim; readonly className: string }
  >();
  private running = true;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: PersistentVolumeControllerOptions = DEFAULT_PERSISTENT_VOLUME_CONTROLLER,
  ) {
    this.claimQueue = new WorkQueue(ports);
    this.volumeQueue = new WorkQueue(ports);
    this.recorder = new EventRecorder(ports, api, 'persistentvolume-controller');
    this.claims = informers.informer('PersistentVolumeClaim');
    this.volumes = informers.informer('PersistentVolume');
    this.classes = informers.informer('StorageClass');
    this.claims.addEventHandler({
      onAdd: (c) => this.claimQueue.add(keyOf(c)),
      onUpdate: (_o, c) => this.claimQueue.add(keyOf(c)),
      onDelete: (c) => {
        this.lastEvent.delete(`claim:${keyOf(c)}`);
        // deleteClaim: the volume it was bound to is released now.
        const volume = c.spec?.volumeName;
        if (volume) this.volumeQueue.add(volume);
      },
    });
    this.volumes.addEventHandler({
      onAdd: (v) => {
        this.settleCreate(v.metadata.name ?? '');
        this.volumeQueue.add(keyOf(v));
      },
      onUpdate: (_o, v) => this.volumeQueue.add(keyOf(v)),
      onDelete: (v) => {
        this.lastEvent.delete(`volume:${keyOf(v)}`);
        this.unsettledCreates.delete(v.metadata.name ?? '');
        // deleteVolume: a claim bound to it is lost.
        const ref = v.spec?.claimRef;
        if (ref?.name) this.claimQueue.add(objectKey(ref.namespace, ref.name));
      },
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.claims, this.volumes, this.classes]);
    const onError = (what: string) => (key: string, error: string) =>
      this.ports.trace.debug('pv.sync-error', { object: `${what} ${key}`, error });
    this.ports.spawn(() =>
      runWorker(this.volumeQueue, (k) => this.syncVolume(k), onError('PersistentVolume')),
    );
    this.ports.spawn(() =>
      runWorker(this.claimQueue, (k) => this.syncClaim(k), onError('PersistentVolumeClaim')),
    );
    // resync: periodic syncs catch what no event announces (a volume matching a waiting claim).
    while (this.running) {
      for (const v of this.volumes.list()) this.volumeQueue.add(keyOf(v));
      for (const c of this.claims.list()) this.claimQueue.add(keyOf(c));
      await this.ports.clock.sleep(this.options.resyncPeriodUs);
    }
  }

  stop(): void {
    this.running = false;
    this.claimQueue.shutDown();
    this.volumeQueue.shutDown();
  }

  // ---- claims ------------------------------------------------------------------------------------

  private async syncClaim(key: string): Promise<SyncError> {
    const claim = this.claims.get(key);
    if (claim === undefined) return undefined;
    if (claim.metadata.annotations?.[ANN_BIND_COMPLETED] === undefined) {
      return this.syncUnboundClaim(claim);
    }
    return this.syncBoundClaim(claim);
  }

  private classOf(claim: PersistentVolumeClaim): StorageClass | undefined {
    const name = claimClass(claim);
    return name === '' ? undefined : this.classes.get(name);
  }

  private async syncUnboundClaim(claim: PersistentVolumeClaim): Promise<SyncError> {
    const volumeName = claim.spec?.volumeName ?? '';
    if (volumeName === '') {
      const cls = this.classOf(claim);
      const delay = isDelayBinding(claim, cls);
      const volume = findMatchingVolume(claim, this.volumes.list(), undefined, delay);
      if (volume !== undefined) return this.bind(volume, claim);
      if (delay && selectedNode(claim) === undefined) {
        this.claimEvent(
          claim,
          'Normal',
          'WaitForFirstConsumer',
          'waiting for first consumer to be created before binding',
        );
      } else if (claimClass(claim) !== '') {
        return this.provisionClaim(claim, cls);
      } else {
        this.claimEvent(
          claim,
          'Normal',
          'FailedBinding',
          'no persistent volumes available for this claim and no storage class is set',
        );
      }
      return this.updateClaimPhase(claim, 'Pending');
    }
    // The user asked for a particular volume.
    const volume = this.volumes.get(volumeName);
    if (volume === undefined) return this.updateClaimPhase(claim, 'Pending');
    const ref = volume.spec?.claimRef;
    if (ref === undefined || ref === null) {
      const mismatch = volumeSatisfiesClaim(volume, claim);
      if (mismatch !== undefined) {
        this.claimEvent(
          claim,
          'Warning',
          'VolumeMismatch',
          `Cannot bind to requested volume "${volumeName}": ${mismatch}`,
        );
        return this.updateClaimPhase(claim, 'Pending');
      }
      return this.bind(volume, claim);
    }
    if (isVolumeBoundToClaim(volume, claim)) return this.bind(volume, claim);
    if (claim.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] !== undefined) {
      return `invalid binding of claim ${keyOf(claim)} to volume ${volumeName}: volume already claimed by ${ref.namespace}/${ref.name}`;
    }
    this.claimEvent(
      claim,
      'Warning',
      'FailedBinding',
      `volume "${volumeName}" already bound to a different claim.`,
    );
    return this.updateClaimPhase(claim, 'Pending');
  }

  private async syncBoundClaim(claim: PersistentVolumeClaim): Promise<SyncError> {
    const volumeName = claim.spec?.volumeName ?? '';
    if (volumeName === '') {
      return this.loseClaim(
        claim,
        'ClaimLost',
        'Bound claim has lost reference to PersistentVolume. Data on the volume is lost!',
      );
    }
    const volume = this.volumes.get(volumeName);
    if (volume === undefined) {
      return this.loseClaim(
        claim,
        'ClaimLost',
        'Bound claim has lost its PersistentVolume. Data on the volume is lost!',
      );
    }
    const ref = volume.spec?.claimRef;
    if (ref === undefined || ref === null || ref.uid === claim.metadata.uid) {
      return this.bind(volume, claim);
    }
    return this.loseClaim(
      claim,
      'ClaimMisbound',
      'Two claims are bound to the same volume, this one is bound incorrectly',
    );
  }

  private async loseClaim(
    claim: PersistentVolumeClaim,
    reason: string,
    message: string,
  ): Promise<SyncError> {
    if (claim.status?.phase !== 'Lost') this.claimEvent(claim, 'Warning', reason, message);
    return this.updateClaimPhase(claim, 'Lost');
  }

  /**
   * provisionClaim: ksim's simulated provisioner creates the volume, pre-bound to the claim
   * (the next claim sync binds it); an external provisioner is only named on the claim.
   */
  private async provisionClaim(
    claim: PersistentVolumeClaim,
    cls: StorageClass | undefined,
  ): Promise<SyncError> {
    const className = claimClass(claim);
    if (cls === undefined) {
      this.claimEvent(
        claim,
        'Warning',
        'ProvisioningFailed',
        `storageclass.storage.k8s.io "${className}" not found`,
      );
      return this.updateClaimPhase(claim, 'Pending');
    }
    const provisioner = cls.provisioner;
    if (provisioner === NO_PROVISIONER) {
      this.claimEvent(
        claim,
        'Warning',
        'ProvisioningFailed',
        `no volume plugin matched name: ${provisioner}`,
      );
      return this.updateClaimPhase(claim, 'Pending');
    }
    const annotated = await this.setClaimProvisioner(claim, provisioner);
    if (typeof annotated === 'string') return annotated;
    if (provisioner !== SIMULATED_PROVISIONER) {
      this.claimEvent(
        annotated,
        'Normal',
        'ExternalProvisioning',
        `Waiting for a volume to be created either by the external provisioner '${provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.`,
      );
      return this.updateClaimPhase(annotated, 'Pending');
    }
    const name = provisionedVolumeName(annotated);
    if (this.volumes.get(name) !== undefined) return undefined;
    const r = await this.api.create(simulatedVolume(annotated, cls));
    if (r.ok) {
      this.unsettledCreates.delete(name);
      this.provisioned(annotated, name, className);
    } else if (r.status >= 500) {
      // The create may have landed with its reply lost (a timeout): it is ours if the volume
      // shows up. (A 409 is not: the volume was there before this create.)
      this.unsettledCreates.set(name, { claim: annotated, className });
      if (this.volumes.get(name) !== undefined) this.settleCreate(name);
    }
    if (!r.ok && r.status !== 409 && this.volumes.get(name) === undefined) {
      this.claimEvent(annotated, 'Warning', 'ProvisioningFailed', describeFailure(r));
      return `provision ${name}: ${describeFailure(r)}`;
    }
    return this.updateClaimPhase(annotated, 'Pending');
  }

  /** A volume whose create's answer did not settle it has shown up: it was this controller's. */
  private settleCreate(name: string): void {
    const made = this.unsettledCreates.get(name);
    if (made === undefined) return;
    this.unsettledCreates.delete(name);
    this.provisioned(made.claim, name, made.className);
  }

  /** This controller's create of `name` for `claim` took effect: traced, and an Event. */
  private provisioned(claim: PersistentVolumeClaim, name: string, className: string): void {
    this.ports.trace.emit('pv.provision', {
      claim: keyOf(claim),
      volume: name,
      storageClass: className,
      node: selectedNode(claim) ?? '',
    });
    this.claimEvent(
      claim,
      'Normal',
      'ProvisioningSucceeded',
      `Successfully provisioned volume ${name} using ${SIMULATED_PROVISIONER}`,
    );
  }

  /** setClaimProvisioner: the claim names the provisioner asked (GA and beta annotations). */
  private async setClaimProvisioner(
    claim: PersistentVolumeClaim,
    provisioner: string,
  ): Promise<PersistentVolumeClaim | string> {
    const a = claim.metadata.annotations ?? {};
    if (
      a[ANN_STORAGE_PROVISIONER] === provisioner &&
      a[ANN_BETA_STORAGE_PROVISIONER] === provisioner
    )
      return claim;
    const r = await this.api.update<PersistentVolumeClaim>({
      ...claim,
      metadata: {
        ...claim.metadata,
        annotations: {
          ...a,
          [ANN_STORAGE_PROVISIONER]: provisioner,
          [ANN_BETA_STORAGE_PROVISIONER]: provisioner,
        },
      },
    });
    return r.ok ? r.value : `annotate claim ${keyOf(claim)}: ${describeFailure(r)}`;
  }

  /**
   * bind: the volume's claimRef (bindVolumeToClaim), its Bound phase, the claim's volumeName
   * and bind-completed annotation (bindClaimToVolume), its Bound status. Each write is skipped
   * when already done, so bind also finishes a binding a crash cut short.
   */
  private async bind(volume: PersistentVolume, claim: PersistentVolumeClaim): Promise<SyncError> {
    const boundVolume = await this.bindVolumeToClaim(volume, claim);
    if (typeof boundVolume === 'string') return boundVolume;
    const phased = await this.updateVolumePhase(boundVolume, 'Bound');
    if (typeof phased === 'string') return phased;
    const boundClaim = await this.bindClaimToVolume(claim, phased);
    if (typeof boundClaim === 'string') return boundClaim;
    const wasBound = boundClaim.status?.phase === 'Bound';
    const r = await this.writeClaimStatus(boundClaim, 'Bound', phased);
    if (r === undefined && !wasBound) {
      this.ports.trace.emit('pv.bind', { claim: keyOf(claim), volume: phased.metadata.name ?? '' });
    }
    return r;
  }

  private async bindVolumeToClaim(
    volume: PersistentVolume,
    claim: PersistentVolumeClaim,
  ): Promise<PersistentVolume | string> {
    const ref = volume.spec?.claimRef;
    const refOk =
      ref !== undefined &&
      ref !== null &&
      ref.name === claim.metadata.name &&
      ref.namespace === claim.metadata.namespace &&
      ref.uid === claim.metadata.uid;
    const setByController =
      !isVolumeBoundToClaim(volume, claim) &&
      volume.metadata.annotations?.[ANN_BOUND_BY_CONTROLLER] === undefined;
    if (refOk && !setByController) return volume;
    const r = await this.api.update<PersistentVolume>({
      ...volume,
      metadata: {
        ...volume.metadata,
        annotations: setByController
          ? { ...volume.metadata.annotations, [ANN_BOUND_BY_CONTROLLER]: 'yes' }
          : volume.metadata.annotations,
      },
      spec: {
        ...volume.spec,
        claimRef: {
          kind: 'PersistentVolumeClaim',
          apiVersion: 'v1',
          namespace: claim.metadata.namespace ?? '',
          name: claim.metadata.name ?? '',
          uid: claim.metadata.uid ?? '',
          resourceVersion: claim.metadata.resourceVersion ?? '',
        },
      },
    });
    return r.ok ? r.value : `bind volume ${keyOf(volume)}: ${describeFailure(r)}`;
  }

  private async bindClaimToVolume(
    claim: PersistentVolumeClaim,
    volume: PersistentVolume,
  ): Promise<PersistentVolumeClaim | string> {
    const name = volume.metadata.name ?? '';
    const a = claim.metadata.annotations ?? {};
    const byController = claim.spec?.volumeName !== name;
    const needsAnnotation = byController && a[ANN_BOUND_BY_CONTROLLER] === undefined;
    if (!byController && a[ANN_BIND_COMPLETED] !== undefined) return claim;
    const r = await this.api.update<PersistentVolumeClaim>({
      ...claim,
      metadata: {
        ...claim.metadata,
        annotations: {
          ...a,
          ...(needsAnnotation ? { [ANN_BOUND_BY_CONTROLLER]: 'yes' } : {}),
          [ANN_BIND_COMPLETED]: 'yes',
        },
      },
      spec: { ...claim.spec, volumeName: name },
    });
    return r.ok ? r.value : `bind claim ${keyOf(claim)}: ${describeFailure(r)}`;
  }

  private updateClaimPhase(claim: PersistentVolumeClaim, phase: ClaimPhase): Promise<SyncError> {
    return this.writeClaimStatus(claim, phase, undefined);
  }

  /** updateClaimStatus: the phase and, for a bound claim, the volume's capacity and modes. */
  private async writeClaimStatus(
    claim: PersistentVolumeClaim,
    phase: ClaimPhase,
    volume: PersistentVolume | undefined,
  ): Promise<SyncError> {
    const status = claim.status ?? {};
    const capacity = volume?.spec?.capacity;
    const modes = volume?.spec?.accessModes;
    const same =
      status.phase === phase &&
      (volume === undefined ||
        (JSON.stringify(status.capacity ?? null) === JSON.stringify(capacity ?? null) &&
          JSON.stringify(status.accessModes ?? null) === JSON.stringify(modes ?? null)));
    if (same) return undefined;
    const next = { ...status, phase };
    if (volume !== undefined) {
      if (capacity) next.capacity = { ...capacity };
      if (modes) next.accessModes = [...modes];
    }
    const r = await this.api.updateStatus<PersistentVolumeClaim>({ ...claim, status: next });
    return r.ok ? undefined : `claim ${keyOf(claim)} status: ${describeFailure(r)}`;
  }

  // ---- volumes -----------------------------------------------------------------------------------

  private async syncVolume(key: string): Promise<SyncError> {
    const volume = this.volumes.get(key);
    if (volume === undefined) return undefined;
    const ref = volume.spec?.claimRef;
    // Unbound, or pre-bound by a user to a claim that has not bound yet.
    if (ref === undefined || ref === null || !ref.uid) {
      return toError(await this.updateVolumePhase(volume, 'Available'));
    }
    const found = await this.claimOf(ref.namespace ?? '', ref.name ?? '');
    if (typeof found === 'string') return found;
    const claim = found?.metadata.uid === ref.uid ? found : undefined;
    if (claim === undefined) return this.release(volume);
    if (!claim.spec?.volumeName) {
      if (volumeModeMismatch(claim, volume)) {
        this.volumeEvent(
          volume,
          'Warning',
          'VolumeMismatch',
          'Cannot bind PersistentVolume to requested PersistentVolumeClaim due to incompatible volumeMode.',
        );
        return undefined;
      }
      // A binding not yet complete (or a dangling volume): the claim's sync finishes it.
      this.claimQueue.add(keyOf(claim));
      return undefined;
    }
    if (claim.spec.volumeName === volume.metadata.name) {
      return toError(await this.updateVolumePhase(volume, 'Bound'));
    }
    // The claim is bound to another volume.
    const a = volume.metadata.annotations ?? {};
    if (
      a[ANN_PROVISIONED_BY] !== undefined &&
      volume.spec?.persistentVolumeReclaimPolicy === 'Delete'
    ) {
      return this.release(volume);
    }
    return this.unbindVolume(volume);
  }

  /**
   * The claim is in the cache, or, when the cache has not seen it (it may be newer than the
   * cache), on the API server: a volume is released only when the claim is really gone.
   */
  private async claimOf(
    namespace: string,
    name: string,
  ): Promise<PersistentVolumeClaim | undefined | string> {
    const cached = this.claims.get(objectKey(namespace, name));
    if (cached !== undefined) return cached;
    const r = await this.api.get('PersistentVolumeClaim', namespace, name);
    if (r.ok) return r.value;
    return r.status === 404 ? undefined : `get claim ${namespace}/${name}: ${describeFailure(r)}`;
  }

  /** unbindVolume: a controller binding is undone; a user's pre-binding keeps the claim's name. */
  private async unbindVolume(volume: PersistentVolume): Promise<SyncError> {
    const a = { ...volume.metadata.annotations };
    const byController = a[ANN_BOUND_BY_CONTROLLER] !== undefined;
    delete a[ANN_BOUND_BY_CONTROLLER];
    const spec = { ...volume.spec };
    if (byController) delete spec.claimRef;
    else if (spec.claimRef) spec.claimRef = { ...spec.claimRef, uid: '' };
    const r = await this.api.update<PersistentVolume>({
      ...volume,
      metadata: { ...volume.metadata, annotations: a },
      spec,
    });
    if (!r.ok) return `unbind volume ${keyOf(volume)}: ${describeFailure(r)}`;
    return toError(await this.updateVolumePhase(r.value, 'Available'));
  }

  /** The claim is gone: the volume is Released and reclaimed by its policy (reclaimVolume). */
  private async release(volume: PersistentVolume): Promise<SyncError> {
    const phase = volume.status?.phase;
    let current = volume;
    if (phase !== 'Released' && phase !== 'Failed') {
      const r = await this.updateVolumePhase(volume, 'Released');
      if (typeof r === 'string') return r;
      current = r;
    }
    if (phase === 'Failed') return undefined;
    const ref = current.spec?.claimRef;
    const claim = ref ? objectKey(ref.namespace, ref.name ?? '') : '';
    const policy = current.spec?.persistentVolumeReclaimPolicy ?? 'Retain';
    switch (policy) {
      case 'Retain':
        if (phase !== 'Released') {
          this.ports.trace.emit('pv.reclaim', {
            volume: keyOf(current),
            claim,
            policy,
            outcome: 'retained',
          });
        }
        return undefined;
      case 'Recycle': {
        // Recyclers are gone upstream and never existed here: the volume fails.
        const r = await this.updateVolumePhase(
          current,
          'Failed',
          'No recycler plugin found for the volume!',
        );
        if (typeof r === 'string') return r;
        this.volumeEvent(
          current,
          'Warning',
          'VolumeFailedRecycle',
          'No recycler plugin found for the volume!',
        );
        this.ports.trace.emit('pv.reclaim', {
          volume: keyOf(current),
          claim,
          policy,
          outcome: 'failed',
        });
        return undefined;
      }
      default:
        return this.deleteVolume(current, claim);
    }
  }

  /**
   * deleteVolumeOperation: ksim has no storage behind a volume, so deleting one is deleting
   * its object; volumes an external provisioner made are left to it. As upstream, the volume is
   * read afresh first: the informer's copy may predate this controller's own earlier delete
   * (a finalizer keeps the object), and deleting it again would reclaim it twice.
   */
  private async deleteVolume(cached: PersistentVolume, claim: string): Promise<SyncError> {
    const fresh = await this.api.get('PersistentVolume', undefined, cached.metadata.name ?? '');
    if (!fresh.ok) {
      if (fresh.status === 404) return undefined;
      return `read volume ${keyOf(cached)}: ${describeFailure(fresh)}`;
    }
    const volume = fresh.value;
    const by = volume.metadata.annotations?.[ANN_PROVISIONED_BY];
    if (isBeingDeleted(volume) || (by !== undefined && by !== SIMULATED_PROVISIONER)) {
      return undefined;
    }
    if (volume.metadata.uid !== cached.metadata.uid || volume.status?.phase !== 'Released') {
      return undefined;
    }
    const r = await this.api.delete('PersistentVolume', undefined, volume.metadata.name ?? '', {
      preconditions: { uid: volume.metadata.uid ?? '' },
    });
    if (!r.ok && r.status !== 404) {
      this.volumeEvent(volume, 'Warning', 'VolumeFailedDelete', describeFailure(r));
      return `delete volume ${keyOf(volume)}: ${describeFailure(r)}`;
    }
    this.ports.trace.emit('pv.reclaim', {
      volume: keyOf(volume),
      claim,
      policy: 'Delete',
      outcome: 'deleted',
    });
    return undefined;
  }

  /** updateVolumePhase: the phase, its message, and when it last changed. */
  private async updateVolumePhase(
    volume: PersistentVolume,
    phase: VolumePhase,
    message?: string,
  ): Promise<PersistentVolume | string> {
    if (volume.status?.phase === phase) return volume;
    const status = {
      phase,
      ...(message === undefined ? {} : { message }),
      lastPhaseTransitionTime: formatTime(this.ports.clock.now()),
    };
    const r = await this.api.updateStatus<PersistentVolume>({ ...volume, status });
    return r.ok ? r.value : `volume ${keyOf(volume)} status: ${describeFailure(r)}`;
  }

  // ---- events ------------------------------------------------------------------------------------

  private claimEvent(
    claim: PersistentVolumeClaim,
    type: EventType,
    reason: string,
    message: string,
  ) {
    this.eventOnce(`claim:${keyOf(claim)}`, claim, CLAIM_GVK, type, reason, message);
  }

  private volumeEvent(volume: PersistentVolume, type: EventType, reason: string, message: string) {
    this.eventOnce(`volume:${keyOf(volume)}`, volume, VOLUME_GVK, type, reason, message);
  }

  /** Upstream's recorder folds repeats into one Event's count; here a repeat is not written. */
  private eventOnce(
    id: string,
    obj: PersistentVolume | PersistentVolumeClaim,
    gvk: typeof CLAIM_GVK | typeof VOLUME_GVK,
    type: EventType,
    reason: string,
    message: string,
  ): void {
    const what = `${reason}\n${message}`;
    if (this.lastEvent.get(id) === what) return;
    this.lastEvent.set(id, what);
    this.recorder.event(obj, gvk, type, reason, message);
  }
}

function toError(r: PersistentVolume | string): SyncError {
  return typeof r === 'string' ? r : undefined;
}
