/** policy/v1 PodDisruptionBudget and Eviction (staging/src/k8s.io/api/policy/v1/types.go). */
import type { ConditionStatus, LabelSelector, ObjectMeta, Time } from './meta-types.ts';

/** An int or a percentage string such as "50%" (apimachinery intstr.IntOrString). */
export type IntOrString = number | string;

export interface PodDisruptionBudgetSpec {
  readonly minAvailable?: IntOrString;
  readonly maxUnavailable?: IntOrString;
  readonly selector?: LabelSelector;
  readonly unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow';
}

export interface PodDisruptionBudgetCondition {
  readonly type: 'DisruptionAllowed' | (string & {});
  readonly status: ConditionStatus;
  readonly reason?: string;
  readonly message?: string;
  readonly lastTransitionTime?: Time;
  readonly observedGeneration?: number;
}

export interface PodDisruptionBudgetStatus {
  readonly observedGeneration?: number;
  /** Pods evicted through the API whose deletion the controller has not observed yet: name -> time. */
  readonly disruptedPods?: Readonly<Record<string, Time>>;
  readonly disruptionsAllowed: number;
  readonly currentHealthy: number;
  readonly desiredHealthy: number;
  readonly expectedPods: number;
  readonly conditions?: readonly PodDisruptionBudgetCondition[];
}

export interface PodDisruptionBudget {
  readonly apiVersion: 'policy/v1';
  readonly kind: 'PodDisruptionBudget';
  readonly metadata: ObjectMeta;
  readonly spec: PodDisruptionBudgetSpec;
  readonly status?: PodDisruptionBudgetStatus;
}

/** The body of POST pods/{name}/eviction. */
export interface Eviction {
  readonly apiVersion?: 'policy/v1';
  readonly kind?: 'Eviction';
  readonly metadata?: ObjectMeta;
  readonly deleteOptions?: { readonly gracePeriodSeconds?: number };
}

/**
 * intstr.GetScaledValueFromIntOrPercent: an int as is, "N%" of `total`, rounded up or down.
 * Returns undefined for a malformed value.
 */
export function scaledValue(
  value: IntOrString,
  total: number,
  roundUp: boolean,
): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  const m = /^(\d+)%$/.exec(value);
  if (m === null) return /^\d+$/.test(value) ? Number(value) : undefined;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
