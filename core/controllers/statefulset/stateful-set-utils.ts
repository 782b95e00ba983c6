/**
 * The pure half of the StatefulSet controller (pkg/controller/statefulset/stateful_set_utils.go):
 * ordinal identities, the pods and claims a set wants, the revision data of its template, and
 * how a pod's state counts.
 */
import type { ControllerRevision } from '../../api/kinds/controller-revision.ts';
import type { PersistentVolumeClaim } from '../../api/kinds/persistent-volume-claim.ts';
import type { StatefulSet } from '../../api/kinds/stateful-set.ts';
import { isBeingDeleted, newControllerRef } from '../../api/meta.ts';
import type { OwnerReference } from '../../api/meta-types.ts';
import { isPodAvailable, isPodReady } from '../../api/pod-helpers.ts';
import type { Pod, Volume } from '../../api/pod-types.ts';
import { podFromTemplate } from '../common/pod-template.ts';
import {
  CONTROLLER_REVISION_HASH_LABEL,
  newControllerRevision,
  revisionTemplate,
  templateRevisionData,
} from '../history/controller-history.ts';

export const STATEFUL_SET_GVK = { group: 'apps', version: 'v1', kind: 'StatefulSet' } as const;
/** apps.StatefulSetPodNameLabel. */
export const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
/** apps.PodIndexLabel (PodIndexLabel, GA in 1.32). */
export const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
/** apps.StatefulSetRevisionLabel: a StatefulSet's pods carry their revision's name here. */
export const STATEFUL_SET_REVISION_LABEL = CONTROLLER_REVISION_HASH_LABEL;

/** statefulPodRegex: the parent's name and the ordinal are split at the last dash. */
const POD_NAME_PATTERN = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: ordinal -1 when the name has none. */
export function parentNameAndOrdinal(pod: Pod): { parent: string; ordinal: number } {
  const m = POD_NAME_PATTERN.exec(pod.metadata.name ?? '');
  if (m === null) return { parent: '', ordinal: -1 };
  const ordinal = Number(m[2]);
  return Number.isSafeInteger(ordinal) && ordinal <= 2 ** 31 - 1
    ? { parent: m[1] ?? '', ordinal }
    : { parent: '', ordinal: -1 };
}

export function getOrdinal(pod: Pod): number {
  return parentNameAndOrdinal(pod).ordinal;
}

/** isMemberOf: the pod's name says it belongs to this set. */
export function isMemberOf(set: StatefulSet, pod: Pod): boolean {
  return parentNameAndOrdinal(pod).parent === set.metadata.name;
}

export function podName(set: StatefulSet, ordinal: number): string {
  return `${set.metadata.name ?? ''}-${ordinal}`;
}

/** getStartOrdinal: spec.ordinals.start (StatefulSetStartOrdinal, GA in 1.31). */
export function startOrdinal(set: StatefulSet): number {
  return set.spec.ordinals?.start ?? 0;
}

/** getEndOrdinal: the last ordinal of the wanted range (start - 1 for zero replicas). */
export function endOrdinal(set: StatefulSet): number {
  return startOrdinal(set) + (set.spec.replicas ?? 1) - 1;
}

/** podInOrdinalRange. */
export function inOrdinalRange(pod: Pod, set: StatefulSet): boolean {
  const o = getOrdinal(pod);
  return o >= startOrdinal(set) && o <= endOrdinal(set);
}

/** getPersistentVolumeClaimName: `<claim>-<set>-<ordinal>`. */
export function claimName(set: StatefulSet, claim: string, ordinal: number): string {
  return `${claim}-${set.metadata.name ?? ''}-${ordinal}`;
}

/**
 * getPersistentVolumeClaims: the claims the pod of `ordinal` mounts, one per template, labelled
 * with the set's selector labels. Owner references (the retention policy) are added by
 * `claimOwnerRefs`.
 */
export function claimsFor(set: StatefulSet, ordinal: number): PersistentVolumeClaim[] {
  const selectorLabels = set.spec.selector.matchLabels ?? {};
  return (set.spec.volumeClaimTemplates ?? []).map((t) => {
    const { status: _status, ...template } = t;
    return {
      ...template,
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        ...template.metadata,
        name: claimName(set, template.metadata?.name ?? '', ordinal),
        namespace: set.metadata.namespace ?? 'default',
        labels: { ...template.metadata?.labels, ...selectorLabels },
      },
    } as PersistentVolumeClaim;
  });
}

/** updateIdentity: name, namespace and the pod-name and pod-index labels from the ordinal. */
function withIdentity(set: StatefulSet, pod: Pod, ordinal: number): Pod {
  const name = podName(set, ordinal);
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      name,
      namespace: set.metadata.namespace ?? 'default',
      labels: {
        ...pod.metadata.labels,
        [POD_NAME_LABEL]: name,
        [POD_INDEX_LABEL]: String(ordinal),
      },
    },
  };
}

/**
 * updateStorage: a volume for each claim template, named after the template and mounting the
 * pod's own claim, then the pod's other volumes (a template volume of the same name is
 * replaced).
 */
function withStorage(set: StatefulSet, pod: Pod, ordinal: number): Pod {
  const templates = set.spec.volumeClaimTemplates ?? [];
  if (templates.length === 0) return pod;
  const names = new Set(templates.map((t) => t.metadata?.name ?? ''));
  const claimVolumes: Volume[] = templates.map((t) => ({
    name: t.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(set, t.metadata?.name ?? '', ordinal) },
  }));
  const others = (pod.spec.volumes ?? []).filter((v) => !names.has(v.name));
  return { ...pod, spec: { ...pod.spec, volumes: [...claimVolumes, ...others] } };
}

/**
 * newStatefulSetPod: the template's pod named `<set>-<ordinal>`, with its hostname and the
 * set's service as subdomain (initIdentity), and its claims mounted.
 */
export function newStatefulSetPod(set: StatefulSet, ordinal: number): Pod {
  const ref = newControllerRef(set, STATEFUL_SET_GVK);
  const base = podFromTemplate(set.spec.template, set.metadata, ref);
  const { generateName: _generated, ...metadata } = base.metadata;
  const pod = withStorage(set, withIdentity(set, { ...base, metadata }, ordinal), ordinal);
  return {
    ...pod,
    spec: {
      ...pod.spec,
      hostname: pod.metadata.name ?? '',
      ...(set.spec.serviceName ? { subdomain: set.spec.serviceName } : {}),
    },
  };
}

/**
 * newVersionedStatefulSetPod: pods below the partition are made at the current revision, the
 * others at the update revision; the revision's name goes in the controller-revision-hash label.
 */
export function newVersionedPod(
  currentSet: StatefulSet,
  updateSet: StatefulSet,
  currentRevision: string,
  updateRevision: string,
  ordinal: number,
): Pod {
  const strategy = currentSet.spec.updateStrategy;
  const partition = strategy?.rollingUpdate?.partition ?? 0;
  const belowPartition =
    strategy?.type !== 'OnDelete' && ordinal < startOrdinal(currentSet) + partition;
  const pod = belowPartition
    ? newStatefulSetPod(currentSet, ordinal)
    : newStatefulSetPod(updateSet, ordinal);
  return withRevision(pod, belowPartition ? currentRevision : updateRevision);
}

function withRevision(pod: Pod, revision: string): Pod {
  return {
    ...pod,
    metadata: {
      ...pod.metadata,
      labels: { ...pod.metadata.labels, [STATEFUL_SET_REVISION_LABEL]: revision },
    },
  };
}

export function podRevision(pod: Pod): string | undefined {
  return pod.metadata.labels?.[STATEFUL_SET_REVISION_LABEL];
}

/** identityMatches. */
export function identityMatches(set: StatefulSet, pod: Pod): boolean {
  const { parent, ordinal } = parentNameAndOrdinal(pod);
  return (
    ordinal >= 0 &&
    parent === set.metadata.name &&
    pod.metadata.name === podName(set, ordinal) &&
    pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[POD_NAME_LABEL] === pod.metadata.name &&
    pod.metadata.labels?.[POD_INDEX_LABEL] === String(ordinal)
  );
}

/** storageMatches: each claim template is mounted from the pod's own claim. */
export function storageMatches(set: StatefulSet, pod: Pod): boolean {
  const ordinal = getOrdinal(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec.volumes ?? []).map((v) => [v.name, v]));
  return (set.spec.volumeClaimTemplates ?? []).every((t) => {
    const name = t.metadata?.name ?? '';
    const v = volumes.get(name);
    return v?.persistentVolumeClaim?.claimName === claimName(set, name, ordinal);
  });
}

/** The identity and storage labels and volumes restored on an existing pod (UpdateStatefulPod). */
export function withIdentityAndStorage(set: StatefulSet, pod: Pod): Pod {
  const ordinal = getOrdinal(pod);
  return withStorage(set, withIdentity(set, pod, ordinal), ordinal);
}

// ---- pod state --------------------------------------------------------------------------------

/** isCreated: the API server has given it a phase. */
export function isCreated(pod: Pod): boolean {
  return (pod.status?.phase ?? '') !== '';
}

export function isFailed(pod: Pod): boolean {
  return pod.status?.phase === 'Failed';
}

export function isSucceeded(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded';
}

export function isTerminating(pod: Pod): boolean {
  return isBeingDeleted(pod);
}

export function isRunningAndReady(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && isPodReady(pod);
}

export function isRunningAndAvailable(pod: Pod, minReadySeconds: number, nowUs: number): boolean {
  return pod.status?.phase === 'Running' && isPodAvailable(pod, minReadySeconds, nowUs);
}

/** isHealthy: running, ready and not terminating. */
export function isHealthy(pod: Pod): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

// ---- revisions --------------------------------------------------------------------------------

/** newRevision: the revision of the set's current template, numbered `revision`. */
export function newRevision(
  set: StatefulSet,
  revision: number,
  collisionCount: number,
): ControllerRevision {
  const cr = newControllerRevision(
    set,
    STATEFUL_SET_GVK,
    set.spec.template?.metadata?.labels,
    templateRevisionData(set.spec.template),
    revision,
    collisionCount,
  );
  const annotations = set.metadata.annotations;
  return annotations === undefined
    ? cr
    : { ...cr, metadata: { ...cr.metadata, annotations: { ...annotations } } };
}

/** ApplyRevision: the set as it was at `revision` (its template replaced by the revision's). */
export function applyRevision(set: StatefulSet, revision: ControllerRevision): StatefulSet {
  const template = revisionTemplate(revision);
  return template === undefined ? set : { ...set, spec: { ...set.spec, template } };
}

// ---- claim retention --------------------------------------------------------------------------

/**
 * updateClaimOwnerRefForSetAndPod: the owner references persistentVolumeClaimRetentionPolicy
 * asks for. whenDeleted Delete makes the set an owner (the garbage collector deletes the claim
 * with the set); whenScaled Delete makes a condemned pod (one outside the ordinal range) the
 * owner, so the claim goes with the pod a scale-down deletes. Retain removes those references.
 * Returns the new list, or undefined when it is already right.
 */
export function claimOwnerRefs(
  claim: PersistentVolumeClaim,
  set: StatefulSet,
  pod: Pod,
): OwnerReference[] | undefined {
  const policy = set.spec.persistentVolumeClaimRetentionPolicy;
  const whenDeleted = policy?.whenDeleted ?? 'Retain';
  const whenScaled = policy?.whenScaled ?? 'Retain';
  const scaledDown = !inOrdinalRange(pod, set);
  const wantSet = whenDeleted === 'Delete' && !(whenScaled === 'Delete' && scaledDown);
  const wantPod = whenScaled === 'Delete' && scaledDown && pod.metadata.uid !== undefined;
  let refs = [...(claim.metadata.ownerReferences ?? [])];
  let changed = false;
  const setUid = set.metadata.uid ?? '';
  const podUid = pod.metadata.uid ?? '';
  const has = (uid: string) => refs.some((r) => r.uid === uid);
  if (wantSet !== has(setUid)) {
    refs = wantSet
      ? [...refs, ownerRef(set, 'apps/v1', 'StatefulSet')]
      : refs.filter((r) => r.uid !== setUid);
    changed = true;
  }
  if (podUid !== '' && wantPod !== has(podUid)) {
    refs = wantPod ? [...refs, ownerRef(pod, 'v1', 'Pod')] : refs.filter((r) => r.uid !== podUid);
    changed = true;
  }
  return changed ? refs : undefined;
}

/** A non-controller owner reference, as setOwnerRef writes it. */
function ownerRef(
  owner: { readonly metadata: { readonly name?: string; readonly uid?: string } },
  apiVersion: string,
  kind: string,
): OwnerReference {
  return { apiVersion, kind, name: owner.metadata.name ?? '', uid: owner.metadata.uid ?? '' };
}

/** isStale: the claim is still owned by an earlier pod of the same name, which is going away. */
export function claimIsStale(claim: PersistentVolumeClaim, podUid: string | undefined): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.uid !== podUid);
}
