/**
 * A member's start-up: Raft's durable state read back from the WAL into `MemoryStorage`, or,
 * on an empty disk, the bootstrap image every member of a new cluster starts from.
 */
import type { Disk } from '../../ports/disk.ts';
import type { MemoryStorage } from '../../raft/storage.ts';
import {
  asIndex,
  asTerm,
  EMPTY_DATA,
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  type ConfState,
  type Entry,
  type HardState,
  type Index,
  type Snapshot,
} from '../../raft/types.ts';
import { assert, assertNever } from '../../util/assert.ts';
import { readWal } from './wal.ts';

export interface RecoveredState {
  /** What the disk held: nothing yet, or a log. */
  readonly from: 'empty' | 'recovered';
  readonly snapshot: Snapshot;
  readonly hardState: HardState;
  /** The newest WAL segment on disk (0 on an empty one): the next starts after it. */
  readonly previousSegment: number;
  /** Bytes of a torn tail that recovery dropped. */
  readonly tornBytes: number;
}

/**
 * Every member of a new cluster starts from the same image at index 1, term 1: an empty store,
 * or the saved one it is restored from.
 */
export function bootstrapSnapshot(confState: ConfState, restoreFrom?: Uint8Array): Snapshot {
  return {
    metadata: { index: asIndex(1), term: asTerm(1), confState },
    data: restoreFrom ?? EMPTY_DATA,
  };
}

/**
 * Reads the WAL under `dir` into `storage` (snapshot, entries, hard state). An empty disk
 * starts from `bootstrap`, or, for a member joining a running cluster (`bootstrap`
 * undefined), from nothing until the leader's snapshot arrives. A disk that cannot be read
 * is fatal: the member must not start with less than it promised to remember.
 */
export async function recoverLog(
  disk: Disk,
  dir: string,
  readAttempts: number,
  storage: MemoryStorage,
  name: string,
  bootstrap: Snapshot | undefined,
): Promise<RecoveredState> {
  const read = await readWal(disk, dir, readAttempts);
  let snapshot: Snapshot;
  let hardState: HardState = EMPTY_HARD_STATE;
  let previousSegment = 0;
  let tornBytes = 0;
  switch (read.kind) {
    case 'empty':
      if (bootstrap === undefined) {
        snapshot = EMPTY_SNAPSHOT;
      } else {
        snapshot = bootstrap;
        storage.applySnapshot(snapshot);
      }
      break;
    case 'recovered': {
      const log = read.log;
      snapshot = log.snapshot;
      previousSegment = log.newestSegment;
      tornBytes = log.tornBytes;
      if (snapshot.metadata.index > 0) storage.applySnapshot(snapshot);
      for (const batch of log.entryBatches) storage.append(batch);
      hardState = log.hardState;
      break;
    }
    case 'unreadable':
      throw new Error(`${name}: cannot recover the store: ${read.reason}`);
    default:
      return assertNever(read, 'wal read');
  }
  const snapIndex = snapshot.metadata.index;
  // A leader's snapshot may have been made durable before the hard state that follows it.
  if (hardState.commit < snapIndex) hardState = { ...hardState, commit: snapIndex };
  assert(
    hardState.commit <= storage.lastIndex(),
    `${name}: recovered commit ${hardState.commit} beyond the last entry ${storage.lastIndex()}`,
  );
  storage.setHardState(hardState);
  return { from: read.kind, snapshot, hardState, previousSegment, tornBytes };
}

/** The entries `storage` holds after `index` (a new WAL segment's head carries them). */
export function entriesAfter(storage: MemoryStorage, index: Index): readonly Entry[] {
  const last = storage.lastIndex();
  return last > index ? storage.entries(asIndex(index + 1), asIndex(last + 1), Infinity) : [];
}
