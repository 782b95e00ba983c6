/**
 * The resource metrics client of pkg/controller/podautoscaler/metrics (client.go,
 * resourceMetricsClient.GetResourceMetric): the PodMetrics of a namespace's pods matching the
 * selector, each pod's use of one resource summed over its containers (or one container's).
 * A pod with a container that reports no such resource is left out.
 */
import {
  METRICS_API_VERSION,
  type PodMetrics as PodMetricsObject,
} from '../../api/metrics-types.ts';
import { isQuantityError, milliValue, parseQuantity } from '../../api/quantity.ts';
import { parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { describeFailure } from '../common/api-errors.ts';
import type { PodMetric } from './replica-calculator.ts';

export type MetricsResult =
  | { readonly ok: true; readonly metrics: ReadonlyMap<string, PodMetric> }
  | { readonly ok: false; readonly error: string };

export async function resourceMetrics(
  api: ApiClient,
  resource: string,
  namespace: string,
  selector: string,
  container: string | undefined,
): Promise<MetricsResult> {
  const fail = (why: string): MetricsResult => ({
    ok: false,
    error: `unable to get metrics for resource ${resource}: ${why}`,
  });
  const r = await api.request<{ items?: readonly PodMetricsObject[] }>(
    'GET',
    `/apis/${METRICS_API_VERSION}/namespaces/${namespace}/pods`,
    { query: { labelSelector: selector } },
  );
  if (!r.ok)
    return fail(`unable to fetch metrics from resource metrics API: ${describeFailure(r)}`);
  const items = r.value.items ?? [];
  if (items.length === 0) return fail('no metrics returned from resource metrics API');
  const metrics = new Map<string, PodMetric>();
  for (const m of items) {
    const milli = podSum(m, resource, container);
    if (milli === undefined) continue;
    metrics.set(m.metadata.name ?? '', {
      milli,
      timestampUs: parseTime(m.timestamp) ?? 0,
      windowUs: durationUs(m.window),
    });
  }
  return { ok: true, metrics };
}

function podSum(m: PodMetricsObject, resource: string, container: string | undefined) {
  let sum = 0;
  let found = false;
  for (const c of m.containers) {
    if (container !== undefined && c.name !== container) continue;
    const text = (c.usage as unknown as Readonly<Record<string, string>>)[resource];
    if (text === undefined) return undefined;
    const q = parseQuantity(text);
    if (isQuantityError(q)) return undefined;
    sum += milliValue(q);
    found = true;
  }
  return found ? sum : undefined;
}

/** A Go duration as metrics-server writes a window ("15s", "1m0s"); 0 when unreadable. */
function durationUs(text: string): number {
  let us = 0;
  const scale: Readonly<Record<string, number>> = { h: 3_600e6, m: 60e6, s: 1e6, ms: 1e3 };
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    us += Number(n) * (scale[unit ?? 's'] ?? 0);
  }
  return Math.round(us);
}
