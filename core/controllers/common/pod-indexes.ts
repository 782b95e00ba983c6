import { getControllerOf } from '../../api/meta.ts';
import type { HasMeta } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';

/**
 * Pods by controller UID, orphans under `orphan/<namespace>` (client-go's PodControllerUIDIndex
 * plus the orphan key FilterPodsByOwner looks up), so an owner finds its pods and the orphans it
 * could adopt without scanning the namespace.
 */
export const POD_CONTROLLER_INDEX = 'controllerUID';

/** The same index on other kinds (ReplicaSets by Deployment, ControllerRevisions by owner). */
export const CONTROLLER_INDEX = POD_CONTROLLER_INDEX;

export function podControllerIndex(pod: Pod): readonly string[] {
  return controllerIndex(pod);
}

/** The same index for any kind with controllers (ControllerRevisions of StatefulSets and DaemonSets). */
export function controllerIndex(obj: HasMeta): readonly string[] {
  const ref = getControllerOf(obj);
  return [ref === undefined ? orphanIndexKey(obj.metadata.namespace ?? '') : ref.uid];
}

export function orphanIndexKey(namespace: string): string {
  return `orphan/${namespace}`;
}

/** Pods by spec.nodeName (upstream's "spec.nodeName" indexer used by node controllers). */
export const POD_NODE_INDEX = 'spec.nodeName';

export function podNodeIndex(pod: Pod): readonly string[] {
  return pod.spec.nodeName ? [pod.spec.nodeName] : [];
}
