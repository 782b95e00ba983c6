/**
 * Declarative binary layouts: a message's wire format is declared once, as fields, and its
 * writer and reader both follow from the declaration. On top of bytes.ts (little-endian,
 * numbers float64, strings and byte arrays a u32 length and the bytes):
 *
 * - a struct with optional fields starts with a flags byte, bit i set when its i-th optional
 *   field is present; then come the required fields, then the present optional ones, each in
 *   declaration order. Required fields are declared before optional ones, so a decoded object
 *   has its keys in declaration order and exactly the fields the encoded one had (an absent
 *   field is absent, not undefined). A struct without optional fields has no flags byte.
 * - a union is a one-byte tag, the position of the variant among the declared variants, then
 *   that variant's fields as a struct. The tag's key (`kind`) comes first in a decoded object.
 *   Variants may only be appended: the tag numbers are the wire format.
 * - a list is a u32 count and the elements.
 *
 * The declarations are type-checked against the messages: `struct<KeyValue>({...})` must give
 * every key of KeyValue a codec of its type (a Revision field a `f64As(revision)`), optional
 * keys behind `optional(...)`, and `union` every kind. Decoding errors name the field: each
 * struct, union and list prefixes the reader's error with the field name, variant or index it
 * was reading (see `ByteCodecError`). Writing what the declaration does not allow (an unknown
 * kind) is a programmer error: an AssertionError, thrown directly on the hot paths, where
 * assert() would build its message on every call.
 */
import { assert, AssertionError } from '../util/assert.ts';
import {
  ByteCodecError,
  decodeWith,
  encodeWith,
  type ByteReader,
  type ByteWriter,
} from './bytes.ts';
import type { Codec } from './codec.ts';

/** How one value inside a message is written and read. */
export interface FieldCodec<T> {
  readonly write: (w: ByteWriter, value: T) => void;
  readonly read: (r: ByteReader) => T;
}

/** A struct field that may be absent (one bit in the struct's flags byte). */
export interface Optional<T> {
  readonly optional: FieldCodec<T>;
}

type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** The fields of a struct of type T, one codec per key, `optional(...)` for optional keys. */
export type Fields<T> = {
  readonly [K in keyof T]-?: K extends OptionalKeys<T>
    ? Optional<Exclude<T[K], undefined>>
    : FieldCodec<T[K]>;
};

/** The member of union T whose discriminant K may be V. */
type Variant<T, K extends keyof T, V> = T extends unknown ? (V extends T[K] ? T : never) : never;

/** The variants of a union T discriminated by K: for each value of K, the other fields. */
export type Variants<T, K extends keyof T> = {
  readonly [V in T[K] & string]: Fields<Omit<Variant<T, K, V>, K>>;
};

// ---- leaves ---------------------------------------------------------------------------------

export const f64: FieldCodec<number> = { write: (w, n) => w.f64(n), read: (r) => r.f64() };
export const bool: FieldCodec<boolean> = { write: (w, b) => w.bool(b), read: (r) => r.bool() };
export const str: FieldCodec<string> = { write: (w, s) => w.str(s), read: (r) => r.str() };
export const bytes: FieldCodec<Uint8Array> = {
  write: (w, b) => w.bytes(b),
  read: (r) => r.bytes(),
};

/** A float64 carried as a branded number: `brand` is the brand's constructor (`revision`). */
export function f64As<B extends number>(brand: (n: number) => B): FieldCodec<B> {
  return { write: (w, n) => w.f64(n), read: (r) => brand(r.f64()) };
}

/** One of `values`, as its position in one byte. */
export function oneOf<T extends string>(values: readonly T[]): FieldCodec<T> {
  assert(values.length <= 256, 'oneOf: more values than a byte can number');
  const codes = new Map(values.map((v, i) => [v, i]));
  return {
    write: (w, v) => {
      const code = codes.get(v);
      if (code === undefined) throw new AssertionError(`oneOf: ${v} is not one of the values`);
      w.u8(code);
    },
    read: (r) => {
      const code = r.u8();
      const v = values[code];
      if (v === undefined) return r.fail(`unknown tag ${code} of ${values.length} values`);
      return v;
    },
  };
}

/** A value the layout implies (`kind: 'watch'` of a message with one kind): no bytes. */
export function constant<T extends string>(value: T): FieldCodec<T> {
  return {
    write: (_w, v) => {
      if (v !== value) throw new AssertionError(`constant: ${v} is not ${value}`);
    },
    read: () => value,
  };
}

// ---- combinators ----------------------------------------------------------------------------

export function optional<T>(codec: FieldCodec<T>): Optional<T> {
  return { optional: codec };
}

/** A u32 count, then the elements; each element must take at least one byte (`r.count()`). */
export function list<T>(element: FieldCodec<T>): FieldCodec<readonly T[]> {
  return {
    write: (w, items) => {
      w.u32(items.length);
      for (const item of items) element.write(w, item);
    },
    read: (r) => {
      const n = r.count();
      const items: T[] = [];
      let i = 0;
      try {
        for (; i < n; i++) items.push(element.read(r));
      } catch (e) {
        throw within(e, `[${i}]`);
      }
      return items;
    },
  };
}

/** A codec declared later (a union whose variants contain it). */
export function lazy<T>(get: () => FieldCodec<T>): FieldCodec<T> {
  let codec: FieldCodec<T> | undefined;
  return {
    write: (w, v) => (codec ??= get()).write(w, v),
    read: (r) => (codec ??= get()).read(r),
  };
}

/** `codec` of a union restricted to some of its kinds; a decoded value of another is an error. */
export function only<T extends { readonly kind: string }, K extends T['kind']>(
  codec: FieldCodec<T>,
  kinds: readonly K[],
  where: string,
): FieldCodec<Extract<T, { readonly kind: K }>> {
  const accepted = new Set<string>(kinds);
  return {
    write: codec.write,
    read: (r) => {
      const v = codec.read(r);
      if (!accepted.has(v.kind)) return r.fail(`${where} cannot hold a ${v.kind}`);
      return v as Extract<T, { readonly kind: K }>;
    },
  };
}

export function struct<T extends object>(fields: Fields<T>): FieldCodec<T> {
  const layout = new Layout(fields);
  return {
    write: (w, value) => layout.write(w, value as Record<string, unknown>),
    read: (r) => layout.readInto(r, {}) as T,
  };
}

/** A union discriminated by `key`, each variant a struct; see the file comment for the layout. */
export function union<T extends object, K extends keyof T & string = 'kind' & keyof T & string>(
  name: string,
  key: K,
  variants: Variants<T, K>,
): FieldCodec<T> {
  const table = Object.entries(variants as Record<string, object>).map(([kind, fields], code) => ({
    kind,
    code,
    layout: new Layout(fields),
  }));
  assert(table.length <= 256, `union ${name}: more variants than a byte can number`);
  for (const v of table) assertOrdered(v.kind);
  const byKind = new Map(table.map((v) => [v.kind, v]));
  return {
    write: (w, value) => {
      const v = byKind.get((value as Record<string, unknown>)[key] as string);
      if (v === undefined)
        throw new AssertionError(`union ${name}: no variant ${String(value[key])}`);
      w.u8(v.code);
      v.layout.write(w, value as Record<string, unknown>);
    },
    read: (r) => {
      const code = r.u8();
      const v = table[code];
      if (v === undefined) return r.fail(`unknown ${name} ${key} tag ${code}`);
      try {
        return v.layout.readInto(r, { [key]: v.kind }) as T;
      } catch (e) {
        throw within(e, v.kind);
      }
    },
  };
}

/** The codec of a whole message: `codec` over all of a buffer, named `what` in errors. */
export function binaryCodec<T>(what: string, codec: FieldCodec<T>): Codec<T> {
  return {
    encode: (value) => encodeWith(value, codec.write),
    decode: (bytes) => decodeWith(bytes, what, codec.read),
  };
}

// ---- the interpreter ------------------------------------------------------------------------

/** A struct's fields, compiled: required ones first, then the optional ones behind the flags. */
class Layout {
  private readonly names: string[] = [];
  private readonly codecs: FieldCodec<unknown>[] = [];
  /** How many of the fields are required; the rest are optional. */
  private readonly required: number;

  constructor(fields: object) {
    let required = 0;
    const specs = fields as Record<string, FieldCodec<unknown> | Optional<unknown>>;
    for (const [fieldName, spec] of Object.entries(specs)) {
      assertOrdered(fieldName);
      const isOptional = 'optional' in spec;
      assert(
        isOptional || required === this.names.length,
        `struct: required field ${fieldName} follows an optional one`,
      );
      this.names.push(fieldName);
      this.codecs.push(isOptional ? spec.optional : spec);
      if (!isOptional) required++;
    }
    this.required = required;
    assert(
      this.names.length - required <= 8,
      `struct: more than 8 optional fields (${this.names.join(', ')})`,
    );
  }

  write(w: ByteWriter, value: Record<string, unknown>): void {
    const { names, codecs, required } = this;
    const n = names.length;
    if (required < n) {
      let flags = 0;
      for (let i = required; i < n; i++)
        if (value[names[i]!] !== undefined) flags |= 1 << (i - required);
      w.u8(flags);
    }
    for (let i = 0; i < required; i++) codecs[i]!.write(w, value[names[i]!]);
    for (let i = required; i < n; i++) {
      const v = value[names[i]!];
      if (v !== undefined) codecs[i]!.write(w, v);
    }
  }

  readInto(r: ByteReader, into: Record<string, unknown>): Record<string, unknown> {
    const { names, codecs, required } = this;
    const n = names.length;
    let flags = 0;
    if (required < n) {
      flags = r.u8();
      if (flags >>> (n - required) !== 0)
        r.fail(`unknown flags ${flags} for ${n - required} optional fields`);
    }
    let i = 0;
    try {
      for (; i < required; i++) into[names[i]!] = codecs[i]!.read(r);
      for (; i < n; i++) if (flags & (1 << (i - required))) into[names[i]!] = codecs[i]!.read(r);
    } catch (e) {
      throw within(e, names[i]!);
    }
    return into;
  }
}

/**
 * The declaration's key order is the wire order, and JavaScript keeps insertion order for every
 * key except array indexes, which it lists first.
 */
function assertOrdered(key: string): void {
  assert(!/^(0|[1-9]\d*)$/.test(key), `struct-codec: key ${key} would not keep its place`);
}

function within(e: unknown, segment: string): unknown {
  return e instanceof ByteCodecError ? e.within(segment) : e;
}
