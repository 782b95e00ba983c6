import { DEFAULT_FEATURE_GATES, type FeatureGates } from '../../api/feature-gates.ts';
import type { StatefulSet } from '../../api/kinds/stateful-set.ts';
import { getControllerOf, keyOf, newControllerRef } from '../../api/meta.ts';
import { isPodReady } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { claimObjects } from '../common/controller-ref-manager.ts';
import { EventRecorder } from '../common/events.ts';
import { ownedOrOrphans, ownersSelecting, resolveControllerRef } from '../common/owner-lookup.ts';
import {
  controllerIndex,
  POD_CONTROLLER_INDEX,
  podControllerIndex,
} from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';
import { StatefulPodControl } from './stateful-pod-control.ts';
import { StatefulSetControl } from './stateful-set-control.ts';
import { statusChanged, type StatefulSetStatus } from './stateful-set-status.ts';
import { isMemberOf, STATEFUL_SET_GVK } from './stateful-set-utils.ts';

export interface StatefulSetControllerOptions {
  /** --concurrent-statefulset-syncs. */
  readonly workers: number;
}

export const DEFAULT_STATEFUL_SET_CONTROLLER: StatefulSetControllerOptions = { workers: 5 };

/** updateStatefulSetStatus retries a conflicting status write once after a fresh GET. */
const STATUS_UPDATE_RETRIES = 1;

/**
 * The StatefulSet controller (pkg/controller/statefulset/stateful_set.go): watches StatefulSets
 * and pods, claims a set's pods and ControllerRevisions, and hands each sync to
 * StatefulSetControl. Stable pod names make creates idempotent (a second create of an ordinal
 * is refused with 409), so unlike the ReplicaSet controller it keeps no expectations.
 */
export class StatefulSetController implements Controller {
  readonly name = 'statefulset';
  private readonly setInformer: Informer<'StatefulSet'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly revisionInformer: Informer<'ControllerRevision'>;
  private readonly claimInformer: Informer<'PersistentVolumeClaim'>;
  private readonly queue: WorkQueue<string>;
  private readonly podControl: StatefulPodControl;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: StatefulSetControllerOptions = DEFAULT_STATEFUL_SET_CONTROLLER,
    private readonly gates: FeatureGates = DEFAULT_FEATURE_GATES,
  ) {
    this.queue = new WorkQueue(ports);
    this.setInformer = informers.informer('StatefulSet');
    this.podInformer = informers.informer('Pod');
    this.revisionInformer = informers.informer('ControllerRevision');
    this.claimInformer = informers.informer('PersistentVolumeClaim');
    informers.addIndexer('Pod', undefined, POD_CONTROLLER_INDEX, podControllerIndex);
    informers.addIndexer('ControllerRevision', undefined, POD_CONTROLLER_INDEX, controllerIndex);
    this.podControl = new StatefulPodControl(
      api,
      new EventRecorder(ports, api, 'statefulset-controller'),
      ports.trace,
      (key) => this.claimInformer.get(key),
    );
    this.setInformer.addEventHandler({
      onAdd: (set) => this.queue.add(keyOf(set)),
      onUpdate: (_old, set) => this.queue.add(keyOf(set)),
      onDelete: (set) => this.queue.add(keyOf(set)),
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podChanged(pod),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [
      this.setInformer,
      this.podInformer,
      this.revisionInformer,
      this.claimInformer,
    ]);
    for (let i = 0; i < this.options.workers; i++) {
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) =>
            this.ports.trace.debug('statefulset.sync-error', { statefulset: key, error }),
        ),
      );
    }
  }

  stop(): void {
    this.queue.shutDown();
  }

  // ---- event handlers ------------------------------------------------------------------------

  private podChanged(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref !== undefined) {
      const set = resolveControllerRef(
        this.setInformer,
        STATEFUL_SET_GVK.kind,
        pod.metadata.namespace,
        ref,
      );
      if (set !== undefined) this.queue.add(keyOf(set));
      return;
    }
    for (const set of ownersSelecting(this.setInformer, pod)) this.queue.add(keyOf(set));
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    const oldRef = getControllerOf(old);
    if (oldRef !== undefined && oldRef.uid !== getControllerOf(cur)?.uid) this.podChanged(old);
    this.podChanged(cur);
    const ref = getControllerOf(cur);
    const set =
      ref === undefined
        ? undefined
        : resolveControllerRef(
            this.setInformer,
            STATEFUL_SET_GVK.kind,
            cur.metadata.namespace,
            ref,
          );
    const minReadySeconds = set?.spec.minReadySeconds ?? 0;
    // The pod becomes available minReadySeconds from now, and no event will say so.
    if (set !== undefined && !isPodReady(old) && isPodReady(cur) && minReadySeconds > 0)
      this.queue.addAfter(keyOf(set), (minReadySeconds + 1) * 1_000_000);
  }

  // ---- sync ----------------------------------------------------------------------------------

  /** sync: claim pods and revisions, run the control, store the status. */
  private async sync(key: string): Promise<string | undefined> {
    const set = this.setInformer.get(key);
    if (set === undefined) return undefined;
    const matcher = labelSelectorMatcher(set.spec.selector);
    if (matcher.empty) return undefined;
    const ref = newControllerRef(set, STATEFUL_SET_GVK);
    const podClaim = await claimObjects(
      this.api,
      set,
      'Pod',
      matcher,
      ref,
      ownedOrOrphans(this.podInformer, set).filter((p) => isMemberOf(set, p)),
    );
    if (podClaim.error !== undefined) return podClaim.error;
    const revisionClaim = await claimObjects(
      this.api,
      set,
      'ControllerRevision',
      matcher,
      ref,
      ownedOrOrphans(this.revisionInformer, set),
    );
    if (revisionClaim.error !== undefined) return revisionClaim.error;
    const control = new StatefulSetControl(
      this.api,
      this.podControl,
      this.ports.clock.now(),
      this.gates.enabled('MaxUnavailableStatefulSet'),
    );
    const outcome = await control.sync(set, podClaim.claimed, revisionClaim.claimed);
    if (outcome.status !== undefined) {
      const written = await this.writeStatus(set, outcome.status);
      if (written !== undefined) return outcome.error ?? written;
      const minReadySeconds = set.spec.minReadySeconds ?? 0;
      if (minReadySeconds > 0 && outcome.status.availableReplicas !== (set.spec.replicas ?? 1))
        this.queue.addAfter(key, minReadySeconds * 1_000_000);
    }
    return outcome.error;
  }

  /** updateStatefulSetStatus: write only a change, retry a conflict once on a fresh copy. */
  private async writeStatus(
    set: StatefulSet,
    status: StatefulSetStatus,
  ): Promise<string | undefined> {
    if (!statusChanged(set, status)) return undefined;
    let current = set;
    for (let attempt = 0; ; attempt++) {
      const r = await this.api.updateStatus({ ...current, status });
      if (r.ok) return undefined;
      if (attempt >= STATUS_UPDATE_RETRIES)
        return `update status of ${keyOf(set)}: ${describeFailure(r)}`;
      const fresh = await this.api.get(
        'StatefulSet',
        set.metadata.namespace,
        set.metadata.name ?? '',
      );
      if (!fresh.ok) return `get ${keyOf(set)}: ${describeFailure(fresh)}`;
      current = fresh.value;
    }
  }
}
