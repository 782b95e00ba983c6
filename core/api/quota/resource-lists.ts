/**
 * Quota arithmetic over resource lists (k8s.io/apiserver/pkg/quota/v1/resources.go): usage and
 * limits as maps from resource name to Quantity, and the few operations the ResourceQuota
 * admission plugin and the quota controller combine. Stored lists are validated quantities, so
 * parsing one here cannot fail.
 */
import type { ResourceList } from '../pod-types.ts';
import {
  add as addQuantity,
  cmp,
  formatQuantity,
  mustParseQuantity,
  sign,
  sub,
  ZERO_QUANTITY,
  type Quantity,
} from '../quantity.ts';

export type Usage = ReadonlyMap<string, Quantity>;

export function fromList(list: ResourceList | undefined): Usage {
  const out = new Map<string, Quantity>();
  for (const [name, s] of Object.entries(list ?? {})) out.set(name, mustParseQuantity(s));
  return out;
}

/** The list as stored: canonical quantity strings, names sorted (as Go's map encoding). */
export function toList(usage: Usage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [...usage.keys()].sort()) out[name] = formatQuantity(usage.get(name)!);
  return out;
}

/** quota.Add: every name of either, summed. */
export function add(a: Usage, b: Usage): Usage {
  const out = new Map(a);
  for (const [name, q] of b) {
    const prev = out.get(name);
    out.set(name, prev === undefined ? q : addQuantity(prev, q));
  }
  return out;
}

/** quota.Subtract: a's names (and b's, negated), a minus b. */
export function subtract(a: Usage, b: Usage): Usage {
  const out = new Map(a);
  for (const [name, q] of b) out.set(name, sub(out.get(name) ?? ZERO_QUANTITY, q));
  return out;
}

/** quota.SubtractWithNonNegativeResult: a minus b on a's names, negative results as zero. */
export function subtractNonNegative(a: Usage, b: Usage): Usage {
  const out = new Map<string, Quantity>();
  for (const [name, q] of a) {
    const other = b.get(name);
    const diff = other === undefined ? q : sub(q, other);
    out.set(name, sign(diff) < 0 ? ZERO_QUANTITY : diff);
  }
  return out;
}

/** quota.Mask: only the names in `names`. */
export function mask(usage: Usage, names: Iterable<string>): Usage {
  const out = new Map<string, Quantity>();
  for (const name of names) {
    const q = usage.get(name);
    if (q !== undefined) out.set(name, q);
  }
  return out;
}

/** quota.LessThanOrEqual: a <= b for every name both have; the names where it is not. */
export function exceeded(a: Usage, b: Usage): string[] {
  const out: string[] = [];
  for (const [name, q] of a) {
    const limit = b.get(name);
    if (limit !== undefined && cmp(q, limit) > 0) out.push(name);
  }
  return out;
}

export function isZero(usage: Usage): boolean {
  for (const q of usage.values()) if (sign(q) !== 0) return false;
  return true;
}

/** quota.IsNegative: the names with a negative amount, sorted. */
export function negativeNames(usage: Usage): string[] {
  return [...usage]
    .filter(([, q]) => sign(q) < 0)
    .map(([name]) => name)
    .sort();
}

/** quota.Equals: the same names with equal amounts. */
export function equal(a: Usage, b: Usage): boolean {
  if (a.size !== b.size) return false;
  for (const [name, q] of a) {
    const other = b.get(name);
    if (other === undefined || cmp(q, other) !== 0) return false;
  }
  return true;
}

/** prettyPrint: "name=amount" sorted by name, comma-separated, as quota errors print lists. */
export function prettyPrint(usage: Usage): string {
  return [...usage.keys()]
    .sort()
    .map((name) => `${name}=${formatQuantity(usage.get(name)!)}`)
    .join(',');
}
