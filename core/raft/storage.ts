/**
 * The stable part of the Raft log: what the host has persisted. Raft only reads it (`Storage`);
 * the host writes it after each Ready (`MemoryStorage.append`, `setHardState`, `applySnapshot`)
 * and compacts it (`createSnapshot` then `compact`). Mirrors etcd-io/raft storage.go.
 */
import type { Bytes } from '../ports/lazy-bytes.ts';
import { assert } from '../util/assert.ts';
import {
  asIndex,
  EMPTY_DATA,
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  ZERO_INDEX,
  ZERO_TERM,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
  type Term,
} from './types.ts';
import { limitEntriesEnd } from './entry-size.ts';

export interface InitialState {
  readonly hardState: HardState;
  readonly confState: ConfState;
}

export interface Storage {
  initialState(): InitialState;
  /** Entries [lo, hi), at most `maxSizeBytes` but always at least one. lo >= firstIndex(). */
  entries(lo: Index, hi: Index, maxSizeBytes: number): readonly Entry[];
  /** Term of entry i for firstIndex()-1 <= i <= lastIndex(); undefined outside. */
  term(i: Index): Term | undefined;
  firstIndex(): Index;
  lastIndex(): Index;
  /** The most recent snapshot (EMPTY_SNAPSHOT if none). */
  snapshot(): Snapshot;
}

export type StorageWriteResult =
  { readonly kind: 'ok' } | { readonly kind: 'out-of-date'; readonly reason: string };

const OK: StorageWriteResult = { kind: 'ok' };

export class MemoryStorage implements Storage {
  private hardState: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  /** ents[0] is a dummy standing for the snapshot: its index and term are the snapshot's. */
  private ents: Entry[] = [dummyEntry(ZERO_INDEX, ZERO_TERM)];

  initialState(): InitialState {
    return { hardState: this.hardState, confState: this.snap.metadata.confState };
  }

  setHardState(hs: HardState): void {
    this.hardState = hs;
  }

  firstIndex(): Index {
    return asIndex(this.offset() + 1);
  }

  lastIndex(): Index {
    return asIndex(this.offset() + this.ents.length - 1);
  }

  term(i: Index): Term | undefined {
    const offset = this.offset();
    if (i < offset || i > offset + this.ents.length - 1) return undefined;
    return (this.ents[i - offset] as Entry).term;
  }

  entries(lo: Index, hi: Index, maxSizeBytes: number): readonly Entry[] {
    const offset = this.offset();
    assert(lo > offset, `entries(${lo}) below first index ${offset + 1}`);
    assert(
      hi <= this.lastIndex() + 1,
      `entries(${lo},${hi}) beyond last index ${this.lastIndex()}`,
    );
    const end = limitEntriesEnd(this.ents, lo - offset, hi - offset, maxSizeBytes);
    return this.ents.slice(lo - offset, end);
  }

  snapshot(): Snapshot {
    return this.snap;
  }

  /** Replaces the whole log with a snapshot received from the leader. */
  applySnapshot(s: Snapshot): StorageWriteResult {
    if (s.metadata.index <= this.snap.metadata.index) {
      return { kind: 'out-of-date', reason: `snapshot ${s.metadata.index} is out of date` };
    }
    this.snap = s;
    this.ents = [dummyEntry(s.metadata.index, s.metadata.term)];
    return OK;
  }

  /**
   * Records a snapshot of the applied state at index i (<= last applied, which the host knows);
   * entries stay until `compact`.
   */
  createSnapshot(i: Index, confState: ConfState, data: Bytes): StorageWriteResult {
    if (i <= this.snap.metadata.index) {
      return { kind: 'out-of-date', reason: `snapshot ${i} is out of date` };
    }
    const term = this.term(i);
    assert(
      term !== undefined,
      `snapshot ${i} is out of bound [${this.offset()}, ${this.lastIndex()}]`,
    );
    this.snap = { metadata: { index: i, term, confState }, data };
    return OK;
  }

  /** Discards entries before `i`; afterwards firstIndex() === i + 1. */
  compact(i: Index): StorageWriteResult {
    const offset = this.offset();
    if (i <= offset) return { kind: 'out-of-date', reason: `compaction ${i} is out of date` };
    assert(i <= this.lastIndex(), `compact ${i} is out of bound lastindex(${this.lastIndex()})`);
    const kept = this.ents.slice(i - offset);
    kept[0] = dummyEntry(i, (kept[0] as Entry).term);
    this.ents = kept;
    return OK;
  }

  /** Appends entries, truncating any conflicting suffix. Entries must be contiguous. */
  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (first === undefined) return;
    const firstIndex = this.firstIndex();
    const lastNew = first.index + entries.length - 1;
    if (lastNew < firstIndex) return;
    // Skip what compaction already covers.
    const skip = first.index < firstIndex ? firstIndex - first.index : 0;
    const start = first.index + skip;
    const at = start - this.offset();
    assert(
      at <= this.ents.length,
      `missing log entry [last: ${this.lastIndex()}, append at: ${start}]`,
    );
    this.ents.length = at;
    for (let k = skip; k < entries.length; k++) this.ents.push(entries[k] as Entry);
  }

  private offset(): number {
    return (this.ents[0] as Entry).index;
  }
}

function dummyEntry(index: Index, term: Term): Entry {
  return { term, index, type: 'normal', data: EMPTY_DATA };
}
