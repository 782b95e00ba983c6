/**
 * How scheduler_perf reads a rendered template into a typed object: sigs.k8s.io/yaml
 * UnmarshalStrict, i.e. YAML to JSON, then Go's encoding/json into the kind's struct with
 * unknown fields refused. encoding/json matches member names case-insensitively when no
 * member has the exact name, so upstream's templates may write `NodeAffinityPolicy:` for
 * `nodeAffinityPolicy` (pod-with-node-inclusion-policy.yaml does) and still set the field.
 * This walk gives each such member its schema name and lists members no field matches.
 */
import { kindType } from '../../core/api/schema/schema.ts';
import {
  elementType,
  isList,
  isMap,
  structFields,
  type TypeCode,
} from '../../core/api/schema/schema.ts';

export interface Decoded {
  readonly value: Record<string, unknown>;
  /** Paths of members the kind's schema has no field for (strict decoding fails on them). */
  readonly unknown: readonly string[];
}

/** Renames members to their schema spelling; undefined when the kind is not in the schema. */
export function decodeLikeGo(obj: Record<string, unknown>): Decoded | undefined {
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const kind = typeof obj.kind === 'string' ? obj.kind : '';
  const type = kindType(apiVersion, kind);
  if (type === undefined) return undefined;
  const unknown: string[] = [];
  const value = walk(obj, type, '', unknown) as Record<string, unknown>;
  return { value, unknown };
}

function walk(value: unknown, type: TypeCode, path: string, unknown: string[]): unknown {
  if (typeof value !== 'object' || value === null || type.length === 1) return value;
  if (isList(type))
    return Array.isArray(value)
      ? value.map((v, i) => walk(v, elementType(type), `${path}[${i}]`, unknown))
      : value;
  if (Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  if (isMap(type)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj))
      out[k] = walk(v, elementType(type), `${path}[${k}]`, unknown);
    return out;
  }
  const fields = structFields(type);
  if (fields === undefined) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const name = fields[k] !== undefined ? k : foldMatch(fields, k);
    const at = path === '' ? k : `${path}.${k}`;
    if (name === undefined) {
      unknown.push(at);
      continue;
    }
    out[name] = walk(v, fields[name] as TypeCode, at, unknown);
  }
  return out;
}

/** encoding/json's fallback: the field whose name equals `key` under Unicode case folding. */
function foldMatch(fields: Readonly<Record<string, TypeCode>>, key: string): string | undefined {
  const folded = key.toLowerCase();
  for (const name of Object.keys(fields)) if (name.toLowerCase() === folded) return name;
  return undefined;
}
