import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../core/ports/codec.ts';
import {
  binaryCodec,
  bool,
  constant,
  f64,
  lazy,
  list,
  only,
  oneOf,
  optional,
  str,
  struct,
  union,
  type FieldCodec,
} from '../../../core/ports/struct-codec.ts';
import { AssertionError } from '../../../core/util/assert.ts';
import { f64Hex, hex, pinnedEncoding, strHex } from '../../support/codec-properties.ts';

interface Item {
  readonly name: string;
  readonly size: number;
  readonly label?: string;
  readonly hidden?: boolean;
}
const item = struct<Item>({ name: str, size: f64, label: optional(str), hidden: optional(bool) });
const ITEM = binaryCodec('item', item);

type Shape =
  | { readonly kind: 'circle'; readonly r: number }
  | { readonly kind: 'box'; readonly w: number; readonly h?: number }
  | { readonly kind: 'group'; readonly members: readonly Shape[] };
const shape: FieldCodec<Shape> = union<Shape>('shape', 'kind', {
  circle: { r: f64 },
  box: { w: f64, h: optional(f64) },
  group: { members: list(lazy(() => shape)) },
});
const SHAPE = binaryCodec('shape', shape);

describe('struct', () => {
  it('writes the flags byte, the required fields, then the present optional ones', () => {
    pinnedEncoding(
      ITEM,
      { name: 'a', size: 1, hidden: false },
      hex('02', strHex('a'), f64Hex(1), '00'),
    );
    pinnedEncoding(ITEM, { name: 'a', size: 1 }, hex('00', strHex('a'), f64Hex(1)));
  });

  it('decodes exactly the fields present, in declaration order', () => {
    const decoded = ITEM.decode(ITEM.encode({ hidden: true, size: 2, name: 'a' } as Item));
    expect(Object.keys(decoded)).toEqual(['name', 'size', 'hidden']);
    // An undefined optional field is written as absent.
    expect(Object.keys(ITEM.decode(ITEM.encode({ name: 'a', size: 2, label: undefined })))).toEqual(
      ['name', 'size'],
    );
  });

  it('has no flags byte without optional fields', () => {
    const pair = binaryCodec('pair', struct<{ a: number; b: number }>({ a: f64, b: f64 }));
    pinnedEncoding(pair, { a: 1, b: 2 }, hex(f64Hex(1), f64Hex(2)));
  });

  it('refuses flags beyond its optional fields, naming the field it was in', () => {
    expect(() => ITEM.decode(hex('04', strHex('a'), f64Hex(1)))).toThrow(
      new CodecError('item: unknown flags 4 for 2 optional fields (at byte 1)'),
    );
    const outer = binaryCodec('outer', struct<{ inner: Item }>({ inner: item }));
    expect(() => outer.decode(hex('00', '05000000 61'))).toThrow(
      new CodecError('outer: inner.name: truncated: needs 5 more bytes, 1 left (at byte 5)'),
    );
  });

  it('refuses declarations whose order the wire could not keep', () => {
    expect(() => struct<{ a?: number; b: number }>({ a: optional(f64), b: f64 })).toThrow(
      AssertionError,
    );
    expect(() => struct<{ 1: number }>({ 1: f64 })).toThrow(AssertionError);
    const nine = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`f${i}`, optional(f64)]));
    expect(() => struct<object>(nine as never)).toThrow(AssertionError);
  });
});

describe('union', () => {
  it('is the variant position as a tag, then the variant as a struct, the kind key first', () => {
    pinnedEncoding(SHAPE, { kind: 'box', w: 1 }, hex('01', '00', f64Hex(1)));
    pinnedEncoding(
      SHAPE,
      { kind: 'group', members: [{ kind: 'circle', r: 2 }] },
      hex('02', '01000000', '00', f64Hex(2)),
    );
    expect(Object.keys(SHAPE.decode(hex('01', '01', f64Hex(1), f64Hex(2))))).toEqual([
      'kind',
      'w',
      'h',
    ]);
  });

  it('refuses an unknown tag and names the variant, field and element of an error', () => {
    expect(() => SHAPE.decode(hex('03'))).toThrow(
      new CodecError('shape: unknown shape kind tag 3 (at byte 1)'),
    );
    expect(() => SHAPE.decode(hex('02', '02000000', '00', f64Hex(2), '07'))).toThrow(
      new CodecError('shape: group.members[1]: unknown shape kind tag 7 (at byte 15)'),
    );
  });

  it('refuses to encode what it does not declare', () => {
    expect(() => SHAPE.encode({ kind: 'star' } as unknown as Shape)).toThrow(AssertionError);
  });
});

describe('leaves', () => {
  it('oneOf is a position in one byte; constant takes none', () => {
    const codec = binaryCodec(
      'tagged',
      struct<{ kind: 'only'; color: 'red' | 'green' }>({
        kind: constant('only'),
        color: oneOf(['red', 'green']),
      }),
    );
    pinnedEncoding(codec, { kind: 'only', color: 'green' }, hex('01'));
    expect(() => codec.decode(hex('02'))).toThrow(
      new CodecError('tagged: color: unknown tag 2 of 2 values (at byte 1)'),
    );
    expect(() => codec.encode({ kind: 'only', color: 'blue' as 'red' })).toThrow(AssertionError);
    expect(() => codec.encode({ kind: 'other' as 'only', color: 'red' })).toThrow(AssertionError);
  });

  it('only refuses a decoded variant it does not list', () => {
    const circles = binaryCodec('circles', list(only(shape, ['circle'], 'a circle list')));
    expect(() => circles.decode(hex('01000000', '01', '00', f64Hex(1)))).toThrow(
      new CodecError('circles: [0]: a circle list cannot hold a box (at byte 14)'),
    );
  });
});
