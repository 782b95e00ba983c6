/**
 * Validation of custom resources against their version's openAPIV3Schema. The JSON Schema work
 * is ajv's; what is Kubernetes' is done around it: the schema is translated first
 * (x-kubernetes-int-or-string becomes integer-or-string, the other x-kubernetes-* extensions are
 * dropped, metadata/apiVersion/kind at the root are left to ObjectMeta validation), OpenAPI's
 * `nullable` is ajv's own keyword, and ajv's errors are rewritten as upstream's field errors
 * (kube-openapi's validate messages as the apiextensions-apiserver reports them:
 * `spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"`).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  fieldTooMany,
  type FieldError,
} from '../field-error.ts';
import { isObject, type Schema } from './schema.ts';

/** Formats checked because they are cheap; any other format is accepted as upstream ignores unknown ones. */
const FORMATS: Readonly<Record<string, RegExp>> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  uuid: /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
  ipv4: /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/,
  hostname: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/,
  int32: /.*/,
  int64: /.*/,
  float: /.*/,
  double: /.*/,
  password: /.*/,
};

function newAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: false, logger: false, validateFormats: true });
  for (const [name, re] of Object.entries(FORMATS)) {
    ajv.addFormat(name, typeof re === 'string' ? re : { type: 'string', validate: re });
  }
  // Numeric formats apply to numbers; ajv would skip a string-typed format on numbers anyway.
  return ajv;
}

/** One ajv instance for every schema: compiling is the cost, and it happens once per version. */
let shared: Ajv | undefined;

export type InstanceValidator = (obj: unknown) => FieldError[];

/** A validator for instances of `schema` (a structural schema that passed CRD validation). */
export function compileValidator(schema: Schema): InstanceValidator {
  shared ??= newAjv();
  const root = toJsonSchema(schema, true);
  let validate: ValidateFunction;
  try {
    validate = shared.compile(root);
  } catch (e) {
    const message = (e as Error).message;
    return () => [fieldInvalid('', '', `the schema cannot be compiled: ${message}`)];
  }
  return (obj) => {
    if (validate(obj)) return [];
    return (validate.errors ?? []).flatMap((e) => fieldErrorOf(e, obj));
  };
}

/** The schema as ajv reads it. */
function toJsonSchema(s: Schema, root: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k.startsWith('x-kubernetes-') || k === 'default' || k === 'description') continue;
    switch (k) {
      case 'properties': {
        const props: Record<string, unknown> = {};
        for (const [name, p] of Object.entries(v as Record<string, Schema>)) {
          if (root && (name === 'metadata' || name === 'apiVersion' || name === 'kind')) continue;
          props[name] = toJsonSchema(p, false);
        }
        out.properties = props;
        break;
      }
      case 'required':
        out.required = root
          ? (v as string[]).filter((n) => n !== 'metadata' && n !== 'apiVersion' && n !== 'kind')
          : v;
        break;
      case 'items':
      case 'not':
        out[k] = isObject(v) ? toJsonSchema(v as Schema, false) : v;
        break;
      case 'additionalProperties':
        out[k] = isObject(v) ? toJsonSchema(v as Schema, false) : true;
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = (v as Schema[]).map((x) => toJsonSchema(x, false));
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        // OpenAPI v3.0's boolean form; draft-07's is a number.
        if (v === true) {
          const bound = k === 'exclusiveMinimum' ? s.minimum : s.maximum;
          if (bound !== undefined) out[k] = bound;
        }
        break;
      case 'nullable':
        break;
      default:
        out[k] = v;
    }
  }
  if (out.exclusiveMinimum !== undefined) delete out.minimum;
  if (out.exclusiveMaximum !== undefined) delete out.maximum;
  if (s['x-kubernetes-int-or-string'] === true) out.type = ['integer', 'string'];
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  if (s.nullable === true && out.enum !== undefined) out.enum = [...(out.enum as unknown[]), null];
  return out;
}

/** "/spec/items/0/name" as upstream prints it: "spec.items[0].name". */
function fieldPath(pointer: string): string {
  let path = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(seg)) path += `[${seg}]`;
    else path += path === '' ? seg : `.${seg}`;
  }
  return path;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let v = obj;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** Go's name for a JSON value's type, as kube-openapi's type errors print it. */
function goType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function fieldErrorOf(e: ErrorObject, obj: unknown): FieldError[] {
  const path = fieldPath(e.instancePath);
  const name = path === '' ? 'body' : path;
  const value = valueAt(obj, e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const missing = String(p.missingProperty);
      return [fieldRequired(path === '' ? missing : `${path}.${missing}`)];
    }
    case 'type': {
      const types = Array.isArray(p.type)
        ? (p.type as string[]).filter((t) => t !== 'null')
        : [String(p.type)];
      const t = goType(value);
      return [
        fieldInvalid(
          path,
          t,
          `${name} in body must be of type ${types.join(',')}: ${JSON.stringify(t)}`,
        ),
      ];
    }
    case 'enum':
      return [
        fieldNotSupported(
          path,
          value,
          (p.allowedValues as unknown[]).map((x) => String(x)),
        ),
      ];
    case 'minimum':
    case 'exclusiveMinimum':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should be greater than ${e.keyword === 'minimum' ? 'or equal to ' : ''}${String(p.limit)}`,
        ),
      ];
    case 'maximum':
    case 'exclusiveMaximum':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should be less than ${e.keyword === 'maximum' ? 'or equal to ' : ''}${String(p.limit)}`,
        ),
      ];
    case 'minLength':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should be at least ${String(p.limit)} chars long`,
        ),
      ];
    case 'maxLength':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should be at most ${String(p.limit)} chars long`,
        ),
      ];
    case 'pattern':
      return [fieldInvalid(path, value, `${name} in body should match '${String(p.pattern)}'`)];
    case 'format':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body must be of type ${String(p.format)}: ${JSON.stringify(value)}`,
        ),
      ];
    case 'minItems':
      return [
        fieldInvalid(
          path,
          Array.isArray(value) ? value.length : value,
          `${name} in body should have at least ${String(p.limit)} items`,
        ),
      ];
    case 'maxItems':
      return [fieldTooMany(path, Array.isArray(value) ? value.length : 0, Number(p.limit))];
    case 'uniqueItems':
      return [fieldInvalid(path, value, `${name} in body shouldn't contain duplicates`)];
    case 'multipleOf':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should be a multiple of ${String(p.multipleOf)}`,
        ),
      ];
    case 'minProperties':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should have at least ${String(p.limit)} properties`,
        ),
      ];
    case 'maxProperties':
      return [
        fieldInvalid(
          path,
          value,
          `${name} in body should have at most ${String(p.limit)} properties`,
        ),
      ];
    case 'anyOf':
    case 'oneOf':
    case 'allOf':
    case 'not':
      return [fieldInvalid(path, value, `${name} in body ${e.message ?? 'is invalid'}`)];
    default:
      return [fieldInvalid(path, value, e.message ?? 'is invalid')];
  }
}
