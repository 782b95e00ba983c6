/**
 * Type errors: a body member whose JSON type its kind's schema does not allow (a string where a
 * list of containers belongs, a number for a label). Upstream's JSON decoder refuses such a
 * request with a 400 before defaulting, validation or field validation see it, whatever
 * fieldValidation says: `json: cannot unmarshal string into Go struct field PodSpec.spec.containers
 * of type []v1.Container`. Messages follow that form; numbers are named "number", since the
 * declarations do not say which Go integer or float type a field has. A JSON null is the zero
 * value in Go and never an error. Unknown fields are not this walk's business (unknown-fields.ts).
 *
 * The walk runs on every write, so it allocates nothing unless it finds an error.
 */
import { elementType, isList, isMap, structFields, type TypeCode } from './schema.ts';

/** The first type error in `value` read as `type`, or undefined when there is none. */
export function typeError(value: unknown, type: TypeCode): string | undefined {
  return typeErrorAt(value, type)?.message;
}

/**
 * The first type error and where it is: `steps` from the root, list indexes and map keys
 * included, for a reader that points at the offending line of a file.
 */
export function typeErrorAt(
  value: unknown,
  type: TypeCode,
): { readonly message: string; readonly steps: readonly (string | number)[] } | undefined {
  const found = check(value, type, type);
  if (found === undefined) return undefined;
  const what = `cannot unmarshal ${jsonKind(found.value)} into`;
  const message =
    found.path.length === 0
      ? `json: ${what} Go value of type ${goType(found.type)}`
      : `json: ${what} Go struct field ${shortName(found.owner)}.${found.path.join('.')} of type ${goType(found.type)}`;
  return { message, steps: found.steps };
}

interface Found {
  readonly value: unknown;
  readonly type: TypeCode;
  /** The innermost struct on the way, which declares the failing field (Go's e.Struct). */
  readonly owner: TypeCode;
  /** JSON member names from the root, without list indexes or map keys (as Go prints them). */
  readonly path: string[];
  /** Every step from the root: member names, list indexes and map keys. */
  readonly steps: (string | number)[];
}

function check(value: unknown, type: TypeCode, owner: TypeCode): Found | undefined {
  if (value === null || value === undefined) return undefined;
  switch (type) {
    case 'x':
      return undefined;
    case 's':
      return typeof value === 'string' ? undefined : { value, type, owner, path: [], steps: [] };
    case 'n':
      return typeof value === 'number' ? undefined : { value, type, owner, path: [], steps: [] };
    case 'b':
      return typeof value === 'boolean' ? undefined : { value, type, owner, path: [], steps: [] };
  }
  if (isList(type)) {
    if (!Array.isArray(value)) return { value, type, owner, path: [], steps: [] };
    const item = elementType(type);
    for (let i = 0; i < value.length; i++) {
      const found = check(value[i], item, owner);
      if (found !== undefined) {
        found.steps.unshift(i);
        return found;
      }
    }
    return undefined;
  }
  const isObject = typeof value === 'object' && !Array.isArray(value);
  if (isMap(type)) {
    if (!isObject) return { value, type, owner, path: [], steps: [] };
    const valueType = elementType(type);
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      const found = check(obj[k], valueType, owner);
      if (found !== undefined) {
        found.steps.unshift(k);
        return found;
      }
    }
    return undefined;
  }
  const fields = structFields(type);
  if (fields === undefined) return undefined;
  if (!isObject) return { value, type, owner, path: [], steps: [] };
  const obj = value as Record<string, unknown>;
  for (const k in obj) {
    const fieldType = fields[k];
    if (fieldType === undefined) continue;
    const found = check(obj[k], fieldType, type);
    if (found !== undefined) {
      found.path.unshift(k);
      found.steps.unshift(k);
      return found;
    }
  }
  return undefined;
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    default:
      return 'object';
  }
}

/** "core/v1.PodSpec" as Go names the struct: "PodSpec". */
function shortName(type: TypeCode): string {
  return type.slice(type.lastIndexOf('.') + 1);
}

/** A type code as Go prints the type: "[]v1.Container", "map[string]string", "string". */
function goType(type: TypeCode): string {
  switch (type) {
    case 's':
      return 'string';
    case 'n':
      return 'number';
    case 'b':
      return 'bool';
    case 'x':
      return 'interface {}';
  }
  if (isList(type)) return `[]${goType(elementType(type))}`;
  if (isMap(type)) return `map[string]${goType(elementType(type))}`;
  // "core/v1.Container": the package is the version.
  return type.slice(type.indexOf('/') + 1);
}
