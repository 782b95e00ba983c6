/**
 * A binary heap with O(log n) removal and update by key (pkg/scheduler/backend/heap): the
 * queues need to pull a pod out of the middle when it is updated or deleted.
 */
export class KeyedHeap<T> {
  private readonly items: T[] = [];
  private readonly index = new Map<string, number>();

  constructor(
    private readonly keyOf: (x: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.items.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  get(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.items[i];
  }

  peek(): T | undefined {
    return this.items[0];
  }

  /** Adds, or replaces the item with the same key and restores the order. */
  addOrUpdate(x: T): void {
    const key = this.keyOf(x);
    const i = this.index.get(key);
    if (i !== undefined) {
      this.items[i] = x;
      this.fix(i);
      return;
    }
    this.items.push(x);
    this.index.set(key, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  pop(): T | undefined {
    if (this.items.length === 0) return undefined;
    return this.removeAt(0);
  }

  delete(key: string): T | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.removeAt(i);
  }

  /** Items in heap order (not sorted); for listing. */
  list(): readonly T[] {
    return this.items;
  }

  private removeAt(i: number): T {
    const items = this.items;
    const x = items[i] as T;
    const last = items.pop() as T;
    this.index.delete(this.keyOf(x));
    if (i < items.length) {
      items[i] = last;
      this.index.set(this.keyOf(last), i);
      this.fix(i);
    }
    return x;
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    const items = this.items;
    const x = items[i] as T;
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p] as T;
      if (!this.less(x, parent)) break;
      items[i] = parent;
      this.index.set(this.keyOf(parent), i);
      i = p;
      moved = true;
    }
    items[i] = x;
    this.index.set(this.keyOf(x), i);
    return moved;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const x = items[i] as T;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && this.less(items[r] as T, items[l] as T) ? r : l;
      const child = items[c] as T;
      if (!this.less(child, x)) break;
      items[i] = child;
      this.index.set(this.keyOf(child), i);
      i = c;
    }
    items[i] = x;
    this.index.set(this.keyOf(x), i);
  }
}
