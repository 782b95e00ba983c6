/**
 * What the PersistentVolume binder, the scheduler's VolumeBinding plugin, the protection
 * controllers and the kubelet agree on about claims and volumes (component-helpers/storage/
 * volume/helpers.go and pv_helpers.go, pkg/controller/volume/persistentvolume/util): the
 * binding annotations, a claim's class and binding mode, which pods use a claim, and
 * FindMatchingVolume, the choice of a volume for a claim.
 */
import type { PersistentVolume } from './kinds/persistent-volume.ts';
import type { PersistentVolumeClaim } from './kinds/persistent-volume-claim.ts';
import type { StorageClass } from './kinds/storage-class.ts';
import { nodeSelectorMatcher } from './node-affinity.ts';
import type { Node } from './node-types.ts';
import type { NodeSelector } from './pod-types.ts';
import type { LabelSelector } from './meta-types.ts';
import type { Pod } from './pod-types.ts';
import { cmp, isQuantityError, parseQuantity, type Quantity } from './quantity.ts';
import { matchesLabelSelector } from './selectors.ts';

/** The claim side of a binding the binder finished: the claim is Bound from now on. */
export const ANN_BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';
/** The binder (not a user) wrote claimRef / volumeName, so it may undo it. */
export const ANN_BOUND_BY_CONTROLLER = 'pv.kubernetes.io/bound-by-controller';
/** The plugin or provisioner that created a volume. */
export const ANN_PROVISIONED_BY = 'pv.kubernetes.io/provisioned-by';
/** The node the scheduler chose for a WaitForFirstConsumer claim's first pod. */
export const ANN_SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** The provisioner asked to create a volume for the claim (and its beta twin). */
export const ANN_STORAGE_PROVISIONER = 'volume.kubernetes.io/storage-provisioner';
export const ANN_BETA_STORAGE_PROVISIONER = 'volume.beta.kubernetes.io/storage-provisioner';
const ANN_BETA_STORAGE_CLASS = 'volume.beta.kubernetes.io/storage-class';

/** A StorageClass with this provisioner never provisions (local volumes, made by hand). */
export const NO_PROVISIONER = 'kubernetes.io/no-provisioner';
/**
 * ksim's built-in provisioner: the PersistentVolume binder itself creates a volume of the
 * claim's size for classes that name it, and deletes it on the Delete reclaim policy.
 */
export const SIMULATED_PROVISIONER = 'ksim.io/simulated';

export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';
export const PV_PROTECTION_FINALIZER = 'kubernetes.io/pv-protection';

/** GetPersistentVolumeClaimClass: spec.storageClassName, else the beta annotation, else "". */
export function claimClass(claim: PersistentVolumeClaim): string {
  const beta = claim.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta;
  return claim.spec?.storageClassName ?? '';
}

/** GetPersistentVolumeClass. */
export function volumeClass(volume: PersistentVolume): string {
  const beta = volume.metadata.annotations?.[ANN_BETA_STORAGE_CLASS];
  if (beta !== undefined) return beta;
  return volume.spec?.storageClassName ?? '';
}

/** IsDelayBindingMode: the claim's class exists and binds WaitForFirstConsumer. */
export function isDelayBinding(claim: PersistentVolumeClaim, cls: StorageClass | undefined) {
  return claimClass(claim) !== '' && cls?.volumeBindingMode === 'WaitForFirstConsumer';
}

export function selectedNode(claim: PersistentVolumeClaim): string | undefined {
  return claim.metadata.annotations?.[ANN_SELECTED_NODE];
}

/** IsVolumeBoundToClaim: claimRef names the claim, and its uid too when it has one. */
export function isVolumeBoundToClaim(
  volume: PersistentVolume,
  claim: PersistentVolumeClaim,
): boolean {
  const ref = volume.spec?.claimRef;
  if (ref === undefined || ref === null) return false;
  if (ref.name !== claim.metadata.name || ref.namespace !== claim.metadata.namespace) return false;
  return !ref.uid || ref.uid === claim.metadata.uid;
}

/** The claims a pod's volumes name (persistentVolumeClaim sources), in volume order. */
export function podClaimNames(pod: Pod): string[] {
  const out: string[] = [];
  for (const v of pod.spec.volumes ?? []) {
    const name = v.persistentVolumeClaim?.claimName;
    if (name) out.push(name);
  }
  return out;
}

function quantity(q: unknown): Quantity | undefined {
  if (q === undefined || q === null) return undefined;
  const parsed = parseQuantity(String(q));
  return isQuantityError(parsed) ? undefined : parsed;
}

export function requestedStorage(claim: PersistentVolumeClaim): Quantity | undefined {
  return quantity(claim.spec?.resources?.requests?.storage);
}

export function volumeStorage(volume: PersistentVolume): Quantity | undefined {
  return quantity(volume.spec?.capacity?.storage);
}

/** CheckVolumeModeMismatches: Filesystem when unset on either side. */
export function volumeModeMismatch(claim: PersistentVolumeClaim, volume: PersistentVolume) {
  return (claim.spec?.volumeMode ?? 'Filesystem') !== (volume.spec?.volumeMode ?? 'Filesystem');
}

/** CheckNodeAffinity: a volume without node affinity is reachable from every node. */
export function volumeFitsNode(volume: PersistentVolume, node: Node): boolean {
  const required = volume.spec?.nodeAffinity?.required;
  if (required === undefined || required === null) return true;
  // Stored selectors were validated: their operators are the known ones.
  return nodeSelectorMatcher(required as NodeSelector).matches(node);
}

/** The claim's access modes are all among the volume's (the binder's access-mode index). */
export function accessModesContained(claim: PersistentVolumeClaim, volume: PersistentVolume) {
  const have = new Set(volume.spec?.accessModes ?? []);
  return (claim.spec?.accessModes ?? []).every((m) => have.has(m));
}

/**
 * Why a volume cannot serve a claim it is (pre-)bound to, or undefined when it can
 * (checkVolumeSatisfyClaim, with upstream's messages).
 */
export function volumeSatisfiesClaim(
  volume: PersistentVolume,
  claim: PersistentVolumeClaim,
): string | undefined {
  const requested = requestedStorage(claim);
  const capacity = volumeStorage(volume);
  if (requested !== undefined && (capacity === undefined || cmp(capacity, requested) < 0)) {
    return 'requested PV is too small';
  }
  if (volumeClass(volume) !== claimClass(claim)) {
    return 'storageClassName does not match';
  }
  if (volumeModeMismatch(claim, volume)) return 'incompatible volumeMode';
  if (!accessModesContained(claim, volume)) return 'incompatible accessMode';
  return undefined;
}

/**
 * FindMatchingVolume (pv_helpers.go) over the binder's access-mode index: a volume pre-bound
 * to the claim if it is large enough; otherwise, among unbound volumes of the claim's class,
 * access modes and volume mode, matching its selector (and `node`, when the scheduler asks),
 * the smallest sufficient one, preferring volumes that offer the fewest access modes.
 * `delayBinding` without a node leaves unbound volumes to the scheduler. `excluded` holds
 * volumes the caller already promised to other claims.
 */
export function findMatchingVolume(
  claim: PersistentVolumeClaim,
  volumes: readonly PersistentVolume[],
  node: Node | undefined,
  delayBinding: boolean,
  excluded: ReadonlySet<string> = new Set(),
): PersistentVolume | undefined {
  const requested = requestedStorage(claim);
  if (requested === undefined) return undefined;
  const cls = claimClass(claim);
  // Index buckets are tried from the fewest access modes up; within one, the smallest wins.
  const candidates = volumes
    .filter((v) => accessModesContained(claim, v))
    .sort(
      (a, b) =>
        (a.spec?.accessModes?.length ?? 0) - (b.spec?.accessModes?.length ?? 0) ||
        (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
    );
  let best: { volume: PersistentVolume; modes: number; size: Quantity } | undefined;
  for (const volume of candidates) {
    const size = volumeStorage(volume);
    if (size === undefined) continue;
    if (volumeModeMismatch(claim, volume)) continue;
    if (volume.metadata.deletionTimestamp) continue;
    const fitsNode = node === undefined || volumeFitsNode(volume, node);
    if (isVolumeBoundToClaim(volume, claim)) {
      if (cmp(size, requested) < 0) continue;
      return fitsNode ? volume : undefined;
    }
    if (node === undefined && delayBinding) continue;
    if (excluded.has(volume.metadata.name ?? '')) continue;
    if (volume.spec?.claimRef !== undefined && volume.spec.claimRef !== null) continue;
    const selector = claim.spec?.selector;
    if (selector && !matchesLabelSelector(selector as LabelSelector, volume.metadata.labels))
      continue;
    if (volumeClass(volume) !== cls) continue;
    if (!fitsNode) continue;
    if (cmp(size, requested) < 0) continue;
    const modes = volume.spec?.accessModes?.length ?? 0;
    if (best !== undefined && best.modes < modes) continue;
    if (best === undefined || best.modes > modes || cmp(size, best.size) < 0) {
      best = { volume, modes, size };
    }
  }
  return best?.volume;
}
