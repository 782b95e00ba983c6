/**
 * A small schema language for scenario files: each node checks one value, converts it (a
 * duration string becomes microseconds) and reports errors with the path in the file, so a
 * typo says where it is instead of surfacing as a stack trace deep in a run.
 */
export interface SchemaError {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

export type Schema<T> = (
  value: unknown,
  path: readonly (string | number)[],
  errors: SchemaError[],
) => T | undefined;

const typeName = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;

export const str: Schema<string> = (v, path, errors) => {
  if (typeof v === 'string') return v;
  errors.push({ path, message: `expected a string, got ${typeName(v)}` });
  return undefined;
};

export function num(opts: { integer?: boolean; min?: number; max?: number } = {}): Schema<number> {
  return (v, path, errors) => {
    if (typeof v !== 'number' || Number.isNaN(v)) {
      errors.push({ path, message: `expected a number, got ${typeName(v)}` });
      return undefined;
    }
    if (opts.integer && !Number.isInteger(v))
      errors.push({ path, message: `expected an integer, got ${v}` });
    else if (opts.min !== undefined && v < opts.min)
      errors.push({ path, message: `must be >= ${opts.min}, got ${v}` });
    else if (opts.max !== undefined && v > opts.max)
      errors.push({ path, message: `must be <= ${opts.max}, got ${v}` });
    else return v;
    return undefined;
  };
}

export const bool: Schema<boolean> = (v, path, errors) => {
  if (typeof v === 'boolean') return v;
  errors.push({ path, message: `expected true or false, got ${typeName(v)}` });
  return undefined;
};

export function oneOf<T extends string>(...values: T[]): Schema<T> {
  return (v, path, errors) => {
    if (typeof v === 'string' && (values as string[]).includes(v)) return v as T;
    errors.push({
      path,
      message: `expected one of ${values.join(', ')}, got ${JSON.stringify(v)}`,
    });
    return undefined;
  };
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  us: 1,
  µs: 1,
  ms: 1_000,
  s: 1_000_000,
  m: 60_000_000,
  h: 3_600_000_000,
};

/** "250ms", "1.5s", "2m", "1h30m", "100us" -> integer microseconds. */
export function parseDuration(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  if (text.length === 0) return undefined;
  while (at < text.length) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (m === null) return undefined;
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    at = re.lastIndex;
  }
  return Math.round(total);
}

export const duration: Schema<number> = (v, path, errors) => {
  const us = typeof v === 'string' ? parseDuration(v) : undefined;
  if (us !== undefined) return us;
  errors.push({
    path,
    message: `expected a duration such as 500ms, 30s, 5m or 1h30m, got ${JSON.stringify(v)}`,
  });
  return undefined;
};

export const any: Schema<unknown> = (v) => v;

export function list<T>(item: Schema<T>): Schema<T[]> {
  return (v, path, errors) => {
    if (!Array.isArray(v)) {
      errors.push({ path, message: `expected a list, got ${typeName(v)}` });
      return undefined;
    }
    const out: T[] = [];
    v.forEach((x, i) => {
      const r = item(x, [...path, i], errors);
      if (r !== undefined) out.push(r);
    });
    return out;
  };
}

export function mapOf<T>(value: Schema<T>): Schema<Record<string, T>> {
  return (v, path, errors) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      errors.push({ path, message: `expected a mapping, got ${typeName(v)}` });
      return undefined;
    }
    const out: Record<string, T> = {};
    for (const [k, x] of Object.entries(v)) {
      const r = value(x, [...path, k], errors);
      if (r !== undefined) out[k] = r;
    }
    return out;
  };
}

type Field<T> = { readonly schema: Schema<T>; readonly required: boolean };
export const req = <T>(schema: Schema<T>): Field<T> => ({ schema, required: true });
export const opt = <T>(schema: Schema<T>): Field<T | undefined> => ({ schema, required: false });

type Shape = Record<string, Field<unknown>>;
type Out<S extends Shape> = { [K in keyof S]: S[K] extends Field<infer T> ? T : never };

/** A mapping with known fields; unknown fields are errors that list the known ones. */
export function obj<S extends Shape>(shape: S): Schema<Out<S>> {
  return (v, path, errors) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      errors.push({ path, message: `expected a mapping, got ${typeName(v)}` });
      return undefined;
    }
    const input = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const key of Object.keys(input)) {
      if (!(key in shape)) {
        errors.push({
          path: [...path, key],
          message: `unknown field (expected one of: ${Object.keys(shape).join(', ')})`,
        });
        ok = false;
      }
    }
    for (const [key, field] of Object.entries(shape)) {
      if (input[key] === undefined || input[key] === null) {
        if (field.required) {
          errors.push({ path: [...path, key], message: 'required field is missing' });
          ok = false;
        }
        continue;
      }
      const before = errors.length;
      const r = field.schema(input[key], [...path, key], errors);
      if (errors.length > before) ok = false;
      else out[key] = r;
    }
    return ok ? (out as Out<S>) : undefined;
  };
}

/** A mapping tagged by `kind`, each kind with its own fields. */
export function tagged<V extends Record<string, Schema<unknown>>>(
  tag: string,
  variants: V,
): Schema<{ [K in keyof V]: V[K] extends Schema<infer T> ? T : never }[keyof V]> {
  return (v, path, errors) => {
    const t = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[tag] : undefined;
    const variant = typeof t === 'string' ? variants[t] : undefined;
    if (variant === undefined) {
      errors.push({
        path: [...path, tag],
        message: `expected one of ${Object.keys(variants).join(', ')}, got ${JSON.stringify(t)}`,
      });
      return undefined;
    }
    return variant(v, path, errors) as never;
  };
}

export function formatPath(path: readonly (string | number)[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? p : `.${p}`;
  return s === '' ? '(top level)' : s;
}
