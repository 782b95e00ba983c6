/**
 * What a RawNode asks its host to do (etcd-io/raft node.go Ready). The host must, in order:
 * 1. persist: if `snapshot`, install it (it replaces the log); append `entries`; save
 *    `hardState` — durably (fsync) when `mustSync`;
 * 2. send `messages` (only now: they may promise what step 1 made durable);
 * 3. apply `snapshot` and then `committedEntries` to the state machine, calling
 *    RawNode.applyConfChange for each conf-change entry; serve `readStates` once applied;
 * 4. call RawNode.advance(ready).
 */
import type { Message } from './messages.ts';
import type { Entry, HardState, ReadState, Snapshot, SoftState } from './types.ts';

export interface Ready {
  /** Set when leader or role changed. */
  readonly softState: SoftState | undefined;
  /** Set when term, vote or commit changed. */
  readonly hardState: HardState | undefined;
  /** Entries to append to stable storage (may overwrite a conflicting suffix). */
  readonly entries: readonly Entry[];
  /** Snapshot to install, received from the leader. */
  readonly snapshot: Snapshot | undefined;
  /** Entries to apply; may include some of `entries` (persist first, then apply). */
  readonly committedEntries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly readStates: readonly ReadState[];
  /** Whether the write of entries/hard state must be synced before sending messages. */
  readonly mustSync: boolean;
}
