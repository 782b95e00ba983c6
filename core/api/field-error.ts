/**
 * Field-level validation errors, rendered the way
 * staging/src/k8s.io/apimachinery/pkg/util/validation/field/errors.go renders them:
 * `spec.containers[0].name: Required value`,
 * `metadata.name: Invalid value: "Foo": a lowercase RFC 1123 subdomain must ...`.
 */

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueNotFound'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError';

export interface FieldError {
  readonly type: FieldErrorType;
  /** JSON path as upstream prints it: `spec.containers[0].resources.requests[cpu]`. */
  readonly field: string;
  readonly badValue?: unknown;
  readonly detail: string;
}

const TYPE_TEXT: Readonly<Record<FieldErrorType, string>> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueNotFound: 'Not found',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
};

export function fieldRequired(field: string, detail = ''): FieldError {
  return { type: 'FieldValueRequired', field, detail };
}

export function fieldInvalid(field: string, badValue: unknown, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field, badValue, detail };
}

export function fieldNotSupported(
  field: string,
  badValue: unknown,
  supported: readonly string[],
): FieldError {
  const detail =
    supported.length === 0
      ? ''
      : `supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`;
  return { type: 'FieldValueNotSupported', field, badValue, detail };
}

export function fieldDuplicate(field: string, badValue: unknown, detail = ''): FieldError {
  return { type: 'FieldValueDuplicate', field, badValue, detail };
}

export function fieldNotFound(field: string, badValue: unknown): FieldError {
  return { type: 'FieldValueNotFound', field, badValue, detail: '' };
}

export function fieldForbidden(field: string, detail: string): FieldError {
  return { type: 'FieldValueForbidden', field, detail };
}

export function fieldTooLong(field: string, maxBytes: number): FieldError {
  return { type: 'FieldValueTooLong', field, detail: `must have at most ${maxBytes} bytes` };
}

/** field.TooMany: a list longer than its limit (`must have at most 1000 items`). */
export function fieldTooMany(field: string, actual: number, max: number): FieldError {
  const detail = `must have at most ${max} ${max === 1 ? 'item' : 'items'}`;
  return { type: 'FieldValueTooMany', field, badValue: actual, detail };
}

/** field.InternalError: the server's own mistake, reported at the field it concerns. */
export function fieldInternal(field: string, detail: string): FieldError {
  return { type: 'InternalError', field, detail };
}

/** field.OmitValueType: an error whose message names no value (`Invalid value: <detail>`). */
export const OMIT_VALUE: unique symbol = Symbol('omit value');

const goMaps = new WeakSet<object>();
const goStringers = new WeakMap<object, string>();

/**
 * A value Go prints through its String method rather than quoted or as a struct
 * (intstr.IntOrString, resource.Quantity): `Invalid value: 25%`.
 */
export function asGoStringer(text: string): object {
  const boxed = {};
  goStringers.set(boxed, text);
  return boxed;
}

/**
 * Marks a string record as a Go map[string]string (labels, selectors' matchLabels) so it renders
 * as upstream prints it; unmarked objects are structs in Go and render as JSON here.
 */
export function asGoMap<T extends Readonly<Record<string, string>>>(m: T): T {
  goMaps.add(m);
  return m;
}

const goLiterals = new WeakMap<object, string>();

/**
 * A bad value that Go prints with %#v as a typed literal (`[]networking.IngressRule(nil)`),
 * rendered verbatim.
 */
export function goLiteral(text: string): object {
  const v = {};
  goLiterals.set(v, text);
  return v;
}

/**
 * Go's rendering of a bad value: %q for strings, %v for numbers and booleans, %#v for string
 * slices and maps marked with asGoMap, JSON for anything else (Go would print the struct).
 */
export function formatBadValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) {
    return `[]string{${v.map((x) => JSON.stringify(x)).join(', ')}}`;
  }
  const literal = typeof v === 'object' ? goLiterals.get(v) : undefined;
  if (literal !== undefined) return literal;
  const stringer = typeof v === 'object' ? goStringers.get(v) : undefined;
  if (stringer !== undefined) return stringer;
  if (typeof v === 'object' && goMaps.has(v)) {
    const rec = v as Record<string, string>;
    const pairs = Object.keys(rec)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${JSON.stringify(rec[k])}`);
    return `map[string]string{${pairs.join(', ')}}`;
  }
  return JSON.stringify(v);
}

/** ErrorBody: the message without the field path (used for Status causes). */
export function fieldErrorBody(e: FieldError): string {
  const head = TYPE_TEXT[e.type];
  const omitsValue =
    e.type === 'FieldValueRequired' ||
    e.type === 'FieldValueForbidden' ||
    e.type === 'FieldValueTooLong' ||
    e.type === 'InternalError' ||
    e.badValue === OMIT_VALUE;
  const s = omitsValue ? head : `${head}: ${formatBadValue(e.badValue)}`;
  return e.detail.length > 0 ? `${s}: ${e.detail}` : s;
}

export function formatFieldError(e: FieldError): string {
  return `${e.field}: ${fieldErrorBody(e)}`;
}

/**
 * utilerrors.NewAggregate(list.ToAggregate()).Error(): duplicates (by message) dropped, one
 * message bare, several as `[a, b]`. Empty string for no errors.
 */
export function aggregateFieldErrors(errs: readonly FieldError[]): string {
  const msgs = [...new Set(errs.map(formatFieldError))];
  if (msgs.length === 0) return '';
  return msgs.length === 1 ? (msgs[0] as string) : `[${msgs.join(', ')}]`;
}

/** Path helpers so call sites read like upstream's field.Path. */
export function child(path: string, name: string): string {
  return path.length === 0 ? name : `${path}.${name}`;
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`;
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`;
}
