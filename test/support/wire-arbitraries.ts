/**
 * fast-check arbitraries for every message that crosses a process boundary, every variant and
 * every optional field present or absent, for the codecs' round-trip properties.
 */
import { fc } from '@fast-check/vitest';
import type { ApiRequest, ApiResponse, WatchFrame } from '../../core/api/http.ts';
import type { Message } from '../../core/raft/messages.ts';
import {
  asIndex,
  asNodeId,
  asTerm,
  type Entry,
  type ProposedEntry,
  type Snapshot,
} from '../../core/raft/types.ts';
import type { MemberReply, MemberRequest } from '../../core/store/member/member-protocol.ts';
import type { PeerDatagram } from '../../core/store/member/peer-protocol.ts';
import type { WatchOpen, WatchStreamMessage } from '../../core/store/protocol.ts';
import {
  leaseId,
  revision,
  watchId,
  type Compare,
  type KeyValue,
  type Op,
  type Result,
  type StoreError,
  type TxnRequestOp,
  type TxnResponse,
  type WatchRequest,
} from '../../core/store/types.ts';

/** Plain objects (decoded messages are), optional keys present or not. */
function rec<T>(
  model: { [K in keyof T]: fc.Arbitrary<T[K]> },
  requiredKeys?: (keyof T)[],
): fc.Arbitrary<T> {
  return fc.record(model, {
    noNullPrototype: true,
    ...(requiredKeys === undefined ? {} : { requiredKeys }),
  }) as fc.Arbitrary<T>;
}

/** Any code point (no lone surrogates, which no UTF-8 text can carry). */
export const text = fc.string({ unit: 'binary', maxLength: 24 });
/** Any float64: the codecs must carry every number, not only the likely ones. */
const num = fc.double();
const id = num.map(asNodeId);
const index = num.map(asIndex);
const term = num.map(asTerm);
const bytes = fc.uint8Array({ maxLength: 32 });
const small = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 4 });

// ---- raft -----------------------------------------------------------------------------------

const entryType = fc.constantFrom('normal' as const, 'conf-change' as const);
const entry: fc.Arbitrary<Entry> = rec({ index, term, type: entryType, data: bytes });
const proposed: fc.Arbitrary<ProposedEntry> = rec({ type: entryType, data: bytes });
const snapshot: fc.Arbitrary<Snapshot> = rec({
  metadata: rec({ index, term, confState: rec({ voters: small(id), learners: small(id) }) }),
  data: bytes,
});

function msg<K extends Message['kind'], F>(
  kind: K,
  fields: { [P in keyof F]: fc.Arbitrary<F[P]> },
): fc.Arbitrary<Message> {
  return fc
    .tuple(id, id, term, rec(fields))
    .map(([from, to, t, f]) => ({ kind, from, to, term: t, ...f }) as unknown as Message);
}

export const raftMessage: fc.Arbitrary<Message> = fc.oneof(
  msg('MsgApp', { prevIndex: index, prevTerm: term, entries: small(entry), commit: index }),
  msg('MsgAppResp', {
    index,
    reject: fc.boolean(),
    rejectHintIndex: index,
    rejectHintTerm: term,
  }),
  msg('MsgVote', { lastIndex: index, lastTerm: term, transfer: fc.boolean() }),
  msg('MsgPreVote', { lastIndex: index, lastTerm: term, transfer: fc.boolean() }),
  msg('MsgVoteResp', { reject: fc.boolean() }),
  msg('MsgPreVoteResp', { reject: fc.boolean() }),
  msg('MsgHeartbeat', { commit: index, readSeq: num }),
  msg('MsgHeartbeatResp', { readSeq: num }),
  msg('MsgSnap', { snapshot }),
  msg('MsgReadIndex', { ctx: text }),
  msg('MsgReadIndexResp', { index, ctx: text }),
  msg('MsgTimeoutNow', {}),
  msg('MsgTransferLeader', { transferee: id }),
  msg('MsgProp', { entries: small(proposed) }),
);

export const peerDatagram: fc.Arbitrary<PeerDatagram> = fc.oneof(
  raftMessage,
  rec({ kind: fc.constant('MemberRemoved' as const), member: id }),
);

// ---- store ----------------------------------------------------------------------------------

const rev = num.map(revision);
const lease = num.map(leaseId);

const keyValue: fc.Arbitrary<KeyValue> = rec({
  key: text,
  value: text,
  createRevision: rev,
  modRevision: rev,
  version: num,
  lease,
});

const put = rec(
  {
    kind: fc.constant('put' as const),
    key: text,
    value: text,
    lease,
    prevKv: fc.boolean(),
    ignoreValue: fc.boolean(),
    ignoreLease: fc.boolean(),
  },
  ['kind', 'key', 'value'],
);
const range = rec(
  {
    kind: fc.constant('range' as const),
    key: text,
    rangeEnd: text,
    limit: num,
    revision: rev,
    countOnly: fc.boolean(),
    keysOnly: fc.boolean(),
  },
  ['kind', 'key'],
);
const deleteRange = rec(
  { kind: fc.constant('delete-range' as const), key: text, rangeEnd: text, prevKv: fc.boolean() },
  ['kind', 'key'],
);
const compareResult = fc.constantFrom('=' as const, '!=' as const, '<' as const, '>' as const);
const compare: fc.Arbitrary<Compare> = fc.oneof(
  rec({ target: fc.constant('value' as const), key: text, result: compareResult, value: text }),
  rec({ target: fc.constant('version' as const), key: text, result: compareResult, value: num }),
  rec({
    target: fc.constantFrom('create' as const, 'mod' as const),
    key: text,
    result: compareResult,
    value: rev,
  }),
  rec({ target: fc.constant('lease' as const), key: text, result: compareResult, value: lease }),
);
const txnOp: fc.Arbitrary<TxnRequestOp> = fc.oneof(put, range, deleteRange);

export const op: fc.Arbitrary<Op> = fc.oneof(
  put,
  range,
  deleteRange,
  rec({
    kind: fc.constant('txn' as const),
    compare: small(compare),
    success: small(txnOp),
    failure: small(txnOp),
  }),
  rec({ kind: fc.constant('compact' as const), revision: rev }),
  rec({ kind: fc.constant('lease-grant' as const), id: lease, ttlSeconds: num }),
  rec({ kind: fc.constant('lease-revoke' as const), id: lease }),
);

const header = rec({ revision: rev });
const storeError: fc.Arbitrary<StoreError> = rec(
  {
    kind: fc.constant('error' as const),
    reason: fc.constantFrom(
      'empty-key' as const,
      'compacted' as const,
      'future-revision' as const,
      'key-not-found' as const,
      'value-provided' as const,
      'lease-provided' as const,
      'lease-not-found' as const,
      'lease-exists' as const,
      'invalid-lease' as const,
      'too-many-ops' as const,
      'duplicate-key-in-txn' as const,
    ),
    header,
    compactRevision: rev,
  },
  ['kind', 'reason', 'header'],
);
const putResult = rec({ kind: fc.constant('put' as const), header, prevKv: keyValue }, [
  'kind',
  'header',
]);
const rangeResult = rec({
  kind: fc.constant('range' as const),
  header,
  kvs: small(keyValue),
  count: num,
  more: fc.boolean(),
});
const deleteResult = rec(
  {
    kind: fc.constant('delete-range' as const),
    header,
    deleted: num,
    prevKvs: small(keyValue),
  },
  ['kind', 'header', 'deleted'],
);
const txnResponse: fc.Arbitrary<TxnResponse> = fc.oneof(putResult, rangeResult, deleteResult);

export const result: fc.Arbitrary<Result> = fc.oneof(
  putResult,
  rangeResult,
  deleteResult,
  rec({
    kind: fc.constant('txn' as const),
    header,
    succeeded: fc.boolean(),
    responses: small(txnResponse),
  }),
  rec({ kind: fc.constant('compact' as const), header }),
  rec({ kind: fc.constant('lease-grant' as const), header, id: lease, ttlSeconds: num }),
  rec({ kind: fc.constant('lease-revoke' as const), header }),
  storeError,
);

export const memberRequest: fc.Arbitrary<MemberRequest> = fc.oneof(
  rec({ kind: fc.constant('kv' as const), op }),
  rec({
    kind: fc.constantFrom('lease-keep-alive' as const, 'lease-time-to-live' as const),
    id: lease,
  }),
  rec({ kind: fc.constantFrom('snapshot-save' as const, 'member-list' as const) }),
  rec({ kind: fc.constant('member-add' as const), id: num, address: text, learner: fc.boolean() }),
  rec({ kind: fc.constantFrom('member-promote' as const, 'member-remove' as const), id: num }),
);

const notLeader = rec(
  { kind: fc.constant('not-leader' as const), leader: text, members: small(text) },
  ['kind'],
);

export const memberReply: fc.Arbitrary<MemberReply> = fc.oneof(
  rec({ kind: fc.constant('result' as const), result }),
  notLeader,
  rec({
    kind: fc.constant('lease' as const),
    result: fc.oneof(
      rec({ kind: fc.constant('lease-keep-alive' as const), header, id: lease, ttlSeconds: num }),
      rec({
        kind: fc.constant('lease-time-to-live' as const),
        header,
        id: lease,
        remainingSeconds: num,
        grantedTtlSeconds: num,
        keys: small(text),
      }),
      storeError,
    ),
  }),
  rec({ kind: fc.constant('snapshot' as const), revision: rev, data: bytes }),
  rec({
    kind: fc.constant('members' as const),
    members: small(rec({ id: num, address: text, learner: fc.boolean() })),
  }),
  rec({ kind: fc.constant('membership-error' as const), reason: text }),
);

const watchRequest: fc.Arbitrary<WatchRequest> = rec(
  {
    key: text,
    rangeEnd: text,
    startRevision: rev,
    prevKv: fc.boolean(),
    progressNotify: fc.boolean(),
  },
  ['key'],
);

export const watchOpen: fc.Arbitrary<WatchOpen> = rec({
  kind: fc.constant('watch' as const),
  request: watchRequest,
});

export const watchStreamMessage: fc.Arbitrary<WatchStreamMessage> = fc.oneof(
  rec({ kind: fc.constant('created' as const), watchId: num.map(watchId) }),
  rec({
    kind: fc.constant('events' as const),
    response: rec({
      watchId: num.map(watchId),
      revision: rev,
      events: small(
        rec(
          {
            type: fc.constantFrom('PUT' as const, 'DELETE' as const),
            kv: keyValue,
            prevKv: keyValue,
          },
          ['type', 'kv'],
        ),
      ),
    }),
  }),
  rec({ kind: fc.constant('progress' as const), revision: rev }),
  rec({ kind: fc.constant('error' as const), error: storeError }),
  rec({ kind: fc.constant('member-removed' as const), members: small(text) }),
);

// ---- API ------------------------------------------------------------------------------------

/** JSON objects as API bodies are: no undefined, no -0, no non-finite numbers. */
const jsonObject: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  text,
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown),
  { maxKeys: 4, noNullPrototype: true },
);

export const apiRequest: fc.Arbitrary<ApiRequest> = rec(
  {
    kind: fc.constant('http' as const),
    method: fc.constantFrom(
      'GET' as const,
      'POST' as const,
      'PUT' as const,
      'PATCH' as const,
      'DELETE' as const,
    ),
    path: text.map((p) => `/${p}`),
    query: fc.dictionary(text, text, { maxKeys: 3, noNullPrototype: true }),
    body: jsonObject,
    contentType: text,
    rawBody: text,
    authorization: text,
    accept: text,
  },
  ['kind', 'method', 'path'],
);

export const apiResponse: fc.Arbitrary<ApiResponse> = rec(
  {
    status: fc.integer({ min: 100, max: 599 }),
    body: jsonObject,
    warnings: fc.array(text, { maxLength: 3 }),
    headers: fc.dictionary(text, text, { maxKeys: 2, noNullPrototype: true }),
  },
  ['status', 'body'],
);

export const watchFrame: fc.Arbitrary<WatchFrame> = rec({
  type: fc.constantFrom(
    'ADDED' as const,
    'MODIFIED' as const,
    'DELETED' as const,
    'BOOKMARK' as const,
    'ERROR' as const,
  ),
  object: jsonObject,
});
