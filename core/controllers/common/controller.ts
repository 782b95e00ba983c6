/**
 * A controller run by the controller manager: it registers its informers and handlers when it
 * is built, and `run` waits for the caches and starts its workers and loops (detached work goes
 * through ProcessPorts.spawn).
 */
export interface Controller {
  readonly name: string;
  run(): Promise<void>;
  stop(): void;
  /** What its syncs cost so far, for controllers that count it (benchmarks and tests read it). */
  readonly syncStats?: SyncStats;
}

/**
 * How many syncs a controller ran and how many cached objects they walked (a ReplicaSet's pods,
 * a Deployment's ReplicaSets): the simulated work of a reconcile loop, free of machine load.
 * Counting changes nothing the controller does.
 */
export class SyncStats {
  syncs = 0;
  /** Cached objects read by all syncs. */
  walked = 0;
  /** The most one sync walked. */
  maxWalked = 0;
  /** Per key (an owner's namespace/name): its syncs and the most one of them walked. */
  readonly byKey = new Map<string, { syncs: number; maxWalked: number }>();

  /** One sync of `key` that walked `objects` cached objects. */
  record(key: string, objects: number): void {
    this.syncs++;
    this.walked += objects;
    if (objects > this.maxWalked) this.maxWalked = objects;
    const k = this.byKey.get(key);
    if (k === undefined) this.byKey.set(key, { syncs: 1, maxWalked: objects });
    else {
      k.syncs++;
      if (objects > k.maxWalked) k.maxWalked = objects;
    }
  }

  snapshot(): SyncStatsSnapshot {
    return { syncs: this.syncs, walked: this.walked, maxWalked: this.maxWalked };
  }
}

export interface SyncStatsSnapshot {
  readonly syncs: number;
  readonly walked: number;
  readonly maxWalked: number;
}
