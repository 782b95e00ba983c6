import type { OwnerReference } from '../../api/meta-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ReplicaSet } from '../../api/replica-set-types.ts';

/**
 * GetPodFromTemplate (pkg/controller/controller_utils.go): labels, annotations and finalizers
 * from the template, generateName `<owner>-`, the controller reference, the template's spec.
 */
export function podFromTemplate(rs: ReplicaSet, controllerRef: OwnerReference): Pod {
  const template = rs.spec.template;
  const meta = template?.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${rs.metadata.name ?? ''}-`,
      namespace: rs.metadata.namespace ?? 'default',
      ...(meta?.labels === undefined ? {} : { labels: { ...meta.labels } }),
      ...(meta?.annotations === undefined ? {} : { annotations: { ...meta.annotations } }),
      ...(meta?.finalizers === undefined ? {} : { finalizers: [...meta.finalizers] }),
      ownerReferences: [controllerRef],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  } as Pod;
}
