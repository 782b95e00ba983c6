/**
 * Which resources the garbage collector watches, and how it finds an owner reference's kind:
 * upstream's GetDeletableResources (every preferred resource that supports delete, list and
 * watch, read from discovery) minus its ignored resources (core events), read here from the
 * kind definitions that discovery is made of.
 */
import { DEFINITIONS, definitionFor, definitionForVersion } from '../../api/kinds/index.ts';
import type { ResourceInfo } from '../../api/resources.ts';
import type { ResourceDefinition } from '../../api/kinds/index.ts';
import type { Kind } from '../../api/types.ts';

const REQUIRED_VERBS = ['delete', 'list', 'watch'] as const;

/** DefaultIgnoredResources: Events are never owners or dependents worth watching. */
const IGNORED = new Set(['events']);

export function deletableResources(): readonly ResourceDefinition[] {
  return DEFINITIONS.filter(
    (d) =>
      d.storedAs === undefined &&
      d.createAs === undefined &&
      !(d.resource.group === '' && IGNORED.has(d.resource.resource)) &&
      REQUIRED_VERBS.every((v) => d.resource.verbs.includes(v)),
  );
}

/** What the collector reads and writes an owner or dependent through. */
export interface ResolvedKind {
  readonly kind: Kind;
  readonly namespaced: boolean;
  /** The resource addressed (a built-in kind's storage resource, or a custom resource). */
  readonly resource: ResourceInfo;
  /** Custom resources take no strategic merge patch (upstream answers 415). */
  readonly custom: boolean;
}

/**
 * The served kind an owner reference names (its storage kind), or undefined when none is
 * served: a built-in kind, else one of the custom resources discovery found.
 */
export function resolveReferenceKind(
  apiVersion: string,
  kind: string,
  custom: ReadonlyMap<string, ResourceInfo> = new Map(),
): ResolvedKind | undefined {
  const d = definitionForVersion(apiVersion, kind);
  if (d === undefined) {
    const r = custom.get(customKey(apiVersion, kind));
    return r === undefined
      ? undefined
      : { kind: r.kind, namespaced: r.namespaced, resource: r, custom: true };
  }
  const stored = d.storedAs === undefined ? d : (definitionFor(d.storedAs.kind) ?? d);
  return {
    kind: stored.resource.kind,
    namespaced: d.resource.namespaced,
    resource: stored.resource,
    custom: false,
  };
}

export function customKey(apiVersion: string, kind: string): string {
  return `${apiVersion}|${kind}`;
}

/** A custom resource the collector monitors: it can be deleted, listed and watched. */
export function isDeletable(r: ResourceInfo): boolean {
  return REQUIRED_VERBS.every((v) => r.verbs.includes(v));
}
