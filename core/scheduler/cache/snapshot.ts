/**
 * The per-cycle view of the cache (pkg/scheduler/backend/cache/snapshot.go). The cache
 * refreshes it before each cycle, copying only the nodes that changed since the last refresh;
 * plugins read it and may not change it (preemption works on clones).
 */
import type { NodeInfoLister } from '../framework/listers.ts';
import type { NodeInfo } from '../framework/node-info.ts';

export class Snapshot implements NodeInfoLister {
  /** Maintained by SchedulerCache.updateSnapshot. */
  readonly byName = new Map<string, NodeInfo>();
  nodeList: NodeInfo[] = [];
  withAffinity: NodeInfo[] = [];
  withRequiredAntiAffinity: NodeInfo[] = [];

  list(): readonly NodeInfo[] {
    return this.nodeList;
  }

  get(nodeName: string): NodeInfo | undefined {
    return this.byName.get(nodeName);
  }

  havePodsWithAffinity(): readonly NodeInfo[] {
    return this.withAffinity;
  }

  havePodsWithRequiredAntiAffinity(): readonly NodeInfo[] {
    return this.withRequiredAntiAffinity;
  }

  get numNodes(): number {
    return this.nodeList.length;
  }

  /** A snapshot of fixed NodeInfos, for tests and for scheduling without a cache. */
  static of(nodes: readonly NodeInfo[]): Snapshot {
    const s = new Snapshot();
    for (const n of nodes) s.byName.set(n.name, n);
    s.nodeList = [...nodes];
    s.rebuildAffinityLists();
    return s;
  }

  rebuildAffinityLists(): void {
    this.withAffinity = this.nodeList.filter((n) => n.podsWithAffinity.length > 0);
    this.withRequiredAntiAffinity = this.nodeList.filter(
      (n) => n.podsWithRequiredAntiAffinity.length > 0,
    );
  }
}
