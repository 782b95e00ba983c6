/**
 * The store as a Raft state machine: committed entries carry encoded ops, every replica applies
 * them in log order and gets the same results, revisions and hash. Today the API server also
 * uses it directly as a single in-memory member.
 *
 * Watchers are member-local (they are not replicated and not in snapshots): the host calls
 * `drainWatchEvents()` after applying, when it wants to deliver.
 */
import { assert, assertNever } from '../util/assert.ts';
import { fnv1a64Hex } from '../util/fnv-hash.ts';
import { MvccStore, type MvccStoreOptions } from './mvcc.ts';
import { imageOf, restore, restoreImage, snapshot, type StoreImage } from './snapshot.ts';
import type {
  CommittedRevision,
  LeaseInfo,
  Op,
  ProgressNotification,
  Result,
  ResultOf,
  Revision,
  StoreLimits,
  WatchCreateResult,
  WatchId,
  WatchRequest,
  WatchResponse,
} from './types.ts';
import { WatchHub } from './watch.ts';

export interface KvStateMachineOptions {
  readonly limits?: StoreLimits;
}

export class KvStateMachine {
  private readonly store: MvccStore;
  private readonly hub: WatchHub;

  /** An empty store at revision 1; or, given snapshot bytes or an image, the restored store. */
  constructor(options: KvStateMachineOptions = {}, from?: Uint8Array | StoreImage) {
    let hub: WatchHub | undefined;
    const onCommit = (committed: CommittedRevision): void => {
      assert(hub !== undefined, 'commit before the watch hub exists');
      hub.onCommit(committed);
    };
    const storeOptions: MvccStoreOptions = { ...options, onCommit };
    this.store =
      from === undefined
        ? new MvccStore(storeOptions)
        : from instanceof Uint8Array
          ? restore(from, storeOptions)
          : restoreImage(from, storeOptions);
    hub = new WatchHub(this.store);
    this.hub = hub;
  }

  /** From snapshot bytes, or from an image (which stays unchanged). */
  static restore(
    from: Uint8Array | StoreImage,
    options: KvStateMachineOptions = {},
  ): KvStateMachine {
    return new KvStateMachine(options, from);
  }

  get revision(): Revision {
    return this.store.revision;
  }

  get compactRevision(): Revision {
    return this.store.compactRevision;
  }

  get keyCount(): number {
    return this.store.keyCount;
  }

  apply<O extends Op>(op: O): ResultOf<O>;
  apply(op: Op): Result {
    switch (op.kind) {
      case 'put':
        return this.store.put(op);
      case 'range':
        return this.store.range(op);
      case 'delete-range':
        return this.store.deleteRange(op);
      case 'txn':
        return this.store.txn(op);
      case 'compact':
        return this.store.compact(op);
      case 'lease-grant':
        return this.store.leaseGrant(op);
      case 'lease-revoke':
        return this.store.leaseRevoke(op);
      default:
        return assertNever(op, 'op');
    }
  }

  /** Leases with their TTL and keys, for the leader's lessor to time. */
  leases(): LeaseInfo[] {
    return this.store.leases();
  }

  watch(request: WatchRequest): WatchCreateResult {
    return this.hub.watch(request);
  }

  cancelWatch(id: WatchId): boolean {
    return this.hub.cancel(id);
  }

  drainWatchEvents(): WatchResponse[] {
    return this.hub.drain();
  }

  progress(ids?: readonly WatchId[]): ProgressNotification[] {
    return this.hub.progress(ids);
  }

  snapshot(): Uint8Array {
    return snapshot(this.store);
  }

  /** The state as an immutable image: `encodeImage` of it gives `snapshot()`'s bytes. */
  image(): StoreImage {
    return imageOf(this.store);
  }

  /** FNV-1a 64 of the snapshot: equal on replicas that applied the same entries. */
  hash(): string {
    return fnv1a64Hex(this.snapshot());
  }
}

const decoder = new TextDecoder();

/** Reads an op written as UTF-8 JSON. Entries come from our own proposers, so a bad one is a bug. */
export function decodeOp(bytes: Uint8Array): Op {
  const op = JSON.parse(decoder.decode(bytes)) as Op;
  switch (op.kind) {
    case 'put':
    case 'range':
    case 'delete-range':
    case 'txn':
    case 'compact':
    case 'lease-grant':
    case 'lease-revoke':
      return op;
    default:
      return assertNever(op, 'encoded op');
  }
}
