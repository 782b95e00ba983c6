/**
 * The discovery table: one row per served resource, read from the kind definitions
 * (core/api/kinds). The API server routes, kubectl discovery (/api, /apis, /api/v1) and RBAC
 * resource names are all derived from it, so it must agree with what a real kube-apiserver
 * reports for these resources.
 */
import { assert } from '../util/assert.ts';
import { DEFINITIONS, definitionFor } from './kinds/index.ts';
import type { Kind } from './types.ts';

export type Verb =
  'create' | 'delete' | 'deletecollection' | 'get' | 'list' | 'patch' | 'update' | 'watch';

export interface ResourceInfo {
  readonly kind: Kind;
  /** "" for the legacy core group served under /api. */
  readonly group: string;
  readonly version: string;
  /** "v1" for the core group, "group/version" otherwise. */
  readonly apiVersion: string;
  /** Plural resource name used in URLs, e.g. "pods". */
  readonly resource: string;
  readonly singular: string;
  readonly namespaced: boolean;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  readonly listKind: string;
  readonly verbs: readonly Verb[];
  /** Subresources served under `{resource}/{name}/{sub}`, e.g. "status". */
  readonly subresources: readonly string[];
}

/** metav1.NamespaceDefault: where a namespaced object without a namespace goes. */
export const NAMESPACE_DEFAULT = 'default';

/** Sorted by group then resource, the order discovery documents list them in. */
export const RESOURCES: readonly ResourceInfo[] = DEFINITIONS.map((d) => d.resource);

const byGroupResource = new Map<string, ResourceInfo>(
  RESOURCES.map((r) => [`${r.resource}.${r.group}`, r]),
);

export function resourceForKind(kind: string): ResourceInfo | undefined {
  return definitionFor(kind)?.resource;
}

/** For kinds the caller knows are served; crashes on anything else. */
export function mustResourceForKind(kind: string): ResourceInfo {
  const info = definitionFor(kind)?.resource;
  assert(info !== undefined, `no resource serves kind ${JSON.stringify(kind)}`);
  return info;
}

export function resourceFor(group: string, resource: string): ResourceInfo | undefined {
  return byGroupResource.get(`${resource}.${group}`);
}

/**
 * Resolves what a kubectl user may type: plural, singular, short name or kind, optionally
 * qualified by group ("rs", "replicaset", "replicasets.apps", "ReplicaSet").
 */
export function resolveResourceName(name: string): ResourceInfo | undefined {
  const lower = name.toLowerCase();
  const dot = lower.indexOf('.');
  const base = dot < 0 ? lower : lower.slice(0, dot);
  const group = dot < 0 ? undefined : lower.slice(dot + 1);
  return RESOURCES.find(
    (r) =>
      (group === undefined || r.group === group) &&
      (r.resource === base || r.singular === base || r.shortNames.includes(base)),
  );
}

/** "pods" or "replicasets.apps", as schema.GroupResource.String() renders it in messages. */
export function qualifiedResource(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group === '' ? info.resource : `${info.resource}.${info.group}`;
}

/** "Pod" or "ReplicaSet.apps", as schema.GroupKind.String() renders it in messages. */
export function qualifiedKind(info: Pick<ResourceInfo, 'group' | 'kind'>): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}
