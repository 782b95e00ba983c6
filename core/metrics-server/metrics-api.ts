/**
 * metrics.k8s.io/v1beta1 as metrics-server serves it (pkg/api: node.go, pod.go): NodeMetrics
 * and PodMetrics, get and list, namespaced pods, label selectors. Which nodes and pods exist,
 * and their labels, come from the informers; their usage from the latest scrape. An object
 * without a sample is left out of a list and NotFound by name, as upstream answers.
 */
import * as errors from '../api/errors.ts';
import type { ApiResponse } from '../api/http.ts';
import type { KObject } from '../api/types.ts';
import type { ObjectMeta } from '../api/meta-types.ts';
import {
  cpuQuantity,
  memoryQuantity,
  METRICS_API_VERSION,
  type NodeMetrics,
  type PodMetrics,
} from '../api/metrics-types.ts';
import { isSelectorError, parseSelector, type LabelMatcher } from '../api/selectors.ts';
import type { Status } from '../api/status-types.ts';
import { formatTime } from '../api/time.ts';
import type { MetricsStorage } from './storage.ts';

const PREFIX = `/apis/${METRICS_API_VERSION}`;

/** What the API serves from: the informers' objects, the storage, and the clock. */
export interface MetricsSource {
  readonly nodes: () => readonly KObject[];
  readonly pods: () => readonly KObject[];
  readonly storage: MetricsStorage;
  readonly nowUs: () => number;
  /** The window each sample stands for, as a Go duration ("15s"). */
  readonly window: string;
}

/** The APIResourceList the aggregator finds at /apis/metrics.k8s.io/v1beta1. */
export const METRICS_RESOURCE_LIST = {
  kind: 'APIResourceList',
  apiVersion: 'v1',
  groupVersion: METRICS_API_VERSION,
  resources: [
    {
      name: 'nodes',
      singularName: '',
      namespaced: false,
      kind: 'NodeMetrics',
      verbs: ['get', 'list'],
    },
    {
      name: 'pods',
      singularName: '',
      namespaced: true,
      kind: 'PodMetrics',
      verbs: ['get', 'list'],
    },
  ],
};

type Route =
  | { readonly kind: 'discovery' }
  | { readonly kind: 'nodes'; readonly name?: string }
  | { readonly kind: 'pods'; readonly namespace?: string; readonly name?: string };

function route(path: string): Route | undefined {
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  if (trimmed === PREFIX) return { kind: 'discovery' };
  if (!trimmed.startsWith(`${PREFIX}/`)) return undefined;
  const parts = trimmed.slice(PREFIX.length + 1).split('/');
  const [a, b, c, d, ...rest] = parts;
  if (rest.length > 0) return undefined;
  if (a === 'nodes' && c === undefined)
    return b === undefined ? { kind: 'nodes' } : { kind: 'nodes', name: b };
  if (a === 'pods' && b === undefined) return { kind: 'pods' };
  if (a === 'namespaces' && b !== undefined && c === 'pods') {
    return d === undefined
      ? { kind: 'pods', namespace: b }
      : { kind: 'pods', namespace: b, name: d };
  }
  return undefined;
}

const reply = (body: unknown): ApiResponse => ({ status: 200, body });
const statusReply = (s: Status): ApiResponse => ({ status: s.code ?? 500, body: s });

/** Answers one GET already authorized by the API server. */
export function serveMetrics(
  source: MetricsSource,
  method: string,
  path: string,
  query: Readonly<Record<string, string>>,
): ApiResponse {
  const r = route(path);
  if (r === undefined)
    return statusReply(
      errors.notFound('', `the server could not find the requested resource (${path})`),
    );
  if (method !== 'GET')
    return statusReply(
      errors.methodNotSupported(r.kind === 'discovery' ? '' : r.kind, method.toLowerCase()),
    );
  if (r.kind === 'discovery') return reply(METRICS_RESOURCE_LIST);
  const selector = parseSelector(query.labelSelector ?? '');
  if (isSelectorError(selector)) return statusReply(errors.badRequest(selector.message));
  return r.kind === 'nodes'
    ? nodes(source, r.name, selector)
    : pods(source, r.namespace, r.name, selector);
}

function nodes(
  source: MetricsSource,
  name: string | undefined,
  selector: LabelMatcher,
): ApiResponse {
  const objects = source
    .nodes()
    .filter((n) =>
      name === undefined ? selector.matches(n.metadata.labels) : n.metadata.name === name,
    );
  const items = sortByName(objects).flatMap((n) => {
    const m = nodeMetrics(source, n);
    return m === undefined ? [] : [m];
  });
  if (name !== undefined) {
    return items[0] === undefined
      ? statusReply(errors.notFound('nodes.metrics.k8s.io', name))
      : reply(items[0]);
  }
  return reply({ apiVersion: METRICS_API_VERSION, kind: 'NodeMetricsList', metadata: {}, items });
}

function pods(
  source: MetricsSource,
  namespace: string | undefined,
  name: string | undefined,
  selector: LabelMatcher,
): ApiResponse {
  const objects = source
    .pods()
    .filter(
      (p) =>
        (namespace === undefined || p.metadata.namespace === namespace) &&
        (name === undefined ? selector.matches(p.metadata.labels) : p.metadata.name === name),
    );
  const items = sortByName(objects).flatMap((p) => {
    const m = podMetrics(source, p);
    return m === undefined ? [] : [m];
  });
  if (name !== undefined) {
    return items[0] === undefined
      ? statusReply(errors.notFound('pods.metrics.k8s.io', `${namespace ?? ''}/${name}`))
      : reply(items[0]);
  }
  return reply({ apiVersion: METRICS_API_VERSION, kind: 'PodMetricsList', metadata: {}, items });
}

function meta(source: MetricsSource, obj: KObject): ObjectMeta {
  return {
    name: obj.metadata.name ?? '',
    ...(obj.metadata.namespace === undefined ? {} : { namespace: obj.metadata.namespace }),
    creationTimestamp: formatTime(source.nowUs()),
    ...(obj.metadata.labels === undefined ? {} : { labels: obj.metadata.labels }),
  };
}

function nodeMetrics(source: MetricsSource, node: KObject): NodeMetrics | undefined {
  const s = source.storage.node(node.metadata.name ?? '');
  if (s === undefined) return undefined;
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'NodeMetrics',
    metadata: meta(source, node),
    timestamp: formatTime(s.timestampUs),
    window: source.window,
    usage: { cpu: cpuQuantity(s.cpuMillicores), memory: memoryQuantity(s.memoryBytes) },
  };
}

function podMetrics(source: MetricsSource, pod: KObject): PodMetrics | undefined {
  const s = source.storage.pod(pod.metadata.namespace ?? '', pod.metadata.name ?? '');
  if (s === undefined) return undefined;
  return {
    apiVersion: METRICS_API_VERSION,
    kind: 'PodMetrics',
    metadata: meta(source, pod),
    timestamp: formatTime(s.timestampUs),
    window: source.window,
    containers: s.sample.containers.map((c) => ({
      name: c.name,
      usage: { cpu: cpuQuantity(c.cpuMillicores), memory: memoryQuantity(c.memoryBytes) },
    })),
  };
}

function sortByName<T extends KObject>(objects: readonly T[]): T[] {
  const key = (o: T) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;
  return [...objects].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
