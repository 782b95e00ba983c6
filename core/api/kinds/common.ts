/**
 * Building blocks shared by the kind definitions: the discovery row, the status/spec split,
 * plain deletion, the object-meta columns, field set and patch metadata, and `defineResource`,
 * which fills in what a kind leaves out with upstream's generic defaults.
 */
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import type { ObjectMeta } from '../meta-types.ts';
import type { ResourceInfo, Verb } from '../resources.ts';
import { parseTime } from '../time.ts';
import { deepEqual } from '../meta-validation.ts';
import { validateMetaUpdateAnd } from '../validation.ts';
import type { KObject } from '../types.ts';
import type {
  DeletionRules,
  PatchField,
  RangeConfig,
  RangeDeclaration,
  ResourceDefinition,
  StrategySubresource,
  TableColumn,
  UpdateStrategy,
} from './definition.ts';
import { humanDuration } from './duration.ts';

export const ALL_VERBS: readonly Verb[] = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];

/** What discovery lists for every status subresource. */
export const STATUS_VERBS: readonly Verb[] = ['get', 'patch', 'update'];

export interface DiscoveryRowSpec {
  readonly kind: ResourceInfo['kind'];
  /** "" for the legacy core group served under /api. */
  readonly group: string;
  readonly version?: string;
  readonly resource: string;
  readonly namespaced: boolean;
  readonly shortNames?: readonly string[];
  readonly categories?: readonly string[];
  readonly verbs?: readonly Verb[];
}

type Spec<T extends KObject> = Omit<Partial<ResourceDefinition<T>>, 'resource' | 'validate'> & {
  readonly discovery: DiscoveryRowSpec;
  readonly validate: ResourceDefinition<T>['validate'];
};

/**
 * A definition from what is particular to the kind; the rest is upstream's generic behaviour:
 * no defaulting or admission, all verbs, updates that may change everything but the identity
 * in metadata (no status split), unconditional updates allowed, no generation, metadata field
 * selectors, the default table (Name, Created At), plain deletion.
 */
export function defineResource<T extends KObject>(spec: Spec<T>): ResourceDefinition<T> {
  const { discovery, ...rest } = spec;
  const subresources = spec.subresources ?? [];
  return {
    update: { prepareForUpdate: identity, validateUpdate: validateMetaUpdateAnd(spec.validate) },
    defaults: identity,
    admit: identity,
    prepareForCreate: identity,
    tracksGeneration: false,
    generationChanged: specChanged,
    allowUnconditionalUpdate: true,
    table: DEFAULT_TABLE,
    fieldSelectors: OBJECT_META_FIELD_LABELS,
    fields: (obj) => objectMetaFields(obj.metadata),
    deletion: plainDeletion<T>(),
    patch: OBJECT_META_PATCH,
    ...rest,
    subresources,
    resource: discoveryRow(discovery, subresources),
  };
}

function discoveryRow(
  d: DiscoveryRowSpec,
  subresources: readonly { readonly name: string }[],
): ResourceInfo {
  const version = d.version ?? 'v1';
  return {
    kind: d.kind,
    group: d.group,
    version,
    apiVersion: d.group === '' ? version : `${d.group}/${version}`,
    resource: d.resource,
    singular: d.kind.toLowerCase(),
    namespaced: d.namespaced,
    shortNames: d.shortNames ?? [],
    categories: d.categories ?? [],
    listKind: `${d.kind}List`,
    verbs: d.verbs ?? ALL_VERBS,
    subresources: subresources.map((s) => s.name),
  };
}

function identity<T>(obj: T): T {
  return obj;
}

/** Upstream's default generation rule: any change of spec is a change of desired state. */
export function specChanged<T extends KObject>(next: T, old: T): boolean {
  const spec = (x: T): unknown => (x as { spec?: unknown }).spec;
  return !deepEqual(spec(next), spec(old));
}

/** `obj` with `key` set to `value`, or without `key` when `value` is undefined. */
function withMember<T extends object>(obj: T, key: string, value: unknown): T {
  const out = { ...obj } as Record<string, unknown>;
  if (value === undefined) delete out[key];
  else out[key] = value;
  return out as T;
}

/** The main path of a kind with a status subresource: status belongs to /status. */
export function keepStatus<T extends KObject>(next: T, old: T): T {
  return withMember(next, 'status', (old as { status?: unknown }).status);
}

/** The /status path: spec belongs to the main path (every built-in status strategy). */
export function keepSpec<T extends KObject>(next: T, old: T): T {
  return withMember(next, 'spec', (old as { spec?: unknown }).spec);
}

/**
 * The status subresource of a kind (upstream's StatusREST): keeps spec, checks with
 * `validateUpdate` (which includes the metadata rules), answers get, patch and update.
 */
export function statusSubresource<T extends KObject>(
  validateUpdate: UpdateStrategy<T>['validateUpdate'],
): StrategySubresource<T> {
  return {
    kind: 'strategy',
    name: 'status',
    verbs: STATUS_VERBS,
    strategy: { prepareForUpdate: keepSpec, validateUpdate },
  };
}

/** Deleted at once unless metadata.finalizers hold it: upstream's default for every kind. */
export function plainDeletion<T>(): DeletionRules<T> {
  return { gracePeriodSeconds: () => 0, pendingFinalizers: () => [], markDeleting: identity };
}

/** ObjectMeta's own tags: finalizers are a merged set, ownerReferences merge on uid. */
export const OBJECT_META_PATCH: readonly PatchField[] = objectMetaPatch('metadata');

export function objectMetaPatch(path: string): readonly PatchField[] {
  return [
    { path: `${path}.finalizers`, patchStrategy: 'merge' },
    { path: `${path}.ownerReferences`, patchStrategy: 'merge', patchMergeKey: 'uid' },
  ];
}

/** The merge-on-type tag every `conditions` list carries. */
export function conditionsPatch(path: string): PatchField {
  return { path, patchStrategy: 'merge', patchMergeKey: 'type' };
}

const NAME_DESCRIPTION =
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';

const CREATION_TIMESTAMP_DESCRIPTION =
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';

export const NAME_COLUMN: TableColumn<{ readonly metadata: ObjectMeta }> = {
  name: 'Name',
  type: 'string',
  format: 'name',
  priority: 0,
  description: NAME_DESCRIPTION,
  cell: (obj) => obj.metadata.name ?? '',
};

export const AGE_COLUMN: TableColumn<{ readonly metadata: ObjectMeta }> = {
  name: 'Age',
  type: 'string',
  priority: 0,
  description: CREATION_TIMESTAMP_DESCRIPTION,
  cell: (obj, nowUs) => timeSince(obj.metadata.creationTimestamp, nowUs),
};

/** rest.NewDefaultTableConvertor: kinds without a printer show Name and Created At. */
export const DEFAULT_TABLE: readonly TableColumn<KObject>[] = [
  NAME_COLUMN,
  {
    name: 'Created At',
    type: 'date',
    priority: 0,
    description: CREATION_TIMESTAMP_DESCRIPTION,
    cell: (obj) => obj.metadata.creationTimestamp ?? '',
  },
];

/** translateTimestampSince: the age of a timestamp as kubectl prints it, "<unknown>" if unset. */
export function timeSince(timestamp: string | undefined | null, nowUs: number): string {
  const at = timestamp ? parseTime(timestamp) : undefined;
  return at === undefined ? '<unknown>' : humanDuration(nowUs - at);
}

/** A cell that prints "<none>" for an empty value, as most printers do. */
export function orNone(value: string | undefined): string {
  return value ? value : '<none>';
}

/** The configured value of a declared range: the flag's value, or its default. */
export function configuredRange(decl: RangeDeclaration, ranges: RangeConfig): string {
  return ranges[decl.flag] ?? decl.defaultRange;
}
