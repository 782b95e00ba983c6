/**
 * The bounded window of MsgApp messages a leader has sent to one follower and not yet seen
 * acknowledged (etcd-io/raft tracker/inflights.go): a ring buffer of (last index, bytes) per
 * message. Full means "stop sending entries until acks arrive" — the named limit on this queue.
 */
import { assert } from '../util/assert.ts';
import type { Index } from './types.ts';

export class Inflights {
  private start = 0;
  private count = 0;
  private bytes = 0;
  /** Grown lazily up to `capacity`, so idle followers cost nothing. */
  private indexes: number[] = [];
  private sizes: number[] = [];

  constructor(
    readonly capacity: number,
    readonly maxBytes: number,
  ) {
    assert(capacity > 0, 'inflights capacity must be positive');
  }

  /** Records a message whose last entry is `index`. Indexes must be added in increasing order. */
  add(index: Index, bytes: number): void {
    assert(!this.full(), 'cannot add into a full inflights');
    let slot = this.start + this.count;
    if (slot >= this.capacity) slot -= this.capacity;
    if (slot >= this.indexes.length) {
      this.indexes.push(index);
      this.sizes.push(bytes);
    } else {
      this.indexes[slot] = index;
      this.sizes[slot] = bytes;
    }
    this.count++;
    this.bytes += bytes;
  }

  /** Frees every message whose last index is <= `to` (they are acknowledged). */
  freeLE(to: Index): void {
    let slot = this.start;
    let freed = 0;
    let freedBytes = 0;
    while (freed < this.count && (this.indexes[slot] as number) <= to) {
      freedBytes += this.sizes[slot] as number;
      freed++;
      if (++slot >= this.capacity) slot = 0;
    }
    this.count -= freed;
    this.bytes -= freedBytes;
    this.start = this.count === 0 ? 0 : slot;
  }

  full(): boolean {
    return this.count === this.capacity || this.bytes >= this.maxBytes;
  }

  size(): number {
    return this.count;
  }

  sizeBytes(): number {
    return this.bytes;
  }

  reset(): void {
    this.start = 0;
    this.count = 0;
    this.bytes = 0;
  }
}
