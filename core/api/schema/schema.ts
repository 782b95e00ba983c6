/**
 * The kinds' field trees (generated.ts, from the kubernetes-types declarations) as lookups:
 * the root type of a kind, the members of a type. A type the tree does not hold (FieldsV1,
 * RawExtension: free-form JSON upstream) is any JSON.
 */
import { KINDS, TYPES } from './generated.ts';

/**
 * A field's type code: "s" string, "n" number, "b" boolean, "x" any JSON (or a union of
 * scalars, as IntOrString), "[T" list of T, "{T" map of T, or a type name.
 */
export type TypeCode = string;

export const ANY: TypeCode = 'x';
export const STRING: TypeCode = 's';
export const NUMBER: TypeCode = 'n';
export const BOOLEAN: TypeCode = 'b';

/** The root type of `apiVersion`'s `kind`, if the declarations have it. */
export function kindType(apiVersion: string, kind: string): TypeCode | undefined {
  return KINDS[`${apiVersion}/${kind}`];
}

/** The members of a struct type, or undefined when `code` is not a struct the tree holds. */
export function structFields(code: TypeCode): Readonly<Record<string, TypeCode>> | undefined {
  return TYPES[code];
}

export function isList(code: TypeCode): boolean {
  return code.charCodeAt(0) === 91; // '['
}

export function isMap(code: TypeCode): boolean {
  return code.charCodeAt(0) === 123; // '{'
}

/** The item type of a list or the value type of a map. */
export function elementType(code: TypeCode): TypeCode {
  return code.slice(1);
}
