/**
 * A binary heap with O(log n) removal and update by key (pkg/scheduler/backend/heap): the
 * queues need to pull a pod out of the middle when it is updated or deleted.
 *
 * As upstream's heapItem, each entry carries its own position: moving an entry up or down
 * writes a field instead of updating the key map at every level (with tens of thousands of
 * pending pods, those map writes were most of a pop).
 */
interface Slot<T> {
  item: T;
  index: number;
}

export class KeyedHeap<T> {
  private readonly slots: Slot<T>[] = [];
  private readonly byKey = new Map<string, Slot<T>>();

  constructor(
    private readonly keyOf: (x: T) => string,
    private readonly less: (a: T, b: T) => boolean,
  ) {}

  get size(): number {
    return this.slots.length;
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  get(key: string): T | undefined {
    return this.byKey.get(key)?.item;
  }

  peek(): T | undefined {
    return this.slots[0]?.item;
  }

  /** Adds, or replaces the item with the same key and restores the order. */
  addOrUpdate(x: T): void {
    const key = this.keyOf(x);
    const slot = this.byKey.get(key);
    if (slot !== undefined) {
      slot.item = x;
      this.fix(slot.index);
      return;
    }
    const added: Slot<T> = { item: x, index: this.slots.length };
    this.slots.push(added);
    this.byKey.set(key, added);
    this.up(added.index);
  }

  pop(): T | undefined {
    if (this.slots.length === 0) return undefined;
    return this.removeAt(0);
  }

  delete(key: string): T | undefined {
    const slot = this.byKey.get(key);
    return slot === undefined ? undefined : this.removeAt(slot.index);
  }

  /** Items in heap order (not sorted); for listing. */
  list(): readonly T[] {
    return this.slots.map((s) => s.item);
  }

  private removeAt(i: number): T {
    const slots = this.slots;
    const slot = slots[i] as Slot<T>;
    const last = slots.pop() as Slot<T>;
    this.byKey.delete(this.keyOf(slot.item));
    if (i < slots.length) {
      slots[i] = last;
      last.index = i;
      this.fix(i);
    }
    return slot.item;
  }

  private fix(i: number): void {
    if (!this.up(i)) this.down(i);
  }

  private up(i: number): boolean {
    const slots = this.slots;
    const s = slots[i] as Slot<T>;
    let moved = false;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = slots[p] as Slot<T>;
      if (!this.less(s.item, parent.item)) break;
      slots[i] = parent;
      parent.index = i;
      i = p;
      moved = true;
    }
    slots[i] = s;
    s.index = i;
    return moved;
  }

  private down(i: number): void {
    const slots = this.slots;
    const n = slots.length;
    const s = slots[i] as Slot<T>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const left = slots[l] as Slot<T>;
      const right = r < n ? (slots[r] as Slot<T>) : undefined;
      const child = right !== undefined && this.less(right.item, left.item) ? right : left;
      if (!this.less(child.item, s.item)) break;
      slots[i] = child;
      child.index = i;
      i = child === left ? l : r;
    }
    slots[i] = s;
    s.index = i;
  }
}
