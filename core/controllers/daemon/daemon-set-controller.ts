import type { DaemonSet } from '../../api/kinds/daemon-set.ts';
import { getControllerOf, isBeingDeleted, keyOf, newControllerRef } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import type { Node } from '../../api/node-types.ts';
import { isPodReady } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure, outcomeUnknown } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import { sameLabels } from '../common/equality.ts';
import type { Controller } from '../common/controller.ts';
import { claimObjects } from '../common/controller-ref-manager.ts';
import { EventRecorder } from '../common/events.ts';
import { ControllerExpectations, EXPECTATIONS_TIMEOUT_US } from '../common/expectations.ts';
import {
  controllerIndex,
  POD_CONTROLLER_INDEX,
  podControllerIndex,
} from '../common/pod-indexes.ts';
import { ownedOrOrphans, ownersSelecting, resolveControllerRef } from '../common/owner-lookup.ts';
import { podFromTemplate } from '../common/pod-template.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { SLOW_START_INITIAL_BATCH_SIZE, slowStartBatch } from '../common/slow-start.ts';
import { runWorker } from '../common/worker.ts';
import { CONTROLLER_REVISION_HASH_LABEL } from '../history/controller-history.ts';
import { cleanupHistory, constructHistory } from './daemon-set-history.ts';
import {
  computeDaemonStatus,
  type DaemonSetStatus,
  planNodes,
  podsByNode,
  planRollingUpdate,
} from './daemon-set-plan.ts';
import { DAEMON_SET_GVK, daemonPodTemplate, nodeNameAffinity } from './daemon-set-util.ts';
import { FailedPodBackoff } from './failed-pod-backoff.ts';

export interface DaemonSetControllerOptions {
  /** --concurrent-daemonset-syncs. */
  readonly workers: number;
  /** BurstReplicas: most pods created or deleted by one sync. */
  readonly burstReplicas: number;
}

export const DEFAULT_DAEMON_SET_CONTROLLER: DaemonSetControllerOptions = {
  workers: 2,
  burstReplicas: 250,
};

/** StatusUpdateRetries. */
const STATUS_UPDATE_RETRIES = 1;

type SyncError = string | undefined;

/**
 * The DaemonSet controller (pkg/controller/daemon/daemon_controller.go): keeps one pod of each
 * DaemonSet on every node that should run it and none elsewhere, reacting to node additions,
 * label, taint and cordon changes; rolls pods of an old template over to the current one
 * within maxUnavailable (RollingUpdate) or leaves that to the user (OnDelete). Daemon pods are
 * not bound by the controller: each carries a required node affinity on its node's name, and
 * the scheduler places it.
 */
export class DaemonSetController implements Controller {
  readonly name = 'daemonset';
  private readonly dsInformer: Informer<'DaemonSet'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly nodeInformer: Informer<'Node'>;
  private readonly revisionInformer: Informer<'ControllerRevision'>;
  private readonly queue: WorkQueue<string>;
  private readonly expectations: ControllerExpectations;
  private readonly events: EventRecorder;
  private readonly backoff: FailedPodBackoff;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: DaemonSetControllerOptions = DEFAULT_DAEMON_SET_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.expectations = new ControllerExpectations(ports.clock, EXPECTATIONS_TIMEOUT_US);
    this.events = new EventRecorder(ports, api, 'daemonset-controller');
    this.backoff = new FailedPodBackoff();
    this.dsInformer = informers.informer('DaemonSet');
    this.podInformer = informers.informer('Pod');
    this.nodeInformer = informers.informer('Node');
    this.revisionInformer = informers.informer('ControllerRevision');
    informers.addIndexer('Pod', undefined, POD_CONTROLLER_INDEX, podControllerIndex);
    informers.addIndexer('ControllerRevision', undefined, POD_CONTROLLER_INDEX, controllerIndex);
    this.dsInformer.addEventHandler({
      onAdd: (ds) => this.queue.add(keyOf(ds)),
      onUpdate: (_old, ds) => this.queue.add(keyOf(ds)),
      onDelete: (ds) => {
        this.expectations.delete(keyOf(ds));
        this.queue.add(keyOf(ds));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podAdded(pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podDeleted(pod),
    });
    this.nodeInformer.addEventHandler({
      onAdd: () => this.enqueueAll(),
      onUpdate: (old, node) => {
        if (nodeChangeMatters(old, node)) this.enqueueAll();
      },
      onDelete: () => this.enqueueAll(),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [
      this.dsInformer,
      this.podInformer,
      this.nodeInformer,
      this.revisionInformer,
    ]);
    for (let i = 0; i < this.options.workers; i++) {
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) => this.ports.trace.debug('daemonset.sync-error', { daemonset: key, error }),
        ),
      );
    }
  }

  stop(): void {
    this.queue.shutDown();
  }

  // ---- event handlers ------------------------------------------------------------------------

  private enqueueAll(): void {
    for (const ds of this.dsInformer.list()) this.queue.add(keyOf(ds));
  }

  private owner(pod: Pod, ref: OwnerReference): DaemonSet | undefined {
    return resolveControllerRef(this.dsInformer, DAEMON_SET_GVK.kind, pod.metadata.namespace, ref);
  }

  private podAdded(pod: Pod): void {
    if (isBeingDeleted(pod)) {
      this.podDeleted(pod);
      return;
    }
    const ref = getControllerOf(pod);
    if (ref === undefined) {
      for (const ds of ownersSelecting(this.dsInformer, pod)) this.queue.add(keyOf(ds));
      return;
    }
    const ds = this.owner(pod, ref);
    if (ds === undefined) return;
    this.expectations.creationObserved(keyOf(ds));
    this.queue.add(keyOf(ds));
  }

  private podUpdated(old: Pod, cur: Pod): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return;
    if (isBeingDeleted(cur)) {
      this.podDeleted(cur);
      return;
    }
    const oldRef = getControllerOf(old);
    const curRef = getControllerOf(cur);
    if (oldRef !== undefined && oldRef.uid !== curRef?.uid) {
      const prev = this.owner(old, oldRef);
      if (prev !== undefined) this.queue.add(keyOf(prev));
    }
    if (curRef === undefined) {
      for (const ds of ownersSelecting(this.dsInformer, cur)) this.queue.add(keyOf(ds));
      return;
    }
    const ds = this.owner(cur, curRef);
    if (ds === undefined) return;
    this.queue.add(keyOf(ds));
    const minReadySeconds = ds.spec.minReadySeconds ?? 0;
    if (!isPodReady(old) && isPodReady(cur) && minReadySeconds > 0)
      this.queue.addAfter(keyOf(ds), (minReadySeconds + 1) * 1_000_000);
  }

  private podDeleted(pod: Pod): void {
    const ref = getControllerOf(pod);
    if (ref === undefined) return;
    const ds = this.owner(pod, ref);
    if (ds === undefined) return;
    this.expectations.deletionObserved(keyOf(ds), keyOf(pod));
    this.queue.add(keyOf(ds));
  }

  // ---- sync ----------------------------------------------------------------------------------

  /** syncDaemonSet. */
  private async sync(key: string): Promise<SyncError> {
    const ds = this.dsInformer.get(key);
    if (ds === undefined) {
      this.expectations.delete(key);
      return undefined;
    }
    const matcher = labelSelectorMatcher(ds.spec.selector);
    if (matcher.empty) {
      this.events.event(
        ds,
        DAEMON_SET_GVK,
        'Warning',
        'SelectingAll',
        'This daemon set is selecting all pods. A non-empty selector is required.',
      );
      return undefined;
    }
    // Its revisions may be going away with it: no status can be computed reliably.
    if (isBeingDeleted(ds)) return undefined;
    const ref = newControllerRef(ds, DAEMON_SET_GVK);
    const revisions = await claimObjects(
      this.api,
      ds,
      'ControllerRevision',
      matcher,
      ref,
      ownedOrOrphans(this.revisionInformer, ds),
    );
    if (revisions.error !== undefined) return revisions.error;
    const history = await constructHistory(this.api, ds, revisions.claimed);
    if (typeof history === 'string') return history;
    const hash = history.current.metadata.labels?.[CONTROLLER_REVISION_HASH_LABEL] ?? '';
    const nodes = this.nodes();
    if (!this.expectations.satisfied(key)) return this.updateStatus(ds, nodes, hash, false);
    const pods = await claimObjects(
      this.api,
      ds,
      'Pod',
      matcher,
      ref,
      ownedOrOrphans(this.podInformer, ds),
    );
    if (pods.error !== undefined) return pods.error;
    const manageError = await this.manage(key, ds, nodes, pods.claimed, hash);
    if (manageError !== undefined) return manageError;
    if (this.expectations.satisfied(key) && ds.spec.updateStrategy?.type !== 'OnDelete') {
      // As upstream's rollingUpdate lists the pods again: manage's deletions, once observed,
      // show as terminating (the list claimed above would have them deleted twice).
      const current = pods.claimed.flatMap((p) => this.podInformer.get(keyOf(p)) ?? []);
      const rolling = planRollingUpdate(
        ds,
        nodes,
        podsByNode(current),
        hash,
        this.ports.clock.now(),
      );
      const rollError = await this.syncNodes(key, ds, rolling.create, rolling.delete, hash);
      if (rollError !== undefined) return rollError;
    }
    const cleanup = await cleanupHistory(this.api, ds, history.old, pods.claimed);
    if (cleanup !== undefined) return cleanup;
    return this.updateStatus(ds, nodes, hash, true);
  }

  private nodes(): Node[] {
    return this.nodeInformer
      .list()
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
  }

  /**
   * manage: create the missing daemon pods and delete the ones that should go. A failed pod is
   * deleted at most once per backoff period per node (the kubelet may be rejecting it).
   */
  private async manage(
    key: string,
    ds: DaemonSet,
    nodes: readonly Node[],
    pods: readonly Pod[],
    hash: string,
  ): Promise<SyncError> {
    const nowUs = this.ports.clock.now();
    const plan = planNodes(ds, nodes, podsByNode(pods), hash, nowUs);
    const held = new Set<Pod>();
    for (const pod of plan.failed) {
      const backoffKey = `${key}/${pod.spec.nodeName ?? ''}`;
      const waitUs = this.backoff.remainingUs(backoffKey, nowUs);
      if (waitUs > 0) {
        held.add(pod);
        this.queue.addAfter(key, waitUs);
        continue;
      }
      this.backoff.next(backoffKey, nowUs);
      this.events.event(
        ds,
        DAEMON_SET_GVK,
        'Warning',
        'FailedDaemonPod',
        `Found failed daemon pod ${keyOf(pod)} on node ${pod.spec.nodeName ?? ''}, will try to kill it`,
      );
    }
    const victims = plan.delete.filter((p) => !held.has(p));
    return this.syncNodes(key, ds, plan.create, victims, hash);
  }

  /**
   * syncNodes: expect the creates and deletes, create pods in slow-start batches (each with the
   * node-name affinity of its node), delete the others; burstReplicas bounds both.
   */
  private async syncNodes(
    key: string,
    ds: DaemonSet,
    nodeNames: readonly string[],
    victims: readonly Pod[],
    hash: string,
  ): Promise<SyncError> {
    const creates = nodeNames.slice(0, this.options.burstReplicas);
    const deletes = victims.slice(0, this.options.burstReplicas);
    if (creates.length === 0 && deletes.length === 0) return undefined;
    this.expectations.expect(key, creates.length, deletes.map(keyOf));
    const template = daemonPodTemplate(ds, hash);
    const ref = newControllerRef(ds, DAEMON_SET_GVK);
    let error: SyncError;
    if (creates.length > 0) {
      this.ports.trace.emit('daemonset.create-pods', { daemonset: key, nodes: [...creates] });
      let next = 0;
      const result = await slowStartBatch(creates.length, SLOW_START_INITIAL_BATCH_SIZE, () =>
        this.createPod(key, ds, template, ref, creates[next++] ?? ''),
      );
      // Pods never attempted will never be observed.
      const attempted = next;
      for (let i = attempted; i < creates.length; i++) this.expectations.creationObserved(key);
      error = result.error;
    }
    if (deletes.length > 0) {
      this.ports.trace.emit('daemonset.delete-pods', {
        daemonset: key,
        pods: deletes.map((p) => p.metadata.name ?? ''),
      });
      const errors = await Promise.all(deletes.map((pod) => this.deletePod(key, ds, pod)));
      error ??= errors.find((e) => e !== undefined);
    }
    return error;
  }

  private async createPod(
    key: string,
    ds: DaemonSet,
    template: ReturnType<typeof daemonPodTemplate>,
    ref: OwnerReference,
    nodeName: string,
  ): Promise<SyncError> {
    const pod = podFromTemplate(
      {
        ...template,
        spec: { ...template.spec, affinity: nodeNameAffinity(template.spec.affinity, nodeName) },
      },
      ds.metadata,
      ref,
    );
    const r = await this.api.create(pod);
    if (r.ok) {
      this.events.event(
        ds,
        DAEMON_SET_GVK,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${r.value.metadata.name}`,
      );
      return undefined;
    }
    // Upstream lowers the expectation on any error; a create that timed out and did happen
    // leaves a second pod on the node, which manage deletes (only the oldest stays).
    this.expectations.creationObserved(key);
    this.events.event(
      ds,
      DAEMON_SET_GVK,
      'Warning',
      'FailedCreate',
      `Error creating: ${describeFailure(r)}`,
    );
    return `create pod on ${nodeName}: ${describeFailure(r)}${outcomeUnknown(r) ? ' (outcome unknown)' : ''}`;
  }

  private async deletePod(key: string, ds: DaemonSet, pod: Pod): Promise<SyncError> {
    const name = pod.metadata.name ?? '';
    const r = await this.api.delete('Pod', pod.metadata.namespace, name, {
      preconditions: { uid: pod.metadata.uid ?? '' },
    });
    if (r.ok) {
      this.events.event(ds, DAEMON_SET_GVK, 'Normal', 'SuccessfulDelete', `Deleted pod: ${name}`);
      return undefined;
    }
    this.expectations.deletionObserved(key, keyOf(pod));
    if (r.status === 404) return undefined;
    this.events.event(
      ds,
      DAEMON_SET_GVK,
      'Warning',
      'FailedDelete',
      `Error deleting: ${describeFailure(r)}`,
    );
    return `delete pod ${name}: ${describeFailure(r)}`;
  }

  /** updateDaemonSetStatus + storeDaemonSetStatus. */
  private async updateStatus(
    ds: DaemonSet,
    nodes: readonly Node[],
    hash: string,
    updateObservedGeneration: boolean,
  ): Promise<SyncError> {
    const pods = ownedOrOrphans(this.podInformer, ds).filter(
      (p) => getControllerOf(p)?.uid === ds.metadata.uid,
    );
    const nowUs = this.ports.clock.now();
    const status = computeDaemonStatus(ds, nodes, podsByNode(pods), hash, nowUs);
    const minReadySeconds = ds.spec.minReadySeconds ?? 0;
    if (minReadySeconds > 0 && status.numberReady !== status.numberAvailable)
      this.queue.addAfter(keyOf(ds), minReadySeconds * 1_000_000);
    if (!statusChanged(ds, status)) return undefined;
    let current = ds;
    for (let attempt = 0; ; attempt++) {
      const next: DaemonSetStatus = {
        ...status,
        collisionCount: current.status?.collisionCount,
        observedGeneration: updateObservedGeneration
          ? current.metadata.generation
          : current.status?.observedGeneration,
      };
      const r = await this.api.updateStatus({ ...current, status: next });
      if (r.ok) return undefined;
      if (attempt >= STATUS_UPDATE_RETRIES)
        return `update status of ${keyOf(ds)}: ${describeFailure(r)}`;
      const fresh = await this.api.get('DaemonSet', ds.metadata.namespace, ds.metadata.name ?? '');
      if (!fresh.ok) return `get ${keyOf(ds)}: ${describeFailure(fresh)}`;
      current = fresh.value;
    }
  }
}

function statusChanged(ds: DaemonSet, next: DaemonSetStatus): boolean {
  const cur = ds.status;
  if (cur === undefined) return true;
  const fields = [
    'desiredNumberScheduled',
    'currentNumberScheduled',
    'numberMisscheduled',
    'numberReady',
    'updatedNumberScheduled',
    'numberAvailable',
    'numberUnavailable',
  ] as const;
  return (
    fields.some((f) => (cur[f] ?? 0) !== (next[f] ?? 0)) ||
    (cur.observedGeneration ?? 0) < (ds.metadata.generation ?? 0)
  );
}

/**
 * updateNode's filter (shouldIgnoreNodeUpdate): only changes that can change where daemon pods
 * belong matter: labels, taints, unschedulable, and the conditions the status counts read.
 */
function nodeChangeMatters(old: Node, cur: Node): boolean {
  return (
    !sameLabels(old.metadata.labels, cur.metadata.labels) ||
    JSON.stringify(old.spec?.taints ?? []) !== JSON.stringify(cur.spec?.taints ?? []) ||
    (old.spec?.unschedulable ?? false) !== (cur.spec?.unschedulable ?? false)
  );
}
