/**
 * LimitRanges, the objects (pkg/apis/core/validation/validation.go ValidateLimitRange with
 * validateLimitRangeTypeName / validateLimitRangeResourceName; pkg/registry/core/limitrange;
 * the printer is the default one). Applying them to pods is the LimitRanger admission
 * plugin's work, not the object's.
 *
 * Upstream passes resource.Quantity structs as the bad values of the comparisons, which Go
 * prints with %#v; ksim prints the quantity (`"2"`), the one place these messages differ.
 */
import type { LimitRange as UpstreamLimitRange } from 'kubernetes-types/core/v1.d.ts';
import { isQualifiedName } from '../content-checks.ts';
import {
  child,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldRequired,
  index,
  key,
  type FieldError,
} from '../field-error.ts';
import {
  nameIsDNSSubdomain,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from '../meta-validation.ts';
import {
  isOvercommitAllowed,
  STANDARD_CONTAINER_RESOURCES,
  validateResourceName,
} from '../pod-validation.ts';
import {
  cmp,
  formatQuantity,
  isQuantityError,
  milliValueBig,
  parseQuantity,
  valueBig,
  type Quantity,
} from '../quantity.ts';
import type { Stored } from '../stored.ts';
import { defineResource } from './common.ts';
import { STANDARD_RESOURCES } from './resource-quota.ts';

export type LimitRange = Stored<UpstreamLimitRange>;
type Item = NonNullable<LimitRange['spec']>['limits'][number];

const STANDARD_LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];
/** resource.MaxMilliValue: beyond it upstream compares whole values, not milli-values. */
const MAX_MILLI_VALUE = 9223372036854775807n / 1000n;
const ONE = parseQuantity('1') as Quantity;

function validateTypeName(value: string, path: string): FieldError[] {
  const errs = isQualifiedName(value).map((m) => fieldInvalid(path, value, m));
  if (errs.length > 0) return errs;
  if (!value.includes('/') && !STANDARD_LIMIT_TYPES.includes(value)) {
    return [fieldInvalid(path, value, 'must be a standard limit type or fully qualified')];
  }
  return [];
}

function validateResource(type: string, name: string, path: string): FieldError[] {
  const standard =
    type === 'Pod' || type === 'Container' ? STANDARD_CONTAINER_RESOURCES : STANDARD_RESOURCES;
  return validateResourceName(name, path, standard);
}

/** Go's %f: six decimals. */
const goFloat = (x: number) => (Number.isFinite(x) ? x.toFixed(6) : x > 0 ? '+Inf' : 'NaN');

function validateItem(limit: Item, path: string, seenTypes: Set<string>): FieldError[] {
  const errs = validateTypeName(limit.type, child(path, 'type'));
  if (seenTypes.has(limit.type)) errs.push(fieldDuplicate(child(path, 'type'), limit.type));
  seenTypes.add(limit.type);
  const keys = new Set<string>();
  const read = (field: 'max' | 'min' | 'default' | 'defaultRequest' | 'maxLimitRequestRatio') => {
    const out = new Map<string, Quantity>();
    for (const [k, raw] of Object.entries(limit[field] ?? {})) {
      const p = key(child(path, field), k);
      errs.push(...validateResource(limit.type, k, p));
      keys.add(k);
      const q = parseQuantity(String(raw));
      if (isQuantityError(q)) errs.push(fieldInvalid(p, raw, q.reason));
      else out.set(k, q);
    }
    return out;
  };
  const max = read('max');
  const min = read('min');
  let defaults = new Map<string, Quantity>();
  let defaultRequests = new Map<string, Quantity>();
  if (limit.type === 'Pod') {
    const forbidden = "may not be specified when `type` is 'Pod'";
    if (Object.keys(limit.default ?? {}).length > 0) {
      errs.push(fieldForbidden(child(path, 'default'), forbidden));
    }
    if (Object.keys(limit.defaultRequest ?? {}).length > 0) {
      errs.push(fieldForbidden(child(path, 'defaultRequest'), forbidden));
    }
  } else {
    defaults = read('default');
    defaultRequests = read('defaultRequest');
  }
  if (limit.type === 'PersistentVolumeClaim' && !min.has('storage') && !max.has('storage')) {
    errs.push(
      fieldRequired(
        child(path, 'limits'),
        'either minimum or maximum storage value is required, but neither was provided',
      ),
    );
  }
  const ratios = read('maxLimitRequestRatio');
  for (const k of keys)
    errs.push(...compareItem(k, path, min, max, defaults, defaultRequests, ratios));
  return errs;
}

function compareItem(
  k: string,
  path: string,
  min: Map<string, Quantity>,
  max: Map<string, Quantity>,
  defaults: Map<string, Quantity>,
  defaultRequests: Map<string, Quantity>,
  ratios: Map<string, Quantity>,
): FieldError[] {
  const errs: FieldError[] = [];
  const s = formatQuantity;
  const lo = min.get(k);
  const hi = max.get(k);
  const def = defaults.get(k);
  const req = defaultRequests.get(k);
  const ratio = ratios.get(k);
  const at = (field: string) => key(child(path, field), k);
  if (lo && hi && cmp(lo, hi) > 0) {
    errs.push(
      fieldInvalid(at('min'), s(lo), `min value ${s(lo)} is greater than max value ${s(hi)}`),
    );
  }
  if (req && lo && cmp(lo, req) > 0) {
    errs.push(
      fieldInvalid(
        at('defaultRequest'),
        s(req),
        `min value ${s(lo)} is greater than default request value ${s(req)}`,
      ),
    );
  }
  if (req && hi && cmp(req, hi) > 0) {
    errs.push(
      fieldInvalid(
        at('defaultRequest'),
        s(req),
        `default request value ${s(req)} is greater than max value ${s(hi)}`,
      ),
    );
  }
  if (req && def && cmp(req, def) > 0) {
    errs.push(
      fieldInvalid(
        at('defaultRequest'),
        s(req),
        `default request value ${s(req)} is greater than default limit value ${s(def)}`,
      ),
    );
  }
  if (def && lo && cmp(lo, def) > 0) {
    errs.push(
      fieldInvalid(
        at('default'),
        s(lo),
        `min value ${s(lo)} is greater than default value ${s(def)}`,
      ),
    );
  }
  if (def && hi && cmp(def, hi) > 0) {
    errs.push(
      fieldInvalid(
        at('default'),
        s(hi),
        `default value ${s(def)} is greater than max value ${s(hi)}`,
      ),
    );
  }
  if (ratio && cmp(ratio, ONE) < 0) {
    errs.push(
      fieldInvalid(at('maxLimitRequestRatio'), s(ratio), `ratio ${s(ratio)} is less than 1`),
    );
  }
  if (ratio && lo && hi) {
    const small =
      valueBig(ratio) < MAX_MILLI_VALUE &&
      valueBig(lo) < MAX_MILLI_VALUE &&
      valueBig(hi) < MAX_MILLI_VALUE;
    const ratioValue = small ? Number(milliValueBig(ratio)) / 1000 : Number(valueBig(ratio));
    const limit = small
      ? Number(milliValueBig(hi)) / Number(milliValueBig(lo))
      : Number(valueBig(hi)) / Number(valueBig(lo));
    if (ratioValue > limit) {
      errs.push(
        fieldInvalid(
          at('maxLimitRequestRatio'),
          s(ratio),
          `ratio ${s(ratio)} is greater than max/min = ${goFloat(limit)}`,
        ),
      );
    }
  }
  if (!isOvercommitAllowed(k) && def && req && cmp(def, req) !== 0) {
    errs.push(
      fieldInvalid(
        at('defaultRequest'),
        s(req),
        `default value ${s(def)} must equal to defaultRequest value ${s(req)} in ${k}`,
      ),
    );
  }
  return errs;
}

function validateLimits(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  const seen = new Set<string>();
  (lr.spec?.limits ?? []).forEach((limit, i) => {
    errs.push(...validateItem(limit, index('spec.limits', i), seen));
  });
  return errs;
}

export function validateLimitRange(lr: LimitRange): FieldError[] {
  return [...validateObjectMeta(lr.metadata, true, nameIsDNSSubdomain), ...validateLimits(lr)];
}

export function validateLimitRangeUpdate(next: LimitRange, old: LimitRange): FieldError[] {
  return [...validateObjectMetaUpdate(next.metadata, old.metadata), ...validateLimits(next)];
}

export const LIMIT_RANGE = defineResource<LimitRange>({
  discovery: {
    kind: 'LimitRange',
    group: '',
    resource: 'limitranges',
    namespaced: true,
    shortNames: ['limits'],
  },
  validate: validateLimitRange,
  update: { prepareForUpdate: (next) => next, validateUpdate: validateLimitRangeUpdate },
});
