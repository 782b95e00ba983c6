/**
 * P-compositionality (Horn & Kroening; Porcupine's `Partition`): when the specification is a
 * product of independent objects, a history is linearizable iff each object's sub-history is.
 * Objects are named by keys; an operation that touches several keys (a multi-key transaction,
 * a range read) joins them into one object, so the partitions are the connected components of
 * the "touches" relation (union-find). An operation that touches no key interacts with nothing
 * and forms a partition of its own.
 */
export interface Partition<T> {
  /** Sorted; empty for an operation that touches no key. */
  readonly keys: readonly string[];
  /** In input order. */
  readonly items: readonly T[];
}

export function partitionByKeys<T>(
  items: readonly T[],
  keysOf: (item: T) => readonly string[],
): Partition<T>[] {
  const parent = new Map<string, string>();
  const find = (key: string): string => {
    let root = key;
    while (parent.get(root) !== root) root = parent.get(root) ?? root;
    for (let k = key; k !== root;) {
      const up = parent.get(k)!;
      parent.set(k, root);
      k = up;
    }
    return root;
  };
  const keysOfItem = items.map(keysOf);
  for (const keys of keysOfItem) {
    for (const key of keys) if (!parent.has(key)) parent.set(key, key);
    const [first, ...rest] = keys;
    if (first === undefined) continue;
    for (const key of rest) {
      const a = find(first);
      const b = find(key);
      if (a !== b) parent.set(b, a);
    }
  }
  // Insertion-ordered Map: partitions come out ordered by their first item.
  const byRoot = new Map<string, { keys: Set<string>; items: T[] }>();
  const singles: { index: number; partition: Partition<T> }[] = [];
  const order: (string | number)[] = [];
  items.forEach((item, index) => {
    const keys = keysOfItem[index]!;
    const first = keys[0];
    if (first === undefined) {
      singles.push({ index, partition: { keys: [], items: [item] } });
      order.push(singles.length - 1);
      return;
    }
    const root = find(first);
    let group = byRoot.get(root);
    if (group === undefined) {
      group = { keys: new Set(), items: [] };
      byRoot.set(root, group);
      order.push(root);
    }
    for (const key of keys) group.keys.add(key);
    group.items.push(item);
  });
  return order.map((slot) => {
    if (typeof slot === 'number') return singles[slot]!.partition;
    const group = byRoot.get(slot)!;
    return { keys: [...group.keys].sort(), items: group.items };
  });
}
