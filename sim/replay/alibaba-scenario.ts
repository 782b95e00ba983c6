/**
 * A trace as a scenario: the trace's nodes as node pools (one per distinct shape, each node
 * keeping its own name), and each task as a Pod applied at its mapped creation time and deleted
 * at its mapped deletion time. The result is an ordinary scenario document: `ksim run` runs it,
 * `ksim replay --emit-scenario` writes it.
 *
 * GPUs, as kube-scheduler can see them (extended resources count, they do not place devices):
 * - a node with g GPUs has `nvidia.com/gpu: g` and `ksim.io/gpu-milli: g*1000` (its GPU
 *   capacity in thousandths of a GPU), and the label `ksim.io/gpu-model` (P100, T4, ...);
 * - a task with n whole GPUs requests `nvidia.com/gpu: n` and `ksim.io/gpu-milli: n*1000`;
 * - a GPU-sharing task (one GPU, m < 1000 thousandths of it) requests `ksim.io/gpu-milli: m`;
 * - gpu_spec (allowed GPU types) is a required node affinity `ksim.io/gpu-model In (...)`.
 * What this cannot express: which GPU of a node a share lands on. The scheduler checks the
 * node's total thousandths, so a node with two GPUs each 500 free accepts a 600 task that no
 * single GPU could hold: the per-GPU fragmentation the paper studies is invisible to it.
 */
import type { TraceNode, TracePod } from './alibaba-csv.ts';
import type { TimedPod } from './time-mapping.ts';

export const GPU_RESOURCE = 'nvidia.com/gpu';
export const GPU_MILLI_RESOURCE = 'ksim.io/gpu-milli';
export const GPU_MODEL_LABEL = 'ksim.io/gpu-model';
export const QOS_LABEL = 'ksim.io/qos';
export const TRACE_LABEL = 'ksim.io/trace';
export const TRACE_NAME = 'alibaba-gpu-2023';
export const REPLAY_NAMESPACE = 'default';
/** A container that runs until it is deleted; the simulated runtime needs only its name. */
const TASK_IMAGE = 'registry.k8s.io/pause:3.10';

/**
 * 1,523 nodes do not fit the default pod network (10.244.0.0/14: 1,024 nodes with a /24 each);
 * a /12 has room for 4,096 and stays clear of the default service range 10.96.0.0/12.
 */
export const REPLAY_POD_NETWORK = { clusterCIDR: '10.0.0.0/12', nodeCIDRMaskSize: 24 } as const;

/** A task lives at least this long, so that its creation is answered before its deletion. */
export const MIN_LIFETIME_US = 1_000_000;

export interface ReplayScenarioOptions {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  /** The scenario's duration: the run stops here at the latest. */
  readonly durationUs: number;
}

/** The resources a node offers, as kubelet capacity. */
export function nodeCapacity(n: TraceNode): Record<string, string> {
  return {
    cpu: `${n.cpuMilli}m`,
    memory: `${n.memoryMiB}Mi`,
    ...(n.gpus === 0
      ? {}
      : { [GPU_RESOURCE]: String(n.gpus), [GPU_MILLI_RESOURCE]: String(n.gpus * 1000) }),
  };
}

/** What a task requests; extended resources are also its limits (they cannot be overcommitted). */
export function podRequests(p: TracePod): {
  requests: Record<string, string>;
  limits: Record<string, string>;
} {
  const requests: Record<string, string> = {};
  if (p.cpuMilli > 0) requests.cpu = `${p.cpuMilli}m`;
  if (p.memoryMiB > 0) requests.memory = `${p.memoryMiB}Mi`;
  const limits: Record<string, string> = {};
  if (p.numGpu > 0) {
    if (p.gpuMilli === 1000) limits[GPU_RESOURCE] = String(p.numGpu);
    limits[GPU_MILLI_RESOURCE] = String(p.numGpu * p.gpuMilli);
  }
  return { requests: { ...requests, ...limits }, limits };
}

/** The task as a Pod manifest. */
export function podManifest(p: TracePod): Record<string, unknown> {
  const { requests, limits } = podRequests(p);
  const resources = Object.keys(limits).length === 0 ? { requests } : { requests, limits };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: REPLAY_NAMESPACE,
      labels: { [TRACE_LABEL]: TRACE_NAME, ...(p.qos === '' ? {} : { [QOS_LABEL]: p.qos }) },
    },
    spec: {
      containers: [{ name: 'task', image: TASK_IMAGE, resources }],
      ...(p.gpuSpec.length === 0
        ? {}
        : {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [
                    {
                      matchExpressions: [
                        { key: GPU_MODEL_LABEL, operator: 'In', values: [...p.gpuSpec] },
                      ],
                    },
                  ],
                },
              },
            },
          }),
    },
  };
}

/** The nodes as pools, one per shape (CPU, memory, GPUs, model), in order of first appearance. */
export function nodePools(nodes: readonly TraceNode[]): Record<string, unknown>[] {
  const pools = new Map<string, { node: TraceNode; names: string[] }>();
  for (const n of nodes) {
    const shape = `${n.gpus}x${n.model === '' ? 'cpu' : n.model.toLowerCase()}-${n.cpuMilli}m-${n.memoryMiB}mi`;
    const pool = pools.get(shape);
    if (pool === undefined) pools.set(shape, { node: n, names: [n.name] });
    else pool.names.push(n.name);
  }
  return [...pools].map(([shape, { node, names }]) => ({
    namePrefix: shape,
    names,
    capacity: nodeCapacity(node),
    ...(node.model === '' ? {} : { labels: { [GPU_MODEL_LABEL]: node.model } }),
  }));
}

/** The whole scenario document (what a scenario file holds, parsed). */
export function replayScenario(
  nodes: readonly TraceNode[],
  pods: readonly TimedPod[],
  options: ReplayScenarioOptions,
): Record<string, unknown> {
  const actions: { at: number; action: Record<string, unknown> }[] = [];
  for (const t of pods) {
    actions.push({ at: t.createAtUs, action: { apply: podManifest(t.pod) } });
    if (t.deleteAtUs !== undefined) {
      const at = Math.max(t.deleteAtUs, t.createAtUs + MIN_LIFETIME_US);
      const remove = {
        kind: 'Pod',
        namespace: REPLAY_NAMESPACE,
        name: t.pod.name,
        gracePeriodSeconds: 0,
      };
      actions.push({ at, action: { delete: remove } });
    }
  }
  // Stable: a creation and a deletion at the same time keep the order they were listed in.
  actions.sort((a, b) => a.at - b.at);
  return {
    apiVersion: 'ksim.io/v1alpha1',
    kind: 'Scenario',
    metadata: { name: options.name, description: options.description },
    spec: {
      seed: options.seed,
      duration: durationText(options.durationUs),
      cluster: {
        // The replay studies scheduling, not the store: one volatile store is enough and faster.
        store: { inMemory: true },
        podNetwork: REPLAY_POD_NETWORK,
        nodes: nodePools(nodes),
      },
      actions: actions.map(({ at, action }) => ({ at: durationText(at), ...action })),
    },
  };
}

/** Microseconds as a scenario duration, exactly (`1.5s`, `250ms`, `7us`). */
export function durationText(us: number): string {
  if (us % 1000 !== 0) return `${us}us`;
  if (us % 1_000_000 !== 0) return `${us / 1000}ms`;
  return `${us / 1_000_000}s`;
}
