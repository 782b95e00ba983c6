/**
 * CustomResourceDefinitions of apiextensions.k8s.io/v1
 * (staging/src/k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation/validation.go,
 * pkg/apis/apiextensions/v1/defaults.go, pkg/registry/customresourcedefinition/strategy.go and
 * etcd.go). The API server's apiextensions controllers set the NamesAccepted and Established
 * conditions (core/apiserver/apiextensions); once Established, the versions are served
 * (core/api/custom-resources).
 */
import type {
  CustomResourceDefinition as UpstreamCrd,
  CustomResourceDefinitionCondition,
  CustomResourceDefinitionNames,
} from 'kubernetes-types/apiextensions/v1.d.ts';
import { isDNS1035Label, isDNS1123Subdomain } from '../content-checks.ts';
import {
  child,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  index,
  type FieldError,
} from '../field-error.ts';
import {
  deepEqual,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import type { DeepReadonly, Stored } from '../stored.ts';
import { validateCrdSchema } from '../custom-resources/structural.ts';
import type { Schema } from '../custom-resources/schema.ts';
import { validateJsonPath } from '../custom-resources/json-path.ts';
import { compileRules } from '../custom-resources/cel/rules.ts';
import { definitionsOnceEstablished } from '../custom-resources/definition.ts';
import { formatTime } from '../time.ts';
import { conditionsPatch, defineResource, keepSpec, keepStatus, STATUS_VERBS } from './common.ts';

export type CustomResourceDefinition = Stored<UpstreamCrd>;
export type CrdNames = DeepReadonly<CustomResourceDefinitionNames>;
export type CrdCondition = DeepReadonly<CustomResourceDefinitionCondition>;

/**
 * The finalizer a CRD's deletion puts on it (etcd.go, Delete): the finalizing controller
 * removes it once every instance is gone.
 */
export const CUSTOM_RESOURCE_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

export const SCOPES = ['Cluster', 'Namespaced'];
const COLUMN_TYPES = ['integer', 'number', 'string', 'boolean', 'date'];
const COLUMN_FORMATS = [
  'int32',
  'int64',
  'float',
  'double',
  'byte',
  'date',
  'date-time',
  'password',
];

/** SetDefaults_CustomResourceDefinitionSpec and the names' defaults. */
function defaultCrd(crd: CustomResourceDefinition): CustomResourceDefinition {
  if (typeof crd.spec !== 'object' || crd.spec === null) return crd;
  const names = crd.spec.names;
  const kind = names?.kind ?? '';
  return {
    ...crd,
    spec: {
      ...crd.spec,
      names: {
        ...names,
        ...(names?.singular === undefined || names.singular === ''
          ? { singular: kind.toLowerCase() }
          : {}),
        ...(names?.listKind === undefined || names.listKind === ''
          ? { listKind: kind === '' ? '' : `${kind}List` }
          : {}),
      },
      conversion: crd.spec.conversion ?? { strategy: 'None' },
    },
  };
}

function dns1035(path: string, value: string | undefined, prefix = ''): FieldError[] {
  if (value === undefined || value === '') return [];
  const errs = isDNS1035Label(value);
  return errs.length === 0 ? [] : [fieldInvalid(path, value, prefix + errs.join(','))];
}

/** ValidateCustomResourceDefinitionNames. */
export function validateNames(names: CrdNames | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (names === undefined) return errs;
  errs.push(...dns1035(child(path, 'plural'), names.plural));
  errs.push(...dns1035(child(path, 'singular'), names.singular));
  const kind = names.kind ?? '';
  const mixedCase = 'may have mixed case, but should otherwise match: ';
  if (kind !== '') {
    for (const e of dns1035(child(path, 'kind'), kind.toLowerCase(), mixedCase)) {
      errs.push({ ...e, badValue: kind });
    }
  }
  const listKind = names.listKind ?? '';
  if (listKind !== '') {
    for (const e of dns1035(child(path, 'listKind'), listKind.toLowerCase(), mixedCase)) {
      errs.push({ ...e, badValue: listKind });
    }
  }
  (names.shortNames ?? []).forEach((s, i) =>
    errs.push(...dns1035(index(child(path, 'shortNames'), i), s)),
  );
  if (kind !== '' && kind === listKind) {
    errs.push(
      fieldInvalid(child(path, 'listKind'), listKind, 'kind and listKind may not be the same'),
    );
  }
  (names.categories ?? []).forEach((c, i) =>
    errs.push(...dns1035(index(child(path, 'categories'), i), c)),
  );
  return errs;
}

type CrdVersion = CustomResourceDefinition['spec']['versions'][number];

function validateVersion(v: CrdVersion, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const nameErrs = isDNS1035Label(v.name ?? '');
  if (nameErrs.length > 0) errs.push(fieldInvalid(child(path, 'name'), v.name, nameErrs.join(',')));
  const schema = v.schema?.openAPIV3Schema as Schema | undefined;
  const schemaPath = child(child(path, 'schema'), 'openAPIV3Schema');
  if (schema === undefined) errs.push(fieldRequired(schemaPath, 'schemas are required'));
  else {
    const structural = validateCrdSchema(schema, schemaPath);
    errs.push(...structural);
    // Rules are typed by the schema, so they are compiled only against a structural one.
    if (structural.length === 0) errs.push(...compileRules(schema, schemaPath).errors);
  }
  const scale = v.subresources?.scale;
  if (scale !== undefined) {
    const scalePath = child(child(path, 'subresources'), 'scale');
    errs.push(
      ...pathUnder(child(scalePath, 'specReplicasPath'), scale.specReplicasPath, ['.spec']),
      ...pathUnder(child(scalePath, 'statusReplicasPath'), scale.statusReplicasPath, ['.status']),
    );
    if (scale.labelSelectorPath !== undefined) {
      errs.push(
        ...pathUnder(child(scalePath, 'labelSelectorPath'), scale.labelSelectorPath, [
          '.spec',
          '.status',
        ]),
      );
    }
  }
  (v.additionalPrinterColumns ?? []).forEach((c, i) => {
    const p = index(child(path, 'additionalPrinterColumns'), i);
    if ((c.name ?? '') === '') errs.push(fieldRequired(child(p, 'name')));
    if ((c.type ?? '') === '') errs.push(fieldRequired(child(p, 'type')));
    else if (!COLUMN_TYPES.includes(c.type))
      errs.push(fieldNotSupported(child(p, 'type'), c.type, COLUMN_TYPES));
    if (c.format !== undefined && c.format !== '' && !COLUMN_FORMATS.includes(c.format))
      errs.push(fieldNotSupported(child(p, 'format'), c.format, COLUMN_FORMATS));
    if ((c.jsonPath ?? '') === '') errs.push(fieldRequired(child(p, 'jsonPath')));
    else {
      const bad = validateJsonPath(c.jsonPath);
      if (bad !== undefined) errs.push(fieldInvalid(child(p, 'jsonPath'), c.jsonPath, bad));
    }
  });
  return errs;
}

/** The scale paths are simple JSON paths under one of `roots` (validateCustomResourceDefinitionSubresources). */
function pathUnder(path: string, value: string | undefined, roots: string[]): FieldError[] {
  if (value === undefined || value === '') return [fieldRequired(path)];
  const bad = validateJsonPath(value);
  if (bad !== undefined) return [fieldInvalid(path, value, bad)];
  if (!roots.some((r) => value.startsWith(`${r}.`))) {
    const under = roots.length === 1 ? roots[0] : roots.join(' or ');
    return [fieldInvalid(path, value, `should be a json path under ${under}`)];
  }
  return [];
}

/** ValidateCustomResourceDefinitionSpec (v1: every version has a structural schema). */
function validateSpec(crd: CustomResourceDefinition): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (crd.spec ?? {}) as Partial<CustomResourceDefinition['spec']>;
  const group = spec.group ?? '';
  if (group === '') errs.push(fieldRequired('spec.group'));
  else {
    const groupErrs = isDNS1123Subdomain(group);
    if (groupErrs.length > 0) errs.push(fieldInvalid('spec.group', group, groupErrs.join(',')));
    else if (group.split('.').length < 2)
      errs.push(fieldInvalid('spec.group', group, 'should be a domain with at least one dot'));
  }
  const scope = spec.scope ?? '';
  if (scope === '') errs.push(fieldRequired('spec.scope'));
  else if (!SCOPES.includes(scope)) errs.push(fieldNotSupported('spec.scope', scope, SCOPES));
  const versions = spec.versions ?? [];
  if (versions.length === 0)
    errs.push(fieldRequired('spec.versions', 'must have at least one version'));
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    if (seen.has(v.name)) unique = false;
    seen.add(v.name);
    errs.push(...validateVersion(v, index('spec.versions', i)));
  });
  if (!unique)
    errs.push(fieldInvalid('spec.versions', versions, 'must contain unique version names'));
  if (versions.length > 0 && versions.filter((v) => v.storage).length !== 1) {
    errs.push(
      fieldInvalid(
        'spec.versions',
        versions,
        'must have exactly one version marked as storage version',
      ),
    );
  }
  if (versions.length > 0 && !versions.some((v) => v.served)) {
    errs.push(
      fieldInvalid('spec.versions', versions, 'must have at least one version marked as served'),
    );
  }
  const names = spec.names;
  if ((names?.plural ?? '') === '') errs.push(fieldRequired('spec.names.plural'));
  if ((names?.singular ?? '') === '') errs.push(fieldRequired('spec.names.singular'));
  if ((names?.kind ?? '') === '') errs.push(fieldRequired('spec.names.kind'));
  if ((names?.listKind ?? '') === '') errs.push(fieldRequired('spec.names.listKind'));
  errs.push(...validateNames(names, 'spec.names'));
  errs.push(...validateConversion(spec.conversion));
  if (spec.preserveUnknownFields === true) {
    errs.push(
      fieldInvalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  return errs;
}

const CONVERSION_REVIEW_VERSIONS = ['v1', 'v1beta1'];

/**
 * ValidateCustomResourceConversion, at the internal type's paths (webhookClientConfig).
 * Webhooks are in-process conversion hooks named by the clientConfig (conversion.ts).
 */
function validateConversion(
  conversion: CustomResourceDefinition['spec']['conversion'],
): FieldError[] {
  if (conversion === undefined) return [];
  const path = 'spec.conversion';
  const strategy = conversion.strategy ?? 'None';
  const config = conversion.webhook?.clientConfig;
  const reviewVersions = conversion.webhook?.conversionReviewVersions ?? [];
  if (strategy !== 'None' && strategy !== 'Webhook')
    return [fieldNotSupported(child(path, 'strategy'), strategy, ['None', 'Webhook'])];
  if (strategy === 'None') {
    const errs: FieldError[] = [];
    if (config !== undefined)
      errs.push(
        fieldForbidden(
          child(path, 'webhookClientConfig'),
          'should not be set when strategy is not set to Webhook',
        ),
      );
    if (reviewVersions.length > 0)
      errs.push(
        fieldForbidden(
          child(path, 'conversionReviewVersions'),
          'should not be set when strategy is not set to Webhook',
        ),
      );
    return errs;
  }
  const errs: FieldError[] = [];
  const configPath = child(path, 'webhookClientConfig');
  if (config === undefined)
    errs.push(fieldRequired(configPath, 'required when strategy is set to Webhook'));
  else if ((config.url === undefined) === (config.service === undefined))
    errs.push(fieldRequired(configPath, 'exactly one of url or service is required'));
  else if (config.service !== undefined) {
    const servicePath = child(configPath, 'service');
    if ((config.service.name ?? '') === '')
      errs.push(fieldRequired(child(servicePath, 'name'), 'service name is required'));
    if ((config.service.namespace ?? '') === '')
      errs.push(fieldRequired(child(servicePath, 'namespace'), 'service namespace is required'));
  }
  const versionsPath = child(path, 'conversionReviewVersions');
  if (reviewVersions.length === 0)
    errs.push(fieldRequired(versionsPath, 'must contain at least one value'));
  else if (!reviewVersions.some((v) => CONVERSION_REVIEW_VERSIONS.includes(v)))
    errs.push(
      fieldInvalid(
        versionsPath,
        reviewVersions,
        `must include at least one of ${CONVERSION_REVIEW_VERSIONS.join(', ')}`,
      ),
    );
  return errs;
}

/** ValidateCustomResourceDefinition: the name is <plural>.<group>. */
export function validateCrd(crd: CustomResourceDefinition): FieldError[] {
  const errs = validateObjectMeta(crd.metadata, false, nameIsDNSSubdomain);
  const expected = `${crd.spec?.names?.plural ?? ''}.${crd.spec?.group ?? ''}`;
  if ((crd.metadata.name ?? '') !== '' && crd.metadata.name !== expected) {
    errs.push(
      fieldInvalid('metadata.name', crd.metadata.name, 'must be spec.names.plural+"."+spec.group'),
    );
  }
  return [...errs, ...validateSpec(crd)];
}

/** ValidateCustomResourceDefinitionUpdate: scope and the accepted kind stay once served. */
export function validateCrdUpdate(
  next: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  const errs = [...validateObjectMetaUpdate(next.metadata, old.metadata), ...validateCrd(next)];
  if (isEstablished(old)) {
    if (next.spec.scope !== old.spec.scope)
      errs.push(fieldInvalid('spec.scope', next.spec.scope, 'field is immutable'));
    if (next.spec.names?.kind !== old.status?.acceptedNames?.kind)
      errs.push(fieldInvalid('spec.names.kind', next.spec.names?.kind, 'field is immutable'));
    if (next.spec.names?.listKind !== old.status?.acceptedNames?.listKind)
      errs.push(
        fieldInvalid('spec.names.listKind', next.spec.names?.listKind, 'field is immutable'),
      );
  }
  return errs;
}

/** ValidateUpdateCustomResourceDefinitionStatus: accepted names are valid names. */
function validateCrdStatusUpdate(
  next: CustomResourceDefinition,
  old: CustomResourceDefinition,
): FieldError[] {
  return [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateNames(next.status?.acceptedNames, 'status.acceptedNames'),
  ];
}

export function isEstablished(crd: CustomResourceDefinition): boolean {
  return (crd.status?.conditions ?? []).some(
    (c) => c.type === 'Established' && c.status === 'True',
  );
}

/** The versions' generation-relevant part: upstream moves generation on spec changes only. */
function crdSpecChanged(next: CustomResourceDefinition, old: CustomResourceDefinition): boolean {
  return !deepEqual(next.spec, old.spec);
}

export const CUSTOM_RESOURCE_DEFINITION = defineResource<CustomResourceDefinition>({
  discovery: {
    kind: 'CustomResourceDefinition',
    group: 'apiextensions.k8s.io',
    resource: 'customresourcedefinitions',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
  },
  defaults: defaultCrd,
  // strategy.go PrepareForCreate: status is the controllers', generation starts at 1.
  prepareForCreate: (crd) => ({ ...crd, status: {} }),
  validate: validateCrd,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateCrdUpdate },
  tracksGeneration: true,
  generationChanged: crdSpecChanged,
  serves: (crd) => definitionsOnceEstablished(defaultCrd(crd)),
  subresources: [
    {
      kind: 'strategy',
      name: 'status',
      verbs: STATUS_VERBS,
      strategy: { prepareForUpdate: keepSpec, validateUpdate: validateCrdStatusUpdate },
    },
  ],
  deletion: {
    gracePeriodSeconds: () => 0,
    // etcd.go Delete: a CRD is never deleted at once; its instances go first.
    pendingFinalizers: (crd) =>
      crd.metadata.deletionTimestamp === undefined ? [CUSTOM_RESOURCE_CLEANUP_FINALIZER] : [],
    markDeleting: markTerminating,
  },
  patch: [
    { path: 'metadata.finalizers', patchStrategy: 'merge' },
    { path: 'metadata.ownerReferences', patchStrategy: 'merge', patchMergeKey: 'uid' },
    conditionsPatch('status.conditions'),
  ],
});

/** etcd.go Delete: the finalizer and the Terminating condition, set when the CRD is marked. */
function markTerminating(crd: CustomResourceDefinition): CustomResourceDefinition {
  const finalizers = crd.metadata.finalizers ?? [];
  const conditions = (crd.status?.conditions ?? []).filter((c) => c.type !== 'Terminating');
  return {
    ...crd,
    metadata: {
      ...crd.metadata,
      finalizers: finalizers.includes(CUSTOM_RESOURCE_CLEANUP_FINALIZER)
        ? finalizers
        : [...finalizers, CUSTOM_RESOURCE_CLEANUP_FINALIZER],
    },
    status: {
      ...crd.status,
      conditions: [
        ...conditions,
        {
          type: 'Terminating',
          status: 'True',
          reason: 'InstanceDeletionPending',
          message:
            'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon',
          lastTransitionTime: crd.metadata.deletionTimestamp ?? formatTime(0),
        },
      ],
    },
  };
}
