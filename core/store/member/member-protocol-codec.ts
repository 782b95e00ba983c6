/**
 * Binary codecs of every request a store member accepts and every reply it gives (KV ops,
 * leases, snapshot-save, membership; member-protocol.ts), built from the op, result and error
 * layouts of protocol-codec.ts. A message is a one-byte kind and its fields (struct-codec.ts).
 */
import type { Codec } from '../../ports/codec.ts';
import {
  binaryCodec,
  bool,
  bytes,
  f64,
  f64As,
  list,
  optional,
  str,
  struct,
  union,
} from '../../ports/struct-codec.ts';
import {
  RESPONSE_HEADER,
  STORE_ERROR_FIELDS,
  STORE_OP,
  STORE_RESULT,
  STRINGS,
} from '../protocol-codec.ts';
import { leaseId, revision } from '../types.ts';
import type { LeaseResult, MemberInfo, MemberReply, MemberRequest } from './member-protocol.ts';

const lease = f64As(leaseId);

export const MEMBER_REQUEST_CODEC: Codec<MemberRequest> = binaryCodec(
  'store request',
  union<MemberRequest>('member request', 'kind', {
    kv: { op: STORE_OP },
    'lease-keep-alive': { id: lease },
    'lease-time-to-live': { id: lease },
    'snapshot-save': {},
    'member-add': { id: f64, address: str, learner: bool },
    'member-promote': { id: f64 },
    'member-remove': { id: f64 },
    'member-list': {},
  }),
);

const leaseResult = union<LeaseResult>('lease result', 'kind', {
  'lease-keep-alive': { header: RESPONSE_HEADER, id: lease, ttlSeconds: f64 },
  'lease-time-to-live': {
    header: RESPONSE_HEADER,
    id: lease,
    remainingSeconds: f64,
    grantedTtlSeconds: f64,
    keys: STRINGS,
  },
  error: STORE_ERROR_FIELDS,
});

const memberInfo = struct<MemberInfo>({ id: f64, address: str, learner: bool });

export const MEMBER_REPLY_CODEC: Codec<MemberReply> = binaryCodec(
  'store reply',
  union<MemberReply>('member reply', 'kind', {
    result: { result: STORE_RESULT },
    'not-leader': { leader: optional(str), members: optional(STRINGS) },
    lease: { result: leaseResult },
    snapshot: { revision: f64As(revision), data: bytes },
    members: { members: list(memberInfo) },
    'membership-error': { reason: str },
  }),
);
