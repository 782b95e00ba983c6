/**
 * ResourceQuotas, the objects (pkg/apis/core/validation/validation.go ValidateResourceQuota /
 * ...Update / ...StatusUpdate with validateResourceQuotaScopes; pkg/apis/core/helper's standard
 * resource and scope sets; pkg/registry/core/resourcequota/strategy.go; printers:
 * printResourceQuota). Enforcement (the ResourceQuota admission plugin) and usage (the quota
 * controller) are not part of the object.
 */
import type { ResourceQuota as UpstreamResourceQuota } from 'kubernetes-types/core/v1.d.ts';
import { IS_NEGATIVE_ERROR } from '../content-checks.ts';
import { fieldInvalid, goLiteral, key, type FieldError } from '../field-error.ts';
import {
  deepEqual,
  IMMUTABLE_ERROR,
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import { validateResourceName } from '../pod-validation.ts';
import { formatQuantity, isQuantityError, parseQuantity, type Quantity } from '../quantity.ts';
import type { Stored } from '../stored.ts';
import {
  AGE_COLUMN,
  defineResource,
  keepStatus,
  NAME_COLUMN,
  statusSubresource,
} from './common.ts';

export type ResourceQuota = Stored<UpstreamResourceQuota>;
type ResourceList = Readonly<Record<string, string>>;

/**
 * The compute resources (helper's computeResources); a quota on any of them also makes every
 * container of a pod state it (the quota evaluator's validationSet).
 */
export const COMPUTE_QUOTA_RESOURCES: readonly string[] = [
  'cpu',
  'memory',
  'requests.cpu',
  'requests.memory',
  'limits.cpu',
  'limits.memory',
];

/** helper.standardResources: what validateResourceName accepts without a domain. */
export const STANDARD_RESOURCES: ReadonlySet<string> = new Set([
  'cpu',
  'memory',
  'ephemeral-storage',
  'requests.cpu',
  'requests.memory',
  'requests.ephemeral-storage',
  'limits.cpu',
  'limits.memory',
  'limits.ephemeral-storage',
  'pods',
  'resourcequotas',
  'services',
  'replicationcontrollers',
  'secrets',
  'persistentvolumeclaims',
  'configmaps',
  'storage',
  'requests.storage',
  'services.nodeports',
  'services.loadbalancers',
]);

/** helper.standardQuotaResources. */
const STANDARD_QUOTA_RESOURCES: ReadonlySet<string> = new Set([
  ...COMPUTE_QUOTA_RESOURCES,
  'ephemeral-storage',
  'requests.ephemeral-storage',
  'limits.ephemeral-storage',
  'requests.storage',
  'persistentvolumeclaims',
  'pods',
  'services',
  'services.nodeports',
  'services.loadbalancers',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
]);

/** helper.integerResources: counts, which may not be fractions. */
const INTEGER_RESOURCES: ReadonlySet<string> = new Set([
  'pods',
  'services',
  'replicationcontrollers',
  'resourcequotas',
  'secrets',
  'configmaps',
  'persistentvolumeclaims',
  'services.nodeports',
  'services.loadbalancers',
]);

const STANDARD_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
  'VolumeAttributesClass',
];

/** IsIntegerResourceName: counts and extended resources (count/*, example.com/gpu). */
function isIntegerResource(name: string): boolean {
  const native = !name.includes('/') || name.includes('kubernetes.io/');
  return INTEGER_RESOURCES.has(name) || (!native && !name.startsWith('requests.'));
}

/** ValidateResourceQuotaResourceName. */
function validateQuotaResourceName(name: string, path: string): FieldError[] {
  const errs = validateResourceName(name, path, STANDARD_RESOURCES);
  if (!name.includes('/') && !STANDARD_QUOTA_RESOURCES.has(name)) {
    errs.push(fieldInvalid(path, name, 'must be a standard resource for quota'));
  }
  return errs;
}

/** ValidateResourceQuantityValue: not negative, whole for counts. */
function validateQuantityValue(name: string, q: Quantity, path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (q.nanos < 0n) errs.push(fieldInvalid(path, formatQuantity(q), IS_NEGATIVE_ERROR));
  if (isIntegerResource(name) && q.nanos % 1_000_000_000n !== 0n) {
    errs.push(fieldInvalid(path, formatQuantity(q), 'must be an integer'));
  }
  return errs;
}

function validateResourceList(list: ResourceList | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(list ?? {})) {
    const p = key(path, name);
    errs.push(...validateQuotaResourceName(name, p));
    const q = parseQuantity(String(raw));
    if (isQuantityError(q)) errs.push(fieldInvalid(p, raw, q.reason));
    else errs.push(...validateQuantityValue(name, q, p));
  }
  return errs;
}

const scopesLiteral = (scopes: readonly string[]) =>
  goLiteral(`[]core.ResourceQuotaScope{${scopes.map((s) => JSON.stringify(s)).join(', ')}}`);

/** IsResourceQuotaScopeValidForResource. */
function scopeFitsResource(scope: string, resource: string): boolean {
  switch (scope) {
    case 'Terminating':
    case 'NotTerminating':
    case 'NotBestEffort':
    case 'PriorityClass':
    case 'CrossNamespacePodAffinity':
      return resource === 'pods' || COMPUTE_QUOTA_RESOURCES.includes(resource);
    case 'BestEffort':
      return resource === 'pods';
    default:
      return true;
  }
}

/** validateResourceQuotaScopes. */
function validateScopes(spec: NonNullable<ResourceQuota['spec']>): FieldError[] {
  const scopes = spec.scopes ?? [];
  if (scopes.length === 0) return [];
  const errs: FieldError[] = [];
  const path = 'spec.scopes';
  const hard = Object.keys(spec.hard ?? {}).sort();
  for (const scope of scopes) {
    if (!STANDARD_SCOPES.includes(scope)) {
      errs.push(fieldInvalid(path, scopesLiteral(scopes), 'unsupported scope'));
    }
    for (const k of hard) {
      if (STANDARD_QUOTA_RESOURCES.has(k) && !scopeFitsResource(scope, k)) {
        errs.push(
          fieldInvalid(path, scopesLiteral(scopes), 'unsupported scope applied to resource'),
        );
      }
    }
  }
  const has = (s: string) => scopes.includes(s);
  if (
    (has('BestEffort') && has('NotBestEffort')) ||
    (has('Terminating') && has('NotTerminating'))
  ) {
    errs.push(fieldInvalid(path, scopesLiteral(scopes), 'conflicting scopes'));
  }
  return errs;
}

function validateStatus(status: ResourceQuota['status']): FieldError[] {
  return [
    ...validateResourceList(status?.hard, 'status.hard'),
    ...validateResourceList(status?.used, 'status.used'),
  ];
}

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  const spec = rq.spec ?? {};
  return [
    ...validateObjectMeta(rq.metadata, true, nameIsDNSSubdomain),
    ...validateResourceList(spec.hard, 'spec.hard'),
    ...validateScopes(spec),
    ...validateStatus(rq.status),
  ];
}

export function validateResourceQuotaUpdate(next: ResourceQuota, old: ResourceQuota): FieldError[] {
  const spec = next.spec ?? {};
  const errs = [
    ...validateObjectMetaUpdate(next.metadata, old.metadata),
    ...validateResourceList(spec.hard, 'spec.hard'),
    ...validateScopes(spec),
  ];
  const asSet = (s: readonly string[] | undefined) => [...new Set(s ?? [])].sort();
  if (!deepEqual(asSet(spec.scopes), asSet(old.spec?.scopes))) {
    errs.push(fieldInvalid('spec.scopes', scopesLiteral(spec.scopes ?? []), IMMUTABLE_ERROR));
  }
  return errs;
}

export function validateResourceQuotaStatusUpdate(
  next: ResourceQuota,
  old: ResourceQuota,
): FieldError[] {
  return [...validateObjectMetaUpdate(next.metadata, old.metadata), ...validateStatus(next.status)];
}

/** printResourceQuota: "used/hard" per resource of status.hard, limits.* apart. */
function usage(rq: ResourceQuota, limits: boolean): string {
  const hard = rq.status?.hard ?? {};
  const used = rq.status?.used ?? {};
  return Object.keys(hard)
    .sort()
    .filter((r) => r.startsWith('limits.') === limits)
    .map((r) => `${r}: ${canonical(used[r] ?? '0')}/${canonical(hard[r] ?? '0')}`)
    .join(', ');
}

function canonical(raw: string): string {
  const q = parseQuantity(raw);
  return isQuantityError(q) ? raw : formatQuantity(q);
}

export const RESOURCE_QUOTA = defineResource<ResourceQuota>({
  discovery: {
    kind: 'ResourceQuota',
    group: '',
    resource: 'resourcequotas',
    namespaced: true,
    shortNames: ['quota'],
  },
  // resourcequotaStrategy.PrepareForCreate: status starts empty.
  prepareForCreate: (rq) => ({ ...rq, status: {} }),
  validate: validateResourceQuota,
  update: { prepareForUpdate: keepStatus, validateUpdate: validateResourceQuotaUpdate },
  subresources: [statusSubresource(validateResourceQuotaStatusUpdate)],
  table: [
    NAME_COLUMN,
    AGE_COLUMN,
    {
      name: 'Request',
      type: 'string',
      priority: 0,
      description:
        'Request represents a minimum amount of cpu/memory that a container may consume.',
      cell: (rq) => usage(rq, false),
    },
    {
      name: 'Limit',
      type: 'string',
      priority: 0,
      description:
        'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
      cell: (rq) => usage(rq, true),
    },
  ],
});
