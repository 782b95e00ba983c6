/**
 * Kubernetes' quantity library for CEL (staging/src/k8s.io/apiserver/pkg/cel/library/
 * quantity.go) over ksim's quantities: quantity(), isQuantity(), and on a kubernetes.Quantity
 * sign, isInteger, asInteger, asApproximateFloat, add, sub, compareTo, isLessThan,
 * isGreaterThan, and == by value.
 */
import type { Environment } from '@marcbachmann/cel-js';
import * as q from '../../quantity.ts';

/** A quantity as a CEL value: cel-js tells custom types apart by their class. */
class CelQuantity {
  constructor(readonly value: q.Quantity) {}
}

const TYPE = 'kubernetes.Quantity';
const NANOS_PER_UNIT = 1_000_000_000n;
const INT64_MAX = 2n ** 63n - 1n;

function quantity(s: string): CelQuantity {
  const parsed = q.parseQuantity(s);
  if (q.isQuantityError(parsed)) throw new Error(parsed.message);
  return new CelQuantity(parsed);
}

function ofInt(n: bigint): q.Quantity {
  return q.quantityFromNanos(n * NANOS_PER_UNIT);
}

function asInteger(x: CelQuantity): bigint {
  const nanos = x.value.nanos;
  if (nanos % NANOS_PER_UNIT !== 0n || nanos / NANOS_PER_UNIT > INT64_MAX) {
    throw new Error('cannot convert value to integer');
  }
  return nanos / NANOS_PER_UNIT;
}

export function registerQuantityLibrary(env: Environment): Environment {
  return env
    .registerType(TYPE, CelQuantity)
    .registerOperator(
      `${TYPE} == ${TYPE}`,
      (a: CelQuantity, b: CelQuantity) => q.cmp(a.value, b.value) === 0,
    )
    .registerFunction(`quantity(string): ${TYPE}`, quantity)
    .registerFunction(
      'isQuantity(string): bool',
      (s: string) => !q.isQuantityError(q.parseQuantity(s)),
    )
    .registerFunction(`${TYPE}.sign(): int`, (x: CelQuantity) => BigInt(q.sign(x.value)))
    .registerFunction(
      `${TYPE}.isInteger(): bool`,
      (x: CelQuantity) => x.value.nanos % NANOS_PER_UNIT === 0n,
    )
    .registerFunction(`${TYPE}.asInteger(): int`, asInteger)
    .registerFunction(
      `${TYPE}.asApproximateFloat(): double`,
      (x: CelQuantity) => Number(x.value.nanos) / 1e9,
    )
    .registerFunction(
      `${TYPE}.add(${TYPE}): ${TYPE}`,
      (a: CelQuantity, b: CelQuantity) => new CelQuantity(q.add(a.value, b.value)),
    )
    .registerFunction(
      `${TYPE}.add(int): ${TYPE}`,
      (a: CelQuantity, n: bigint) => new CelQuantity(q.add(a.value, ofInt(n))),
    )
    .registerFunction(
      `${TYPE}.sub(${TYPE}): ${TYPE}`,
      (a: CelQuantity, b: CelQuantity) => new CelQuantity(q.sub(a.value, b.value)),
    )
    .registerFunction(
      `${TYPE}.sub(int): ${TYPE}`,
      (a: CelQuantity, n: bigint) => new CelQuantity(q.sub(a.value, ofInt(n))),
    )
    .registerFunction(`${TYPE}.compareTo(${TYPE}): int`, (a: CelQuantity, b: CelQuantity) =>
      BigInt(q.cmp(a.value, b.value)),
    )
    .registerFunction(
      `${TYPE}.isLessThan(${TYPE}): bool`,
      (a: CelQuantity, b: CelQuantity) => q.cmp(a.value, b.value) < 0,
    )
    .registerFunction(
      `${TYPE}.isGreaterThan(${TYPE}): bool`,
      (a: CelQuantity, b: CelQuantity) => q.cmp(a.value, b.value) > 0,
    );
}
