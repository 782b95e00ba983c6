/**
 * Binary codecs of the store's client traffic (protocol.ts): ops and their results, which every
 * API server request turns into, and the watch stream, declared with struct-codec.ts (which
 * describes the layout: flags byte for optional fields, one-byte union tags, u32-counted lists).
 * Building blocks for the member protocol codec (member/member-protocol-codec.ts), which frames
 * them into requests and replies.
 */
import type { Codec } from '../ports/codec.ts';
import {
  binaryCodec,
  bool,
  constant,
  f64,
  f64As,
  lazy,
  list,
  only,
  oneOf,
  optional,
  str,
  struct,
  union,
  type FieldCodec,
  type Fields,
} from '../ports/struct-codec.ts';
import type { WatchOpen, WatchStreamMessage } from './protocol.ts';
import {
  leaseId,
  revision,
  watchId,
  type Compare,
  type CompareResult,
  type KeyValue,
  type Op,
  type ResponseHeader,
  type Result,
  type StoreError,
  type StoreErrorReason,
  type WatchEvent,
  type WatchRequest,
  type WatchResponse,
} from './types.ts';

const rev = f64As(revision);
const lease = f64As(leaseId);

export const STRINGS: FieldCodec<readonly string[]> = list(str);

const keyValue = struct<KeyValue>({
  key: str,
  value: str,
  createRevision: rev,
  modRevision: rev,
  version: f64,
  lease,
});

export const RESPONSE_HEADER = struct<ResponseHeader>({ revision: rev });

// ---- ops ------------------------------------------------------------------------------------

const compared = { key: str, result: oneOf<CompareResult>(['=', '!=', '<', '>']) };
const compare = union<Compare, 'target'>('compare', 'target', {
  value: { ...compared, value: str },
  version: { ...compared, value: f64 },
  create: { ...compared, value: rev },
  mod: { ...compared, value: rev },
  lease: { ...compared, value: lease },
});

/** The kinds of ops a txn branch holds, and of their results. */
const TXN_KINDS = ['put', 'range', 'delete-range'] as const;
const txnOp = only(
  lazy(() => STORE_OP),
  TXN_KINDS,
  'a txn branch',
);

export const STORE_OP: FieldCodec<Op> = union<Op>('op', 'kind', {
  put: {
    key: str,
    value: str,
    lease: optional(lease),
    prevKv: optional(bool),
    ignoreValue: optional(bool),
    ignoreLease: optional(bool),
  },
  range: {
    key: str,
    rangeEnd: optional(str),
    limit: optional(f64),
    revision: optional(rev),
    countOnly: optional(bool),
    keysOnly: optional(bool),
  },
  'delete-range': { key: str, rangeEnd: optional(str), prevKv: optional(bool) },
  txn: { compare: list(compare), success: list(txnOp), failure: list(txnOp) },
  compact: { revision: rev },
  'lease-grant': { id: lease, ttlSeconds: f64 },
  'lease-revoke': { id: lease },
});

// ---- results --------------------------------------------------------------------------------

/** A StoreError's fields after its kind: the error variant of results and lease results. */
export const STORE_ERROR_FIELDS: Fields<Omit<StoreError, 'kind'>> = {
  reason: oneOf<StoreErrorReason>([
    'empty-key',
    'compacted',
    'future-revision',
    'key-not-found',
    'value-provided',
    'lease-provided',
    'lease-not-found',
    'lease-exists',
    'invalid-lease',
    'too-many-ops',
    'duplicate-key-in-txn',
  ]),
  header: RESPONSE_HEADER,
  compactRevision: optional(rev),
};

const txnResponse = only(
  lazy(() => STORE_RESULT),
  TXN_KINDS,
  'a txn response',
);

export const STORE_RESULT: FieldCodec<Result> = union<Result>('result', 'kind', {
  put: { header: RESPONSE_HEADER, prevKv: optional(keyValue) },
  range: { header: RESPONSE_HEADER, kvs: list(keyValue), count: f64, more: bool },
  'delete-range': { header: RESPONSE_HEADER, deleted: f64, prevKvs: optional(list(keyValue)) },
  txn: { header: RESPONSE_HEADER, succeeded: bool, responses: list(txnResponse) },
  compact: { header: RESPONSE_HEADER },
  'lease-grant': { header: RESPONSE_HEADER, id: lease, ttlSeconds: f64 },
  'lease-revoke': { header: RESPONSE_HEADER },
  error: STORE_ERROR_FIELDS,
});

// ---- watches --------------------------------------------------------------------------------

const watchRequest = struct<WatchRequest>({
  key: str,
  rangeEnd: optional(str),
  startRevision: optional(rev),
  prevKv: optional(bool),
  progressNotify: optional(bool),
});

const watchEvent = struct<WatchEvent>({
  type: oneOf(['PUT', 'DELETE']),
  kv: keyValue,
  prevKv: optional(keyValue),
});

const watchResponse = struct<WatchResponse>({
  watchId: f64As(watchId),
  revision: rev,
  events: list(watchEvent),
});

/** A watch stream's first message: only its request travels. */
export const WATCH_OPEN_CODEC: Codec<WatchOpen> = binaryCodec(
  'watch open',
  struct<WatchOpen>({ kind: constant('watch'), request: watchRequest }),
);

export const WATCH_STREAM_CODEC: Codec<WatchStreamMessage> = binaryCodec(
  'watch stream message',
  union<WatchStreamMessage>('watch stream message', 'kind', {
    created: { watchId: f64As(watchId) },
    events: { response: watchResponse },
    progress: { revision: rev },
    error: {
      error: struct<StoreError>({ kind: constant('error'), ...STORE_ERROR_FIELDS }),
    },
    'member-removed': { members: STRINGS },
  }),
);
