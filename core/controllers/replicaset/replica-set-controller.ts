import { getControllerOf, isBeingDeleted, keyOf, newControllerRef } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import { isPodReady } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSetStatus } from '../../api/replica-set-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { isPodActive, podsToDelete } from '../common/active-pods.ts';
import { describeFailure, outcomeUnknown } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import { SyncStats, type Controller } from '../common/controller.ts';
import { runWorker } from '../common/worker.ts';
import { sameControllerRef, sameLabels } from '../common/equality.ts';
import { claimObjects } from '../common/controller-ref-manager.ts';
import { ownedOrOrphans, resolveControllerRef } from '../common/owner-lookup.ts';
import { podFromTemplate } from '../common/pod-template.ts';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_US } from '../common/expectations.ts';
import { orphanIndexKey, POD_CONTROLLER_INDEX, podControllerIndex } from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../common/slow-start.ts';
import {
  countPods,
  statusFromCounts,
  statusUnchanged,
  type PodStatusCounts,
} from './replica-set-status.ts';
import { PodTally } from './pod-tally.ts';
import {
  REPLICA_SET,
  replicatedSpec,
  replicatedStatus,
  withReplicatedStatus,
  type Replicated,
  type ReplicatedKind,
  type ReplicatedKindName,
  type ReplicatedSpec,
} from './replicated-kind.ts';

export interface ReplicaSetControllerOptions {
  /** --concurrent-replicaset-syncs. */
  readonly workers: number;
  /** Most pods created or deleted by one sync (BurstReplicas). */
  readonly burstReplicas: number;
  readonly expectationsTimeoutUs: number;
}

export const DEFAULT_REPLICA_SET_CONTROLLER: ReplicaSetControllerOptions = {
  workers: 5,
  burstReplicas: 500,
  expectationsTimeoutUs: EXPECTATIONS_TIMEOUT_US,
};

/** updateReplicaSetStatus retries a conflicting status write once after a fresh GET. */
const STATUS_UPDATE_RETRIES = 1;

type SyncError = string | undefined;

/** An RS's active claimed pods: the pods themselves, or only their status counts. */
type ActivePods =
  | { readonly pods: readonly Pod[]; readonly counts?: undefined }
  | { readonly pods?: undefined; readonly counts: PodStatusCounts };

/**
 * The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps each RS's number
 * of active pods at spec.replicas, creating from the template in slow-start batches and deleting
 * the pods upstream's ranking picks first, and keeps the RS's status counts current. Keys are
 * synced by `workers` workers; the queue never hands one key to two workers at once. The same
 * controller manages ReplicationControllers (pkg/controller/replication), given that kind.
 */
export class ReplicaSetController implements Controller {
  readonly name: string;
  private readonly rsInformer: Informer<ReplicatedKindName>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly queue: WorkQueue<string>;
  private readonly expectations: ControllerExpectations;
  /** Syncs run and pods each walked (the RS's own pods and its namespace's orphans). */
  readonly syncStats = new SyncStats();
  /** Each RS's status counts, kept from the pods that changed since its last sync. */
  private readonly tally = new PodTally();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: ReplicaSetControllerOptions = DEFAULT_REPLICA_SET_CONTROLLER,
    private readonly kind: ReplicatedKind = REPLICA_SET,
  ) {
    this.name = kind.controllerName;
    this.queue = new WorkQueue(ports);
    this.expectations = new ControllerExpectations(ports.clock, options.expectationsTimeoutUs);
    this.rsInformer = informers.informer(kind.gvk.kind);
    this.podInformer = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_CONTROLLER_INDEX, podControllerIndex);
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (_old, rs) => this.queue.add(keyOf(rs)),
      onDelete: (rs) => {
        this.expectations.delete(keyOf(rs));
        this.tally.forget(rs.metadata.uid);
        this.queue.add(keyOf(rs));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => {
        this.tally.touch(pod);
        this.podAdded(pod);
      },
      onUpdate: (old, pod) => {
        this.tally.touch(old);
        this.tally.touch(pod);
        this.podUpdated(old, pod);
      },
      onDelete: (pod) => {
        this.tally.touch(pod);
        this.podDeleted(pod);
      },
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.rsInformer, this.podInformer]);
    for (let i = 0; i < this.options.workers; i++)
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) => this.kind.traceSyncError(this.ports.trace, key, error),
        ),
      );
  }

  stop(): void {
    this.queue.shutDown();
  }

  // ---- event handlers: record what was observed, enqueue the owners concerned ----------------

  private podAdded(pod: Pod): void {
    if (isBeingDeleted(pod)) {
      // A restarted informer can first see a pod already terminating: it is not a new replica.
      this.podDeleted(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref !== undefined) {
      const rs = resolveControllerRef(
        this.rsInformer,
        this.kind.gvk.kind,
        pod.metadata.namespace,
        ref,
      );
      if (rs === undefined) return;
      this.expectations.creationObserved(keyOf(rs));
      this.queue.add(keyOf(rs));
      return;
    }
    for (const rs of this.ownersSelecting(pod)) this.queue.add(keyOf(rs));
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const labelsChanged = !sameLabels(old.metadata.labels, cur.metadata.labels);
    if (isBeingDeleted(cur)) {
      // Graceful deletion: count the pod gone as soon as it is terminating, so a replacement is
      // created without waiting for the kubelet to finish.
      this.podDeleted(cur);
      if (labelsChanged) this.podDeleted(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = !sameControllerRef(curRef, oldRef);
    if (refChanged && oldRef !== undefined) {
      const rs = resolveControllerRef(
        this.rsInformer,
        this.kind.gvk.kind,
        old.metadata.namespace,
        oldRef,
      );
      if (rs !== undefined) this.queue.add(keyOf(rs));
    }
    if (curRef !== undefined) {
      const rs = resolveControllerRef(
        this.rsInformer,
        this.kind.gvk.kind,
        cur.metadata.namespace,
        curRef,
      );
      if (rs === undefined) return;
      this.queue.add(keyOf(rs));
      const minReadySeconds = replicatedSpec(rs).minReadySeconds;
      // The pod will become available minReadySeconds from now, and no event will say so.
      if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0) {
        this.queue.addAfter(keyOf(rs), (minReadySeconds + 1) * 1_000_000);
      }
      return;
    }
    if (labelsChanged || refChanged)
      for (const rs of this.ownersSelecting(cur)) this.queue.add(keyOf(rs));
  }

  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref === undefined) return;
    const rs = resolveControllerRef(
      this.rsInformer,
      this.kind.gvk.kind,
      pod.metadata.namespace,
      ref,
    );
    if (rs === undefined) return;
    this.expectations.deletionObserved(keyOf(rs), keyOf(pod));
    this.queue.add(keyOf(rs));
  }

  // ---- workers -------------------------------------------------------------------------------

  private async sync(key: string): Promise<SyncError> {
    const rs = this.rsInformer.get(key);
    if (rs === undefined) {
      this.expectations.delete(key);
      return undefined;
    }
    if (this.expectations.needsResolution(key)) {
      const error = await this.resolveUncertainWrites(key, rs);
      if (error !== undefined) return error;
    }
    const needsSync = this.expectations.satisfied(key);
    const spec = replicatedSpec(rs);
    const controllerRef = newControllerRef(rs, this.kind.gvk);
    const active = await this.claimPods(key, rs, spec, needsSync, controllerRef);
    if ('error' in active) return active.error;
    let manageError: SyncError;
    if (needsSync && !isBeingDeleted(rs))
      manageError = await this.manageReplicas(key, rs, spec, active, controllerRef);
    const now = this.ports.clock.now();
    const current = replicatedStatus(rs);
    const counts = active.counts ?? countPods(spec, active.pods, now);
    const status = statusFromCounts(spec, current, counts, manageError, formatTime(now));
    const written = await this.writeStatus(rs, status);
    if (written !== undefined) return written;
    const { replicas, minReadySeconds } = spec;
    // Last line of defence for availability, which no event announces.
    if (
      manageError === undefined &&
      minReadySeconds > 0 &&
      status.readyReplicas === replicas &&
      status.availableReplicas !== replicas
    ) {
      this.queue.addAfter(key, minReadySeconds * 1_000_000);
    }
    return manageError;
  }

  /**
   * The RS's active pods after claimObjects (getPodsForReplicaSet + claimPods): only their counts
   * when the tally has them and nothing is to adopt, release or pick for deletion, else
   * upstream's walk over its own pods and its namespace's orphans.
   */
  private async claimPods(
    key: string,
    rs: Replicated,
    spec: ReplicatedSpec,
    needsSync: boolean,
    controllerRef: OwnerReference,
  ): Promise<ActivePods | { readonly error: string }> {
    const tallied = this.tallied(key, rs, spec, needsSync);
    if (tallied.counts !== undefined) {
      this.syncStats.record(key, tallied.walked);
      return { counts: tallied.counts };
    }
    const owned = ownedOrOrphans(this.podInformer, rs);
    this.syncStats.record(key, tallied.walked + owned.length);
    const matcher = labelSelectorMatcher(spec.selector);
    const candidates = owned.filter(isPodActive);
    const claim = await claimObjects(this.api, rs, 'Pod', matcher, controllerRef, candidates);
    if (claim.error !== undefined) return { error: claim.error };
    return { pods: claim.claimed };
  }

  /**
   * The tally's counts when they are what claimObjects and calculateStatus would give: no
   * active orphan to adopt in the namespace, no owned pod to release, availability without a
   * clock (minReadySeconds 0), and no pods to pick for a scale-down.
   */
  private tallied(
    key: string,
    rs: Replicated,
    spec: ReplicatedSpec,
    needsSync: boolean,
  ): { readonly counts: PodStatusCounts | undefined; readonly walked: number } {
    const none = { counts: undefined, walked: 0 };
    if (spec.minReadySeconds !== 0) return none;
    const orphans = this.podInformer.byIndex(
      POD_CONTROLLER_INDEX,
      orphanIndexKey(rs.metadata.namespace ?? ''),
    );
    if (orphans.some(isPodActive)) return { counts: undefined, walked: orphans.length };
    const uid = rs.metadata.uid ?? '';
    const { counts, walked } = this.tally.counts(
      rs,
      spec,
      (podKey) => this.podInformer.get(podKey),
      () => this.podInformer.byIndex(POD_CONTROLLER_INDEX, uid),
    );
    const scaleDown =
      counts !== undefined && needsSync && !isBeingDeleted(rs) && counts.replicas > spec.replicas;
    if (counts === undefined || scaleDown) return { counts: undefined, walked };
    if (this.ports.checkImmutability) this.checkTally(key, spec, uid, counts);
    return { counts, walked };
  }

  /** Check mode: the tally must count what a walk over the RS's pods counts. */
  private checkTally(key: string, spec: ReplicatedSpec, uid: string, counts: PodStatusCounts) {
    const pods = this.podInformer.byIndex(POD_CONTROLLER_INDEX, uid).filter(isPodActive);
    const walked = countPods(spec, pods, this.ports.clock.now());
    if (JSON.stringify(walked) !== JSON.stringify(counts))
      throw new Error(
        `ReplicaSet ${key}: pod tally ${JSON.stringify(counts)} differs from its pods' counts ${JSON.stringify(walked)}`,
      );
  }

  private async manageReplicas(
    key: string,
    rs: Replicated,
    spec: ReplicatedSpec,
    active: ActivePods,
    controllerRef: OwnerReference,
  ): Promise<SyncError> {
    const count = active.pods === undefined ? active.counts.replicas : active.pods.length;
    const diff = count - spec.replicas;
    if (diff < 0)
      return this.createPods(
        key,
        rs,
        spec,
        Math.min(-diff, this.options.burstReplicas),
        controllerRef,
      );
    if (diff > 0) {
      // claimPods walks the pods whenever some may have to go.
      if (active.pods === undefined) throw new Error(`ReplicaSet ${key}: scale-down without pods`);
      return this.deletePods(key, rs, active.pods, Math.min(diff, this.options.burstReplicas));
    }
    return undefined;
  }

  private async createPods(
    key: string,
    rs: Replicated,
    spec: ReplicatedSpec,
    count: number,
    controllerRef: OwnerReference,
  ): Promise<SyncError> {
    this.expectations.expectCreations(key, count);
    this.kind.traceCreatePods(this.ports.trace, key, count);
    let unknown = 0;
    const result = await slowStartBatch(count, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const r = await this.api.create(podFromTemplate(spec.template, rs.metadata, controllerRef));
      if (r.ok) return undefined;
      if (outcomeUnknown(r)) unknown++;
      return `create pod for ${key}: ${describeFailure(r)}`;
    });
    // Pods never created (skipped or refused) will never be observed; timed-out ones might be.
    for (let i = result.successes + unknown; i < count; i++)
      this.expectations.creationObserved(key);
    if (unknown > 0) this.expectations.markUncertain(key);
    return result.error;
  }

  private async deletePods(
    key: string,
    rs: Replicated,
    active: readonly Pod[],
    count: number,
  ): Promise<SyncError> {
    const victims = podsToDelete(active, this.relatedPods(rs), count, this.ports.clock.now());
    const podKeys = victims.map(keyOf);
    this.expectations.expectDeletions(key, podKeys);
    this.kind.traceDeletePods(
      this.ports.trace,
      key,
      victims.map((p) => p.metadata.name ?? ''),
    );
    const errors = await Promise.all(
      victims.map(async (pod): Promise<SyncError> => {
        const r = await this.api.delete('Pod', pod.metadata.namespace, pod.metadata.name ?? '');
        if (r.ok) return undefined;
        if (outcomeUnknown(r)) {
          this.expectations.markUncertain(key);
        } else {
          // Refused or already gone: the informer will not report this deletion for us.
          this.expectations.deletionObserved(key, keyOf(pod));
          if (r.status === 404) return undefined;
        }
        return `delete pod ${keyOf(pod)}: ${describeFailure(r)}`;
      }),
    );
    return errors.find((e) => e !== undefined);
  }

  /** getPodReplicaSets: the owners of the pod's namespace whose selector matches its labels. */
  private ownersSelecting(pod: Pod): Replicated[] {
    return this.rsInformer.list().filter((owner) => {
      if (owner.metadata.namespace !== pod.metadata.namespace) return false;
      const m = labelSelectorMatcher(replicatedSpec(owner).selector);
      return !m.empty && m.matches(pod.metadata.labels);
    });
  }

  /**
   * getIndirectlyRelatedPods: pods of every RS with the same controlling owner (a Deployment's
   * old and new RSs), so scale-down spreads over nodes; an RS without owner relates to itself.
   */
  private relatedPods(rs: Replicated): Pod[] {
    const owner = getControllerOf(rs);
    if (owner === undefined)
      return this.podInformer.byIndex(POD_CONTROLLER_INDEX, rs.metadata.uid ?? '');
    const siblings = this.rsInformer
      .list()
      .filter(
        (o) =>
          o.metadata.namespace === rs.metadata.namespace && getControllerOf(o)?.uid === owner.uid,
      );
    return siblings.flatMap((s) =>
      this.podInformer.byIndex(POD_CONTROLLER_INDEX, s.metadata.uid ?? ''),
    );
  }

  /**
   * A create or delete of this RS timed out. Read the RS's pods from the API server: the cache
   * will still report exactly the owned pods the server has and the cache lacks, and the
   * deletions the server has done that the cache has not seen. Expect only those.
   */
  private async resolveUncertainWrites(key: string, rs: Replicated): Promise<SyncError> {
    const live = await this.api.list('Pod', rs.metadata.namespace, {
      labelSelector: labelSelectorMatcher(replicatedSpec(rs).selector).toString(),
    });
    if (!live.ok) return `resolve timed-out writes of ${key}: ${describeFailure(live)}`;
    const liveByKey = new Map(live.value.items.map((p) => [keyOf(p), p]));
    let pendingCreates = 0;
    for (const pod of live.value.items) {
      if (getControllerOf(pod)?.uid !== rs.metadata.uid) continue;
      const cached = this.podInformer.get(keyOf(pod));
      if (cached === undefined || cached.metadata.uid !== pod.metadata.uid) pendingCreates++;
    }
    this.expectations.resolve(key, pendingCreates, (podKey) => {
      const onServer = liveByKey.get(podKey);
      if (onServer !== undefined && !isBeingDeleted(onServer)) return false;
      const cached = this.podInformer.get(podKey);
      return cached !== undefined && !isBeingDeleted(cached);
    });
    this.kind.traceResolved(this.ports.trace, key, pendingCreates);
    return undefined;
  }

  /** updateReplicaSetStatus: write only a change, retry a conflict once on a fresh copy. */
  private async writeStatus(rs: Replicated, status: ReplicaSetStatus): Promise<SyncError> {
    if (statusUnchanged(replicatedStatus(rs), rs.metadata.generation, status)) return undefined;
    const next: ReplicaSetStatus = {
      ...status,
      ...(rs.metadata.generation === undefined
        ? {}
        : { observedGeneration: rs.metadata.generation }),
    };
    let current = rs;
    for (let attempt = 0; ; attempt++) {
      const r = await this.api.updateStatus(withReplicatedStatus(current, next));
      if (r.ok) return undefined;
      if (attempt >= STATUS_UPDATE_RETRIES)
        return `update status of ${keyOf(rs)}: ${describeFailure(r)}`;
      const fresh = await this.api.get(
        this.kind.gvk.kind,
        rs.metadata.namespace,
        rs.metadata.name ?? '',
      );
      if (!fresh.ok) return `get ${keyOf(rs)}: ${describeFailure(fresh)}`;
      current = fresh.value;
    }
  }
}
