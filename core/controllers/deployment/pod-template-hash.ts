import type { PodTemplateSpec } from '../../api/pod-types.ts';
import { canonicalJson } from '../common/canonical-json.ts';

/** apps.DefaultDeploymentUniqueLabelKey: the label that ties a ReplicaSet's pods to its template. */
export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** rand.SafeEncodeString's alphabet: no vowels (no words) and no look-alike characters. */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/**
 * controller.ComputeHash (pkg/controller/controller_utils.go): FNV-32a over the template and,
 * when set, the Deployment's collisionCount, printed as a decimal number and then passed through
 * SafeEncodeString. Upstream hashes the Go struct dump (DeepHashObject); we hash canonical JSON
 * (sorted keys, empty lists and maps dropped), so values differ from upstream's but are stable
 * and change exactly when the template does. Bumping collisionCount gives a new name when a
 * ReplicaSet of the same name but another template is in the way.
 */
export function computePodTemplateHash(
  template: PodTemplateSpec,
  collisionCount: number | undefined,
): string {
  let h = fnv32a(0x811c9dc5, utf8(canonicalJson(template)));
  if (collisionCount !== undefined) {
    const c = collisionCount >>> 0;
    h = fnv32a(h, [c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, (c >>> 24) & 0xff]);
  }
  return safeEncode(String(h));
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

function fnv32a(seed: number, bytes: ArrayLike<number>): number {
  let h = seed;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] ?? 0;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function safeEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) out += SAFE_ALPHABET[s.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}
