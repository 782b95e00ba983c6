/**
 * Which resources the garbage collector watches, and how it finds an owner reference's kind:
 * upstream's GetDeletableResources (every preferred resource that supports delete, list and
 * watch, read from discovery) minus its ignored resources (core events), read here from the
 * kind definitions that discovery is made of.
 */
import { DEFINITIONS, definitionForVersion } from '../../api/kinds/index.ts';
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

/** The served kind an owner reference names (its storage kind), or undefined when none is served. */
export function resolveReferenceKind(
  apiVersion: string,
  kind: string,
): { readonly kind: Kind; readonly namespaced: boolean } | undefined {
  const d = definitionForVersion(apiVersion, kind);
  if (d === undefined) return undefined;
  return { kind: d.storedAs?.kind ?? d.resource.kind, namespaced: d.resource.namespaced };
}
