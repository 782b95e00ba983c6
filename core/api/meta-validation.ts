/**
 * ObjectMeta and shared-building-block validation
 * (staging/src/k8s.io/apimachinery/pkg/api/validation/objectmeta.go, metav1/validation).
 */
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isLabelValue,
  isQualifiedName,
  IS_NEGATIVE_ERROR,
} from './content-checks.ts';
import {
  child,
  fieldForbidden as forbidden,
  index,
  fieldInvalid as invalid,
  fieldRequired as required,
  fieldTooLong as tooLong,
  type FieldError,
} from './field-error.ts';
import type { LabelSelector, ObjectMeta } from './meta-types.ts';

/** Returns upstream's messages for a bad name; `prefix` relaxes a trailing dash (generateName). */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** generateName "web-" is validated as "weba" so the dash the server appends to is allowed. */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export const nameIsDNSSubdomain: NameValidator = (name, prefix) =>
  isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);

export const nameIsDNS1035Label: NameValidator = (name, prefix) =>
  isDNS1035Label(prefix ? maskTrailingDash(name) : name);

export const nameIsDNSLabel: NameValidator = (name, prefix) =>
  isDNS1123Label(prefix ? maskTrailingDash(name) : name);

export const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES = 256 * 1024;

const STANDARD_FINALIZERS: ReadonlySet<string> = new Set([
  'kubernetes',
  'orphan',
  'foregroundDeletion',
]);

export function validateLabels(
  labels: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalid(path, k, msg));
    for (const msg of isLabelValue(v)) errs.push(invalid(path, v, msg));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Readonly<Record<string, string>> | undefined,
  path: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    // Upstream lower-cases annotation keys before the check, so upper case is allowed here.
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalid(path, k, msg));
    total += k.length + v.length;
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES)
    errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
  return errs;
}

function validateOwnerReferences(meta: ObjectMeta, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const refs = meta.ownerReferences ?? [];
  refs.forEach((ref, i) => {
    const p = index(path, i);
    const version = ref.apiVersion?.includes('/') ? ref.apiVersion.split('/')[1] : ref.apiVersion;
    if (!version)
      errs.push(invalid(child(p, 'apiVersion'), ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalid(child(p, 'kind'), ref.kind ?? '', 'must not be empty'));
    if (!ref.name) errs.push(invalid(child(p, 'name'), ref.name ?? '', 'must not be empty'));
    if (!ref.uid) errs.push(invalid(child(p, 'uid'), ref.uid ?? '', 'must not be empty'));
  });
  const controllers = refs.filter((r) => r.controller === true);
  if (controllers.length > 1) {
    const names = controllers.map((r) => `${r.kind}/${r.name}`).join(', ');
    errs.push(
      invalid(
        path,
        refs,
        `Only one reference can have Controller set to true. Found "true" in references for ${names}`,
      ),
    );
  }
  return errs;
}

function validateFinalizers(finalizers: readonly string[] | undefined, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of finalizers ?? []) {
    const msgs = isQualifiedName(f);
    for (const msg of msgs) errs.push(invalid(path, f, msg));
    if (msgs.length === 0 && !f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(
        invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified'),
      );
    }
  }
  return errs;
}

/** ValidateObjectMeta: name or generateName, namespace presence, labels, annotations, owners. */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  namespaced: boolean,
  validateName: NameValidator,
  path = 'metadata',
): FieldError[] {
  const m: ObjectMeta = meta ?? {};
  const errs: FieldError[] = [];
  if (m.generateName) {
    for (const msg of validateName(m.generateName, true))
      errs.push(invalid(child(path, 'generateName'), m.generateName, msg));
  }
  if (!m.name) {
    if (!m.generateName)
      errs.push(required(child(path, 'name'), 'name or generateName is required'));
  } else {
    for (const msg of validateName(m.name, false))
      errs.push(invalid(child(path, 'name'), m.name, msg));
  }
  if (namespaced) {
    if (!m.namespace) errs.push(required(child(path, 'namespace'), ''));
    else
      for (const msg of isDNS1123Label(m.namespace))
        errs.push(invalid(child(path, 'namespace'), m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0) {
    errs.push(invalid(child(path, 'generation'), m.generation, IS_NEGATIVE_ERROR));
  }
  // The member lists are checked only when present: every create and update of every object
  // comes here, and most carry few of them (an absent one has nothing to check, and its path
  // and result array were made for nothing).
  if (m.labels !== undefined) errs.push(...validateLabels(m.labels, child(path, 'labels')));
  if (m.annotations !== undefined) {
    errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  }
  if (m.ownerReferences !== undefined) {
    errs.push(...validateOwnerReferences(m, child(path, 'ownerReferences')));
  }
  if (m.finalizers !== undefined) {
    errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  }
  return errs;
}

export const IMMUTABLE_ERROR = 'field is immutable';

export function validateImmutableField(
  newVal: unknown,
  oldVal: unknown,
  path: string,
): FieldError[] {
  return deepEqual(newVal, oldVal) ? [] : [invalid(path, newVal, IMMUTABLE_ERROR)];
}

/** ValidateObjectMetaUpdate: identity fields never change; deletion fields only via DELETE. */
export function validateObjectMetaUpdate(
  newMeta: ObjectMeta | undefined,
  oldMeta: ObjectMeta | undefined,
  path = 'metadata',
): FieldError[] {
  const n: ObjectMeta = newMeta ?? {};
  const o: ObjectMeta = oldMeta ?? {};
  const errs: FieldError[] = [];
  errs.push(...validateImmutableField(n.name, o.name, child(path, 'name')));
  errs.push(...validateImmutableField(n.namespace, o.namespace, child(path, 'namespace')));
  errs.push(...validateImmutableField(n.uid, o.uid, child(path, 'uid')));
  errs.push(
    ...validateImmutableField(
      n.creationTimestamp,
      o.creationTimestamp,
      child(path, 'creationTimestamp'),
    ),
  );
  for (const f of ['deletionTimestamp', 'deletionGracePeriodSeconds'] as const) {
    if (!deepEqual(n[f], o[f])) {
      errs.push(
        invalid(child(path, f), n[f], `${IMMUTABLE_ERROR}; may only be changed via deletion`),
      );
    }
  }
  if (n.generation !== undefined && o.generation !== undefined && n.generation < o.generation) {
    errs.push(invalid(child(path, 'generation'), n.generation, 'must not be decremented'));
  }
  return errs;
}

/** metav1validation.ValidateLabelSelector: operators, keys and values of a selector object. */
export function validateLabelSelector(sel: LabelSelector | undefined, path: string): FieldError[] {
  if (sel === undefined || sel === null) return [];
  const errs: FieldError[] = [];
  (sel.matchExpressions ?? []).forEach((expr, i) => {
    const p = index(child(path, 'matchExpressions'), i);
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) {
          errs.push(
            required(child(p, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"),
          );
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) {
          errs.push(
            forbidden(
              child(p, 'values'),
              "may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
            ),
          );
        }
        break;
      default:
        errs.push(invalid(child(p, 'operator'), expr.operator, 'not a valid selector operator'));
    }
    for (const msg of isQualifiedName(expr.key)) errs.push(invalid(child(p, 'key'), expr.key, msg));
    values.forEach((v, j) => {
      for (const msg of isLabelValue(v)) errs.push(invalid(index(child(p, 'values'), j), v, msg));
    });
  });
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  return errs;
}

/** Structural equality of JSON values; an absent property equals an `undefined` one. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!deepEqual(ao[k], bo[k])) return false;
  return true;
}
