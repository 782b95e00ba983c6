/**
 * Static pods: pods the kubelet runs from its own configuration (upstream's staticPodPath),
 * without the API server, and the mirror pods that show them in the API.
 * - pkg/kubelet/config/common.go applyDefaults: the pod is named `<name>-<nodeName>`, in the
 *   default namespace unless it names one, bound to the node, with a UID that is a hash of the
 *   manifest, the node and the source (so the same manifest keeps its UID across restarts), the
 *   config.hash (that UID), config.source (file) and config.seen annotations, and a toleration
 *   of every NoExecute taint (so node problems never evict it);
 * - pkg/kubelet/pod/mirror_client.go CreateMirrorPod: the mirror is a copy carrying
 *   kubernetes.io/config.mirror = the static pod's hash, owned by the Node (controller), as
 *   the NodeRestriction admission plugin requires; a mirror whose hash differs, or that is
 *   being deleted, is deleted (grace 0, UID precondition) and created again.
 */
import { MIRROR_POD_ANNOTATION } from '../api/pod-helpers.ts';
import { defaultPod } from '../api/defaults.ts';
import type { OwnerReference } from '../api/meta-types.ts';
import type { Pod } from '../api/pod-types.ts';
import { fnv1a64Hex } from '../util/fnv-hash.ts';

export const CONFIG_MIRROR_ANNOTATION = MIRROR_POD_ANNOTATION;
export const CONFIG_HASH_ANNOTATION = 'kubernetes.io/config.hash';
export const CONFIG_SOURCE_ANNOTATION = 'kubernetes.io/config.source';
export const CONFIG_SEEN_ANNOTATION = 'kubernetes.io/config.seen';
/** kubetypes.FileSource: ksim's static pods come from the node's configuration, as files do. */
export const FILE_SOURCE = 'file';

/** The pod a static manifest stands for on `nodeName` (applyDefaults), first seen at `seen`. */
export function staticPod(manifest: Pod, nodeName: string, seen: string): Pod {
  const uid = staticPodUid(manifest, nodeName);
  const defaulted = defaultPod(manifest);
  const tolerations = defaulted.spec.tolerations ?? [];
  return {
    ...defaulted,
    metadata: {
      ...defaulted.metadata,
      name: `${manifest.metadata.name ?? ''}-${nodeName}`,
      namespace: manifest.metadata.namespace || 'default',
      uid,
      annotations: {
        ...defaulted.metadata.annotations,
        [CONFIG_HASH_ANNOTATION]: uid,
        [CONFIG_SOURCE_ANNOTATION]: FILE_SOURCE,
        [CONFIG_SEEN_ANNOTATION]: seen,
      },
    },
    spec: {
      ...defaulted.spec,
      nodeName,
      tolerations: [...tolerations, { operator: 'Exists', effect: 'NoExecute' }],
    },
    status: { phase: 'Pending' },
  };
}

/** A hash of the manifest, the host and the source, 32 hex digits like upstream's md5 UID. */
function staticPodUid(manifest: Pod, nodeName: string): string {
  const text = `${JSON.stringify(manifest)}host:${nodeName}file:${FILE_SOURCE}`;
  const bytes = new TextEncoder().encode(text);
  return fnv1a64Hex(bytes) + fnv1a64Hex(new TextEncoder().encode(`${text}#2`));
}

export function isMirrorPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined;
}

export function isStaticPod(pod: Pod): boolean {
  return pod.metadata.annotations?.[CONFIG_SOURCE_ANNOTATION] === FILE_SOURCE;
}

/** IsMirrorPodOf: the mirror carries the static pod's current hash. */
export function isMirrorPodOf(mirror: Pod, pod: Pod): boolean {
  const hash = pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION];
  return hash !== undefined && mirror.metadata.annotations?.[CONFIG_MIRROR_ANNOTATION] === hash;
}

/** The mirror pod to create for `pod`, owned by the node (MirrorPodNodeRestriction). */
export function mirrorPodFor(pod: Pod, node: { name: string; uid: string }): Pod {
  const owner: OwnerReference = {
    apiVersion: 'v1',
    kind: 'Node',
    name: node.name,
    uid: node.uid,
    controller: true,
  };
  const { uid: _, ...metadata } = pod.metadata;
  const { status: __, ...rest } = pod;
  return {
    ...rest,
    metadata: {
      ...metadata,
      annotations: {
        ...metadata.annotations,
        [CONFIG_MIRROR_ANNOTATION]: pod.metadata.annotations?.[CONFIG_HASH_ANNOTATION] ?? '',
      },
      ownerReferences: [owner],
    },
  };
}
