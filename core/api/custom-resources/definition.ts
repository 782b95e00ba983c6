/**
 * The definitions an Established CustomResourceDefinition serves: one per served version, over
 * one storage (the storage version's; the others are views of it: with conversion strategy
 * None only apiVersion is rewritten, with Webhook the CRD's conversion hook converts bodies on
 * the way in and objects, lists and watch events on the way out; see conversion.ts). What upstream's customresource registry
 * (pkg/registry/customresource: strategy.go, status_strategy.go, validator.go,
 * tableconvertor) does for every custom resource is here, read from the CRD: pruning and
 * defaults on decode, schema validation, generation, the status and scale subresources, and
 * the printer columns. The catalog names the group of definitions by the CRD's name.
 */
import type { PatchContentType } from '../http.ts';
import type {
  ResourceDefinition,
  ScaleSubresource,
  StrategySubresource,
  SubresourceDefinition,
  TableColumn,
  VersionedObject,
} from '../kinds/definition.ts';
import {
  AGE_COLUMN,
  ALL_VERBS,
  NAME_COLUMN,
  OBJECT_META_PATCH,
  STATUS_VERBS,
  plainDeletion,
  timeSince,
} from '../kinds/common.ts';
import type { CustomResourceDefinition } from '../kinds/custom-resource-definition.ts';
import { OBJECT_META_FIELD_LABELS, objectMetaFields } from '../field-selectors.ts';
import { fieldInvalid, type FieldError } from '../field-error.ts';
import type { LabelSelector, ObjectMeta } from '../meta-types.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { ResourceInfo } from '../resources.ts';
import type { KObject } from '../types.ts';
import { applyDefaults } from './defaults.ts';
import { evaluate, parseJsonPath, setAt, type Step } from './json-path.ts';
import { prune } from './prune.ts';
import type { Schema } from './schema.ts';
import { compileValidator, type InstanceValidator } from './validator.ts';
import { compileRules, validateRules, type RuleNode } from './cel/rules.ts';
import {
  convertByWebhook,
  hookName,
  type ConversionHooks,
  type CustomObject,
} from './conversion.ts';
import * as errors from '../errors.ts';

type Version = CustomResourceDefinition['spec']['versions'][number];
type Column = NonNullable<Version['additionalPrinterColumns']>[number];

/** Custom resources take JSON, merge and apply patches; strategic merge needs Go struct tags. */
const CUSTOM_PATCH_TYPES: readonly PatchContentType[] = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

/** An instance, as the registry handles it: any JSON object with the envelope. */
type Instance = KObject;

/**
 * What `crd` (a defaulted, valid manifest) serves once its names are accepted and it is
 * Established, as the API server's controllers will make it when nothing conflicts.
 */
export function definitionsOnceEstablished(crd: CustomResourceDefinition): ResourceDefinition[] {
  return customResourceDefinitions({ ...crd, status: { acceptedNames: crd.spec.names } });
}

/**
 * Every served version's definition, or none when the CRD is not Established. `hooks` are
 * the conversion hooks a CRD with strategy Webhook is converted through.
 */
export function customResourceDefinitions(
  crd: CustomResourceDefinition,
  hooks?: ConversionHooks,
): ResourceDefinition[] {
  const accepted = crd.status?.acceptedNames;
  const storage = crd.spec.versions.find((v) => v.storage);
  if (accepted === undefined || storage === undefined) return [];
  return crd.spec.versions
    .filter((v) => v.served)
    .map((v) => versionDefinition(crd, v, storage, hooks));
}

function schemaOf(v: Version): Schema {
  return (v.schema?.openAPIV3Schema ?? { type: 'object' }) as Schema;
}

/** Pruning and defaults, what upstream's decoder does to an object of the schema's version. */
function decoderOf(schema: Schema): (obj: Instance) => Instance {
  return (obj) => applyDefaults(prune(obj, schema).value, schema) as Instance;
}

function versionDefinition(
  crd: CustomResourceDefinition,
  v: Version,
  storage: Version,
  hooks: ConversionHooks | undefined,
): ResourceDefinition {
  const names = crd.status?.acceptedNames ?? crd.spec.names;
  const group = crd.spec.group;
  const apiVersion = `${group}/${v.name}`;
  const storageApiVersion = `${group}/${storage.name}`;
  const namespaced = crd.spec.scope === 'Namespaced';
  const isStorage = v === storage;
  const webhook = !isStorage && crd.spec.conversion?.strategy === 'Webhook';
  const schema = schemaOf(v);
  // The registry works on stored objects: a webhook-converted version's are in the storage
  // version's shape, so they are defaulted and validated by that version's schema.
  const storedSchema = webhook ? schemaOf(storage) : schema;
  const validator = checker(compileValidator(storedSchema), compileRules(storedSchema, '').root);
  const hasStatus = v.subresources?.status !== undefined;
  const scale = scaleSubresource(v);
  const subresources: SubresourceDefinition<Instance>[] = [
    ...(hasStatus ? [statusSubresource(validator)] : []),
    ...(scale === undefined ? [] : [scale]),
  ];
  const kind = names.kind as KObject['kind'];
  const resource: ResourceInfo = {
    kind,
    group,
    version: v.name,
    apiVersion,
    resource: names.plural,
    singular: names.singular ?? names.kind.toLowerCase(),
    namespaced,
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    listKind: names.listKind ?? `${names.kind}List`,
    // crdHandler: no new instances once the CRD is being deleted (its instances are going).
    verbs:
      crd.metadata.deletionTimestamp === undefined
        ? ALL_VERBS
        : ALL_VERBS.filter((verb) => verb !== 'create'),
    subresources: subresources.map((s) => s.name),
  };
  const decode = decoderOf(schema);
  const validate = (obj: Instance): FieldError[] => [
    ...validateObjectMeta(obj.metadata, namespaced, nameIsDNSSubdomain),
    ...validator(obj, undefined),
  ];
  const webhookName = hookName(crd.spec.conversion);
  return {
    resource,
    storageResource: `${group}/${names.plural}`,
    patchTypes: CUSTOM_PATCH_TYPES,
    openApiSchema: schema,
    unknownFields: (obj) => {
      const r = prune(obj, schema);
      return { value: r.value as Instance, unknown: r.pruned };
    },
    defaults: decoderOf(storedSchema),
    admit: identity,
    // strategy.go PrepareForCreate: with a status subresource, status is not the creator's.
    prepareForCreate: (obj) => (hasStatus ? without(obj, 'status') : obj),
    validate,
    update: {
      prepareForUpdate: (next, old) => (hasStatus ? withStatusOf(next, old) : next),
      validateUpdate: (next, old) => [
        ...validateObjectMetaUpdate(next.metadata, old.metadata),
        ...validator(next, old),
      ],
    },
    tracksGeneration: true,
    // strategy.go PrepareForUpdate: anything but metadata (and status, when it has its own
    // path) is desired state.
    generationChanged: (next, old) => !deepEqual(desired(next, hasStatus), desired(old, hasStatus)),
    allowUnconditionalUpdate: false,
    subresources,
    table: tableColumns(v.additionalPrinterColumns),
    fieldSelectors: OBJECT_META_FIELD_LABELS,
    fields: (obj) => objectMetaFields(obj.metadata),
    deletion: plainDeletion<Instance>(),
    patch: OBJECT_META_PATCH,
    ...(isStorage
      ? { onRead: (obj: Instance) => applyDefaults(obj, schema) as Instance }
      : webhook
        ? {
            // A body keeps its version until decoded: decoding converts it through the
            // webhook, and a failed conversion is the decoder's error.
            decode: (obj: Instance): Instance | string => {
              if (obj.apiVersion === storageApiVersion) return obj;
              const r = convertByWebhook(
                hooks,
                webhookName,
                decode(obj) as CustomObject,
                storageApiVersion,
              );
              return r.ok ? (r.object as Instance) : r.error;
            },
            storedAs: {
              kind,
              toStored: (obj: VersionedObject) => obj as Instance,
              fromStored: (obj: Instance): VersionedObject => {
                const r = convertByWebhook(hooks, webhookName, obj as CustomObject, apiVersion);
                return r.ok ? decode(r.object as Instance) : errors.internalError(r.error);
              },
            },
          }
        : {
            storedAs: {
              kind,
              toStored: (obj: VersionedObject) =>
                ({ ...obj, apiVersion: storageApiVersion }) as Instance,
              fromStored: (obj: Instance) => decode({ ...obj, apiVersion } as Instance),
            },
          }),
  };
}

/** Schema validation, then the CEL rules (with the old object on an update). */
type Checker = (obj: Instance, old: Instance | undefined) => FieldError[];

function checker(schema: InstanceValidator, rules: RuleNode | undefined): Checker {
  return (obj, old) => {
    const errs = schema(obj);
    if (rules === undefined) return errs;
    // strategy.go: rules are not run on an object whose shape is already wrong.
    if (errs.some(blocksRules)) return [...errs, RULES_NOT_CHECKED];
    return [...errs, ...validateRules(rules, obj, old)];
  };
}

/** strategy.go hasBlockingErr: type, required, enum and size violations. */
function blocksRules(e: FieldError): boolean {
  return (
    e.type === 'FieldValueNotSupported' ||
    e.type === 'FieldValueRequired' ||
    e.type === 'FieldValueTooLong' ||
    e.type === 'FieldValueTooMany' ||
    (e.type === 'FieldValueInvalid' && e.detail.includes(' must be of type '))
  );
}

const RULES_NOT_CHECKED = fieldInvalid(
  '<nil>',
  null,
  'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
);

function identity<T>(x: T): T {
  return x;
}

function without(obj: Instance, member: string): Instance {
  const out = { ...obj } as Record<string, unknown>;
  delete out[member];
  return out as Instance;
}

function desired(obj: Instance, hasStatus: boolean): unknown {
  const { metadata: _m, status, ...rest } = obj as Instance & { status?: unknown };
  return hasStatus ? rest : { ...rest, status };
}

/** The main path of a kind with a status subresource keeps the stored status. */
function withStatusOf(next: Instance, old: Instance): Instance {
  const status = (old as { status?: unknown }).status;
  const out = without(next, 'status') as Record<string, unknown>;
  if (status !== undefined) out.status = status;
  return out as Instance;
}

/** status_strategy.go: the old object with the new status (and the new managedFields). */
function statusSubresource(validator: Checker): StrategySubresource<Instance> {
  return {
    kind: 'strategy',
    name: 'status',
    verbs: STATUS_VERBS,
    strategy: {
      prepareForUpdate: (next, old) => {
        const status = (next as { status?: unknown }).status;
        const out = without(old, 'status') as Record<string, unknown>;
        if (status !== undefined) out.status = status;
        const managedFields = next.metadata.managedFields;
        const metadata: ObjectMeta = { ...old.metadata };
        if (managedFields === undefined)
          delete (metadata as { managedFields?: unknown }).managedFields;
        else (metadata as { managedFields?: unknown }).managedFields = managedFields;
        return { ...out, metadata } as Instance;
      },
      validateUpdate: (next, old) => [
        ...validateObjectMetaUpdate(next.metadata, old.metadata),
        ...validator(next, old),
      ],
    },
  };
}

/** The scale subresource through the CRD's JSON paths (pkg/registry/customresource/etcd.go ScaleREST). */
function scaleSubresource(v: Version): ScaleSubresource<Instance> | undefined {
  const s = v.subresources?.scale;
  if (s === undefined) return undefined;
  const spec = steps(s.specReplicasPath);
  const status = steps(s.statusReplicasPath);
  const selector = s.labelSelectorPath === undefined ? undefined : steps(s.labelSelectorPath);
  const replicas = (obj: Instance, at: readonly Step[]): number => {
    const r = evaluate(obj, at);
    return typeof r === 'number' ? r : 0;
  };
  return {
    kind: 'scale',
    name: 'scale',
    verbs: STATUS_VERBS,
    specReplicas: (obj) => replicas(obj, spec),
    statusReplicas: (obj) => replicas(obj, status),
    // The CR holds the selector as a string (status.selector), as an HPA reads it.
    selector: (obj) =>
      labelSelectorOf(selector === undefined ? undefined : evaluate(obj, selector)),
    withSpecReplicas: (obj, n) => setAt(obj, spec, n) as Instance,
  };
}

function steps(path: string): readonly Step[] {
  const parsed = parseJsonPath(path);
  return typeof parsed === 'string' ? [] : parsed;
}

/** A selector in its string form ("app=web,tier in (a,b)" is read as equality terms only). */
function labelSelectorOf(v: unknown): LabelSelector | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const matchLabels: Record<string, string> = {};
  for (const term of v.split(',')) {
    const [k, val] = term.split('=');
    if (k === undefined || val === undefined) continue;
    matchLabels[k.trim()] = val.trim();
  }
  return { matchLabels };
}

/**
 * tableconvertor.New: Name, then the CRD's columns (an Age column when it lists none, which is
 * what upstream's defaulting of additionalPrinterColumns gives).
 */
function tableColumns(columns: readonly Column[] | undefined): readonly TableColumn<Instance>[] {
  if (columns === undefined || columns.length === 0) return [NAME_COLUMN, AGE_COLUMN];
  return [NAME_COLUMN, ...columns.map(printerColumn)];
}

function printerColumn(c: Column): TableColumn<Instance> {
  const path = steps(c.jsonPath);
  const type = (c.type as TableColumn<Instance>['type']) ?? 'string';
  return {
    name: c.name,
    type,
    ...(c.format === 'name' ? { format: 'name' as const } : {}),
    priority: (c.priority ?? 0) > 0 ? 1 : 0,
    description: c.description ?? '',
    cell: (obj, nowUs) => cellOf(evaluate(obj, path), type, nowUs),
  };
}

/** A cell as tableconvertor renders it: dates as ages, absent values empty, objects as JSON. */
function cellOf(
  v: unknown,
  type: TableColumn<Instance>['type'],
  nowUs: number,
): string | number | boolean {
  if (v === undefined || v === null) return '';
  if (type === 'date' && typeof v === 'string') return timeSince(v, nowUs);
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
  return JSON.stringify(v);
}
