/**
 * The CEL types of a structural schema (staging/src/k8s.io/apiextensions-apiserver/pkg/apiserver/
 * schema/cel/model/schemas.go SchemaDeclType) and the conversion of JSON values into them
 * (UnstructuredToVal). Objects with properties are object types whose fields a rule may name
 * (a misspelt field is a compile error, as upstream); objects with additionalProperties are
 * maps; int-or-string and preserve-unknown-fields values are `dyn`. At a resource root (the
 * custom resource itself, or an x-kubernetes-embedded-resource) `apiVersion`, `kind` and
 * `metadata.name`/`metadata.generateName` are visible too (WithTypeAndObjectMeta).
 *
 * String formats (date-time, duration, byte) stay strings here: upstream makes them
 * timestamps, durations and bytes.
 */
import type { Environment } from '@marcbachmann/cel-js';
import { isObject, type Schema } from '../schema.ts';
import { escapeName } from './escape.ts';

export type DeclType =
  | { readonly kind: 'scalar'; readonly cel: 'int' | 'double' | 'string' | 'bool' }
  | { readonly kind: 'dyn' }
  | { readonly kind: 'list'; readonly elem: DeclType; readonly maxItems: number | undefined }
  | { readonly kind: 'map'; readonly elem: DeclType; readonly maxProperties: number | undefined }
  | ObjectType;

export interface ObjectType {
  readonly kind: 'object';
  readonly name: string;
  /** By CEL field name: the JSON property it reads and its type. */
  readonly fields: ReadonlyMap<string, { readonly property: string; readonly type: DeclType }>;
  /** The class CEL values of the type are made of: cel-js tells object types apart by it. */
  readonly ctor: new (fields: Record<string, unknown>) => object;
}

const DYN: DeclType = { kind: 'dyn' };
const STRING: DeclType = { kind: 'scalar', cel: 'string' };

/** The object types of one schema, registered together in one CEL environment. */
export class DeclTypes {
  private readonly objects: ObjectType[] = [];

  /** The type of values of `s`; `resourceRoot` adds apiVersion, kind and metadata. */
  declare(s: Schema, resourceRoot: boolean): DeclType {
    if (s['x-kubernetes-int-or-string'] === true) return DYN;
    switch (s.type) {
      case 'integer':
        return { kind: 'scalar', cel: 'int' };
      case 'number':
        return { kind: 'scalar', cel: 'double' };
      case 'string':
        return STRING;
      case 'boolean':
        return { kind: 'scalar', cel: 'bool' };
      case 'array':
        return s.items === undefined
          ? DYN
          : {
              kind: 'list',
              elem: this.declare(s.items, s.items['x-kubernetes-embedded-resource'] === true),
              maxItems: s.maxItems,
            };
      case 'object':
        return this.declareObject(s, resourceRoot);
      default:
        return DYN;
    }
  }

  private declareObject(s: Schema, resourceRoot: boolean): DeclType {
    const values = typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined;
    if (values !== undefined) {
      return {
        kind: 'map',
        elem: this.declare(values, values['x-kubernetes-embedded-resource'] === true),
        maxProperties: s.maxProperties,
      };
    }
    const props = Object.entries(s.properties ?? {});
    if (props.length === 0 && !resourceRoot) return DYN;
    const fields = new Map<string, { property: string; type: DeclType }>();
    if (resourceRoot) {
      fields.set('apiVersion', { property: 'apiVersion', type: STRING });
      fields.set('kind', { property: 'kind', type: STRING });
      fields.set('metadata', { property: 'metadata', type: this.objectMeta() });
    }
    for (const [property, sub] of props) {
      const name = escapeName(property);
      if (name === undefined || fields.has(name)) continue;
      fields.set(name, {
        property,
        type: this.declare(sub, sub['x-kubernetes-embedded-resource'] === true),
      });
    }
    return this.object(fields);
  }

  private objectMeta(): ObjectType {
    return this.object(
      new Map([
        ['name', { property: 'name', type: STRING }],
        ['generateName', { property: 'generateName', type: STRING }],
      ]),
    );
  }

  private object(fields: Map<string, { property: string; type: DeclType }>): ObjectType {
    const ctor = class {
      constructor(values: Record<string, unknown>) {
        Object.assign(this, values);
      }
    };
    const t: ObjectType = { kind: 'object', name: `selfType${this.objects.length}`, fields, ctor };
    this.objects.push(t);
    return t;
  }

  /** Registers every object type (dependencies first) and its equality. */
  register(env: Environment): Environment {
    for (const t of this.objects) {
      const fields: Record<string, string> = {};
      for (const [name, f] of t.fields) fields[name] = celTypeName(f.type);
      env.registerType(t.name, { ctor: t.ctor, fields });
      env.registerOperator(`${t.name} == ${t.name}`, celEqual);
    }
    return env;
  }
}

export function celTypeName(t: DeclType): string {
  switch (t.kind) {
    case 'scalar':
      return t.cel;
    case 'dyn':
      return 'dyn';
    case 'list':
      return `list<${celTypeName(t.elem)}>`;
    case 'map':
      return `map<string, ${celTypeName(t.elem)}>`;
    case 'object':
      return t.name;
  }
}

/**
 * A JSON value as a CEL value of type `t`: integers are bigints, objects instances of their
 * type's class. Null fields are left out (a rule sees them as absent); a value of the wrong
 * JSON type, which schema validation reports first, is passed as it is.
 */
export function toCel(v: unknown, t: DeclType): unknown {
  switch (t.kind) {
    case 'scalar':
      if (t.cel === 'int' && typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
      return v;
    case 'dyn':
      return dynOf(v);
    case 'list':
      return Array.isArray(v) ? v.map((e) => toCel(e, t.elem)) : v;
    case 'map': {
      if (!isObject(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [k, e] of Object.entries(v)) if (e !== null) out[k] = toCel(e, t.elem);
      return out;
    }
    case 'object': {
      if (!isObject(v)) return v;
      const out: Record<string, unknown> = {};
      for (const [name, f] of t.fields) {
        const e = v[f.property];
        if (e !== undefined && e !== null) out[name] = toCel(e, f.type);
      }
      return new t.ctor(out);
    }
  }
}

function dynOf(v: unknown): unknown {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (Array.isArray(v)) return v.map(dynOf);
  if (isObject(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, e] of Object.entries(v)) out[k] = dynOf(e);
    return out;
  }
  return v;
}

/** CEL equality of converted values: lists in order, maps and objects by their keys. */
export function celEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => celEqual(x, b[i]));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    const rb = b as Record<string, unknown>;
    return ka.every((k) => k in rb && celEqual((a as Record<string, unknown>)[k], rb[k]));
  }
  if (typeof a === 'bigint' && typeof b === 'number') return Number(a) === b;
  if (typeof a === 'number' && typeof b === 'bigint') return a === Number(b);
  return a === b;
}
