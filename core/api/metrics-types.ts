/**
 * metrics.k8s.io/v1beta1 (staging/src/k8s.io/metrics/pkg/apis/metrics/v1beta1/types.go): the
 * resource metrics metrics-server serves through the API server. Never stored: each answer is
 * built from the latest scrape of the kubelets.
 */
import type { ObjectMeta } from './meta-types.ts';

export const METRICS_GROUP = 'metrics.k8s.io';
export const METRICS_VERSION = 'v1beta1';
export const METRICS_API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;

/** cpu and memory as quantities ("125000000n", "65536Ki"), as metrics-server prints them. */
export interface ResourceUsageList {
  readonly cpu: string;
  readonly memory: string;
}

export interface NodeMetrics {
  readonly apiVersion: typeof METRICS_API_VERSION;
  readonly kind: 'NodeMetrics';
  readonly metadata: ObjectMeta;
  /** When the usage was sampled (RFC 3339). */
  readonly timestamp: string;
  /** Over how long the usage was averaged (a Go duration, "15s"). */
  readonly window: string;
  readonly usage: ResourceUsageList;
}

export interface ContainerMetrics {
  readonly name: string;
  readonly usage: ResourceUsageList;
}

export interface PodMetrics {
  readonly apiVersion: typeof METRICS_API_VERSION;
  readonly kind: 'PodMetrics';
  readonly metadata: ObjectMeta;
  readonly timestamp: string;
  readonly window: string;
  readonly containers: readonly ContainerMetrics[];
}

export interface MetricsList<T> {
  readonly apiVersion: typeof METRICS_API_VERSION;
  readonly kind: 'NodeMetricsList' | 'PodMetricsList';
  readonly metadata: { readonly resourceVersion?: string };
  readonly items: readonly T[];
}

/** CPU as metrics-server writes it: whole nanocores. */
export function cpuQuantity(millicores: number): string {
  return `${Math.round(millicores * 1_000_000)}n`;
}

/** Memory as metrics-server writes it: whole kibibytes. */
export function memoryQuantity(bytes: number): string {
  return `${Math.round(bytes / 1024)}Ki`;
}
