/**
 * A manifest checked as a create would check it, without a cluster: the kind and version must
 * be served, then the create's own steps in its order (create.ts) — the envelope and the
 * decoder's type checks (checkEnvelope), strict field validation (unknownFields, as
 * `fieldValidation=Strict` and `kubectl apply --validate=strict`), the kind's decoding
 * (decodeObject), defaulting, the kind's built-in admission, PrepareForCreate and validation.
 *
 * Range allocation (a Service's cluster IP, node ports) runs on empty ranges of the configured
 * size, so a value outside its range is found but not one another object holds. What needs a
 * running cluster is left to the request: admission plugins (quota, limit ranges, the
 * namespace's existence) and conflicts with stored objects. Scenario files use this to refuse a bad manifest before any simulation runs.
 */
import { DEFAULT_FEATURE_GATES } from '../../api/feature-gates.ts';
import {
  BUILTIN_CATALOG,
  configuredRange,
  type AllocationContext,
  type DefinitionCatalog,
  type RangeConfig,
  type ResourceDefinition,
} from '../../api/kinds/index.ts';
import { fieldErrorBody, type FieldErrorType } from '../../api/field-error.ts';
import * as errors from '../../api/errors.ts';
import { NAMESPACE_DEFAULT } from '../../api/resources.ts';
import { kindType, typeErrorAt } from '../../api/schema/index.ts';
import type { KObject } from '../../api/types.ts';
import type { Random } from '../../ports/random.ts';
import { assert } from '../../util/assert.ts';
import { newRangeAllocator } from '../range-allocator.ts';
import { requestInfoFor } from '../request-info.ts';
import { checkEnvelope, decodeObject, storedBody } from './body.ts';
import { unknownFields } from './fields.ts';

export interface ManifestProblem {
  /** Where in the manifest: member names, list indexes and map keys from its root. */
  readonly field: readonly (string | number)[];
  readonly message: string;
  /** For a validation error, its type: a caller may weigh a missing field differently. */
  readonly type?: FieldErrorType;
}

/** Stand-ins for the system fields a create sets before the strategy runs (a Job's selector). */
const PLACEHOLDER_UID = '00000000-0000-0000-0000-000000000000';
const PLACEHOLDER_TIME = '2026-01-01T00:00:00Z';
/** What generateName gets: five characters of upstream's alphabet for names. */
const PLACEHOLDER_SUFFIX = 'bcdfg';

/** Every problem a create of `manifest` would be refused for before it reaches the store. */
export function checkManifest(
  manifest: unknown,
  options: {
    readonly ranges?: RangeConfig;
    /** What is served: the built-in kinds, plus custom resources declared earlier. */
    readonly catalog?: DefinitionCatalog;
  } = {},
): ManifestProblem[] {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    return [{ field: [], message: 'a manifest must be a mapping with apiVersion, kind, metadata' }];
  }
  const catalog = options.catalog ?? BUILTIN_CATALOG;
  const m = manifest as { apiVersion?: unknown; kind?: unknown; metadata?: unknown };
  const served = servedDefinition(catalog, m.apiVersion, m.kind);
  if (typeof served === 'string')
    return [
      {
        field: served === KIND ? ['kind'] : ['apiVersion'],
        message: servedMessage(catalog, m),
      },
    ];
  const metadata = (typeof m.metadata === 'object' && m.metadata !== null ? m.metadata : {}) as {
    namespace?: unknown;
  };
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : NAMESPACE_DEFAULT;
  const info = requestInfoFor(served, 'create', namespace);
  const shaped = checkEnvelope(info, manifest, undefined);
  if (errors.isStatus(shaped)) {
    const type = kindType(served.resource.apiVersion, served.resource.kind);
    const at = type === undefined ? undefined : typeErrorAt(manifest, type);
    return [{ field: at?.steps ?? [], message: shaped.message ?? '' }];
  }
  const unknown = unknownFields(info, shaped).unknown;
  if (unknown.length > 0) {
    return unknown.map((f) => ({ field: fieldSteps(f), message: 'unknown field' }));
  }
  const decoded = decodeObject(info, storedBody(info, shaped));
  if (errors.isStatus(decoded)) return [{ field: [], message: decoded.message ?? '' }];
  return validationProblems(catalog, decoded, options.ranges ?? {});
}

/**
 * What a valid manifest adds to `catalog` once created (a CustomResourceDefinition's versions),
 * so that later manifests of the same file may be its instances.
 */
export function learnManifest(catalog: DefinitionCatalog, manifest: unknown): void {
  const m = manifest as { apiVersion?: unknown; kind?: unknown; metadata?: { name?: unknown } };
  const served = servedDefinition(catalog, m.apiVersion, m.kind);
  if (typeof served === 'string' || served.serves === undefined) return;
  const name = m.metadata?.name;
  if (typeof name !== 'string') return;
  catalog.set(name, served.serves(manifest as KObject));
}

/** The create's defaulting, built-in admission, PrepareForCreate and validation (create.ts). */
function validationProblems(
  catalog: DefinitionCatalog,
  decoded: KObject,
  ranges: RangeConfig,
): ManifestProblem[] {
  const def = catalog.forKind(decoded.kind);
  if (def === undefined) return [];
  const meta = decoded.metadata;
  const name = meta.name || (meta.generateName ? `${meta.generateName}${PLACEHOLDER_SUFFIX}` : '');
  const defaulted = def.defaults({ ...decoded, metadata: { ...meta, ...(name ? { name } : {}) } });
  const system = { uid: PLACEHOLDER_UID, creationTimestamp: PLACEHOLDER_TIME };
  let obj = def.admit({ ...defaulted, metadata: { ...defaulted.metadata, ...system } });
  if (def.allocation !== undefined) {
    const allocated = def.allocation.create(emptyRanges(def, ranges), obj);
    if (errors.isStatus(allocated)) {
      const causes = allocated.details?.causes ?? [];
      return causes.length === 0
        ? [{ field: [], message: allocated.message ?? '' }]
        : causes.map((c) => ({ field: fieldSteps(c.field ?? ''), message: c.message ?? '' }));
    }
    obj = allocated;
  }
  return def.validate(def.prepareForCreate(obj, DEFAULT_FEATURE_GATES)).map((e) => ({
    field: fieldSteps(e.field),
    message: fieldErrorBody(e),
    type: e.type,
  }));
}

/** A check takes the first free value of a range: which one does not matter. */
const FIRST: Random = { float: () => 0, int: () => 0, fork: () => FIRST };

/** The kind's ranges, configured as the cluster's and holding nothing. */
function emptyRanges(def: ResourceDefinition, ranges: RangeConfig): AllocationContext {
  const allocators = new Map(
    (def.allocation?.ranges ?? []).map((decl) => [
      decl.name,
      newRangeAllocator(decl, configuredRange(decl, ranges), FIRST),
    ]),
  );
  const get = (name: string) => {
    const a = allocators.get(name);
    assert(a !== undefined && typeof a !== 'string', `range ${name}: ${String(a)}`);
    return a;
  };
  return { ip: (n) => get(n) as never, port: (n) => get(n) as never };
}

const KIND = 'kind';
const VERSION = 'apiVersion';

function servedDefinition(catalog: DefinitionCatalog, apiVersion: unknown, kind: unknown) {
  if (typeof kind !== 'string' || catalog.all.every((d) => d.resource.kind !== kind)) return KIND;
  const d = typeof apiVersion === 'string' ? catalog.forVersion(apiVersion, kind) : undefined;
  return d ?? VERSION;
}

/** Why the kind or version is not served, with what is. */
function servedMessage(
  catalog: DefinitionCatalog,
  m: { apiVersion?: unknown; kind?: unknown },
): string {
  const kind = typeof m.kind === 'string' ? m.kind : undefined;
  const versions = catalog.all
    .filter((d) => d.resource.kind === kind)
    .map((d) => d.resource.apiVersion);
  if (kind !== undefined && versions.length > 0 && typeof m.apiVersion !== 'string') {
    return `apiVersion is required (${kind} is served as ${versions.join(', ')})`;
  }
  if (kind !== undefined && versions.length > 0) {
    return `${JSON.stringify(m.apiVersion)} is not a served version of ${kind} (served: ${versions.join(', ')})`;
  }
  const kinds = [...new Set(catalog.all.map((d) => d.resource.kind))].sort();
  const what = kind === undefined ? 'a manifest needs a kind' : `kind ${kind} is not served`;
  return `${what} (served kinds: ${kinds.join(', ')})`;
}

/**
 * A field path as upstream prints it (`spec.containers[0].resources.requests[cpu]`) as steps:
 * bracketed numbers are list indexes, other bracketed text a map key.
 */
export function fieldSteps(field: string): (string | number)[] {
  const steps: (string | number)[] = [];
  const re = /([^.[\]]+)|\[([^\]]*)\]/g;
  for (const m of field.matchAll(re)) {
    if (m[1] !== undefined) steps.push(m[1]);
    else steps.push(/^\d+$/.test(m[2] ?? '') ? Number(m[2]) : (m[2] ?? ''));
  }
  return steps;
}
