/**
 * The API server's decoded objects, shared. Objects are immutable once decoded (DESIGN.md §8),
 * so one decoded copy of a stored value serves every reader: the response to the write that
 * stored it, the watch event that reports it, the `previous` of the next event on the key, and
 * gets and lists. Without it every stored version was parsed three times or more, and JSON
 * parsing was the API server's largest cost.
 *
 * Entries are found by key, then by the resourceVersion stamped on the object (its mod revision,
 * or the revision of the delete that removed it): a key keeps its newest version and the one
 * before it (the `previous` of the next event), and a version is used only when the stored
 * value is the same string, so a store restored to an older revision can never hand back a
 * stale object. Comparing is cheap: a value that travelled in memory is the same string object.
 * Looking up by the key alone, not a key built from it, saves making and hashing a new string
 * per read. The keys least recently written are dropped beyond `capacity`. In check mode every
 * object is deep-frozen when it is decoded, so a holder that mutates one throws instead of
 * corrupting everyone else's copy.
 */
import { deepFreeze } from '../util/freeze.ts';

/** Enough for every object of a few thousand that a cluster of that size writes in a burst. */
export const DEFAULT_DECODED_OBJECTS = 10_000;

interface Decoded {
  readonly rv: number;
  readonly value: string;
  readonly object: object;
}

/** A key's newest decoded version and, when known, the one before it. */
interface Versions {
  readonly newest: Decoded;
  readonly older: Decoded | undefined;
}

export class DecodedObjects {
  private readonly entries = new Map<string, Versions>();
  /**
   * Walks `entries` in insertion order to evict the oldest. Kept across evictions: a new
   * `keys()` starts at the table's first slot and steps over every slot deleted since the map
   * last rehashed (thousands, as every write moves its key to the end), which made eviction
   * the API server's costliest line on reads. This one stands on the entry it last returned,
   * which eviction deleted; entries are only ever added at the end, behind it.
   */
  private oldest: Iterator<string> = this.entries.keys();

  constructor(
    private readonly freeze: boolean,
    private readonly capacity = DEFAULT_DECODED_OBJECTS,
  ) {}

  /** The object `value` decodes to with resourceVersion `rv`, decoded once. */
  get<T>(key: string, value: string, rv: number, decode: () => T): T {
    const versions = this.entries.get(key);
    if (versions !== undefined) {
      const { newest, older } = versions;
      if (newest.rv === rv && newest.value === value) return newest.object as T;
      if (older !== undefined && older.rv === rv && older.value === value) {
        return older.object as T;
      }
    }
    const object = decode();
    if (this.freeze) deepFreeze(object);
    this.remember(key, versions, { rv, value, object: object as object });
    return object;
  }

  private remember(key: string, versions: Versions | undefined, decoded: Decoded): void {
    if (versions !== undefined && decoded.rv < versions.newest.rv) {
      // An older version read late (a list at an old revision): kept if it is the latest such.
      if (versions.older === undefined || versions.older.rv <= decoded.rv) {
        this.entries.set(key, { newest: versions.newest, older: decoded });
      }
      return;
    }
    const older =
      versions === undefined
        ? undefined
        : decoded.rv > versions.newest.rv
          ? versions.newest
          : versions.older;
    // Deleted first so the key moves to the end: the least recently written go first.
    if (versions !== undefined) this.entries.delete(key);
    this.entries.set(key, { newest: decoded, older });
    if (this.entries.size > this.capacity) this.entries.delete(this.nextOldest());
  }

  private nextOldest(): string {
    let next = this.oldest.next();
    if (next.done === true) {
      // Exhausted once, an iterator stays done: start a new one (the map is not empty here).
      this.oldest = this.entries.keys();
      next = this.oldest.next();
    }
    return next.value as string;
  }
}
