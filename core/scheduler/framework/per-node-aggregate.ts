import type { Labels } from '../../api/selectors.ts';
import type { NodeInfo } from './node-info.ts';

/**
 * A per-node contribution kept across scheduling cycles: it remembers, per node slot of the
 * snapshot's list, the node object, its generation and its labels when it last looked, and on
 * `refresh` re-derives only the slots where one of them changed (usually the node the previous
 * pod landed on) instead of visiting every node's pods every cycle. The labels are compared too
 * because a node's labels can change without its generation moving.
 */
export abstract class PerNodeAggregate {
  private nodes: (NodeInfo | undefined)[] = [];
  private gens: number[] = [];
  private labels: Labels[] = [];
  /** For caches that evict the least recently used aggregate. */
  lastUse = 0;

  /** Removes the slot's contribution. */
  protected abstract drop(slot: number): void;
  /** Adds the contribution of `ni`, now in `slot`. */
  protected abstract take(slot: number, ni: NodeInfo): void;
  /** The node list shrank to `n` slots: forget per-slot state past it. */
  protected truncate(_n: number): void {}

  refresh(list: readonly NodeInfo[]): void {
    const n = list.length;
    for (let i = 0; i < n; i++) {
      const ni = list[i] as NodeInfo;
      if (this.nodes[i] === ni && this.gens[i] === ni.generation && this.labels[i] === ni.labels)
        continue;
      if (i < this.nodes.length) this.drop(i);
      this.nodes[i] = ni;
      this.gens[i] = ni.generation;
      this.labels[i] = ni.labels;
      this.take(i, ni);
    }
    for (let i = this.nodes.length - 1; i >= n; i--) this.drop(i);
    if (this.nodes.length > n) {
      this.nodes.length = n;
      this.gens.length = n;
      this.labels.length = n;
      this.truncate(n);
    }
  }
}

/**
 * A bounded set of aggregates by key (one per term or constraint signature), evicting the least
 * recently used one when full, and refreshing an aggregate each time it is handed out.
 */
export class AggregateCache<A extends PerNodeAggregate> {
  private readonly byKey = new Map<string, A>();
  private clock = 0;

  constructor(private readonly capacity = 64) {}

  protected lookup(key: string, create: () => A, list: readonly NodeInfo[]): A {
    let a = this.byKey.get(key);
    if (a === undefined) {
      if (this.byKey.size >= this.capacity) this.evict();
      a = create();
      this.byKey.set(key, a);
    }
    a.lastUse = ++this.clock;
    a.refresh(list);
    return a;
  }

  private evict(): void {
    let oldestKey: string | undefined;
    let oldest = Infinity;
    for (const [k, a] of this.byKey) {
      if (a.lastUse < oldest) {
        oldest = a.lastUse;
        oldestKey = k;
      }
    }
    if (oldestKey !== undefined) this.byKey.delete(oldestKey);
  }
}
