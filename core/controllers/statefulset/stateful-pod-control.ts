/**
 * StatefulPodControl (pkg/controller/statefulset/stateful_pod_control.go): the writes of the
 * StatefulSet controller, each with the Event upstream records: a pod's claims before the pod,
 * pod updates restoring identity and storage, deletions, and claim owner references for the
 * retention policy.
 */
import type { PersistentVolumeClaim } from '../../api/kinds/persistent-volume-claim.ts';
import type { StatefulSet } from '../../api/kinds/stateful-set.ts';
import { isBeingDeleted, keyOf } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ApiClient, ApiResult } from '../../client/api-client.ts';
import type { Trace } from '../../ports/trace.ts';
import { describeFailure } from '../common/api-errors.ts';
import type { EventRecorder } from '../common/events.ts';
import {
  claimIsStale,
  claimOwnerRefs,
  claimsFor,
  getOrdinal,
  podRevision,
  STATEFUL_SET_GVK,
  withIdentityAndStorage,
} from './stateful-set-utils.ts';

type Failure = string | undefined;

export type DeleteReason = 'scale-down' | 'update' | 'finished';

export class StatefulPodControl {
  constructor(
    private readonly api: ApiClient,
    private readonly events: EventRecorder,
    private readonly trace: Trace,
    /** The claim of that namespace/name in the informer's cache. */
    private readonly cachedClaim: (key: string) => PersistentVolumeClaim | undefined,
  ) {}

  /** CreateStatefulPod: the claims first, then the pod; an existing pod is an error to retry. */
  async createPod(set: StatefulSet, pod: Pod): Promise<Failure> {
    const claims = await this.createMissingClaims(set, pod);
    if (claims !== undefined) return claims;
    const name = pod.metadata.name ?? '';
    this.trace.emit('statefulset.create-pod', {
      statefulset: keyOf(set),
      pod: name,
      ordinal: getOrdinal(pod),
      revision: podRevision(pod) ?? '',
    });
    return this.report(set, 'create', name, await this.api.create(pod));
  }

  /** UpdateStatefulPod: put back the pod's identity, storage and its claims' owners. */
  async updatePod(set: StatefulSet, pod: Pod): Promise<Failure> {
    const claims = await this.fixClaimOwners(set, pod);
    if (claims !== undefined) return claims;
    const fixed = withIdentityAndStorage(set, pod);
    if (JSON.stringify(fixed) === JSON.stringify(pod)) return undefined;
    return this.report(set, 'update', pod.metadata.name ?? '', await this.api.update(fixed));
  }

  /** DeleteStatefulPod; a pod already gone counts as deleted. */
  async deletePod(set: StatefulSet, pod: Pod, reason: DeleteReason): Promise<Failure> {
    const name = pod.metadata.name ?? '';
    this.trace.emit('statefulset.delete-pod', { statefulset: keyOf(set), pod: name, reason });
    const r = await this.api.delete('Pod', pod.metadata.namespace, name, {
      preconditions: { uid: pod.metadata.uid ?? '' },
    });
    // A pod already gone counts as deleted.
    return this.report(set, 'delete', name, r.ok || r.status !== 404 ? r : { ok: true });
  }

  /**
   * PodClaimIsStale: a claim of this not-yet-created pod is still owned by the pod's
   * predecessor (whenScaled Delete), so the garbage collector is about to delete it; creating
   * the pod now would mount a claim that disappears.
   */
  claimIsStale(set: StatefulSet, pod: Pod): boolean {
    return claimsFor(set, getOrdinal(pod)).some((c) => {
      const cached = this.cachedClaim(keyOf(c));
      return cached !== undefined && claimIsStale(cached, pod.metadata.uid);
    });
  }

  /** ClaimsMatchRetentionPolicy. */
  claimsMatchRetention(set: StatefulSet, pod: Pod): boolean {
    return claimsFor(set, getOrdinal(pod)).every((c) => {
      const cached = this.cachedClaim(keyOf(c));
      return cached === undefined || claimOwnerRefs(cached, set, pod) === undefined;
    });
  }

  /** UpdatePodClaimForRetentionPolicy: set the owner references of the pod's existing claims. */
  async fixClaimOwners(set: StatefulSet, pod: Pod): Promise<Failure> {
    for (const c of claimsFor(set, getOrdinal(pod))) {
      const cached = this.cachedClaim(keyOf(c));
      if (cached === undefined) continue;
      const refs = claimOwnerRefs(cached, set, pod);
      if (refs === undefined) continue;
      const r = await this.api.update({
        ...cached,
        metadata: { ...cached.metadata, ownerReferences: refs },
      });
      if (!r.ok && r.status !== 404)
        return `update owners of claim ${cached.metadata.name}: ${describeFailure(r)}`;
    }
    return undefined;
  }

  /** createPersistentVolumeClaims: the pod's claims the cache does not have yet. */
  private async createMissingClaims(set: StatefulSet, pod: Pod): Promise<Failure> {
    for (const claim of claimsFor(set, getOrdinal(pod))) {
      const name = claim.metadata.name ?? '';
      const cached = this.cachedClaim(keyOf(claim));
      if (cached !== undefined) {
        if (isBeingDeleted(cached)) return `claim ${name} is being deleted`;
        continue;
      }
      const refs = claimOwnerRefs(claim, set, pod);
      const r = await this.api.create(
        refs === undefined
          ? claim
          : { ...claim, metadata: { ...claim.metadata, ownerReferences: refs } },
      );
      if (r.ok) {
        this.podEvent(
          set,
          'Normal',
          'SuccessfulCreate',
          `create Claim ${name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`,
        );
        continue;
      }
      if (r.status === 409) continue;
      const error = describeFailure(r);
      this.podEvent(
        set,
        'Warning',
        'FailedCreate',
        `create Claim ${name} for Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} failed error: ${error}`,
      );
      return `create claim ${name}: ${error}`;
    }
    return undefined;
  }

  /**
   * recordPodEvent: "<verb> Pod <name> in StatefulSet <set> successful" (Normal, Successful<Verb>)
   * or "... failed error: <why>" (Warning, Failed<Verb>); the failure is returned.
   */
  private report(
    set: StatefulSet,
    verb: 'create' | 'update' | 'delete',
    name: string,
    r: { readonly ok: true } | Extract<ApiResult<unknown>, { ok: false }>,
  ): Failure {
    const Verb = `${verb[0]?.toUpperCase() ?? ''}${verb.slice(1)}`;
    const what = `${verb} Pod ${name} in StatefulSet ${set.metadata.name}`;
    if (r.ok) {
      this.podEvent(set, 'Normal', `Successful${Verb}`, `${what} successful`);
      return undefined;
    }
    const error = describeFailure(r);
    this.podEvent(set, 'Warning', `Failed${Verb}`, `${what} failed error: ${error}`);
    return `${verb} pod ${name}: ${error}`;
  }

  private podEvent(
    set: StatefulSet,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): void {
    this.events.event(set, STATEFUL_SET_GVK, type, reason, message);
  }
}
