/**
 * resource.Quantity: exact fixed-point numbers with SI / binary-SI / exponent suffixes.
 *
 * Behaviour follows staging/src/k8s.io/apimachinery/pkg/api/resource/{quantity,suffix,amount}.go:
 * - grammar  <signedNumber><suffix>, suffix one of  n u m "" k M G T P E | Ki Mi Gi Ti Pi Ei | e<int> E<int>;
 * - values are rounded up (away from zero) to a whole nano, so an integer count of nano-units
 *   (a bigint) represents every parsed quantity exactly;
 * - a quantity remembers its suffix family and prints in canonical form: no fraction, the largest
 *   suffix of its family that is exact (1.5Gi -> "1536Mi", 1.5 -> "1500m", 12e6 stays "12e6").
 *
 * Deliberate deviations, all on inputs no real manifest uses: at least one digit is required
 * (upstream reads "Mi" or "-" as zero), and exponents beyond +-1000 are rejected instead of
 * building astronomically large numbers.
 */
import { assert } from '../util/assert.ts';

export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  readonly kind: 'Quantity';
  /** The value in units of 1e-9. */
  readonly nanos: bigint;
  readonly format: QuantityFormat;
}

/** A rejected quantity string. Returned, not thrown: user input failing is an expected outcome. */
export interface QuantityError {
  readonly kind: 'QuantityError';
  readonly input: string;
  /** Upstream's wording, suitable as a validation detail. */
  readonly reason: string;
  /** The reason prefixed by the offending input. */
  readonly message: string;
}

const NANO = 1_000_000_000n;
const MAX_EXPONENT = 1000;
/** Upstream caps binary-SI quantities at 2^63-1 units. */
const MAX_BINARY_NANOS = (2n ** 63n - 1n) * NANO;

/** Same pattern upstream quotes in its error, so users see the familiar message. */
const SPLIT_RE_STRING = '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$';
const QUANTITY_RE = /^([+-])?([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[-+]?[0-9]*)$/;

export const ERR_FORMAT_WRONG = `quantities must match the regular expression '${SPLIT_RE_STRING}'`;
export const ERR_NUMERIC = 'unable to parse numeric part of quantity';
export const ERR_SUFFIX = "unable to parse quantity's suffix";

const DECIMAL_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['n', -9],
  ['u', -6],
  ['m', -3],
  ['', 0],
  ['k', 3],
  ['M', 6],
  ['G', 9],
  ['T', 12],
  ['P', 15],
  ['E', 18],
]);
const BINARY_SUFFIXES: ReadonlyMap<string, number> = new Map([
  ['Ki', 10],
  ['Mi', 20],
  ['Gi', 30],
  ['Ti', 40],
  ['Pi', 50],
  ['Ei', 60],
]);
const DECIMAL_SUFFIX_BY_EXPONENT = new Map([...DECIMAL_SUFFIXES].map(([s, e]) => [e, s]));
const BINARY_SUFFIX_BY_POWER = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'] as const;

function quantityError(input: string, reason: string): QuantityError {
  return {
    kind: 'QuantityError',
    input,
    reason,
    message: `quantity ${JSON.stringify(input)}: ${reason}`,
  };
}

export function isQuantityError(x: Quantity | QuantityError): x is QuantityError {
  return x.kind === 'QuantityError';
}

interface Suffix {
  readonly base: 10 | 2;
  readonly exponent: number;
  readonly format: QuantityFormat;
}

function interpretSuffix(suffix: string): Suffix | undefined {
  const dec = DECIMAL_SUFFIXES.get(suffix);
  if (dec !== undefined) return { base: 10, exponent: dec, format: 'DecimalSI' };
  const bin = BINARY_SUFFIXES.get(suffix);
  if (bin !== undefined) return { base: 2, exponent: bin, format: 'BinarySI' };
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E')) {
    const digits = suffix.slice(1);
    if (!/^[+-]?[0-9]+$/.test(digits)) return undefined;
    return { base: 10, exponent: Number(digits), format: 'DecimalExponent' };
  }
  return undefined;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

/** magnitude * 10^shift, rounded up when shift is negative and digits fall off. */
function shiftRoundUp(magnitude: bigint, shift: number): bigint {
  if (shift >= 0) return magnitude * pow10(shift);
  const divisor = pow10(-shift);
  const q = magnitude / divisor;
  return magnitude % divisor === 0n ? q : q + 1n;
}

function parseUncached(input: string): Quantity | QuantityError {
  if (input.length === 0) return quantityError(input, ERR_FORMAT_WRONG);
  const m = QUANTITY_RE.exec(input);
  if (m === null) return quantityError(input, ERR_FORMAT_WRONG);
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  const suffix = interpretSuffix(m[4] ?? '');
  if (suffix === undefined) return quantityError(input, ERR_SUFFIX);
  if (intPart.length + fracPart.length === 0) return quantityError(input, ERR_NUMERIC);
  if (Math.abs(suffix.exponent) > MAX_EXPONENT) {
    return quantityError(input, `exponent out of range (at most ${MAX_EXPONENT} in magnitude)`);
  }
  const digits = BigInt(intPart + fracPart);
  let magnitude =
    suffix.base === 10
      ? shiftRoundUp(digits, suffix.exponent - fracPart.length + 9)
      : shiftRoundUp(digits * (1n << BigInt(suffix.exponent)), 9 - fracPart.length);
  let format = suffix.format;
  if (format === 'BinarySI') {
    if (magnitude > MAX_BINARY_NANOS) magnitude = MAX_BINARY_NANOS;
    // A binary quantity below one unit would print as a rounded "1"; upstream switches family.
    if (magnitude > 0n && magnitude < NANO) format = 'DecimalSI';
  }
  return freeze(m[1] === '-' ? -magnitude : magnitude, format);
}

function freeze(nanos: bigint, format: QuantityFormat): Quantity {
  return Object.freeze({ kind: 'Quantity', nanos, format });
}

/** Bounded so a stream of distinct strings cannot grow memory without limit. */
const PARSE_CACHE_LIMIT = 4096;
const parseCache = new Map<string, Quantity | QuantityError>();

/** Parses a quantity string. Results are memoised; returned objects are frozen. */
export function parseQuantity(input: string): Quantity | QuantityError {
  let result = parseCache.get(input);
  if (result === undefined) {
    result = parseUncached(input);
    if (parseCache.size >= PARSE_CACHE_LIMIT) parseCache.clear();
    parseCache.set(input, result);
  }
  return result;
}

/** For strings already validated (stored objects, constants): a bad one is a programmer error. */
export function mustParseQuantity(input: string): Quantity {
  const q = parseQuantity(input);
  assert(!isQuantityError(q), isQuantityError(q) ? q.message : '');
  return q;
}

export function quantityFromNanos(nanos: bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
  return freeze(nanos, format);
}

/** resource.NewQuantity: an integer number of units. */
export function newQuantity(
  value: number | bigint,
  format: QuantityFormat = 'DecimalSI',
): Quantity {
  return freeze(BigInt(value) * NANO, format);
}

/** resource.NewMilliQuantity: value / 1000 units. */
export function newMilliQuantity(
  milli: number | bigint,
  format: QuantityFormat = 'DecimalSI',
): Quantity {
  return freeze(BigInt(milli) * 1_000_000n, format);
}

export const ZERO_QUANTITY: Quantity = freeze(0n, 'DecimalSI');

/** Upstream Add: a zero left operand takes the right operand's format. */
export function add(a: Quantity, b: Quantity): Quantity {
  return freeze(a.nanos + b.nanos, a.nanos === 0n ? b.format : a.format);
}

export function sub(a: Quantity, b: Quantity): Quantity {
  return freeze(a.nanos - b.nanos, a.nanos === 0n ? b.format : a.format);
}

export function neg(a: Quantity): Quantity {
  return freeze(-a.nanos, a.format);
}

export function cmp(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function isZero(q: Quantity): boolean {
  return q.nanos === 0n;
}

export function sign(q: Quantity): -1 | 0 | 1 {
  return q.nanos < 0n ? -1 : q.nanos > 0n ? 1 : 0;
}

/** nanos / unit rounded away from zero, as upstream ScaledValue does. */
function scaledAwayFromZero(nanos: bigint, unit: bigint): bigint {
  const q = nanos / unit;
  if (nanos % unit === 0n) return q;
  return nanos < 0n ? q - 1n : q + 1n;
}

/** ceil(q * 1000) away from zero (upstream MilliValue). Exact up to 2^53. */
export function milliValue(q: Quantity): number {
  return Number(scaledAwayFromZero(q.nanos, 1_000_000n));
}

/** ceil(q) away from zero (upstream Value). Exact up to 2^53. */
export function value(q: Quantity): number {
  return Number(scaledAwayFromZero(q.nanos, NANO));
}

/** Exact integer variants for values that may exceed 2^53 (e.g. summed memory of huge clusters). */
export function milliValueBig(q: Quantity): bigint {
  return scaledAwayFromZero(q.nanos, 1_000_000n);
}

export function valueBig(q: Quantity): bigint {
  return scaledAwayFromZero(q.nanos, NANO);
}

function formatBinary(magnitude: bigint): string {
  let units = magnitude / NANO;
  let power = 0;
  while (power < BINARY_SUFFIX_BY_POWER.length - 1 && units % 1024n === 0n) {
    units /= 1024n;
    power++;
  }
  return `${units}${BINARY_SUFFIX_BY_POWER[power]}`;
}

function formatDecimal(magnitude: bigint, format: QuantityFormat): string {
  let mantissa = magnitude;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const down = ((exponent % 3) + 3) % 3;
  mantissa *= pow10(down);
  exponent -= down;
  if (format === 'DecimalExponent')
    return exponent === 0 ? `${mantissa}` : `${mantissa}e${exponent}`;
  // Upstream has no suffix above E and would silently drop it; keep the value exact instead.
  if (exponent > 18) {
    mantissa *= pow10(exponent - 18);
    exponent = 18;
  }
  return `${mantissa}${DECIMAL_SUFFIX_BY_EXPONENT.get(exponent) ?? ''}`;
}

/** Canonical string (upstream Quantity.String / CanonicalizeBytes). */
export function formatQuantity(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const negative = q.nanos < 0n;
  const magnitude = negative ? -q.nanos : q.nanos;
  const binary = q.format === 'BinarySI' && magnitude >= 1024n * NANO && magnitude % NANO === 0n;
  const body = binary
    ? formatBinary(magnitude)
    : formatDecimal(magnitude, q.format === 'BinarySI' ? 'DecimalSI' : q.format);
  return negative ? `-${body}` : body;
}

/** Parses and re-renders; returns the error for a bad string. */
export function canonicalQuantity(input: string): string | QuantityError {
  const q = parseQuantity(input);
  return isQuantityError(q) ? q : formatQuantity(q);
}
