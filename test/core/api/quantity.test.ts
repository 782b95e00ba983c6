import { describe, expect, it } from 'vitest';
import {
  add,
  canonicalQuantity,
  cmp,
  ERR_FORMAT_WRONG,
  ERR_SUFFIX,
  formatQuantity,
  isQuantityError,
  isZero,
  milliValue,
  mustParseQuantity,
  newMilliQuantity,
  newQuantity,
  parseQuantity,
  sub,
  value,
  type Quantity,
} from '../../../core/api/quantity.ts';

function q(s: string): Quantity {
  return mustParseQuantity(s);
}

describe('parseQuantity + formatQuantity (canonical form)', () => {
  // [input, canonical, milliValue, value]; hand-checked, the upstream ones from quantity_test.go.
  const table: [string, string, number, number][] = [
    ['0', '0', 0, 0],
    ['100m', '100m', 100, 1],
    ['0.5', '500m', 500, 1],
    ['1', '1', 1000, 1],
    ['1.5', '1500m', 1500, 2],
    ['1000m', '1', 1000, 1],
    ['1e3', '1e3', 1_000_000, 1000],
    ['1E3', '1e3', 1_000_000, 1000],
    ['1e+3', '1e3', 1_000_000, 1000],
    ['1E-3', '1e-3', 1, 1],
    ['80e-3', '80e-3', 80, 1],
    ['300e6', '300e6', 300_000_000_000, 300_000_000],
    ['1e1', '10', 10_000, 10],
    ['128974848', '128974848', 128_974_848_000, 128_974_848],
    ['129e6', '129e6', 129_000_000_000, 129_000_000],
    ['129M', '129M', 129_000_000_000, 129_000_000],
    ['123Mi', '123Mi', 128_974_848_000, 128_974_848],
    ['1Gi', '1Gi', 1_073_741_824_000, 1_073_741_824],
    ['1024Mi', '1Gi', 1_073_741_824_000, 1_073_741_824],
    ['1000M', '1G', 1e12, 1e9],
    ['1.5Gi', '1536Mi', 1_610_612_736_000, 1_610_612_736],
    ['1Ki', '1Ki', 1_024_000, 1024],
    ['1000Ki', '1000Ki', 1_024_000_000, 1_024_000],
    ['1.5Ki', '1536', 1_536_000, 1536],
    ['0.5Ki', '512', 512_000, 512],
    ['.001Ki', '1024m', 1024, 2],
    ['.000001Ki', '1024u', 2, 1],
    ['.000000001Ki', '1024n', 1, 1],
    ['.000000000001Ki', '2n', 1, 1],
    ['1k', '1k', 1_000_000, 1000],
    ['1n', '1n', 1, 1],
    ['1080n', '1080n', 1, 1],
    ['1u', '1u', 1, 1],
    ['0.1m', '100u', 1, 1],
    ['0.0000000001', '1n', 1, 1],
    ['1.', '1', 1000, 1],
    ['+5', '5', 5000, 5],
    ['007', '7', 7000, 7],
    ['-100m', '-100m', -100, -1],
    ['-1.5', '-1500m', -1500, -2],
    ['-1.5Gi', '-1536Mi', -1_610_612_736_000, -1_610_612_736],
    ['1E', '1E', 1e21, 1e18],
    ['1000E', '1000E', 1e24, 1e21],
  ];
  it.each(table)('%s -> %s', (input, canonical, milli, units) => {
    const parsed = q(input);
    expect(formatQuantity(parsed)).toBe(canonical);
    expect(milliValue(parsed)).toBe(milli);
    expect(value(parsed)).toBe(units);
    // Canonical output re-parses to the same value and prints the same.
    expect(formatQuantity(q(canonical))).toBe(canonical);
    expect(q(canonical).nanos).toBe(parsed.nanos);
  });

  it('keeps the suffix family', () => {
    expect(q('1Mi').format).toBe('BinarySI');
    expect(q('1M').format).toBe('DecimalSI');
    expect(q('1e6').format).toBe('DecimalExponent');
    // Binary quantities below one unit switch to decimal, as upstream does on parse.
    expect(q('.001Ki').format).toBe('BinarySI');
    expect(q('0.0001Ki').format).toBe('DecimalSI');
  });

  const bad: [string, string][] = [
    ['', ERR_FORMAT_WRONG],
    ['abc', ERR_FORMAT_WRONG],
    ['1 Gi', ERR_FORMAT_WRONG],
    ['1KiB', ERR_FORMAT_WRONG],
    ['1.2.3', ERR_FORMAT_WRONG],
    ['--1', ERR_SUFFIX],
    ['1K', ERR_SUFFIX],
    ['1gi', ERR_FORMAT_WRONG],
    ['1e', ERR_SUFFIX],
    ['1ee3', ERR_SUFFIX],
    ['1Kii', ERR_SUFFIX],
    ['Mi', 'unable to parse numeric part of quantity'],
  ];
  it.each(bad)('rejects %j', (input, reason) => {
    const r = parseQuantity(input);
    expect(isQuantityError(r)).toBe(true);
    if (!isQuantityError(r)) return;
    expect(r.reason).toBe(reason);
    expect(r.message).toContain(JSON.stringify(input));
  });

  it('rejects absurd exponents instead of building huge numbers', () => {
    const r = parseQuantity('1e99999');
    expect(isQuantityError(r) && r.reason).toMatch(/exponent out of range/);
  });

  it('canonicalQuantity returns the error for bad input', () => {
    expect(canonicalQuantity('2048Ki')).toBe('2Mi');
    expect(isQuantityError(canonicalQuantity('x') as never)).toBe(true);
  });

  it('mustParseQuantity crashes on bad input, naming it', () => {
    expect(() => mustParseQuantity('12xyz')).toThrow(/"12xyz"/);
  });
});

describe('arithmetic', () => {
  const table: [string, string, string, string, -1 | 0 | 1][] = [
    // a, b, a+b, a-b, cmp(a,b)
    ['100m', '900m', '1', '-800m', -1],
    ['1Gi', '1Gi', '2Gi', '0', 0],
    ['1Gi', '512Mi', '1536Mi', '512Mi', 1],
    ['1', '1Ki', '1025', '-1023', -1],
    ['1e3', '1', '1001', '999', 1],
  ];
  it.each(table)('%s, %s', (a, b, sum, diff, c) => {
    expect(formatQuantity(add(q(a), q(b)))).toBe(sum);
    expect(formatQuantity(sub(q(a), q(b)))).toBe(diff);
    expect(cmp(q(a), q(b))).toBe(c);
  });

  it('a zero left operand takes the right format (upstream Add/Sub)', () => {
    expect(add(q('0'), q('1Mi')).format).toBe('BinarySI');
    expect(sub(q('0'), q('1Mi')).format).toBe('BinarySI');
    expect(add(q('1'), q('1Mi')).format).toBe('DecimalSI');
  });

  it('isZero / constructors', () => {
    expect(isZero(q('0Mi'))).toBe(true);
    expect(isZero(q('1n'))).toBe(false);
    expect(formatQuantity(newQuantity(1536, 'BinarySI'))).toBe('1536');
    expect(formatQuantity(newQuantity(2048, 'BinarySI'))).toBe('2Ki');
    expect(formatQuantity(newMilliQuantity(2500))).toBe('2500m');
  });

  it('is exact beyond float precision', () => {
    const big = q('9007199254740993'); // 2^53 + 1
    expect(formatQuantity(add(big, q('1')))).toBe('9007199254740994');
  });
});
