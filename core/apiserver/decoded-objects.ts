/**
 * The API server's decoded objects, shared. Objects are immutable once decoded (DESIGN.md §8),
 * so one decoded copy of a stored value serves every reader: the response to the write that
 * stored it, the watch event that reports it, the `previous` of the next event on the key, and
 * gets and lists. Without it every stored version was parsed three times or more, and JSON
 * parsing was the API server's largest cost.
 *
 * Entries are found by key and the resourceVersion stamped on the object (its mod revision,
 * or the revision of the delete that removed it), and used only when the stored value is the
 * same string, so a store restored to an older revision can never hand back a stale object.
 * Comparing is cheap: a value that travelled in memory is the same string object. The oldest
 * entries are dropped beyond `capacity`. In check mode every object is deep-frozen when it is
 * decoded, so a holder that mutates one throws instead of corrupting everyone else's copy.
 */
import { deepFreeze } from '../util/freeze.ts';

/** Enough for every object of a few thousand that a cluster of that size writes in a burst. */
export const DEFAULT_DECODED_OBJECTS = 10_000;

interface Decoded {
  readonly value: string;
  readonly object: object;
}

export class DecodedObjects {
  private readonly entries = new Map<string, Decoded>();

  constructor(
    private readonly freeze: boolean,
    private readonly capacity = DEFAULT_DECODED_OBJECTS,
  ) {}

  /** The object `value` decodes to with resourceVersion `rv`, decoded once. */
  get<T>(key: string, value: string, rv: number, decode: () => T): T {
    const id = `${rv}:${key}`;
    const hit = this.entries.get(id);
    if (hit !== undefined && hit.value === value) return hit.object as T;
    const object = decode();
    if (this.freeze) deepFreeze(object);
    if (hit !== undefined) this.entries.delete(id);
    this.entries.set(id, { value, object: object as object });
    if (this.entries.size > this.capacity) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
    return object;
  }
}
