/**
 * From the metrics' recommendation to the replica count the controller sets
 * (horizontal.go: normalizeDesiredReplicas and normalizeDesiredReplicasWithBehaviors): the
 * stabilization windows over past recommendations, the scaling policies' rate limits over past
 * scale events, and min/max replicas, each with the ScalingLimited condition reason upstream
 * gives. The history lives in the controller (it is lost with the process, as upstream's).
 */
import type { HPAScalingRules } from 'kubernetes-types/autoscaling/v2.d.ts';
import type { DeepReadonly } from '../../api/stored.ts';

export type ScalingRules = DeepReadonly<HPAScalingRules>;

export interface Recommendation {
  readonly replicas: number;
  readonly timestampUs: number;
}

export interface ScaleEvent {
  readonly change: number;
  readonly timestampUs: number;
  readonly outdated: boolean;
}

/** What the controller remembers of one HPA. */
export interface ScaleHistory {
  recommendations: Recommendation[];
  scaleUpEvents: ScaleEvent[];
  scaleDownEvents: ScaleEvent[];
}

export function emptyHistory(): ScaleHistory {
  return { recommendations: [], scaleUpEvents: [], scaleDownEvents: [] };
}

export interface Normalized {
  readonly replicas: number;
  /** AbleToScale's reason and message (ScaleDownStabilized or ReadyForNewScale). */
  readonly ableToScale: { readonly reason: string; readonly message: string };
  /** ScalingLimited: true when the count was clamped. */
  readonly limited: { readonly status: boolean; readonly reason: string; readonly message: string };
}

const READY_FOR_NEW_SCALE = {
  reason: 'ReadyForNewScale',
  message: 'recommended size matches current size',
};
const SCALE_DOWN_STABILIZED = {
  reason: 'ScaleDownStabilized',
  message:
    'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const WITHIN_RANGE = {
  reason: 'DesiredWithinRange',
  message: 'the desired count is within the acceptable range',
};
const TOO_FEW = {
  reason: 'TooFewReplicas',
  message: 'the desired replica count is less than the minimum replica count',
};
const TOO_MANY = {
  reason: 'TooManyReplicas',
  message: 'the desired replica count is more than the maximum replica count',
};
const SCALE_UP_LIMIT = {
  reason: 'ScaleUpLimit',
  message: 'the desired replica count is increasing faster than the maximum scale rate',
};
const SCALE_DOWN_LIMIT = {
  reason: 'ScaleDownLimit',
  message: 'the desired replica count is decreasing faster than the maximum scale rate',
};

export interface NormalizeArgs {
  readonly currentReplicas: number;
  readonly desiredReplicas: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly nowUs: number;
  /** --horizontal-pod-autoscaler-downscale-stabilization (5 min). */
  readonly downscaleStabilizationUs: number;
}

function limited(
  replicas: number,
  stabilized: number,
  ableToScale: Normalized['ableToScale'],
  reason: { reason: string; message: string },
): Normalized {
  return { replicas, ableToScale, limited: { status: replicas !== stabilized, ...reason } };
}

/** Without spec.behavior: the downscale window, then a scale-up of at most max(2x, 4). */
export function normalizeWithoutBehavior(history: ScaleHistory, a: NormalizeArgs): Normalized {
  const cutoff = a.nowUs - a.downscaleStabilizationUs;
  let stabilized = a.desiredReplicas;
  let oldIndex = -1;
  history.recommendations.forEach((r, i) => {
    if (r.timestampUs < cutoff) oldIndex = i;
    else if (r.replicas > stabilized) stabilized = r.replicas;
  });
  remember(history, oldIndex, { replicas: a.desiredReplicas, timestampUs: a.nowUs });
  const able = stabilized !== a.desiredReplicas ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;
  const scaleUpLimit = Math.max(2 * a.currentReplicas, 4);
  const [maxAllowed, maxReason] =
    a.maxReplicas > scaleUpLimit ? [scaleUpLimit, SCALE_UP_LIMIT] : [a.maxReplicas, TOO_MANY];
  if (stabilized < a.minReplicas) return limited(a.minReplicas, stabilized, able, TOO_FEW);
  if (stabilized > maxAllowed) return limited(maxAllowed, stabilized, able, maxReason);
  return limited(stabilized, stabilized, able, WITHIN_RANGE);
}

/**
 * With spec.behavior: the scale-up window keeps the lowest recent recommendation, the
 * scale-down window the highest, and the policies cap the change per period.
 */
export function normalizeWithBehavior(
  history: ScaleHistory,
  a: NormalizeArgs,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
): Normalized {
  const upWindowUs = (scaleUp.stabilizationWindowSeconds ?? 0) * 1_000_000;
  const downWindowUs =
    scaleDown.stabilizationWindowSeconds === undefined
      ? a.downscaleStabilizationUs
      : scaleDown.stabilizationWindowSeconds * 1_000_000;
  let up = a.desiredReplicas;
  let down = a.desiredReplicas;
  const obsoleteCutoff = a.nowUs - Math.max(upWindowUs, downWindowUs);
  let oldIndex = -1;
  history.recommendations.forEach((r, i) => {
    if (r.timestampUs > a.nowUs - upWindowUs) up = Math.min(r.replicas, up);
    if (r.timestampUs > a.nowUs - downWindowUs) down = Math.max(r.replicas, down);
    if (r.timestampUs < obsoleteCutoff) oldIndex = i;
  });
  let stabilized = Math.max(a.currentReplicas, up);
  stabilized = Math.min(stabilized, down);
  remember(history, oldIndex, { replicas: a.desiredReplicas, timestampUs: a.nowUs });
  const able = stabilized !== a.desiredReplicas ? SCALE_DOWN_STABILIZED : READY_FOR_NEW_SCALE;
  if (stabilized > a.currentReplicas) {
    const limit = Math.max(
      a.currentReplicas,
      scaleUpLimit(a.currentReplicas, history.scaleUpEvents, scaleUp, a.nowUs),
    );
    const [maxAllowed, reason] =
      a.maxReplicas > limit ? [limit, SCALE_UP_LIMIT] : [a.maxReplicas, TOO_MANY];
    if (stabilized > maxAllowed) return limited(maxAllowed, stabilized, able, reason);
  } else if (stabilized < a.currentReplicas) {
    const limit = Math.min(
      a.currentReplicas,
      scaleDownLimit(a.currentReplicas, history.scaleDownEvents, scaleDown, a.nowUs),
    );
    const [minAllowed, reason] =
      a.minReplicas < limit ? [limit, SCALE_DOWN_LIMIT] : [a.minReplicas, TOO_FEW];
    if (stabilized < minAllowed) return limited(minAllowed, stabilized, able, reason);
  }
  return limited(stabilized, stabilized, able, WITHIN_RANGE);
}

/** Reuses the slot of an obsolete recommendation, so the list stays as long as the window. */
function remember(history: ScaleHistory, oldIndex: number, r: Recommendation): void {
  if (oldIndex >= 0) history.recommendations[oldIndex] = r;
  else history.recommendations.push(r);
}

/** getReplicasChangePerPeriod: the change the events within the period made. */
function changeInPeriod(periodSeconds: number, events: readonly ScaleEvent[], nowUs: number) {
  const cutoff = nowUs - periodSeconds * 1_000_000;
  let sum = 0;
  for (const e of events) if (e.timestampUs > cutoff) sum += e.change;
  return sum;
}

/** calculateScaleUpLimitWithScalingRules. */
export function scaleUpLimit(
  current: number,
  events: readonly ScaleEvent[],
  rules: ScalingRules,
  nowUs: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.min : Math.max;
  let result = rules.selectPolicy === 'Min' ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current - changeInPeriod(p.periodSeconds, events, nowUs);
    const proposed = p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/** calculateScaleDownLimitWithBehaviors. */
export function scaleDownLimit(
  current: number,
  events: readonly ScaleEvent[],
  rules: ScalingRules,
  nowUs: number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const pick = rules.selectPolicy === 'Min' ? Math.max : Math.min;
  let result = rules.selectPolicy === 'Min' ? Number.MIN_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
  for (const p of rules.policies ?? []) {
    const start = current + changeInPeriod(p.periodSeconds, events, nowUs);
    const proposed = p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100));
    result = pick(result, proposed);
  }
  return result;
}

/**
 * storeScaleEvent: remembers a rescale for the policies of its direction, reusing the slot of
 * an event older than their longest period.
 */
export function storeScaleEvent(
  history: ScaleHistory,
  scaleUp: ScalingRules,
  scaleDown: ScalingRules,
  previous: number,
  next: number,
  nowUs: number,
): void {
  const up = next > previous;
  const rules = up ? scaleUp : scaleDown;
  const longestUs = Math.max(0, ...(rules.policies ?? []).map((p) => p.periodSeconds)) * 1_000_000;
  const events = (up ? history.scaleUpEvents : history.scaleDownEvents).map((e) =>
    e.timestampUs < nowUs - longestUs ? { ...e, outdated: true } : e,
  );
  const event: ScaleEvent = {
    change: Math.abs(next - previous),
    timestampUs: nowUs,
    outdated: false,
  };
  const slot = events.findIndex((e) => e.outdated);
  if (slot >= 0) events[slot] = event;
  else events.push(event);
  if (up) history.scaleUpEvents = events;
  else history.scaleDownEvents = events;
}
