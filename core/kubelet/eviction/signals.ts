/**
 * Eviction signals and thresholds (pkg/kubelet/eviction/api/types.go, helpers.go): what the
 * eviction manager observes on the node, the thresholds a KubeletConfiguration sets on those
 * observations (`memory.available<100Mi`, `nodefs.available<10%`), and which thresholds are met.
 *
 * ksim observes memory.available, nodefs.available and imagefs.available, nodefs.inodesFree
 * and imagefs.inodesFree (one filesystem: ksim's nodes have no dedicated image filesystem, as
 * upstream treats a shared one) and pid.available. A signal the runtime gives no input for
 * has no observation, so, as upstream, its thresholds are never met.
 */
import { isQuantityError, parseQuantity, value } from '../../api/quantity.ts';

export const SIGNALS = [
  'memory.available',
  'nodefs.available',
  'nodefs.inodesFree',
  'imagefs.available',
  'imagefs.inodesFree',
  'pid.available',
] as const;

export type Signal = (typeof SIGNALS)[number];

export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** signalToNodeCondition. */
export const SIGNAL_CONDITION: Readonly<Record<Signal, PressureCondition>> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'imagefs.available': 'DiskPressure',
  'imagefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

/** signalToResource: the resource a signal's eviction reclaims, as its message names it. */
export const SIGNAL_RESOURCE: Readonly<Record<Signal, string>> = {
  'memory.available': 'memory',
  'nodefs.available': 'ephemeral-storage',
  'nodefs.inodesFree': 'inodes',
  'imagefs.available': 'ephemeral-storage',
  'imagefs.inodesFree': 'inodes',
  'pid.available': 'pids',
};

/** A threshold's value: an absolute quantity, or a percentage of the signal's capacity. */
export type ThresholdValue =
  | { readonly kind: 'quantity'; readonly amount: number; readonly text: string }
  | { readonly kind: 'percent'; readonly percent: number; readonly text: string };

export interface Threshold {
  readonly signal: Signal;
  /** Met while the observed available amount is below this. */
  readonly value: ThresholdValue;
  /** Hard thresholds act at once; soft ones once met for their grace period. */
  readonly hard: boolean;
  readonly gracePeriodUs: number;
  /** --eviction-minimum-reclaim: once met, met until this much more than the threshold is free. */
  readonly minReclaim: ThresholdValue | undefined;
}

/** What the manager saw of one signal: available now, of a capacity. */
export interface Observation {
  readonly available: number;
  readonly capacity: number;
}

export type Observations = ReadonlyMap<Signal, Observation>;

export function isSignal(s: string): s is Signal {
  return (SIGNALS as readonly string[]).includes(s);
}

/**
 * A threshold value as a KubeletConfiguration map holds it ("100Mi", "10%", "1000"), or an
 * error naming what is wrong (upstream's parseThresholdStatement).
 */
export function parseThresholdValue(signal: Signal, text: string): ThresholdValue | string {
  const t = text.trim();
  if (t.endsWith('%')) {
    const percent = Number(t.slice(0, -1));
    if (!Number.isFinite(percent) || t.slice(0, -1).trim() === '')
      return `invalid percentage ${JSON.stringify(text)} for ${signal}`;
    if (percent <= 0 || percent > 100)
      return `eviction percentage threshold ${signal} must be > 0% and <= 100%: ${text}`;
    return { kind: 'percent', percent, text: t };
  }
  const q = parseQuantity(t);
  if (isQuantityError(q)) return `invalid quantity ${JSON.stringify(text)} for ${signal}`;
  const amount = value(q);
  if (amount < 0) return `eviction threshold ${signal} must be positive: ${text}`;
  return { kind: 'quantity', amount, text: t };
}

/** The amount a threshold value stands for, given the signal's capacity. */
export function thresholdAmount(v: ThresholdValue, capacity: number): number {
  return v.kind === 'quantity' ? v.amount : Math.round((v.percent / 100) * capacity);
}

/**
 * thresholdsMet: the thresholds whose signal is observed below them; with `enforceMinReclaim`
 * the minimum reclaim is added, which keeps a threshold met until that much more is free.
 */
export function thresholdsMet(
  thresholds: readonly Threshold[],
  observations: Observations,
  enforceMinReclaim: boolean,
): Threshold[] {
  return thresholds.filter((t) => {
    const o = observations.get(t.signal);
    if (o === undefined) return false;
    let quantity = thresholdAmount(t.value, o.capacity);
    if (enforceMinReclaim && t.minReclaim !== undefined)
      quantity += thresholdAmount(t.minReclaim, o.capacity);
    return o.available < quantity;
  });
}

/** mergeThresholds: the union, each threshold once, in the order given. */
export function mergeThresholds(a: readonly Threshold[], b: readonly Threshold[]): Threshold[] {
  return [...a, ...b.filter((t) => !a.includes(t))];
}

/**
 * byEvictionPriority: memory first (it cannot be reclaimed by the node otherwise), then the
 * signals in SIGNALS order; hard before soft within a signal.
 */
export function byEvictionPriority(thresholds: readonly Threshold[]): Threshold[] {
  return [...thresholds].sort((a, b) => {
    const sa = SIGNALS.indexOf(a.signal);
    const sb = SIGNALS.indexOf(b.signal);
    if (sa !== sb) return sa - sb;
    return a.hard === b.hard ? 0 : a.hard ? -1 : 1;
  });
}
