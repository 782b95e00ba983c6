import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isPlainJson } from '../../../core/apiserver/plain-json.ts';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v)) as unknown;

/** Every member in order, so a difference in key order fails too (toEqual ignores it). */
const shape = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    typeof x === 'object' && x !== null && !Array.isArray(x)
      ? Object.entries(x).map(([k, y]) => [k, y === undefined ? '<undefined>' : y])
      : x,
  );

describe('isPlainJson', () => {
  it.each([
    ['a string', 's'],
    ['null', null],
    ['nested objects and arrays', { a: [1, 'x', { b: true, c: null }], d: {} }],
    ['integer-like keys', { 2: 'b', 1: 'a', x: 1 }],
  ])('accepts %s', (_name, v) => {
    expect(isPlainJson(v)).toBe(true);
  });

  it.each([
    ['an undefined member', { a: 1, b: undefined }],
    ['an undefined member deep down', { a: [{ b: { c: undefined } }] }],
    ['undefined in an array', [1, undefined]],
    ['a hole', [1, , 3]],
    ['NaN', { n: Number.NaN }],
    ['Infinity', [Number.POSITIVE_INFINITY]],
    ['-0', { z: -0 }],
    ['a Date', { d: new Date(0) }],
    ['a toJSON', { t: { toJSON: () => 'x' } }],
    ['a class instance', { m: new Map() }],
    ['a function', { f: () => 1 }],
    ['a bigint', { b: 1n }],
  ])('refuses %s', (_name, v) => {
    expect(isPlainJson(v)).toBe(false);
  });

  // What a writer holds after parsing text JSON.stringify made. (fc.jsonValue may hold -0, as
  // JSON.parse('-0') does, which is not plain: stringify writes it as 0. Seed 416849262.)
  test.prop([fc.jsonValue()])(
    'a value read back from encoded JSON is plain and round-trips to itself',
    (generated) => {
      const v: unknown = JSON.parse(JSON.stringify(generated));
      expect(isPlainJson(v)).toBe(true);
      expect(shape(roundTrip(v))).toBe(shape(v));
    },
  );
  it('-0 is not plain: encoding turns it into 0', () => {
    expect(isPlainJson(JSON.parse('-0'))).toBe(false);
    expect(isPlainJson({ a: [JSON.parse('-0')] })).toBe(false);
  });

  test.prop([fc.anything({ withObjectString: true, withNullPrototype: true })])(
    'whatever it accepts round-trips to the same members in the same order',
    (v) => {
      if (isPlainJson(v)) expect(shape(roundTrip(v))).toBe(shape(v));
    },
  );
});
