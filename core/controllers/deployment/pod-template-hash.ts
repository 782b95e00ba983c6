import type { PodTemplateSpec } from '../../api/pod-types.ts';
import { canonicalJson } from '../common/canonical-json.ts';
import { computeHash } from '../common/hash.ts';

/** apps.DefaultDeploymentUniqueLabelKey: the label that ties a ReplicaSet's pods to its template. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/**
 * controller.ComputeHash of the template and the Deployment's collisionCount (common/hash.ts):
 * the value of the pod-template-hash label and the suffix of the ReplicaSet's name.
 */
export function computePodTemplateHash(
  template: PodTemplateSpec,
  collisionCount: number | undefined,
): string {
  return computeHash(template, collisionCount);
}

/**
 * EqualIgnoreHash (pkg/controller/deployment/util/deployment_util.go): templates equal once the
 * pod-template-hash label is dropped from both, empty and absent maps and lists counting as
 * equal (apiequality.Semantic.DeepEqual).
 */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined) {
  return canonicalJson(withoutHashLabel(a)) === canonicalJson(withoutHashLabel(b));
}

export function withoutHashLabel(t: PodTemplateSpec | undefined): PodTemplateSpec | undefined {
  const labels = t?.metadata?.labels;
  if (t === undefined || labels === undefined || !(POD_TEMPLATE_HASH_LABEL in labels)) return t;
  const { [POD_TEMPLATE_HASH_LABEL]: _hash, ...rest } = labels;
  return { ...t, metadata: { ...t.metadata, labels: rest } };
}
