import { getCondition, isConditionTrue, setCondition } from '../../api/conditions.ts';
import { getControllerOf, keyOf } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import {
  scaledValue,
  type PodDisruptionBudget,
  type PodDisruptionBudgetStatus,
} from '../../api/policy-types.ts';
import { labelSelectorMatcher } from '../../api/selectors.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';

/** disruption.go DeletionTimeout: an evicted pod not deleted within 2 min counts again. */
export const DELETION_TIMEOUT_US = 120_000_000;
const WORKERS = 2;

/** The computed part of a budget's status; undefined fields mean "could not be computed". */
interface Computed {
  readonly expectedPods: number;
  readonly desiredHealthy: number;
  readonly currentHealthy: number;
  readonly disruptionsAllowed: number;
  readonly disruptedPods: Readonly<Record<string, string>>;
  readonly reason: 'SufficientPods' | 'InsufficientPods' | 'SyncFailed';
  /** When the earliest disrupted pod's entry expires, to look again then. */
  readonly recheckAfterUs: number | undefined;
}

/**
 * The disruption controller (pkg/controller/disruption/disruption.go): keeps each
 * PodDisruptionBudget's status current — expected pods (the selected pods, or their
 * controllers' replicas for percentages and maxUnavailable), desired and current healthy pods,
 * and how many disruptions are allowed now — which the eviction API and the scheduler's
 * preemption consult.
 */
export class DisruptionController implements Controller {
  readonly name = 'disruption';
  private readonly pdbs: Informer<'PodDisruptionBudget'>;
  private readonly pods: Informer<'Pod'>;
  private readonly replicaSets: Informer<'ReplicaSet'>;
  private readonly queue: WorkQueue<string>;
  private stopped = false;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.queue = new WorkQueue(ports);
    this.pdbs = informers.informer('PodDisruptionBudget');
    this.pods = informers.informer('Pod');
    this.replicaSets = informers.informer('ReplicaSet');
    informers.addIndexer('PodDisruptionBudget', undefined, 'namespace', (b) => [
      b.metadata.namespace ?? '',
    ]);
    this.pdbs.addEventHandler({
      onAdd: (b) => this.queue.add(keyOf(b)),
      onUpdate: (_o, b) => this.queue.add(keyOf(b)),
    });
    this.pods.addEventHandler({
      onAdd: (p) => this.enqueueFor(p),
      onUpdate: (o, p) => {
        this.enqueueFor(o);
        this.enqueueFor(p);
      },
      onDelete: (p) => this.enqueueFor(p),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.pdbs, this.pods, this.replicaSets]);
    for (let i = 0; i < WORKERS; i++) this.ports.spawn(() => this.worker());
  }

  stop(): void {
    this.stopped = true;
    this.queue.shutDown();
  }

  private enqueueFor(pod: Pod): void {
    for (const b of this.pdbs.byIndex('namespace', pod.metadata.namespace ?? '')) {
      if (
        b.spec.selector !== undefined &&
        labelSelectorMatcher(b.spec.selector).matches(pod.metadata.labels)
      )
        this.queue.add(keyOf(b));
    }
  }

  private async worker(): Promise<void> {
    while (!this.stopped) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.sync(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async sync(key: string): Promise<void> {
    const pdb = this.pdbs.get(key);
    if (pdb === undefined) return;
    const computed = this.compute(pdb);
    if (computed.recheckAfterUs !== undefined) this.queue.addAfter(key, computed.recheckAfterUs);
    const status = this.statusOf(pdb, computed);
    if (JSON.stringify(status) === JSON.stringify(pdb.status)) return;
    const r = await this.api.updateStatus({ ...pdb, status });
    if (r.ok) {
      this.queue.forget(key);
      this.ports.trace.emit('disruption.status', {
        pdb: key,
        disruptionsAllowed: status.disruptionsAllowed,
        currentHealthy: status.currentHealthy,
        desiredHealthy: status.desiredHealthy,
      });
    } else {
      this.queue.addRateLimited(key);
    }
  }

  private compute(pdb: PodDisruptionBudget): Computed {
    const nowUs = this.ports.clock.now();
    const selector = pdb.spec.selector;
    // policy/v1: a missing selector selects nothing, an empty one every pod of the namespace.
    const pods =
      selector === undefined
        ? []
        : this.pods
            .list()
            .filter(
              (p) =>
                p.metadata.namespace === pdb.metadata.namespace &&
                labelSelectorMatcher(selector).matches(p.metadata.labels),
            );
    const disruptedPods: Record<string, string> = {};
    let recheckAfterUs: number | undefined;
    for (const [name, at] of Object.entries(pdb.status?.disruptedPods ?? {})) {
      const pod = pods.find((p) => p.metadata.name === name);
      const sinceUs = parseTime(at);
      if (
        pod === undefined ||
        pod.metadata.deletionTimestamp !== undefined ||
        sinceUs === undefined
      )
        continue;
      const leftUs = sinceUs + DELETION_TIMEOUT_US - nowUs;
      if (leftUs <= 0) continue;
      disruptedPods[name] = at;
      recheckAfterUs = Math.min(recheckAfterUs ?? leftUs, leftUs);
    }
    const currentHealthy = pods.filter(
      (p) =>
        p.metadata.deletionTimestamp === undefined &&
        !(p.metadata.name! in disruptedPods) &&
        isConditionTrue(p.status?.conditions, 'Ready'),
    ).length;
    const expectation = this.expectation(pdb, pods);
    if (expectation === undefined) {
      return {
        expectedPods: pods.length,
        desiredHealthy: 0,
        currentHealthy,
        disruptionsAllowed: 0,
        disruptedPods,
        reason: 'SyncFailed',
        recheckAfterUs,
      };
    }
    const disruptionsAllowed = Math.max(0, currentHealthy - expectation.desiredHealthy);
    return {
      ...expectation,
      currentHealthy,
      disruptionsAllowed,
      disruptedPods,
      reason: disruptionsAllowed > 0 ? 'SufficientPods' : 'InsufficientPods',
      recheckAfterUs,
    };
  }

  /**
   * getExpectedPodCount: an integer minAvailable counts the selected pods; a percentage or
   * maxUnavailable needs the replicas of the pods' controllers. Undefined: cannot tell (a pod
   * without a known controller, or a malformed value), which fails safe to no disruptions.
   */
  private expectation(
    pdb: PodDisruptionBudget,
    pods: readonly Pod[],
  ): { expectedPods: number; desiredHealthy: number } | undefined {
    const { minAvailable, maxUnavailable } = pdb.spec;
    if (maxUnavailable === undefined && typeof minAvailable === 'number') {
      return { expectedPods: pods.length, desiredHealthy: minAvailable };
    }
    const expectedPods = this.controllerScale(pods);
    if (expectedPods === undefined) return undefined;
    if (maxUnavailable !== undefined) {
      const unavailable = scaledValue(maxUnavailable, expectedPods, true);
      return unavailable === undefined
        ? undefined
        : { expectedPods, desiredHealthy: Math.max(0, expectedPods - unavailable) };
    }
    const desired = scaledValue(minAvailable ?? 0, expectedPods, true);
    return desired === undefined ? undefined : { expectedPods, desiredHealthy: desired };
  }

  /** Sum of spec.replicas over the distinct ReplicaSets controlling the pods. */
  private controllerScale(pods: readonly Pod[]): number | undefined {
    const seen = new Set<string>();
    let total = 0;
    for (const pod of pods) {
      const ref = getControllerOf(pod);
      if (ref === undefined || ref.kind !== 'ReplicaSet') return undefined;
      if (seen.has(ref.uid)) continue;
      seen.add(ref.uid);
      const rs = this.replicaSets.get(`${pod.metadata.namespace ?? ''}/${ref.name}`);
      if (rs === undefined || rs.metadata.uid !== ref.uid) return undefined;
      total += rs.spec.replicas ?? 1;
    }
    return total;
  }

  private statusOf(pdb: PodDisruptionBudget, c: Computed): PodDisruptionBudgetStatus {
    const allowed = c.disruptionsAllowed > 0;
    const conditions = setCondition(
      pdb.status?.conditions ?? [],
      {
        type: 'DisruptionAllowed',
        status: allowed ? 'True' : 'False',
        reason: c.reason,
        message: '',
        observedGeneration: pdb.metadata.generation ?? 0,
      },
      formatTime(this.ports.clock.now()),
    );
    return {
      observedGeneration: pdb.metadata.generation ?? 0,
      ...(Object.keys(c.disruptedPods).length === 0 ? {} : { disruptedPods: c.disruptedPods }),
      disruptionsAllowed: c.disruptionsAllowed,
      currentHealthy: c.currentHealthy,
      desiredHealthy: c.desiredHealthy,
      expectedPods: c.expectedPods,
      conditions: getCondition(conditions, 'DisruptionAllowed') === undefined ? [] : conditions,
    };
  }
}
