/**
 * Plain-data vocabulary of the Raft state machine: ids, log entries, hard/soft state, snapshots.
 * Shapes follow etcd-io/raft (raftpb/raft.proto) with TypeScript idioms: readonly fields, branded
 * numbers where mixing them up is the classic Raft bug (a term where an index belongs).
 */
import type { Bytes } from '../ports/lazy-bytes.ts';

declare const nodeIdBrand: unique symbol;
declare const termBrand: unique symbol;
declare const indexBrand: unique symbol;

/** A Raft member id. 0 (`NO_NODE`) means "nobody" (no vote, no leader). */
export type NodeId = number & { readonly [nodeIdBrand]: 'NodeId' };
/** A Raft term (election epoch). */
export type Term = number & { readonly [termBrand]: 'Term' };
/** A log position. The first real entry of a fresh log is at index 1. */
export type Index = number & { readonly [indexBrand]: 'Index' };

export function asNodeId(n: number): NodeId {
  return n as NodeId;
}
export function asTerm(n: number): Term {
  return n as Term;
}
export function asIndex(n: number): Index {
  return n as Index;
}

export const NO_NODE: NodeId = asNodeId(0);
export const ZERO_TERM: Term = asTerm(0);
export const ZERO_INDEX: Index = asIndex(0);

export type EntryType = 'normal' | 'conf-change';

/**
 * What a proposer hands to Raft; the leader stamps term and index. A 'conf-change' entry's data
 * is `encodeConfChange(...)` (see conf-change.ts), so every entry serialises the same way.
 */
export interface ProposedEntry {
  readonly type: EntryType;
  readonly data: Uint8Array;
}

/** A log entry. Entries are shared, never copied or mutated, once created. */
export interface Entry extends ProposedEntry {
  readonly term: Term;
  readonly index: Index;
}

export const EMPTY_DATA: Uint8Array = new Uint8Array(0);

/** State that must reach stable storage before any message of the same Ready leaves the node. */
export interface HardState {
  readonly term: Term;
  readonly vote: NodeId;
  readonly commit: Index;
}

export const EMPTY_HARD_STATE: HardState = { term: ZERO_TERM, vote: NO_NODE, commit: ZERO_INDEX };

export function isEmptyHardState(hs: HardState): boolean {
  return hs.term === 0 && hs.vote === 0 && hs.commit === 0;
}

export function hardStateEqual(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

export type RaftRole = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/** Volatile state, useful to the host (who leads?) but never persisted. */
export interface SoftState {
  readonly lead: NodeId;
  readonly role: RaftRole;
}

/** Membership: voters decide elections and commits; learners only receive the log. */
export interface ConfState {
  /** Sorted ascending. */
  readonly voters: readonly NodeId[];
  /** Sorted ascending; disjoint from voters. */
  readonly learners: readonly NodeId[];
}

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export interface SnapshotMetadata {
  readonly index: Index;
  readonly term: Term;
  readonly confState: ConfState;
}

/**
 * State-machine image covering the log up to and including `metadata.index`. Raft never reads
 * `data`; a host may make it `LazyBytes` (an immutable view of its state, encoded only where a
 * codec or a disk read needs bytes), since taking a snapshot otherwise encodes the whole state.
 */
export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  readonly data: Bytes;
}

export const EMPTY_SNAPSHOT: Snapshot = {
  metadata: { index: ZERO_INDEX, term: ZERO_TERM, confState: EMPTY_CONF_STATE },
  data: EMPTY_DATA,
};

export function isEmptySnapshot(s: Snapshot): boolean {
  return s.metadata.index === 0;
}

/** A linearizable read point: once the host has applied `index`, it may serve the read `ctx`. */
export interface ReadState {
  readonly index: Index;
  readonly ctx: string;
}
