/**
 * What a replicated store member answers beyond the single-member protocol (protocol.ts): the
 * lease requests that do not go through the log. `KvRequest`/`KvReply` and the watch stream are
 * spoken unchanged, so `KvClient` and the API server work against a member as against
 * `KvService`.
 *
 * Keep-alive and time-to-live are served by the leader's lessor (etcd LeaseKeepAlive /
 * LeaseTimeToLive), after a ReadIndex round has confirmed the leadership, so a deposed leader
 * cannot extend a lease that the new leader is about to expire.
 */
import type { KvReply, KvRequest, NotLeaderReply } from '../protocol.ts';
import type { LeaseId, ResponseHeader, Revision, StoreError } from '../types.ts';

export interface LeaseKeepAliveRequest {
  readonly kind: 'lease-keep-alive';
  readonly id: LeaseId;
}

export interface LeaseTimeToLiveRequest {
  readonly kind: 'lease-time-to-live';
  readonly id: LeaseId;
}

export type LeaseRequest = LeaseKeepAliveRequest | LeaseTimeToLiveRequest;

/**
 * etcdctl snapshot save: the leader's state machine image at a linearizable point (after a
 * ReadIndex round). Restoring it means starting a new cluster whose members all get the bytes
 * as `restoreFrom`.
 */
export interface SnapshotSaveRequest {
  readonly kind: 'snapshot-save';
}

/**
 * etcdctl member add / promote / remove / list. Changes are single-member Raft configuration
 * changes proposed by the leader and answered once applied; only one may be in progress at a
 * time. `address` is where the new member listens; start it (with `join`) after adding it.
 */
export type MembershipRequest =
  | {
      readonly kind: 'member-add';
      readonly id: number;
      readonly address: string;
      /** Add as a non-voting learner, to be promoted once it has caught up. */
      readonly learner: boolean;
    }
  | { readonly kind: 'member-promote'; readonly id: number }
  | { readonly kind: 'member-remove'; readonly id: number }
  | { readonly kind: 'member-list' };

export interface MemberInfo {
  readonly id: number;
  readonly address: string;
  readonly learner: boolean;
}

/** Every request a member accepts over the Transport's request/response. */
export type MemberRequest = KvRequest | LeaseRequest | SnapshotSaveRequest | MembershipRequest;

export interface LeaseKeepAliveResult {
  readonly kind: 'lease-keep-alive';
  readonly header: ResponseHeader;
  readonly id: LeaseId;
  /** The TTL the lease was renewed for. */
  readonly ttlSeconds: number;
}

export interface LeaseTimeToLiveResult {
  readonly kind: 'lease-time-to-live';
  readonly header: ResponseHeader;
  readonly id: LeaseId;
  /** Seconds left before the leader revokes the lease, rounded up (etcd's TTL field). */
  readonly remainingSeconds: number;
  readonly grantedTtlSeconds: number;
  /** Attached keys, sorted. */
  readonly keys: readonly string[];
}

/** 'lease-not-found' errors are StoreErrors, as the store returns them for revoke. */
export type LeaseResult = LeaseKeepAliveResult | LeaseTimeToLiveResult | StoreError;

export type LeaseReply = { readonly kind: 'lease'; readonly result: LeaseResult } | NotLeaderReply;

export interface SnapshotSaveReply {
  readonly kind: 'snapshot';
  /** Store revision the image is at. */
  readonly revision: Revision;
  readonly data: Uint8Array;
}

export type MembershipReply =
  /** The membership after the change (or now, for a list). */
  | { readonly kind: 'members'; readonly members: readonly MemberInfo[] }
  /** The change was refused and not made; `reason` names what is wrong. */
  | { readonly kind: 'membership-error'; readonly reason: string }
  | NotLeaderReply;

export type MemberReply = KvReply | LeaseReply | SnapshotSaveReply | MembershipReply;
