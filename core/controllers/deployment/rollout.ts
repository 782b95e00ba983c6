/**
 * One sync of one Deployment: pkg/controller/deployment sync.go, rolling.go, recreate.go,
 * rollback.go and progress.go, over the ReplicaSets the controller claimed. The Deployment and
 * ReplicaSets are immutable; every write's answer replaces the copy later steps read, as
 * upstream's in-place updates of its deep copy do.
 */
import type { Deployment } from '../../api/kinds/deployment.ts';
import { keyOf, newControllerRef } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import { parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Trace } from '../../ports/trace.ts';
import { describeFailure } from '../common/api-errors.ts';
import type { EventRecorder } from '../common/events.ts';
import {
  annotationsForRollback,
  DESIRED_REPLICAS_ANNOTATION,
  lastRevision,
  maxRevision,
  newReplicaSetAnnotations,
  REVISION_ANNOTATION,
  replicasAnnotationsNeedUpdate,
  revisionOf,
  ROLLBACK_TO_ANNOTATION,
  rollbackTo,
  setReplicasAnnotations,
} from './annotations.ts';
import {
  computePodTemplateHash,
  equalIgnoreHash,
  POD_TEMPLATE_HASH_LABEL,
  withoutHashLabel,
} from './pod-template-hash.ts';
import {
  actualReplicaSum,
  availableReplicaSum,
  intAnnotation,
  isRollingUpdate,
  maxSurge,
  maxUnavailable,
  newRSNewReplicas,
  proportion,
  specReplicaSum,
  specReplicas,
} from './replica-math.ts';
import {
  calculateStatus,
  deploymentComplete,
  getDeploymentCondition,
  hasProgressDeadline,
  newCondition,
  PROGRESSING,
  progressCheckDelayUs,
  REASON,
  rolloutStatus,
  sameStatus,
  setDeploymentCondition,
} from './status.ts';

export const DEPLOYMENT_GVK = { group: 'apps', version: 'v1', kind: 'Deployment' } as const;

type SyncError = string | undefined;
type DeploymentStatus = NonNullable<Deployment['status']>;

/** What the controller does with the key after the sync, besides rate-limited retries. */
export type Requeue =
  | { readonly kind: 'none' }
  | { readonly kind: 'after'; readonly delayUs: number }
  | { readonly kind: 'rate-limited' };

export interface RolloutDeps {
  readonly api: ApiClient;
  readonly events: EventRecorder;
  readonly trace: Trace;
  readonly nowUs: number;
  readonly nowIso: string;
  /** The ReplicaSet cache, for a create that found its name taken. */
  readonly cachedReplicaSet: (key: string) => ReplicaSet | undefined;
  /** The pods a ReplicaSet controls (Recreate waits for all old ones to be gone). */
  readonly podsOf: (rs: ReplicaSet) => readonly Pod[];
}

export class Rollout {
  requeue: Requeue = { kind: 'none' };
  private readonly key: string;

  constructor(
    private readonly deps: RolloutDeps,
    private d: Deployment,
    private rsList: ReplicaSet[],
  ) {
    this.key = keyOf(d);
  }

  /** syncDeployment after the claims: pick what this sync does. */
  async run(deleting: boolean): Promise<SyncError> {
    if (deleting) return this.syncStatusOnly();
    const paused = await this.checkPausedConditions();
    if (paused !== undefined) return paused;
    if (this.d.spec.paused === true) return this.sync();
    if (rollbackTo(this.d) !== undefined) return this.rollback();
    if (this.isScalingEvent()) return this.sync();
    return isRollingUpdate(this.d) ? this.rolloutRolling() : this.rolloutRecreate();
  }

  // ---- sync.go -------------------------------------------------------------------------------

  private async syncStatusOnly(): Promise<SyncError> {
    const all = await this.allReplicaSets(false);
    if (typeof all === 'string') return all;
    return this.syncDeploymentStatus(all.all, all.newRS);
  }

  /** sync: scale (paused, or a resize), clean up while paused, write the status. */
  private async sync(): Promise<SyncError> {
    const all = await this.allReplicaSets(false);
    if (typeof all === 'string') return all;
    const scaled = await this.scale(all.newRS, all.old);
    if (scaled !== undefined) return scaled;
    if (this.d.spec.paused === true && rollbackTo(this.d) === undefined) {
      const cleaned = await this.cleanup(all.old);
      if (cleaned !== undefined) return cleaned;
    }
    return this.syncDeploymentStatus(this.current(all.old), this.fresh(all.newRS));
  }

  /** isScalingEvent: an active ReplicaSet was planned for another size than spec.replicas. */
  private isScalingEvent(): boolean {
    const replicas = specReplicas(this.d);
    for (const rs of this.rsList) {
      if (specReplicas(rs) === 0) continue;
      const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
      if (desired !== undefined && desired !== replicas) return true;
    }
    return false;
  }

  /** checkPausedConditions: Progressing Unknown DeploymentPaused / DeploymentResumed. */
  private async checkPausedConditions(): Promise<SyncError> {
    if (!hasProgressDeadline(this.d)) return undefined;
    const cond = getDeploymentCondition(this.d.status, PROGRESSING);
    if (cond?.reason === REASON.timedOut) return undefined;
    const pausedCondExists = cond?.reason === REASON.paused;
    const paused = this.d.spec.paused === true;
    let next: DeploymentCondition | undefined;
    if (paused && !pausedCondExists)
      next = this.condition('Unknown', REASON.paused, 'Deployment is paused');
    else if (!paused && pausedCondExists)
      next = this.condition('Unknown', REASON.resumed, 'Deployment is resumed');
    if (next === undefined) return undefined;
    return this.writeStatus(setDeploymentCondition(this.d.status ?? {}, next));
  }

  private condition(status: 'True' | 'False' | 'Unknown', reason: string, message: string) {
    return newCondition(PROGRESSING, status, reason, message, this.deps.nowIso);
  }

  /**
   * getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked and missing) and
   * all old ones.
   */
  private async allReplicaSets(
    create: boolean,
  ): Promise<{ newRS: ReplicaSet | undefined; old: ReplicaSet[]; all: ReplicaSet[] } | string> {
    const existing = findNewReplicaSet(this.d, this.rsList);
    const old = this.rsList.filter((rs) => rs !== existing);
    const newRS = await this.newReplicaSet(existing, old, create);
    if (typeof newRS === 'string') return newRS;
    return { newRS, old, all: newRS === undefined ? old : [...old, newRS] };
  }

  /** getNewReplicaSet. */
  private async newReplicaSet(
    existing: ReplicaSet | undefined,
    old: readonly ReplicaSet[],
    create: boolean,
  ): Promise<ReplicaSet | undefined | string> {
    const newRevision = maxRevision(old) + 1;
    if (existing !== undefined) return this.syncExistingNewReplicaSet(existing, newRevision);
    if (!create) return undefined;
    return this.createNewReplicaSet(old, newRevision);
  }

  private async syncExistingNewReplicaSet(
    rs: ReplicaSet,
    newRevision: number,
  ): Promise<ReplicaSet | string> {
    const annotations = newReplicaSetAnnotations(
      this.d,
      rs.metadata.annotations,
      newRevision,
      true,
      {
        desired: 0,
        max: 0,
      },
    );
    const minReady = this.d.spec.minReadySeconds ?? 0;
    if (annotations !== undefined || (rs.spec.minReadySeconds ?? 0) !== minReady) {
      const r = await this.deps.api.update<ReplicaSet>({
        ...rs,
        metadata: { ...rs.metadata, annotations: annotations ?? rs.metadata.annotations ?? {} },
        spec: { ...rs.spec, minReadySeconds: minReady },
      });
      if (!r.ok) return `update ReplicaSet ${rs.metadata.name}: ${describeFailure(r)}`;
      this.replaceRS(r.value);
      return r.value;
    }
    // The revision set before, by the sync that found or made this ReplicaSet.
    const revision = rs.metadata.annotations?.[REVISION_ANNOTATION];
    let status = this.d.status ?? {};
    if (hasProgressDeadline(this.d) && getDeploymentCondition(status, PROGRESSING) === undefined) {
      status = setDeploymentCondition(
        status,
        this.condition('True', REASON.foundNewRS, `Found new replica set "${rs.metadata.name}"`),
      );
    }
    const w = await this.writeStatus(status, revision);
    return w ?? rs;
  }

  private async createNewReplicaSet(
    old: readonly ReplicaSet[],
    newRevision: number,
  ): Promise<ReplicaSet | string> {
    const d = this.d;
    const collisionCount = d.status?.collisionCount;
    const hash = computePodTemplateHash(d.spec.template, collisionCount);
    const template = {
      ...d.spec.template,
      metadata: {
        ...d.spec.template.metadata,
        labels: { ...d.spec.template.metadata?.labels, [POD_TEMPLATE_HASH_LABEL]: hash },
      },
    };
    const selector = {
      ...d.spec.selector,
      matchLabels: { ...d.spec.selector.matchLabels, [POD_TEMPLATE_HASH_LABEL]: hash },
    };
    const draft: ReplicaSet = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name ?? ''}-${hash}`,
        namespace: d.metadata.namespace ?? 'default',
        ownerReferences: [newControllerRef(d, DEPLOYMENT_GVK)],
        labels: template.metadata.labels,
      },
      spec: {
        replicas: 0,
        minReadySeconds: d.spec.minReadySeconds ?? 0,
        selector,
        template,
      },
    };
    const replicas = newRSNewReplicas(d, [...old, draft], draft);
    const annotations =
      newReplicaSetAnnotations(d, {}, newRevision, false, {
        desired: specReplicas(d),
        max: specReplicas(d) + maxSurge(d),
      }) ?? {};
    const rs: ReplicaSet = {
      ...draft,
      metadata: { ...draft.metadata, annotations },
      spec: { ...draft.spec, replicas },
    };
    const r = await this.deps.api.create(rs);
    let created: ReplicaSet;
    let alreadyExists = false;
    if (r.ok) created = r.value;
    else if (r.status === 409) {
      const taken = await this.handleNameTaken(rs);
      if (typeof taken === 'string') return taken;
      created = taken;
      alreadyExists = true;
    } else {
      const message = `Failed to create new replica set "${rs.metadata.name}": ${describeFailure(r)}`;
      if (hasProgressDeadline(d)) {
        const status = setDeploymentCondition(
          d.status ?? {},
          this.condition('False', REASON.failedRSCreate, message),
        );
        await this.writeStatus(status);
      }
      this.deps.events.event(d, DEPLOYMENT_GVK, 'Warning', REASON.failedRSCreate, message);
      return message;
    }
    if (!this.rsList.some((o) => o.metadata.uid === created.metadata.uid))
      this.rsList.push(created);
    if (!alreadyExists) {
      this.deps.trace.emit('deployment.new-replica-set', {
        deployment: this.key,
        rs: keyOf(created),
        revision: newRevision,
        replicas,
      });
    }
    if (!alreadyExists && replicas > 0)
      this.deps.events.event(
        d,
        DEPLOYMENT_GVK,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${created.metadata.name} from 0 to ${replicas}`,
      );
    let status = this.d.status ?? {};
    if (!alreadyExists && hasProgressDeadline(this.d)) {
      status = setDeploymentCondition(
        status,
        this.condition(
          'True',
          REASON.newRSCreated,
          `Created new replica set "${created.metadata.name}"`,
        ),
      );
    }
    const w = await this.writeStatus(status, String(newRevision));
    if (w !== undefined) return w;
    return created;
  }

  /**
   * The name is taken. Our own ReplicaSet with this template (a create whose answer we missed,
   * or a stale cache) is the new ReplicaSet; anything else is a hash collision: raise
   * collisionCount so the next sync picks another name.
   */
  private async handleNameTaken(rs: ReplicaSet): Promise<ReplicaSet | string> {
    const cached = this.deps.cachedReplicaSet(keyOf(rs));
    if (cached === undefined)
      return `create ReplicaSet ${rs.metadata.name}: it exists, and the cache has not seen it yet`;
    const ours = cached?.metadata.ownerReferences?.some(
      (o) => o.controller === true && o.uid === this.d.metadata.uid,
    );
    if (ours === true && equalIgnoreHash(cached.spec.template, this.d.spec.template)) return cached;
    const collisionCount = (this.d.status?.collisionCount ?? 0) + 1;
    const w = await this.writeStatus({ ...this.d.status, collisionCount });
    if (w !== undefined) return w;
    return `hash collision for ReplicaSet ${rs.metadata.name}: collisionCount is now ${collisionCount}`;
  }

  /** scale: resize the ReplicaSets when the Deployment's replicas change mid-rollout. */
  private async scale(
    newRS: ReplicaSet | undefined,
    old: readonly ReplicaSet[],
  ): Promise<SyncError> {
    const d = this.d;
    const replicas = specReplicas(d);
    const activeOrLatest = findActiveOrLatest(newRS, old);
    if (activeOrLatest !== undefined) {
      if (specReplicas(activeOrLatest) === replicas) return undefined;
      return this.scaleReplicaSet(activeOrLatest, replicas);
    }
    if (isSaturated(d, newRS)) {
      for (const rs of filterActive(old)) {
        const e = await this.scaleReplicaSet(rs, 0);
        if (e !== undefined) return e;
      }
      return undefined;
    }
    if (!isRollingUpdate(d)) return undefined;
    const all = filterActive(newRS === undefined ? [...old] : [...old, newRS]);
    const allowed = replicas > 0 ? replicas + maxSurge(d) : 0;
    const toAdd = allowed - specReplicaSum(all);
    if (toAdd > 0) all.sort(bySizeNewer);
    else if (toAdd < 0) all.sort(bySizeOlder);
    let added = 0;
    const sizes = new Map<string, number>();
    for (const rs of all) {
      const p = toAdd === 0 ? 0 : proportion(d, rs, toAdd, added);
      sizes.set(rs.metadata.name ?? '', specReplicas(rs) + p);
      added += p;
    }
    for (let i = 0; i < all.length; i++) {
      const rs = all[i] as ReplicaSet;
      const name = rs.metadata.name ?? '';
      let size = sizes.get(name) ?? 0;
      // Leftovers of the rounding go to the largest ReplicaSet.
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      const e = await this.resizeReplicaSet(rs, size);
      if (e !== undefined) return e;
    }
    return undefined;
  }

  /** scaleReplicaSetAndRecordEvent: nothing to do when the size is already right. */
  private async scaleReplicaSet(rs: ReplicaSet, size: number): Promise<SyncError> {
    if (specReplicas(rs) === size) return undefined;
    return this.resizeReplicaSet(rs, size);
  }

  /**
   * scaleReplicaSet: write the new size and the replica annotations the proportional scaling
   * reads (even when the size stays). The answer replaces this sync's copy of the ReplicaSet.
   */
  private async resizeReplicaSet(rs: ReplicaSet, size: number): Promise<SyncError> {
    const d = this.d;
    const from = specReplicas(rs);
    const sizeChanged = from !== size;
    const desired = specReplicas(d);
    const max = desired + maxSurge(d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return undefined;
    const annotations = { ...rs.metadata.annotations };
    setReplicasAnnotations(annotations, desired, max);
    const r = await this.deps.api.update<ReplicaSet>({
      ...rs,
      metadata: { ...rs.metadata, annotations },
      spec: { ...rs.spec, replicas: size },
    });
    if (!r.ok) return `scale ReplicaSet ${rs.metadata.name}: ${describeFailure(r)}`;
    this.replaceRS(r.value);
    if (sizeChanged) {
      this.deps.trace.emit('deployment.scale', {
        deployment: this.key,
        rs: keyOf(rs),
        from,
        to: size,
      });
      const direction = size > from ? 'up' : 'down';
      this.deps.events.event(
        d,
        DEPLOYMENT_GVK,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${direction} replica set ${rs.metadata.name} from ${from} to ${size}`,
      );
    }
    return undefined;
  }

  /** cleanupDeployment: delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(old: readonly ReplicaSet[]): Promise<SyncError> {
    const limit = this.d.spec.revisionHistoryLimit;
    if (limit === undefined || limit === 2 ** 31 - 1) return undefined;
    const cleanable = this.current(old).filter((rs) => rs.metadata.deletionTimestamp === undefined);
    const diff = cleanable.length - limit;
    if (diff <= 0) return undefined;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      const busy =
        (rs.status?.replicas ?? 0) !== 0 ||
        specReplicas(rs) !== 0 ||
        (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0);
      if (busy) continue;
      const r = await this.deps.api.delete(
        'ReplicaSet',
        rs.metadata.namespace,
        rs.metadata.name ?? '',
        {
          preconditions: { uid: rs.metadata.uid ?? '' },
        },
      );
      if (!r.ok && r.status !== 404)
        return `delete ReplicaSet ${rs.metadata.name}: ${describeFailure(r)}`;
    }
    return undefined;
  }

  /** syncDeploymentStatus: counts and Available, without touching Progressing. */
  private async syncDeploymentStatus(
    all: readonly ReplicaSet[],
    newRS: ReplicaSet | undefined,
  ): Promise<SyncError> {
    return this.writeStatus(calculateStatus(this.d, all, newRS, this.deps.nowIso));
  }

  /**
   * UpdateStatus, carrying the revision annotation when given: upstream's status strategy keeps
   * the writer's annotations (SetDeploymentRevision rides on a status update).
   */
  private async writeStatus(status: DeploymentStatus, revision?: string): Promise<SyncError> {
    const annotations = this.d.metadata.annotations;
    const revisionChanged =
      revision !== undefined && annotations?.[REVISION_ANNOTATION] !== revision;
    if (!revisionChanged && sameStatus(this.d.status, status)) return undefined;
    const metadata = revisionChanged
      ? { ...this.d.metadata, annotations: { ...annotations, [REVISION_ANNOTATION]: revision } }
      : this.d.metadata;
    const r = await this.deps.api.updateStatus<Deployment>({ ...this.d, metadata, status });
    if (!r.ok) return `update status of Deployment ${this.key}: ${describeFailure(r)}`;
    this.d = r.value;
    return undefined;
  }

  // ---- rolling.go ----------------------------------------------------------------------------

  private async rolloutRolling(): Promise<SyncError> {
    const all = await this.allReplicaSets(true);
    if (typeof all === 'string') return all;
    const newRS = all.newRS as ReplicaSet;
    const scaledUp = await this.reconcileNewReplicaSet(newRS);
    if (typeof scaledUp === 'string') return scaledUp;
    if (scaledUp) return this.syncRolloutStatus(all.old, newRS);
    const scaledDown = await this.reconcileOldReplicaSets(this.fresh(newRS) as ReplicaSet, all.old);
    if (typeof scaledDown === 'string') return scaledDown;
    if (scaledDown) return this.syncRolloutStatus(all.old, newRS);
    if (deploymentComplete(this.d, this.d.status ?? {})) {
      const e = await this.cleanup(all.old);
      if (e !== undefined) return e;
    }
    return this.syncRolloutStatus(all.old, newRS);
  }

  private async reconcileNewReplicaSet(newRS: ReplicaSet): Promise<boolean | string> {
    const replicas = specReplicas(this.d);
    const current = specReplicas(newRS);
    if (current === replicas) return false;
    const target =
      current > replicas
        ? replicas
        : newRSNewReplicas(this.d, [...this.current(this.otherThan(newRS)), newRS], newRS);
    if (target === current) return false;
    const e = await this.scaleReplicaSet(newRS, target);
    return e ?? true;
  }

  /**
   * reconcileOldReplicaSets: scale old ReplicaSets down as far as availability allows, their
   * unhealthy pods first.
   */
  private async reconcileOldReplicaSets(
    newRS: ReplicaSet,
    oldRSs: readonly ReplicaSet[],
  ): Promise<boolean | string> {
    const old = filterActive(this.current(oldRSs));
    if (specReplicaSum(old) === 0) return false;
    const allPods = specReplicaSum([...this.current(oldRSs), newRS]);
    const minAvailable = specReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = await this.cleanupUnhealthyReplicas(old, maxScaledDown);
    if (typeof cleaned === 'string') return cleaned;
    const scaled = await this.scaleDownOldForRollingUpdate(newRS, oldRSs);
    if (typeof scaled === 'string') return scaled;
    return cleaned + scaled > 0;
  }

  /** cleanupUnhealthyReplicas: oldest first, take away pods that are not available. */
  private async cleanupUnhealthyReplicas(
    old: readonly ReplicaSet[],
    maxCleanup: number,
  ): Promise<number | string> {
    let total = 0;
    for (const rs of [...old].sort(byCreation)) {
      if (total >= maxCleanup) break;
      const replicas = specReplicas(rs);
      const available = rs.status?.availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const count = Math.min(maxCleanup - total, replicas - available);
      // A status that still counts pods of a larger size; upstream refuses rather than grow.
      if (count < 0)
        return `cleaning up unhealthy replicas of ${rs.metadata.name}: status counts ${available} available of ${replicas}`;
      const e = await this.scaleReplicaSet(rs, replicas - count);
      if (e !== undefined) return e;
      total += count;
    }
    return total;
  }

  /** scaleDownOldReplicaSetsForRollingUpdate: oldest first, down to minAvailable. */
  private async scaleDownOldForRollingUpdate(
    newRS: ReplicaSet,
    oldRSs: readonly ReplicaSet[],
  ): Promise<number | string> {
    const old = filterActive(this.current(oldRSs));
    const minAvailable = specReplicas(this.d) - maxUnavailable(this.d);
    const available = availableReplicaSum([...old, newRS]);
    if (available <= minAvailable) return 0;
    const toScaleDown = available - minAvailable;
    let total = 0;
    for (const rs of [...old].sort(byCreation)) {
      if (total >= toScaleDown) break;
      const replicas = specReplicas(rs);
      if (replicas === 0) continue;
      const count = Math.min(replicas, toScaleDown - total);
      const e = await this.scaleReplicaSet(rs, replicas - count);
      if (e !== undefined) return e;
      total += count;
    }
    return total;
  }

  // ---- recreate.go ---------------------------------------------------------------------------

  private async rolloutRecreate(): Promise<SyncError> {
    let all = await this.allReplicaSets(false);
    if (typeof all === 'string') return all;
    let scaledDown = false;
    for (const rs of filterActive(all.old)) {
      const e = await this.scaleReplicaSet(rs, 0);
      if (e !== undefined) return e;
      scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(all.newRS, all.old))
      return this.syncRolloutStatus(all.old, all.newRS);
    if (all.newRS === undefined) {
      all = await this.allReplicaSets(true);
      if (typeof all === 'string') return all;
    }
    const newRS = all.newRS as ReplicaSet;
    const e = await this.scaleReplicaSet(newRS, specReplicas(this.d));
    if (e !== undefined) return e;
    if (deploymentComplete(this.d, this.d.status ?? {})) {
      const c = await this.cleanup(all.old);
      if (c !== undefined) return c;
    }
    return this.syncRolloutStatus(all.old, newRS);
  }

  /** oldPodsRunning: any old ReplicaSet still counts pods, or any of their pods is not terminal. */
  private oldPodsRunning(newRS: ReplicaSet | undefined, old: readonly ReplicaSet[]): boolean {
    if (actualReplicaSum(this.current(old)) > 0) return true;
    for (const rs of this.rsList) {
      if (newRS !== undefined && rs.metadata.uid === newRS.metadata.uid) continue;
      for (const pod of this.deps.podsOf(rs)) {
        const phase = pod.status?.phase;
        if (phase !== 'Failed' && phase !== 'Succeeded') return true;
      }
    }
    return false;
  }

  // ---- rollback.go ---------------------------------------------------------------------------

  private async rollback(): Promise<SyncError> {
    const all = await this.allReplicaSets(true);
    if (typeof all === 'string') return all;
    let revision = rollbackTo(this.d) ?? 0;
    if (revision === 0) {
      revision = lastRevision(all.all);
      if (revision === 0) {
        this.warn('RollbackRevisionNotFound', 'Unable to find last revision.');
        return this.clearRollbackTo(undefined);
      }
    }
    const target = all.all.find((rs) => revisionOf(rs) === revision);
    if (target === undefined) {
      this.warn('RollbackRevisionNotFound', 'Unable to find the revision to rollback to.');
      return this.clearRollbackTo(undefined);
    }
    if (equalIgnoreHash(this.d.spec.template, target.spec.template)) {
      this.warn(
        'RollbackTemplateUnchanged',
        `The rollback revision contains the same template as current deployment "${this.d.metadata.name}"`,
      );
      return this.clearRollbackTo(undefined);
    }
    const e = await this.clearRollbackTo(target);
    if (e === undefined)
      this.deps.events.event(
        this.d,
        DEPLOYMENT_GVK,
        'Normal',
        'DeploymentRollback',
        `Rolled back deployment "${this.d.metadata.name}" to revision ${revision}`,
      );
    return e;
  }

  /**
   * updateDeploymentAndClearRollbackTo, with rollbackToTemplate's edit when `to` is given: the
   * ReplicaSet's template without its hash label, and its annotations.
   */
  private async clearRollbackTo(to: ReplicaSet | undefined): Promise<SyncError> {
    const d = this.d;
    const base = to === undefined ? { ...d.metadata.annotations } : annotationsForRollback(d, to);
    delete base[ROLLBACK_TO_ANNOTATION];
    const template = to === undefined ? d.spec.template : withoutHashLabel(to.spec.template);
    const r = await this.deps.api.update<Deployment>({
      ...d,
      metadata: { ...d.metadata, annotations: base },
      spec: { ...d.spec, template: template ?? d.spec.template },
    });
    if (!r.ok) return `update Deployment ${this.key}: ${describeFailure(r)}`;
    this.d = r.value;
    return undefined;
  }

  private warn(reason: string, message: string): void {
    this.deps.events.event(this.d, DEPLOYMENT_GVK, 'Warning', reason, message);
  }

  // ---- progress.go ---------------------------------------------------------------------------

  /** syncRolloutStatus: write the status and, while the rollout can time out, check back then. */
  private async syncRolloutStatus(
    old: readonly ReplicaSet[],
    newRS: ReplicaSet | undefined,
  ): Promise<SyncError> {
    const fresh = this.fresh(newRS);
    const all = fresh === undefined ? this.current(old) : [...this.current(old), fresh];
    const status = rolloutStatus(this.d, all, fresh, this.deps.nowUs, this.deps.nowIso);
    if (sameStatus(this.d.status, status)) {
      const delay = progressCheckDelayUs(this.d, status, this.deps.nowUs);
      if (delay !== undefined)
        this.requeue =
          delay === 0 ? { kind: 'rate-limited' } : { kind: 'after', delayUs: delay + 1_000_000 };
      return undefined;
    }
    return this.writeStatus(status);
  }

  // ---- the working copies --------------------------------------------------------------------

  private replaceRS(rs: ReplicaSet): void {
    const i = this.rsList.findIndex((o) => o.metadata.uid === rs.metadata.uid);
    if (i >= 0) this.rsList[i] = rs;
  }

  /** The latest copies of `rss` (after this sync's own writes). */
  private current(rss: readonly ReplicaSet[]): ReplicaSet[] {
    return rss.map((rs) => this.fresh(rs) as ReplicaSet);
  }

  private fresh(rs: ReplicaSet | undefined): ReplicaSet | undefined {
    if (rs === undefined) return undefined;
    return this.rsList.find((o) => o.metadata.uid === rs.metadata.uid) ?? rs;
  }

  private otherThan(rs: ReplicaSet): ReplicaSet[] {
    return this.rsList.filter((o) => o.metadata.uid !== rs.metadata.uid);
  }
}

type DeploymentCondition = ReturnType<typeof newCondition>;

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the Deployment's. */
export function findNewReplicaSet(
  d: Deployment,
  rss: readonly ReplicaSet[],
): ReplicaSet | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** FindActiveOrLatest: the only ReplicaSet with replicas, or the newest when none has any. */
function findActiveOrLatest(
  newRS: ReplicaSet | undefined,
  old: readonly ReplicaSet[],
): ReplicaSet | undefined {
  if (newRS === undefined && old.length === 0) return undefined;
  const sortedOld = [...old].sort((a, b) => byCreation(b, a));
  const active = filterActive(newRS === undefined ? sortedOld : [...sortedOld, newRS]);
  if (active.length === 0) return newRS ?? sortedOld[0];
  return active.length === 1 ? active[0] : undefined;
}

/** IsSaturated: the new ReplicaSet alone runs every replica, all available. */
function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (rs === undefined) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
  const replicas = specReplicas(d);
  return (
    desired !== undefined &&
    specReplicas(rs) === replicas &&
    desired === replicas &&
    (rs.status?.availableReplicas ?? 0) === replicas
  );
}

function filterActive(rss: readonly ReplicaSet[]): ReplicaSet[] {
  return rss.filter((rs) => specReplicas(rs) > 0);
}

/** ReplicaSetsByCreationTimestamp: older first, then by name. */
export function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = parseTime(a.metadata.creationTimestamp ?? '') ?? 0;
  const tb = parseTime(b.metadata.creationTimestamp ?? '') ?? 0;
  if (ta !== tb) return ta - tb;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsBySizeNewer: larger first, then newer. */
function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(b, a);
}

/** ReplicaSetsBySizeOlder: larger first, then older. */
function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return specReplicas(b) - specReplicas(a) || byCreation(a, b);
}
