/**
 * What store clients (the API server, tools) say to a store: KV ops, lease and membership
 * requests, snapshot-save (member-protocol.ts), and watch streams (protocol.ts). A single-member
 * `KvService` speaks the same protocol and answers what it does not serve not-leader.
 */
import { noMessages } from '../ports/codec.ts';
import type { Protocol } from '../ports/transport.ts';
import { MEMBER_REPLY_CODEC, MEMBER_REQUEST_CODEC } from './member/member-protocol-codec.ts';
import type { MemberReply, MemberRequest } from './member/member-protocol.ts';
import { WATCH_OPEN_CODEC, WATCH_STREAM_CODEC } from './protocol-codec.ts';
import type { WatchOpen, WatchStreamMessage } from './protocol.ts';

export interface StoreClientTypes {
  readonly request: MemberRequest;
  readonly reply: MemberReply;
  readonly open: WatchOpen;
  readonly stream: WatchStreamMessage;
  readonly datagram: never;
}

export const STORE_CLIENT_PROTOCOL: Protocol<StoreClientTypes> = {
  name: 'store-client',
  request: MEMBER_REQUEST_CODEC,
  reply: MEMBER_REPLY_CODEC,
  streamOpen: WATCH_OPEN_CODEC,
  streamMessage: WATCH_STREAM_CODEC,
  datagram: noMessages('store-client datagrams'),
};
