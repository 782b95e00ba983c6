import {
  getControllerOf,
  isBeingDeleted,
  keyOf,
  newControllerRef,
  objectKey,
} from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import { SyncStats, type Controller } from '../common/controller.ts';
import { claimObjects } from '../common/controller-ref-manager.ts';
import { EventRecorder } from '../common/events.ts';
import { ownedOrOrphans, ownersSelecting, resolveControllerRef } from '../common/owner-lookup.ts';
import {
  CONTROLLER_INDEX,
  controllerIndex,
  POD_CONTROLLER_INDEX,
  podControllerIndex,
} from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { DEPLOYMENT_GVK, Rollout } from './rollout.ts';

export interface DeploymentControllerOptions {
  /** --concurrent-deployment-syncs. */
  readonly workers: number;
}

export const DEFAULT_DEPLOYMENT_CONTROLLER: DeploymentControllerOptions = { workers: 5 };

/**
 * The Deployment controller (pkg/controller/deployment/deployment_controller.go): watches
 * Deployments, ReplicaSets and pods, and reconciles each Deployment's ReplicaSets toward its
 * template with the Deployment's strategy (rollout.ts). It creates ReplicaSets and changes their
 * replicas; the ReplicaSet controller makes the pods.
 */
export class DeploymentController implements Controller {
  readonly name = 'deployment';
  private readonly dInformer: Informer<'Deployment'>;
  private readonly rsInformer: Informer<'ReplicaSet'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly queue: WorkQueue<string>;
  private readonly events: EventRecorder;
  /** Syncs run and ReplicaSets each walked (the Deployment's and its namespace's orphans). */
  readonly syncStats = new SyncStats();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: DeploymentControllerOptions = DEFAULT_DEPLOYMENT_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.events = new EventRecorder(ports, api, 'deployment-controller');
    this.dInformer = informers.informer('Deployment');
    this.rsInformer = informers.informer('ReplicaSet');
    this.podInformer = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_CONTROLLER_INDEX, podControllerIndex);
    // ReplicaSets by controller UID, orphans by namespace: a Deployment reads only its own
    // ReplicaSets and the ones it could adopt.
    informers.addIndexer('ReplicaSet', undefined, CONTROLLER_INDEX, controllerIndex);
    this.dInformer.addEventHandler({
      onAdd: (d) => this.queue.add(keyOf(d)),
      onUpdate: (_old, d) => this.queue.add(keyOf(d)),
      onDelete: (d) => this.queue.add(keyOf(d)),
    });
    this.rsInformer.addEventHandler({
      onAdd: (rs) => this.replicaSetAdded(rs),
      onUpdate: (old, rs) => this.replicaSetUpdated(old, rs),
      onDelete: (rs) => this.replicaSetDeleted(rs),
    });
    this.podInformer.addEventHandler({ onDelete: (pod) => this.podDeleted(pod) });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.dInformer, this.rsInformer, this.podInformer]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.queue.shutDown();
  }

  // ---- event handlers ------------------------------------------------------------------------

  private replicaSetAdded(rs: ReplicaSet): void {
    if (isBeingDeleted(rs)) {
      this.replicaSetDeleted(rs);
      return;
    }
    const ref = getControllerOf(rs);
    if (ref !== undefined) {
      const d = resolveControllerRef(
        this.dInformer,
        DEPLOYMENT_GVK.kind,
        rs.metadata.namespace,
        ref,
      );
      if (d !== undefined) this.queue.add(keyOf(d));
      return;
    }
    for (const d of ownersSelecting(this.dInformer, rs)) this.queue.add(keyOf(d));
  }

  private replicaSetUpdated(old: ReplicaSet, cur: ReplicaSet): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = JSON.stringify(curRef) !== JSON.stringify(oldRef);
    if (refChanged && oldRef !== undefined) {
      const d = resolveControllerRef(
        this.dInformer,
        DEPLOYMENT_GVK.kind,
        old.metadata.namespace,
        oldRef,
      );
      if (d !== undefined) this.queue.add(keyOf(d));
    }
    if (curRef !== undefined) {
      const d = resolveControllerRef(
        this.dInformer,
        DEPLOYMENT_GVK.kind,
        cur.metadata.namespace,
        curRef,
      );
      if (d !== undefined) this.queue.add(keyOf(d));
      return;
    }
    const labelsChanged =
      JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
    if (labelsChanged || refChanged)
      for (const d of ownersSelecting(this.dInformer, cur)) this.queue.add(keyOf(d));
  }

  private replicaSetDeleted(rs: ReplicaSet): void {
    const ref = getControllerOf(rs);
    if (ref === undefined) return;
    const d = resolveControllerRef(this.dInformer, DEPLOYMENT_GVK.kind, rs.metadata.namespace, ref);
    if (d !== undefined) this.queue.add(keyOf(d));
  }

  /** deletePod: a Recreate rollout waits for the last old pod to be gone. */
  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref === undefined || ref.kind !== 'ReplicaSet') return;
    const rs = this.rsInformer.get(objectKey(pod.metadata.namespace, ref.name));
    if (rs === undefined || rs.metadata.uid !== ref.uid) return;
    const dRef = getControllerOf(rs);
    if (dRef === undefined) return;
    const d = resolveControllerRef(
      this.dInformer,
      DEPLOYMENT_GVK.kind,
      rs.metadata.namespace,
      dRef,
    );
    if (d !== undefined && d.spec.strategy?.type === 'Recreate') this.queue.add(keyOf(d));
  }

  // ---- workers -------------------------------------------------------------------------------

  private async worker(): Promise<void> {
    while (true) {
      const key = await this.queue.get();
      if (key === undefined) return;
      const { error, rollout } = await this.sync(key);
      if (error === undefined) {
        this.queue.forget(key);
        const requeue = rollout?.requeue;
        if (requeue?.kind === 'after') this.queue.addAfter(key, requeue.delayUs);
        else if (requeue?.kind === 'rate-limited') this.queue.addRateLimited(key);
      } else {
        this.ports.trace.debug('deployment.sync-error', { deployment: key, error });
        this.queue.addRateLimited(key);
      }
      this.queue.done(key);
    }
  }

  /** syncDeployment. */
  private async sync(
    key: string,
  ): Promise<{ error: string | undefined; rollout: Rollout | undefined }> {
    const d = this.dInformer.get(key);
    if (d === undefined) return { error: undefined, rollout: undefined };
    const matcher = labelSelectorMatcher(d.spec.selector);
    // An empty selector would select every pod of the namespace: upstream refuses to act.
    if (matcher.empty) return { error: undefined, rollout: undefined };
    const candidates = ownedOrOrphans(this.rsInformer, d);
    this.syncStats.record(key, candidates.length);
    const controllerRef = newControllerRef(d, DEPLOYMENT_GVK);
    const claim = await claimObjects(this.api, d, 'ReplicaSet', matcher, controllerRef, candidates);
    if (claim.error !== undefined) return { error: claim.error, rollout: undefined };
    const now = this.ports.clock.now();
    const rollout = new Rollout(
      {
        api: this.api,
        events: this.events,
        trace: this.ports.trace,
        nowUs: now,
        nowIso: formatTime(now),
        cachedReplicaSet: (k) => this.rsInformer.get(k),
        podsOf: (rs) => this.podInformer.byIndex(POD_CONTROLLER_INDEX, rs.metadata.uid ?? ''),
      },
      d,
      claim.claimed,
    );
    const error = await rollout.run(isBeingDeleted(d));
    return { error, rollout };
  }
}
