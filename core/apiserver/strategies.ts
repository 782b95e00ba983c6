import type { FieldError } from '../api/field-error.ts';
import type { KObject, Kind } from '../api/types.ts';
import { validateObject, validateObjectUpdate } from '../api/validation.ts';

/**
 * Per-kind behaviour of the generic registry (upstream rest.RESTCreateStrategy and friends):
 * what a create may set, which half of the object each update path may change, validation.
 */
export interface Strategy {
  /** Resources with a status subresource: the main path keeps status, /status keeps the rest. */
  readonly hasStatus: boolean;
  /** A PUT without resourceVersion is accepted (last writer wins) instead of refused. */
  readonly allowUnconditionalUpdate: boolean;
  /** Whether spec changes bump metadata.generation. */
  readonly tracksGeneration: boolean;
  prepareForCreate(obj: KObject): KObject;
  validate(obj: KObject): FieldError[];
  validateUpdate(obj: KObject, old: KObject): FieldError[];
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const generic = (overrides: Partial<Strategy> = {}): Strategy => ({
  hasStatus: false,
  allowUnconditionalUpdate: true,
  tracksGeneration: false,
  prepareForCreate: (obj) => obj,
  validate: validateObject,
  validateUpdate: validateObjectUpdate,
  ...overrides,
});

const STRATEGIES: Readonly<Record<Kind, Strategy>> = {
  Pod: generic({
    hasStatus: true,
    tracksGeneration: true,
    // Upstream podStrategy.PrepareForCreate: status starts over as Pending.
    prepareForCreate: (obj) => ({ ...obj, status: { phase: 'Pending' } }) as KObject,
  }),
  Node: generic({ hasStatus: true }),
  ReplicaSet: generic({
    hasStatus: true,
    tracksGeneration: true,
    prepareForCreate: (obj) => ({ ...obj, status: { replicas: 0 } }) as KObject,
  }),
  Namespace: generic({
    hasStatus: true,
    prepareForCreate: (obj) => ({ ...obj, status: { phase: 'Active' } }) as KObject,
  }),
  Lease: generic(),
  PodDisruptionBudget: generic({
    hasStatus: true,
    tracksGeneration: true,
    prepareForCreate: (obj) =>
      ({
        ...obj,
        status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
      }) as KObject,
  }),
  Event: generic(),
  Binding: generic(),
};

export function strategyFor(kind: Kind): Strategy {
  return STRATEGIES[kind];
}

/**
 * What an update through the main path or through /status may change: the other half is
 * copied from the stored object, as upstream's PrepareForUpdate / status PrepareForUpdate do.
 */
export function mergeForUpdate(
  strategy: Strategy,
  incoming: KObject,
  old: KObject,
  statusPath: boolean,
): KObject {
  if (!strategy.hasStatus) return incoming;
  const o = old as unknown as Record<string, unknown>;
  const n = incoming as unknown as Record<string, unknown>;
  if (statusPath) {
    // Only status (and nothing in metadata but labels/annotations changes upstream; keep it simple
    // and faithful: status alone).
    return { ...o, status: n.status } as unknown as KObject;
  }
  const merged: Mutable<Record<string, unknown>> = { ...n, status: o.status };
  return merged as unknown as KObject;
}
