/**
 * ResourceList (`{cpu: "500m", memory: "1Gi"}`) arithmetic and the hot-path number views the
 * scheduler and kubelet use. Stored objects were validated on admission, so a malformed quantity
 * reaching these helpers is a programmer error and crashes.
 */
import type { ResourceList } from './pod-types.ts';
import {
  add,
  cmp,
  formatQuantity,
  milliValue,
  mustParseQuantity,
  value,
  type Quantity,
} from './quantity.ts';

export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
export const RESOURCE_EPHEMERAL_STORAGE = 'ephemeral-storage';
export const RESOURCE_PODS = 'pods';

const NUMBER_CACHE_LIMIT = 4096;
const millisCache = new Map<string, number>();
const unitsCache = new Map<string, number>();

function memo(cache: Map<string, number>, key: string, compute: () => number): number {
  let v = cache.get(key);
  if (v === undefined) {
    v = compute();
    if (cache.size >= NUMBER_CACHE_LIMIT) cache.clear();
    cache.set(key, v);
  }
  return v;
}

/** CPU quantity in millicores, rounded up ("100m" -> 100, "0.5" -> 500, "1" -> 1000). */
export function cpuMillis(q: string): number {
  return memo(millisCache, q, () => milliValue(mustParseQuantity(q)));
}

/** Quantity in whole base units, rounded up ("1Ki" -> 1024, "129M" -> 129000000). */
export function bytes(q: string): number {
  return memo(unitsCache, q, () => value(mustParseQuantity(q)));
}

/** The number a resource is accounted in: millicores for cpu, whole units for everything else. */
export function resourceAmount(name: string, q: string): number {
  return name === RESOURCE_CPU ? cpuMillis(q) : bytes(q);
}

/** Every entry as a number (cpu in millicores, the rest in base units); key order is kept. */
export function resourceListToMillis(list: ResourceList | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  if (list === undefined) return out;
  for (const [name, q] of Object.entries(list)) out[name] = resourceAmount(name, q);
  return out;
}

function combine(
  a: ResourceList | undefined,
  b: ResourceList | undefined,
  merge: (x: Quantity, y: Quantity) => Quantity,
): ResourceList {
  const out: Record<string, string> = {};
  const acc = new Map<string, Quantity>();
  for (const list of [a, b]) {
    if (list === undefined) continue;
    for (const [name, s] of Object.entries(list)) {
      const q = mustParseQuantity(s);
      const prev = acc.get(name);
      acc.set(name, prev === undefined ? q : merge(prev, q));
    }
  }
  for (const [name, q] of acc) out[name] = formatQuantity(q);
  return out;
}

/** Per-key sum; keys of `a` first, then keys only in `b`. Values are canonical strings. */
export function addResourceLists(
  a: ResourceList | undefined,
  b: ResourceList | undefined,
): ResourceList {
  return combine(a, b, add);
}

/** Per-key maximum (upstream maxResourceList); same key order as addResourceLists. */
export function maxResourceLists(
  a: ResourceList | undefined,
  b: ResourceList | undefined,
): ResourceList {
  return combine(a, b, (x, y) => (cmp(x, y) >= 0 ? x : y));
}
