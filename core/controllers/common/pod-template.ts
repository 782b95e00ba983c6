import type { OwnerReference } from '../../api/meta-types.ts';
import type { Pod, PodTemplateSpec } from '../../api/pod-types.ts';

/**
 * GetPodFromTemplate (pkg/controller/controller_utils.go): labels, annotations and finalizers
 * from the template, generateName `<owner>-`, the controller reference, the template's spec.
 */
export function podFromTemplate(
  template: PodTemplateSpec | undefined,
  owner: { readonly name?: string; readonly namespace?: string },
  controllerRef: OwnerReference,
): Pod {
  const meta = template?.metadata;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: `${owner.name ?? ''}-`,
      namespace: owner.namespace ?? 'default',
      ...(meta?.labels === undefined ? {} : { labels: { ...meta.labels } }),
      ...(meta?.annotations === undefined ? {} : { annotations: { ...meta.annotations } }),
      ...(meta?.finalizers === undefined ? {} : { finalizers: [...meta.finalizers] }),
      ownerReferences: [controllerRef],
    },
    spec: structuredClone(template?.spec ?? { containers: [] }),
  } as Pod;
}
