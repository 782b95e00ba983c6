/**
 * Binary codecs of every request a store member accepts and every reply it gives (KV ops,
 * leases, snapshot-save, membership; member-protocol.ts), built from the op, result and
 * not-leader blocks of protocol-codec.ts. A message is a one-byte tag and its fields.
 */
import { decodeWith, encodeWith, type ByteReader, type ByteWriter } from '../../ports/bytes.ts';
import type { Codec } from '../../ports/codec.ts';
import { assertNever } from '../../util/assert.ts';
import {
  readErrorBody,
  readNotLeader,
  readOp,
  readResult,
  readStrings,
  writeErrorBody,
  writeNotLeader,
  writeOp,
  writeResult,
  writeStrings,
} from '../protocol-codec.ts';
import { leaseId, revision, type ResponseHeader } from '../types.ts';
import type { LeaseResult, MemberInfo, MemberReply, MemberRequest } from './member-protocol.ts';

const REQUEST_KINDS: readonly MemberRequest['kind'][] = [
  'kv',
  'lease-keep-alive',
  'lease-time-to-live',
  'snapshot-save',
  'member-add',
  'member-promote',
  'member-remove',
  'member-list',
];

function writeRequest(w: ByteWriter, req: MemberRequest): void {
  w.u8(REQUEST_KINDS.indexOf(req.kind));
  switch (req.kind) {
    case 'kv':
      return writeOp(w, req.op);
    case 'lease-keep-alive':
    case 'lease-time-to-live':
      w.f64(req.id);
      return;
    case 'snapshot-save':
    case 'member-list':
      return;
    case 'member-add':
      w.f64(req.id);
      w.str(req.address);
      w.bool(req.learner);
      return;
    case 'member-promote':
    case 'member-remove':
      w.f64(req.id);
      return;
    default:
      return assertNever(req, 'member request');
  }
}

function readRequest(r: ByteReader): MemberRequest {
  const kind = r.tag(REQUEST_KINDS, 'member request');
  switch (kind) {
    case 'kv':
      return { kind, op: readOp(r) };
    case 'lease-keep-alive':
    case 'lease-time-to-live':
      return { kind, id: leaseId(r.f64()) };
    case 'snapshot-save':
    case 'member-list':
      return { kind };
    case 'member-add':
      return { kind, id: r.f64(), address: r.str(), learner: r.bool() };
    case 'member-promote':
    case 'member-remove':
      return { kind, id: r.f64() };
    default:
      return assertNever(kind, 'member request');
  }
}

const REPLY_KINDS: readonly MemberReply['kind'][] = [
  'result',
  'not-leader',
  'lease',
  'snapshot',
  'members',
  'membership-error',
];
const LEASE_RESULT_KINDS: readonly LeaseResult['kind'][] = [
  'lease-keep-alive',
  'lease-time-to-live',
  'error',
];

function writeReply(w: ByteWriter, reply: MemberReply): void {
  w.u8(REPLY_KINDS.indexOf(reply.kind));
  switch (reply.kind) {
    case 'result':
      return writeResult(w, reply.result);
    case 'not-leader':
      return writeNotLeader(w, reply);
    case 'lease':
      return writeLeaseResult(w, reply.result);
    case 'snapshot':
      w.f64(reply.revision);
      w.bytes(reply.data);
      return;
    case 'members':
      w.u32(reply.members.length);
      for (const m of reply.members) {
        w.f64(m.id);
        w.str(m.address);
        w.bool(m.learner);
      }
      return;
    case 'membership-error':
      w.str(reply.reason);
      return;
    default:
      return assertNever(reply, 'member reply');
  }
}

function readReply(r: ByteReader): MemberReply {
  const kind = r.tag(REPLY_KINDS, 'member reply');
  switch (kind) {
    case 'result':
      return { kind, result: readResult(r) };
    case 'not-leader':
      return readNotLeader(r);
    case 'lease':
      return { kind, result: readLeaseResult(r) };
    case 'snapshot':
      return { kind, revision: revision(r.f64()), data: r.bytes() };
    case 'members': {
      const n = r.count();
      const members: MemberInfo[] = [];
      for (let i = 0; i < n; i++)
        members.push({ id: r.f64(), address: r.str(), learner: r.bool() });
      return { kind, members };
    }
    case 'membership-error':
      return { kind, reason: r.str() };
    default:
      return assertNever(kind, 'member reply');
  }
}

function writeLeaseResult(w: ByteWriter, res: LeaseResult): void {
  w.u8(LEASE_RESULT_KINDS.indexOf(res.kind));
  if (res.kind === 'error') return writeErrorBody(w, res);
  w.f64(res.header.revision);
  w.f64(res.id);
  switch (res.kind) {
    case 'lease-keep-alive':
      w.f64(res.ttlSeconds);
      return;
    case 'lease-time-to-live':
      w.f64(res.remainingSeconds);
      w.f64(res.grantedTtlSeconds);
      writeStrings(w, res.keys);
      return;
    default:
      return assertNever(res, 'lease result');
  }
}

function readLeaseResult(r: ByteReader): LeaseResult {
  const kind = r.tag(LEASE_RESULT_KINDS, 'lease result');
  if (kind === 'error') return readErrorBody(r);
  const header: ResponseHeader = { revision: revision(r.f64()) };
  const id = leaseId(r.f64());
  switch (kind) {
    case 'lease-keep-alive':
      return { kind, header, id, ttlSeconds: r.f64() };
    case 'lease-time-to-live':
      return {
        kind,
        header,
        id,
        remainingSeconds: r.f64(),
        grantedTtlSeconds: r.f64(),
        keys: readStrings(r),
      };
    default:
      return assertNever(kind, 'lease result');
  }
}

export const MEMBER_REQUEST_CODEC: Codec<MemberRequest> = {
  encode: (req) => encodeWith(req, writeRequest),
  decode: (bytes) => decodeWith(bytes, 'store request', readRequest),
};

export const MEMBER_REPLY_CODEC: Codec<MemberReply> = {
  encode: (reply) => encodeWith(reply, writeReply),
  decode: (bytes) => decodeWith(bytes, 'store reply', readReply),
};
