/**
 * The replica calculator of pkg/controller/podautoscaler/replica_calculator.go for resource
 * metrics: how many replicas bring the pods' average use to the target, given which pods are
 * ready, which are unready (pending, not yet ready, or still in their CPU initialization) and
 * which have no metrics. Pure: the controller hands in the pods and the metrics it read.
 *
 * Amounts are in milli-units (millicores; memory in milli-bytes), as upstream's MilliValue.
 */

/** What the calculator reads of a pod (the controller builds it from the Pod). */
export interface PodView {
  readonly name: string;
  readonly phase: string;
  readonly deleting: boolean;
  readonly startTimeUs: number | undefined;
  /** The Ready condition, if the pod has one. */
  readonly ready: { readonly status: string; readonly lastTransitionUs: number } | undefined;
  /** Each container's request of the resource (undefined: none set). */
  readonly requests: readonly { readonly container: string; readonly milli: number | undefined }[];
}

export interface PodMetric {
  readonly milli: number;
  readonly timestampUs: number;
  readonly windowUs: number;
}

export type PodMetrics = ReadonlyMap<string, PodMetric>;

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance. */
  readonly tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period. */
  readonly cpuInitializationPeriodUs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay. */
  readonly initialReadinessDelayUs: number;
}

export const DEFAULT_CALCULATOR: CalculatorOptions = {
  tolerance: 0.1,
  cpuInitializationPeriodUs: 300_000_000,
  initialReadinessDelayUs: 30_000_000,
};

export type Calculation =
  | {
      readonly ok: true;
      readonly replicas: number;
      /** The average utilization in percent of the request (Utilization targets only). */
      readonly utilization: number;
      /** The average use per pod, milli-units. */
      readonly rawAverageMilli: number;
      readonly timestampUs: number;
    }
  | { readonly ok: false; readonly error: string };

interface Groups {
  readonly readyCount: number;
  readonly unready: ReadonlySet<string>;
  readonly missing: ReadonlySet<string>;
  readonly ignored: ReadonlySet<string>;
}

/** groupPods: sorts pods into ready, unready, missing and ignored. */
export function groupPods(
  pods: readonly PodView[],
  metrics: PodMetrics,
  resource: string,
  nowUs: number,
  options: CalculatorOptions,
): Groups {
  let readyCount = 0;
  const unready = new Set<string>();
  const missing = new Set<string>();
  const ignored = new Set<string>();
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') {
      ignored.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      unready.add(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (metric === undefined) {
      missing.add(pod.name);
      continue;
    }
    if (resource === 'cpu' && isUnreadyForCpu(pod, metric, nowUs, options)) {
      unready.add(pod.name);
      continue;
    }
    readyCount++;
  }
  return { readyCount, unready, missing, ignored };
}

/**
 * A pod's CPU sample is not trusted while it starts: within the initialization period unless it
 * is ready and the sample was taken a whole window after it became ready; after it, only if it
 * never became ready within the initial readiness delay of its start.
 */
function isUnreadyForCpu(
  pod: PodView,
  metric: PodMetric,
  nowUs: number,
  options: CalculatorOptions,
): boolean {
  const ready = pod.ready;
  if (ready === undefined || pod.startTimeUs === undefined) return true;
  if (pod.startTimeUs + options.cpuInitializationPeriodUs > nowUs) {
    return (
      ready.status === 'False' || metric.timestampUs < ready.lastTransitionUs + metric.windowUs
    );
  }
  return (
    ready.status === 'False' &&
    pod.startTimeUs + options.initialReadinessDelayUs > ready.lastTransitionUs
  );
}

/** calculatePodRequests: each pod's summed request, or the first container without one. */
function podRequests(pods: readonly PodView[], resource: string): Map<string, number> | string {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    let sum = 0;
    for (const c of pod.requests) {
      if (c.milli === undefined)
        return `missing request for ${resource} in container ${c.container} of Pod ${pod.name}`;
      sum += c.milli;
    }
    requests.set(pod.name, sum);
  }
  return requests;
}

/** GetResourceUtilizationRatio: over the pods that have both a metric and a request. */
function utilizationRatio(
  metrics: PodMetrics,
  requests: ReadonlyMap<string, number>,
  targetUtilization: number,
): { ratio: number; utilization: number; rawAverageMilli: number } | string {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    metricsTotal += m.milli;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) return 'no metrics returned matched known pods';
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return {
    ratio: utilization / targetUtilization,
    utilization,
    rawAverageMilli: Math.trunc(metricsTotal / entries),
  };
}

function without(metrics: PodMetrics, names: ReadonlySet<string>): Map<string, PodMetric> {
  return new Map([...metrics].filter(([name]) => !names.has(name)));
}

function latest(metrics: PodMetrics): number {
  let t = 0;
  for (const m of metrics.values()) t = Math.max(t, m.timestampUs);
  return t;
}

/** GetResourceReplicas: a Utilization target (percent of the pods' requests). */
export function resourceReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  pods: readonly PodView[],
  allMetrics: PodMetrics,
  nowUs: number,
  options: CalculatorOptions = DEFAULT_CALCULATOR,
): Calculation {
  const usable = usableMetrics(pods, allMetrics, resource, nowUs, options);
  if (typeof usable === 'string') return { ok: false, error: usable };
  const requests = podRequests(pods, resource);
  if (typeof requests === 'string') return { ok: false, error: requests };
  const first = utilizationRatio(usable.metrics, requests, targetUtilization);
  if (typeof first === 'string') return { ok: false, error: first };
  // On a scale-down missing pods count as using max(100 %, the target) of their request, on
  // a scale-up as using nothing: either way they damp the change.
  const fallback = Math.max(100, targetUtilization);
  const replicas = scaledReplicas(currentReplicas, usable, first.ratio, options, {
    missingMilli: (name) => (first.ratio < 1 ? ((requests.get(name) ?? 0) * fallback) / 100 : 0),
    ratioOf: (metrics) => {
      const second = utilizationRatio(metrics, requests, targetUtilization);
      return typeof second === 'string' ? second : second.ratio;
    },
  });
  if (typeof replicas === 'string') return { ok: false, error: replicas };
  return {
    ok: true,
    replicas,
    utilization: first.utilization,
    rawAverageMilli: first.rawAverageMilli,
    timestampUs: latest(allMetrics),
  };
}

/** GetRawResourceReplicas: an AverageValue target (milli-units per pod). */
export function rawResourceReplicas(
  currentReplicas: number,
  targetAverageMilli: number,
  resource: string,
  pods: readonly PodView[],
  allMetrics: PodMetrics,
  nowUs: number,
  options: CalculatorOptions = DEFAULT_CALCULATOR,
): Calculation {
  const usable = usableMetrics(pods, allMetrics, resource, nowUs, options);
  if (typeof usable === 'string') return { ok: false, error: usable };
  const average = (m: ReadonlyMap<string, PodMetric>): number => {
    let sum = 0;
    for (const v of m.values()) sum += v.milli;
    return Math.trunc(sum / m.size);
  };
  const rawAverageMilli = average(usable.metrics);
  const ratio = rawAverageMilli / targetAverageMilli;
  const replicas = scaledReplicas(currentReplicas, usable, ratio, options, {
    missingMilli: () => (ratio < 1 ? targetAverageMilli : 0),
    ratioOf: (metrics) => average(metrics) / targetAverageMilli,
  });
  if (typeof replicas === 'string') return { ok: false, error: replicas };
  return { ok: true, replicas, utilization: 0, rawAverageMilli, timestampUs: latest(allMetrics) };
}

/** The pods sorted into groups, and the metrics of the ready ones; or why there are none. */
function usableMetrics(
  pods: readonly PodView[],
  allMetrics: PodMetrics,
  resource: string,
  nowUs: number,
  options: CalculatorOptions,
): { groups: Groups; metrics: Map<string, PodMetric> } | string {
  if (pods.length === 0) return 'no pods returned by selector while calculating replica count';
  const groups = groupPods(pods, allMetrics, resource, nowUs, options);
  const metrics = without(without(allMetrics, groups.ignored), groups.unready);
  if (metrics.size === 0)
    return 'did not receive metrics for targeted pods (pods might be unready)';
  return { groups, metrics };
}

/**
 * The replica count for a usage `ratio` to the target, as both calculators end: the ready pods
 * scaled by it, unless pods are missing metrics or a scale-up has unready pods; then those are
 * filled in (missing ones with `missingMilli`, unready ones as using nothing), the ratio is
 * taken again with `ratioOf`, and the change is damped.
 */
function scaledReplicas(
  currentReplicas: number,
  { groups, metrics }: { groups: Groups; metrics: Map<string, PodMetric> },
  ratio: number,
  options: CalculatorOptions,
  fill: {
    missingMilli: (pod: string) => number;
    ratioOf: (metrics: ReadonlyMap<string, PodMetric>) => number | string;
  },
): number | string {
  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (Math.abs(1 - ratio) <= options.tolerance) return currentReplicas;
    return Math.ceil(ratio * groups.readyCount);
  }
  if (ratio !== 1) {
    for (const name of groups.missing)
      metrics.set(name, { milli: fill.missingMilli(name), timestampUs: 0, windowUs: 0 });
  }
  if (scaleUpWithUnready) {
    for (const name of groups.unready) metrics.set(name, { milli: 0, timestampUs: 0, windowUs: 0 });
  }
  const newRatio = fill.ratioOf(metrics);
  if (typeof newRatio === 'string') return newRatio;
  return dampedReplicas(currentReplicas, ratio, newRatio, metrics.size, options);
}

/**
 * After filling in the missing and unready pods: no change when the new ratio is within
 * tolerance or points the other way, nor when the count would move against the ratio.
 */
function dampedReplicas(
  currentReplicas: number,
  ratio: number,
  newRatio: number,
  podCount: number,
  options: CalculatorOptions,
): number {
  if (
    Math.abs(1 - newRatio) <= options.tolerance ||
    (ratio < 1 && newRatio > 1) ||
    (ratio > 1 && newRatio < 1)
  ) {
    return currentReplicas;
  }
  const replicas = Math.ceil(newRatio * podCount);
  if ((newRatio < 1 && replicas > currentReplicas) || (newRatio > 1 && replicas < currentReplicas))
    return currentReplicas;
  return replicas;
}
