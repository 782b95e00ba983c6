/**
 * Pod-level derived values: effective resource requests (component-helpers/resource PodRequests),
 * QoS class (pkg/apis/core/v1/helper/qos ComputePodQOS) and readiness.
 */
import { getCondition } from './conditions.ts';
import type { Container, Pod, PodCondition, PodQOSClass, ResourceList } from './pod-types.ts';
import { add, cmp, formatQuantity, mustParseQuantity, type Quantity } from './quantity.ts';
import { RESOURCE_CPU, RESOURCE_MEMORY, resourceAmount } from './resource-list.ts';
import { parseTime } from './time.ts';

/** The annotation that marks a mirror pod: the API's copy of a kubelet's static pod. */
export const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

type QuantityMap = Map<string, Quantity>;

function addInto(acc: QuantityMap, list: ResourceList | undefined): void {
  for (const [name, s] of Object.entries(list ?? {})) {
    const q = mustParseQuantity(s);
    const prev = acc.get(name);
    acc.set(name, prev === undefined ? q : add(prev, q));
  }
}

function maxInto(acc: QuantityMap, other: QuantityMap): void {
  for (const [name, q] of other) {
    const prev = acc.get(name);
    if (prev === undefined || cmp(q, prev) > 0) acc.set(name, q);
  }
}

function isSidecar(c: Container): boolean {
  return c.restartPolicy === 'Always';
}

/**
 * Sum of regular containers and sidecars, raised to what the init phase needs (each init container
 * runs alongside the sidecars started before it), plus overhead: for requests every overhead
 * entry, for limits only those the containers already limit (PodRequests and PodLimits).
 * Pod-level `spec.resources` and in-place resize status are not modelled.
 */
function podResourceQuantities(
  pod: Pod,
  field: 'requests' | 'limits',
  withOverhead = true,
): QuantityMap {
  const total: QuantityMap = new Map();
  for (const c of pod.spec.containers) addInto(total, c.resources?.[field]);
  const sidecars: QuantityMap = new Map();
  const initPeak: QuantityMap = new Map();
  for (const c of pod.spec.initContainers ?? []) {
    if (isSidecar(c)) {
      addInto(total, c.resources?.[field]);
      addInto(sidecars, c.resources?.[field]);
      maxInto(initPeak, sidecars);
    } else {
      const combined: QuantityMap = new Map(sidecars);
      addInto(combined, c.resources?.[field]);
      maxInto(initPeak, combined);
    }
  }
  maxInto(total, initPeak);
  if (!withOverhead) return total;
  if (field === 'requests') addInto(total, pod.spec.overhead);
  else {
    for (const [name, s] of Object.entries(pod.spec.overhead ?? {})) {
      const limit = total.get(name);
      if (limit !== undefined) total.set(name, add(limit, mustParseQuantity(s)));
    }
  }
  return total;
}

/**
 * What the pod's containers request or limit together, without overhead (LimitRanger's own
 * podRequests and podLimits, which constrain what the user wrote).
 */
export function containerTotals(pod: Pod, field: 'requests' | 'limits'): ResourceList {
  const out: Record<string, string> = {};
  for (const [name, q] of podResourceQuantities(pod, field, false)) out[name] = formatQuantity(q);
  return out;
}

/** Effective limits (PodLimits) as a ResourceList of canonical quantity strings. */
export function podLimits(pod: Pod): ResourceList {
  const out: Record<string, string> = {};
  for (const [name, q] of podResourceQuantities(pod, 'limits')) out[name] = formatQuantity(q);
  return out;
}

/** Effective requests as a ResourceList of canonical quantity strings. */
export function podRequests(pod: Pod): ResourceList {
  const out: Record<string, string> = {};
  for (const [name, q] of podResourceQuantities(pod, 'requests')) out[name] = formatQuantity(q);
  return out;
}

const requestNumbers = new WeakMap<Pod['spec'], Readonly<Record<string, number>>>();

/**
 * Effective requests as numbers (cpu in millicores, others in base units), memoised per spec
 * object (they read nothing else): pods are immutable values, the scheduler asks for the same
 * pod many times, and a pod's later versions (bound, with a new status) and pods made from one
 * template object share their spec.
 */
export function podRequestsMillis(pod: Pod): Readonly<Record<string, number>> {
  let r = requestNumbers.get(pod.spec);
  if (r === undefined) {
    const out: Record<string, number> = {};
    for (const [name, q] of podResourceQuantities(pod, 'requests'))
      out[name] = resourceAmount(name, formatQuantity(q));
    r = Object.freeze(out);
    requestNumbers.set(pod.spec, r);
  }
  return r;
}

const QOS_RESOURCES: ReadonlySet<string> = new Set([RESOURCE_CPU, RESOURCE_MEMORY]);

/**
 * ComputePodQOS: BestEffort without any cpu/memory request or limit; Guaranteed when every
 * container limits both cpu and memory and the summed requests equal the summed limits;
 * Burstable otherwise. Only positive values count.
 */
export function computePodQOS(pod: Pod): PodQOSClass {
  const requests: QuantityMap = new Map();
  const limits: QuantityMap = new Map();
  let guaranteed = true;
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    for (const [name, s] of Object.entries(c.resources?.requests ?? {})) {
      const q = mustParseQuantity(s);
      if (!QOS_RESOURCES.has(name) || q.nanos <= 0n) continue;
      const prev = requests.get(name);
      requests.set(name, prev === undefined ? q : add(prev, q));
    }
    const limited = new Set<string>();
    for (const [name, s] of Object.entries(c.resources?.limits ?? {})) {
      const q = mustParseQuantity(s);
      if (!QOS_RESOURCES.has(name) || q.nanos <= 0n) continue;
      limited.add(name);
      const prev = limits.get(name);
      limits.set(name, prev === undefined ? q : add(prev, q));
    }
    if (!limited.has(RESOURCE_CPU) || !limited.has(RESOURCE_MEMORY)) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (lim === undefined || cmp(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}

/** status.qosClass when the API server has set it, else computed. */
export function podQOSClass(pod: Pod): PodQOSClass {
  return pod.status?.qosClass ?? computePodQOS(pod);
}

export function getPodCondition(pod: Pod, type: string): PodCondition | undefined {
  return getCondition(pod.status?.conditions, type);
}

export function isPodReady(pod: Pod): boolean {
  return getPodCondition(pod, 'Ready')?.status === 'True';
}

export function isPodScheduled(pod: Pod): boolean {
  return Boolean(pod.spec.nodeName);
}

export function isPodTerminal(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/**
 * Upstream IsPodAvailable: Ready, and (with minReadySeconds) Ready since strictly more than
 * minReadySeconds before clock time `nowUs`.
 */
export function isPodAvailable(pod: Pod, minReadySeconds: number, nowUs: number): boolean {
  return readyConditionAvailable(getPodCondition(pod, 'Ready'), minReadySeconds, nowUs);
}

/** isPodAvailable given the pod's Ready condition, for callers that already looked it up. */
export function readyConditionAvailable(
  ready: PodCondition | undefined,
  minReadySeconds: number,
  nowUs: number,
): boolean {
  if (ready?.status !== 'True') return false;
  if (minReadySeconds === 0) return true;
  const since =
    ready.lastTransitionTime === undefined ? undefined : parseTime(ready.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1_000_000 < nowUs;
}
