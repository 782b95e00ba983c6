/**
 * Everything the scheduler derives from a pod, computed once per pod object
 * (pkg/scheduler/framework/types.go PodInfo, CalculateResource): requests as numbers, the
 * non-zero cpu/memory used for scoring, host ports, parsed affinity terms and image names.
 * Pods are immutable values, so the result is memoised per object.
 */
import type { Container, Pod, Protocol, Toleration } from '../../api/pod-types.ts';
import { podRequestsMillis } from '../../api/pod-helpers.ts';
import { bytes, cpuMillis, RESOURCE_CPU, RESOURCE_MEMORY } from '../../api/resource-list.ts';
import type { Labels } from '../../api/selectors.ts';
import {
  newAffinityTerms,
  newWeightedAffinityTerms,
  TermParseError,
  type AffinityTerm,
  type WeightedAffinityTerm,
} from './affinity-term.ts';
import { Resource } from './resource.ts';

/** pkg/scheduler/util/pod_resources.go: what a container without a request is scored as. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface HostPort {
  readonly ip: string;
  readonly protocol: Protocol;
  readonly port: number;
}

export interface PodInfo {
  readonly pod: Pod;
  /** The cache and queue key: the UID, or namespace/name for pods created without one. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly priority: number;
  readonly tolerations: readonly Toleration[];
  /** Effective requests (init containers, sidecars and overhead included). */
  readonly requests: Resource;
  /** cpu/memory with upstream's per-container defaults for missing requests (scoring only). */
  readonly nonZeroMilliCPU: number;
  readonly nonZeroMemory: number;
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinityTerms: readonly AffinityTerm[];
  readonly requiredAntiAffinityTerms: readonly AffinityTerm[];
  readonly preferredAffinityTerms: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinityTerms: readonly WeightedAffinityTerm[];
  /** True when the pod has any pod affinity or anti-affinity (NodeInfo.PodsWithAffinity). */
  readonly hasAffinity: boolean;
  readonly hasRequiredAntiAffinity: boolean;
  /** A selector in an affinity term did not parse; affinity plugins fail with this message. */
  readonly parseError: string | undefined;
  /** Normalised image names of init and regular containers (ImageLocality). */
  readonly images: readonly string[];
}

const memo = new WeakMap<Pod, PodInfo>();

export function podKey(pod: Pod): string {
  const uid = pod.metadata.uid;
  if (uid !== undefined && uid !== '') return uid;
  return `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`;
}

/**
 * With `previous` (the PodInfo of an earlier version of the same pod), what the new version
 * shares with it by reference is not derived again: a binding or a status write changes
 * neither containers nor affinity, and upstream's PodInfo.Update likewise keeps the derived
 * fields of the same pod.
 */
export function podInfoOf(pod: Pod, previous?: PodInfo): PodInfo {
  let pi = memo.get(pod);
  if (pi === undefined) {
    pi =
      previous !== undefined && sameDerivedInputs(previous.pod, pod)
        ? { ...previous, pod }
        : compute(pod);
    memo.set(pod, pi);
  }
  return pi;
}

/** The PodInfo already derived for this pod object, if any (never computes one). */
export function cachedPodInfo(pod: Pod): PodInfo | undefined {
  return memo.get(pod);
}

/**
 * Whether every field `compute` reads is the same value or the same (immutable) object in
 * both versions, so the derived fields carry over unchanged.
 */
function sameDerivedInputs(a: Pod, b: Pod): boolean {
  if (a === b) return true;
  const am = a.metadata;
  const bm = b.metadata;
  const as = a.spec;
  const bs = b.spec;
  return (
    am.uid === bm.uid &&
    am.name === bm.name &&
    am.namespace === bm.namespace &&
    am.labels === bm.labels &&
    as.containers === bs.containers &&
    as.initContainers === bs.initContainers &&
    as.overhead === bs.overhead &&
    as.affinity === bs.affinity &&
    as.tolerations === bs.tolerations &&
    as.priority === bs.priority
  );
}

export function podPriority(pod: Pod): number {
  return pod.spec.priority ?? 0;
}

function compute(pod: Pod): PodInfo {
  const requests = new Resource();
  for (const [name, amount] of Object.entries(podRequestsMillis(pod)))
    requests.addNamed(name, amount);
  const nonZero = nonZeroRequests(pod);
  const aff = pod.spec.affinity;
  // Each group parses on its own and names itself in the error, as NewPodInfo's aggregate does
  // ("requiredAffinityTerms: ..."), so one bad term does not hide another group's.
  const parseErrors: string[] = [];
  const parsed = <T>(group: string, parse: () => T[]): T[] => {
    try {
      return parse();
    } catch (e) {
      if (!(e instanceof TermParseError)) throw e;
      parseErrors.push(`${group}: ${e.message}`);
      return [];
    }
  };
  const terms = {
    requiredAffinityTerms: parsed('requiredAffinityTerms', () =>
      newAffinityTerms(pod, aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    ),
    requiredAntiAffinityTerms: parsed('requiredAntiAffinityTerms', () =>
      newAffinityTerms(pod, aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    ),
    preferredAffinityTerms: parsed('preferredAffinityTerms', () =>
      newWeightedAffinityTerms(
        pod,
        aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      ),
    ),
    preferredAntiAffinityTerms: parsed('preferredAntiAffinityTerms', () =>
      newWeightedAffinityTerms(
        pod,
        aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      ),
    ),
  };
  // utilerrors.NewAggregate's text: one error as is, several in brackets.
  const parseError =
    parseErrors.length === 0
      ? undefined
      : `parsing pod: ${parseErrors.length === 1 ? parseErrors[0] : `[${parseErrors.join(', ')}]`}`;
  return {
    pod,
    key: podKey(pod),
    namespace: pod.metadata.namespace ?? 'default',
    name: pod.metadata.name ?? '',
    labels: pod.metadata.labels,
    priority: podPriority(pod),
    tolerations: pod.spec.tolerations ?? [],
    requests,
    nonZeroMilliCPU: nonZero.cpu,
    nonZeroMemory: nonZero.memory,
    hostPorts: hostPortsOf(pod),
    ...terms,
    hasAffinity: aff?.podAffinity !== undefined || aff?.podAntiAffinity !== undefined,
    hasRequiredAntiAffinity: terms.requiredAntiAffinityTerms.length > 0,
    parseError,
    images: [...(pod.spec.initContainers ?? []), ...pod.spec.containers]
      // A manifest may carry `image: null`; like an absent or empty image it names nothing.
      .flatMap((c) =>
        typeof c.image === 'string' && c.image !== '' ? [normalizedImageName(c.image)] : [],
      ),
  };
}

interface CpuMem {
  cpu: number;
  memory: number;
}

function containerNonZero(c: Container): CpuMem {
  const r = c.resources?.requests;
  const cpu = r?.[RESOURCE_CPU];
  const mem = r?.[RESOURCE_MEMORY];
  return {
    cpu: cpu === undefined ? DEFAULT_MILLI_CPU_REQUEST : cpuMillis(cpu),
    memory: mem === undefined ? DEFAULT_MEMORY_REQUEST : bytes(mem),
  };
}

/**
 * resourcehelper.PodRequests with NonMissingContainerRequests (component-helpers/resource):
 * the same init/sidecar arithmetic as the real requests, with 100m / 200Mi standing in for a
 * container's missing cpu / memory request.
 */
function nonZeroRequests(pod: Pod): CpuMem {
  const sum: CpuMem = { cpu: 0, memory: 0 };
  for (const c of pod.spec.containers) {
    const r = containerNonZero(c);
    sum.cpu += r.cpu;
    sum.memory += r.memory;
  }
  const sidecars: CpuMem = { cpu: 0, memory: 0 };
  const initPeak: CpuMem = { cpu: 0, memory: 0 };
  for (const c of pod.spec.initContainers ?? []) {
    const r = containerNonZero(c);
    if (c.restartPolicy === 'Always') {
      sum.cpu += r.cpu;
      sum.memory += r.memory;
      sidecars.cpu += r.cpu;
      sidecars.memory += r.memory;
      initPeak.cpu = Math.max(initPeak.cpu, sidecars.cpu);
      initPeak.memory = Math.max(initPeak.memory, sidecars.memory);
    } else {
      initPeak.cpu = Math.max(initPeak.cpu, sidecars.cpu + r.cpu);
      initPeak.memory = Math.max(initPeak.memory, sidecars.memory + r.memory);
    }
  }
  const overhead = pod.spec.overhead;
  return {
    cpu:
      Math.max(sum.cpu, initPeak.cpu) + (overhead?.cpu === undefined ? 0 : cpuMillis(overhead.cpu)),
    memory:
      Math.max(sum.memory, initPeak.memory) +
      (overhead?.memory === undefined ? 0 : bytes(overhead.memory)),
  };
}

/** Host ports of regular containers and sidecars (NodePorts getContainerPorts). */
function hostPortsOf(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const containers = [
    ...pod.spec.containers,
    ...(pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers)
    for (const p of c.ports ?? []) {
      if (p.hostPort === undefined || p.hostPort <= 0) continue;
      out.push({
        ip: p.hostIP || DEFAULT_BIND_ALL_HOST_IP,
        protocol: p.protocol ?? 'TCP',
        port: p.hostPort,
      });
    }
  return out;
}

export const DEFAULT_BIND_ALL_HOST_IP = '0.0.0.0';

/**
 * ImageLocality normalizedImageName: an image without a tag gets ":latest"; a registry port's
 * ":" before the last "/" is not a tag.
 */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}
