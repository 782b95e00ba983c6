/**
 * What the node's containers use now, per container, pod and node (the summary API's numbers,
 * from CRI ListContainerStats as the kubelet's CRI stats provider reads them). The metrics
 * endpoint and the eviction manager read this; requests and limits play no part.
 */
import type { ContainerStats } from '../ports/runtime.ts';

export interface ContainerUsage {
  readonly name: string;
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
  /** Writable layer and logs (0 when the runtime does not say). */
  readonly rootfsBytes: number;
  /** Inodes of the writable layer and logs (0 when the runtime does not say). */
  readonly inodesUsed: number;
  readonly processes: number;
}

export interface PodUsage {
  /** namespace/name */
  readonly pod: string;
  readonly uid: string;
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
  readonly rootfsBytes: number;
  readonly inodesUsed: number;
  readonly processes: number;
  readonly containers: readonly ContainerUsage[];
}

export interface NodeUsage {
  readonly node: string;
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
  readonly rootfsBytes: number;
  readonly inodesUsed: number;
  readonly processes: number;
  /** Whether the runtime reported disk, inode and process use for every container. */
  readonly reports: {
    readonly rootfs: boolean;
    readonly inodes: boolean;
    readonly processes: boolean;
  };
  /** Sorted by pod key. */
  readonly pods: readonly PodUsage[];
}

export interface StatsOwner {
  readonly uid: string;
  readonly pod: string;
  readonly container: string;
}

/** Sums the stats of the containers whose owner is known; the others are not the kubelet's. */
export function summarizeUsage(
  node: string,
  stats: readonly ContainerStats[],
  ownerOf: (containerId: string) => StatsOwner | undefined,
): NodeUsage {
  const pods = new Map<string, { pod: string; uid: string; containers: ContainerUsage[] }>();
  let rootfs = true;
  let processes = true;
  let inodes = true;
  for (const s of stats) {
    const owner = ownerOf(s.id);
    if (owner === undefined) continue;
    let p = pods.get(owner.uid);
    if (p === undefined) {
      p = { pod: owner.pod, uid: owner.uid, containers: [] };
      pods.set(owner.uid, p);
    }
    rootfs &&= s.rootfsBytes !== undefined;
    processes &&= s.processes !== undefined;
    inodes &&= s.inodesUsed !== undefined;
    p.containers.push({
      name: owner.container,
      cpuMillicores: s.cpuMillicores,
      memoryBytes: s.memoryWorkingSetBytes,
      rootfsBytes: s.rootfsBytes ?? 0,
      inodesUsed: s.inodesUsed ?? 0,
      processes: s.processes ?? 0,
    });
  }
  const summaries: PodUsage[] = [...pods.values()]
    .map((p) => ({
      ...p,
      containers: p.containers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      cpuMillicores: p.containers.reduce((n, c) => n + c.cpuMillicores, 0),
      memoryBytes: p.containers.reduce((n, c) => n + c.memoryBytes, 0),
      rootfsBytes: p.containers.reduce((n, c) => n + c.rootfsBytes, 0),
      inodesUsed: p.containers.reduce((n, c) => n + c.inodesUsed, 0),
      processes: p.containers.reduce((n, c) => n + c.processes, 0),
    }))
    .sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : a.uid < b.uid ? -1 : 1));
  return {
    node,
    cpuMillicores: summaries.reduce((n, p) => n + p.cpuMillicores, 0),
    memoryBytes: summaries.reduce((n, p) => n + p.memoryBytes, 0),
    rootfsBytes: summaries.reduce((n, p) => n + p.rootfsBytes, 0),
    inodesUsed: summaries.reduce((n, p) => n + p.inodesUsed, 0),
    processes: summaries.reduce((n, p) => n + p.processes, 0),
    reports: { rootfs, inodes, processes },
    pods: summaries,
  };
}
