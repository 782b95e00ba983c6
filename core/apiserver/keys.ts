/**
 * Key layout: `/registry/<resource>/<namespace>/<name>` for namespaced resources and
 * `/registry/<resource>/<name>` for cluster-scoped ones (upstream uses the same shape, with a few
 * historical resource names such as "minions" that we do not copy).
 */
export const REGISTRY_ROOT = '/registry/';

export function objectKey(resource: string, namespace: string | undefined, name: string): string {
  return namespace === undefined
    ? `${REGISTRY_ROOT}${resource}/${name}`
    : `${REGISTRY_ROOT}${resource}/${namespace}/${name}`;
}

/** Prefix of a collection: all namespaces when `namespace` is undefined. */
export function collectionPrefix(resource: string, namespace: string | undefined): string {
  return namespace === undefined
    ? `${REGISTRY_ROOT}${resource}/`
    : `${REGISTRY_ROOT}${resource}/${namespace}/`;
}

/** The smallest key greater than every key with this prefix (etcd clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: string): string {
  for (let i = prefix.length - 1; i >= 0; i--) {
    const c = prefix.charCodeAt(i);
    if (c < 0xffff) return prefix.slice(0, i) + String.fromCharCode(c + 1);
  }
  return '\0';
}
