import { getControllerOf, keyOf } from '../../api/meta.ts';
import { isPodReady } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors.ts';
import { isPodActive } from '../common/active-pods.ts';
import { templateLabelsMatcher, type PodStatusCounts } from './replica-set-status.ts';
import type { Replicated, ReplicatedSpec } from './replicated-kind.ts';

/** What one active owned pod adds to its owner's counts. */
interface Contribution {
  readonly matches: boolean;
  readonly fullyLabeled: boolean;
  readonly ready: boolean;
}

/** One owner's active pods as its last sync counted them, and the pods changed since. */
interface OwnerTally {
  /** The spec fields the contributions were computed against (selector, template labels). */
  readonly shape: string;
  readonly selector: LabelMatcher;
  readonly templateLabels: LabelMatcher;
  readonly pods: Map<string, Contribution>;
  readonly dirty: Set<string>;
  /** Active owned pods: all, and those whose labels no longer match the selector. */
  active: number;
  nonMatching: number;
  fullyLabeled: number;
  ready: number;
}

/** The counts of an owner's active claimed pods, and how many pods were read to get them. */
export interface TallyResult {
  /** undefined when some owned active pod no longer matches the selector (claim must release it). */
  readonly counts: PodStatusCounts | undefined;
  readonly walked: number;
}

/**
 * The ReplicaSet controller's status counts kept per owner from the pods that changed, so a
 * sync of a ReplicaSet of 10,000 pods reads the few pods that changed since its last sync
 * instead of all of them. It gives exactly what claimObjects + calculateStatus give over the
 * owner's pods when nothing is there to adopt or release and minReadySeconds is 0 (availability
 * then needs no clock): the controller takes upstream's full walk otherwise.
 *
 * The pod informer's handlers report every pod they see change (`touch`, for its old and new
 * controller); a tally starts from one full walk of the owner's pods and starts over when the
 * owner's selector or template labels change.
 */
export class PodTally {
  private readonly owners = new Map<string, OwnerTally>();

  /** A pod changed (added, updated, deleted): its controller's tally recounts it next sync. */
  touch(pod: Pod): void {
    const uid = getControllerOf(pod)?.uid;
    if (uid === undefined) return;
    this.owners.get(uid)?.dirty.add(keyOf(pod));
  }

  /** The owner is gone: drop its tally. */
  forget(uid: string | undefined): void {
    if (uid !== undefined) this.owners.delete(uid);
  }

  /**
   * The owner's counts, brought up to date: `lookup` reads a pod from the cache, `ownedPods`
   * lists all the owner's pods (the controller index) when the tally must start over.
   */
  counts(
    owner: Replicated,
    spec: ReplicatedSpec,
    lookup: (podKey: string) => Pod | undefined,
    ownedPods: () => readonly Pod[],
  ): TallyResult {
    const uid = owner.metadata.uid ?? '';
    const selector = labelSelectorMatcher(spec.selector);
    const templateLabels = templateLabelsMatcher(spec);
    const shape = `${selector.toString()}\n${templateLabels.toString()}`;
    let t = this.owners.get(uid);
    let walked: number;
    if (t === undefined || t.shape !== shape) {
      t = {
        shape,
        selector,
        templateLabels,
        pods: new Map(),
        dirty: new Set(),
        active: 0,
        nonMatching: 0,
        fullyLabeled: 0,
        ready: 0,
      };
      this.owners.set(uid, t);
      const pods = ownedPods();
      for (const pod of pods) recount(t, uid, keyOf(pod), pod);
      walked = pods.length;
    } else {
      for (const key of t.dirty) recount(t, uid, key, lookup(key));
      walked = t.dirty.size;
    }
    t.dirty.clear();
    if (t.nonMatching > 0) return { counts: undefined, walked };
    return {
      counts: {
        replicas: t.active,
        fullyLabeled: t.fullyLabeled,
        ready: t.ready,
        // With minReadySeconds 0 a ready pod is available.
        available: t.ready,
      },
      walked,
    };
  }
}

/** Replaces the pod's old contribution with its current one (none when gone or not active). */
function recount(t: OwnerTally, uid: string, key: string, pod: Pod | undefined): void {
  const old = t.pods.get(key);
  if (old !== undefined) {
    add(t, old, -1);
    t.pods.delete(key);
  }
  if (pod === undefined || getControllerOf(pod)?.uid !== uid || !isPodActive(pod)) return;
  const c: Contribution = {
    matches: t.selector.matches(pod.metadata.labels),
    fullyLabeled: t.templateLabels.matches(pod.metadata.labels),
    ready: isPodReady(pod),
  };
  add(t, c, 1);
  t.pods.set(key, c);
}

function add(t: OwnerTally, c: Contribution, sign: 1 | -1): void {
  if (!c.matches) {
    t.nonMatching += sign;
    return;
  }
  t.active += sign;
  if (c.fullyLabeled) t.fullyLabeled += sign;
  if (c.ready) t.ready += sign;
}
