/**
 * The API objects as the store committed them, change by change: the ground truth the object
 * invariants are checked against. Unlike a client's informer it is never behind a partition or
 * a dropped watch: it replays every committed entry, the first time any store member applies
 * it, into its own state machine and decodes the changes of the resources the invariants read.
 *
 * Raft's state-machine safety (checked by RaftInvariants on the same probe calls) makes "the
 * first member to apply index i" a fine source, and a member applies indexes in order, so the
 * first applications arrive in index order too. The store that serves any client has applied
 * at least as far, so a component never acts on a state newer than this one.
 */
import type { Entry } from '../../core/raft/types.ts';
import { REGISTRY_ROOT } from '../../core/apiserver/keys.ts';
import { decodeEntryOp } from '../../core/store/member/op-codec.ts';
import { KvStateMachine } from '../../core/store/state-machine.ts';
import { FROM_KEY, revision } from '../../core/store/types.ts';
import { assert } from '../../core/util/assert.ts';

/** An object's metadata and the fields the invariants read; the rest stays undecoded. */
export interface CommittedObject {
  readonly kind?: string;
  readonly metadata: {
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
    readonly deletionTimestamp?: string;
    readonly ownerReferences?: readonly {
      readonly uid: string;
      readonly kind: string;
      readonly name: string;
    }[];
  };
  readonly spec?: unknown;
  readonly status?: unknown;
}

/** One committed change of one object: created (no `before`), updated, or deleted (no `after`). */
export interface ObjectChange {
  /** The resource, as in the storage key (`pods`, `nodes`, `replicasets`, ...). */
  readonly resource: string;
  readonly key: string;
  /** The store revision of the change (the object's resourceVersion; a delete's own). */
  readonly revision: number;
  readonly before: CommittedObject | undefined;
  readonly after: CommittedObject | undefined;
}

/**
 * Resources whose values are never decoded: written often, read by no invariant, and owned by
 * nothing (Events expire, Leases are renewed every few seconds by every node).
 */
const SKIPPED = new Set(['events', 'leases']);

export class CommittedObjects {
  private readonly sm = new KvStateMachine();
  private readonly listeners: ((change: ObjectChange) => void)[] = [];
  private lastIndex = 0;
  private readonly decoded = new Map<string, CommittedObject>();

  constructor() {
    const created = this.sm.watch({
      key: FROM_KEY,
      rangeEnd: FROM_KEY,
      startRevision: revision(1),
      prevKv: true,
    });
    assert(created.kind === 'created', 'the committed-objects watch was refused');
  }

  onChange(listener: (change: ObjectChange) => void): void {
    this.listeners.push(listener);
  }

  /** The object stored at `key` now, if any (decoded once). */
  get(key: string): CommittedObject | undefined {
    return this.decoded.get(key);
  }

  /** A member applied `entry`: replay it if no member had. */
  applied(entry: Entry): void {
    if (entry.index <= this.lastIndex) return;
    this.lastIndex = entry.index;
    if (entry.type !== 'normal' || entry.data.byteLength === 0) return;
    this.sm.apply(decodeEntryOp(entry.data));
    for (const response of this.sm.drainWatchEvents()) {
      for (const e of response.events)
        this.change(e.kv.key, e.kv.modRevision, e.type === 'PUT' ? e.kv.value : undefined);
    }
  }

  private change(key: string, revision: number, value: string | undefined): void {
    if (!key.startsWith(REGISTRY_ROOT)) return;
    const resource = key.slice(REGISTRY_ROOT.length, key.indexOf('/', REGISTRY_ROOT.length));
    if (SKIPPED.has(resource)) return;
    const before = this.decoded.get(key);
    const after = value === undefined ? undefined : (JSON.parse(value) as CommittedObject);
    if (after === undefined) this.decoded.delete(key);
    else this.decoded.set(key, after);
    const change: ObjectChange = { resource, key, revision, before, after };
    for (const l of this.listeners) l(change);
  }
}
