/**
 * defaultStatefulSetControl.UpdateStatefulSet (pkg/controller/statefulset/stateful_set_control.go):
 * one sync of a StatefulSet against its pods and revisions. Establish the revisions, make every
 * ordinal in range exist (in order, each waiting for its predecessors to be Running and Ready,
 * under OrderedReady; all at once under Parallel), delete the pods beyond the range from the
 * highest ordinal down, then roll pods of an old revision from the highest ordinal down to the
 * partition, one at a time, each after the ones above it are healthy again.
 */
import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { StatefulSet } from '../../api/kinds/stateful-set.ts';
import { isBeingDeleted } from '../../api/meta.ts';
import { isPodAvailable } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import { scaledValue } from '../../api/policy-types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { slowStartBatch, SLOW_START_INITIAL_BATCH_SIZE } from '../common/slow-start.ts';
import {
  findEqualRevisions,
  equalRevision,
  nextRevision,
  sortControllerRevisions,
} from '../history/controller-history.ts';
import {
  createControllerRevision,
  deleteControllerRevision,
  updateRevisionNumber,
} from '../history/revision-client.ts';
import type { StatefulPodControl } from './stateful-pod-control.ts';
import {
  completeRollingUpdate,
  computeStatus,
  type StatefulSetStatus,
} from './stateful-set-status.ts';
import {
  applyRevision,
  endOrdinal,
  getOrdinal,
  inOrdinalRange,
  identityMatches,
  isCreated,
  isFailed,
  isHealthy,
  isRunningAndAvailable,
  isRunningAndReady,
  isSucceeded,
  isTerminating,
  newRevision,
  newVersionedPod,
  podRevision,
  startOrdinal,
  storageMatches,
} from './stateful-set-utils.ts';

type Failure = string | undefined;

export interface SyncOutcome {
  /** The status to store, when the revisions could be established. */
  readonly status: StatefulSetStatus | undefined;
  readonly error: Failure;
}

interface Revisions {
  readonly current: ControllerRevision;
  readonly update: ControllerRevision;
  readonly collisionCount: number;
}

/** One step over a pod: stop the pass here (monotonic wait or failure) or go on. */
interface Step {
  readonly exit: boolean;
  readonly error: Failure;
}

const GO_ON: Step = { exit: false, error: undefined };
const WAIT: Step = { exit: true, error: undefined };

export class StatefulSetControl {
  constructor(
    private readonly api: ApiClient,
    private readonly podControl: StatefulPodControl,
    private readonly nowUs: number,
    /** The MaxUnavailableStatefulSet feature gate. */
    private readonly maxUnavailableGate: boolean = false,
  ) {}

  /** UpdateStatefulSet: revisions, pods, then history truncation. */
  async sync(
    set: StatefulSet,
    pods: readonly Pod[],
    revisions: readonly ControllerRevision[],
  ): Promise<SyncOutcome> {
    const sorted = sortControllerRevisions(revisions);
    const revs = await this.revisions(set, sorted);
    if (typeof revs === 'string') return { status: undefined, error: revs };
    const { status, error } = await this.update(set, pods, revs);
    const done = completeRollingUpdate(set, status);
    if (error !== undefined) return { status: done, error };
    const truncated = await this.truncateHistory(set, pods, sorted, revs);
    return { status: done, error: truncated };
  }

  /**
   * getStatefulSetRevisions: the update revision is the one equal to the set's template (the
   * latest, or an earlier one renumbered as the latest: a rollback), created when there is none;
   * the current revision is the one status names, or the update revision on a new history.
   */
  private async revisions(
    set: StatefulSet,
    sorted: readonly ControllerRevision[],
  ): Promise<Revisions | string> {
    let collisionCount = set.status?.collisionCount ?? 0;
    const wanted = newRevision(set, nextRevision(sorted), collisionCount);
    const equal = findEqualRevisions(sorted, wanted);
    const latest = sorted.at(-1);
    const lastEqual = equal.at(-1);
    let update: ControllerRevision;
    if (lastEqual !== undefined && latest !== undefined && equalRevision(latest, lastEqual)) {
      update = latest;
    } else if (lastEqual !== undefined) {
      const renumbered = await updateRevisionNumber(this.api, lastEqual, wanted.revision);
      if (typeof renumbered === 'string') return renumbered;
      update = renumbered;
    } else {
      const created = await createControllerRevision(
        this.api,
        set.metadata.name ?? '',
        wanted,
        collisionCount,
      );
      collisionCount = created.collisionCount;
      if (created.kind === 'failed') return created.error;
      update = created.revision;
    }
    const current = sorted.find((r) => r.metadata.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** updateStatefulSet. */
  private async update(
    set: StatefulSet,
    pods: readonly Pod[],
    revs: Revisions,
  ): Promise<{ status: StatefulSetStatus; error: Failure }> {
    const currentSet = applyRevision(set, revs.current);
    const updateSet = applyRevision(set, revs.update);
    const start = startOrdinal(set);
    const replicaCount = set.spec.replicas ?? 1;
    const replicas: (Pod | undefined)[] = new Array<Pod | undefined>(replicaCount).fill(undefined);
    const condemned: Pod[] = [];
    for (const pod of pods) {
      if (inOrdinalRange(pod, set)) replicas[getOrdinal(pod) - start] = pod;
      else if (getOrdinal(pod) >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= endOrdinal(set); ord++) {
      replicas[ord - start] ??= newVersionedPod(
        currentSet,
        updateSet,
        revs.current.metadata.name ?? '',
        revs.update.metadata.name ?? '',
        ord,
      );
    }
    const wanted = replicas as Pod[];
    condemned.sort((a, b) => getOrdinal(b) - getOrdinal(a));
    const status = () =>
      computeStatus(
        set,
        [...wanted, ...condemned],
        revs.current,
        revs.update,
        revs.collisionCount,
        this.nowUs,
      );
    if (isBeingDeleted(set)) return { status: status(), error: undefined };
    const firstUnhealthy =
      wanted.find((p) => !isHealthy(p)) ?? [...condemned].reverse().find((p) => !isHealthy(p));
    const monotonic = set.spec.podManagementPolicy !== 'Parallel';
    const minReadySeconds = set.spec.minReadySeconds ?? 0;

    const replicaStep = await this.runForAll(wanted, monotonic, (pod, i) =>
      this.processReplica(set, updateSet, monotonic, minReadySeconds, wanted, i, pod),
    );
    if (replicaStep.exit) return { status: status(), error: replicaStep.error };
    const claimStep = await this.runForAll(condemned, monotonic, async (pod) => {
      if (this.podControl.claimsMatchRetention(updateSet, pod)) return GO_ON;
      const error = await this.podControl.fixClaimOwners(updateSet, pod);
      return error === undefined ? GO_ON : { exit: true, error };
    });
    if (claimStep.exit) return { status: status(), error: claimStep.error };
    const condemnedStep = await this.runForAll(condemned, monotonic, (pod) =>
      this.processCondemned(set, monotonic, minReadySeconds, firstUnhealthy, pod),
    );
    if (condemnedStep.exit) return { status: status(), error: condemnedStep.error };
    if (set.spec.updateStrategy?.type === 'OnDelete') return { status: status(), error: undefined };
    const error = await this.rollingUpdate(set, wanted, revs.update);
    return { status: status(), error };
  }

  /**
   * processReplica: a finished pod is deleted (it is made again once gone); a missing pod is
   * created, and under OrderedReady nothing further happens in this pass; under OrderedReady a
   * terminating, not running and ready, or not yet available pod blocks the ones after it;
   * finally the pod's identity, storage and claim owners are put right.
   */
  private async processReplica(
    set: StatefulSet,
    updateSet: StatefulSet,
    monotonic: boolean,
    minReadySeconds: number,
    replicas: Pod[],
    i: number,
    pod: Pod,
  ): Promise<Step> {
    if (isFailed(pod) || isSucceeded(pod)) {
      if (isTerminating(pod)) return WAIT;
      const error = await this.podControl.deletePod(set, pod, 'finished');
      return { exit: true, error };
    }
    if (!isCreated(pod)) {
      if (this.podControl.claimIsStale(set, pod)) return WAIT;
      const error = await this.podControl.createPod(set, pod);
      if (error !== undefined) return { exit: true, error };
      return monotonic ? WAIT : GO_ON;
    }
    if (isTerminating(pod) && monotonic) return WAIT;
    if (!isRunningAndReady(pod) && monotonic) return WAIT;
    if (!isRunningAndAvailable(pod, minReadySeconds, this.nowUs) && monotonic) return WAIT;
    if (
      identityMatches(set, pod) &&
      storageMatches(set, pod) &&
      this.podControl.claimsMatchRetention(updateSet, pod)
    )
      return GO_ON;
    const error = await this.podControl.updatePod(updateSet, replicas[i] ?? pod);
    return error === undefined ? GO_ON : { exit: true, error };
  }

  /**
   * processCondemned: pods beyond the range go highest ordinal first; under OrderedReady each
   * waits for the previous deletion to finish, and for every other pod to be healthy (the first
   * unhealthy pod itself may go).
   */
  private async processCondemned(
    set: StatefulSet,
    monotonic: boolean,
    minReadySeconds: number,
    firstUnhealthy: Pod | undefined,
    pod: Pod,
  ): Promise<Step> {
    if (isTerminating(pod)) return monotonic ? WAIT : GO_ON;
    const blocked =
      !isRunningAndReady(pod) || !isRunningAndAvailable(pod, minReadySeconds, this.nowUs);
    if (blocked && monotonic && pod !== firstUnhealthy) return WAIT;
    const error = await this.podControl.deletePod(set, pod, 'scale-down');
    if (error !== undefined) return { exit: true, error };
    return monotonic ? WAIT : GO_ON;
  }

  /**
   * The RollingUpdate strategy: from the highest index down to the partition, delete the first
   * pod not at the update revision (it is made again at that revision), or stop at the first
   * unhealthy pod. One pod at a time, unless the MaxUnavailableStatefulSet gate is on.
   */
  private async rollingUpdate(
    set: StatefulSet,
    replicas: readonly Pod[],
    update: ControllerRevision,
  ): Promise<Failure> {
    const partition = set.spec.updateStrategy?.rollingUpdate?.partition ?? 0;
    if (this.maxUnavailableGate) return this.rollingUpdateWithinBudget(set, replicas, update);
    for (let target = replicas.length - 1; target >= partition; target--) {
      const pod = replicas[target];
      if (pod === undefined) continue;
      if (podRevision(pod) !== update.metadata.name && !isTerminating(pod)) {
        return this.podControl.deletePod(set, pod, 'update');
      }
      if (!isHealthy(pod)) return undefined;
    }
    return undefined;
  }

  /**
   * updateStatefulSetAfterInvariantEstablished (the MaxUnavailableStatefulSet gate): every pod
   * in range that is unavailable or terminating counts against maxUnavailable (default 1, a
   * percentage of replicas rounded down, never below 1); while budget remains, pods of an old
   * revision are deleted from the highest ordinal down to the partition, several at once.
   */
  private async rollingUpdateWithinBudget(
    set: StatefulSet,
    replicas: readonly Pod[],
    update: ControllerRevision,
  ): Promise<Failure> {
    const rolling = set.spec.updateStrategy?.rollingUpdate;
    const partition = rolling?.partition ?? 0;
    const scaled = scaledValue(rolling?.maxUnavailable ?? 1, set.spec.replicas ?? 1, false);
    const maxUnavailable = Math.max(1, scaled ?? 1);
    const minReadySeconds = set.spec.minReadySeconds ?? 0;
    const unavailable = replicas.filter(
      (p) => isTerminating(p) || !isPodAvailable(p, minReadySeconds, this.nowUs),
    ).length;
    let budget = maxUnavailable - unavailable;
    for (let target = replicas.length - 1; target >= partition && budget > 0; target--) {
      const pod = replicas[target];
      if (pod === undefined) continue;
      if (podRevision(pod) === update.metadata.name || isTerminating(pod)) continue;
      const error = await this.podControl.deletePod(set, pod, 'update');
      if (error !== undefined) return error;
      budget--;
    }
    return undefined;
  }

  /**
   * runForAll: under OrderedReady one pod after the other, stopping at the first that says so;
   * under Parallel all of them in slow-start batches, stopping after a batch with a failure.
   */
  private async runForAll(
    pods: readonly Pod[],
    monotonic: boolean,
    fn: (pod: Pod, i: number) => Promise<Step>,
  ): Promise<Step> {
    if (monotonic) {
      for (let i = 0; i < pods.length; i++) {
        const pod = pods[i];
        if (pod === undefined) continue;
        const step = await fn(pod, i);
        if (step.exit) return step;
      }
      return GO_ON;
    }
    let next = 0;
    const result = await slowStartBatch(pods.length, SLOW_START_INITIAL_BATCH_SIZE, async () => {
      const i = next++;
      const pod = pods[i];
      return pod === undefined ? undefined : (await fn(pod, i)).error;
    });
    return result.error === undefined ? GO_ON : { exit: true, error: result.error };
  }

  /**
   * truncateHistory: keep the current and update revisions and every revision a pod still
   * uses; of the rest keep the newest revisionHistoryLimit.
   */
  private async truncateHistory(
    set: StatefulSet,
    pods: readonly Pod[],
    sorted: readonly ControllerRevision[],
    revs: Revisions,
  ): Promise<Failure> {
    const live = new Set([revs.current.metadata.name, revs.update.metadata.name]);
    for (const pod of pods) live.add(podRevision(pod));
    const history = sorted.filter((r) => !live.has(r.metadata.name));
    const limit = set.spec.revisionHistoryLimit ?? 10;
    for (const r of history.slice(0, Math.max(0, history.length - limit))) {
      const error = await deleteControllerRevision(this.api, r);
      if (error !== undefined) return error;
    }
    return undefined;
  }
}
