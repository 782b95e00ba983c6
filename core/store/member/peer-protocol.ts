/**
 * What store members say to one another: Raft messages, and the notice that tells a member it
 * was removed (one that missed its own removal keeps sending; etcd's peers answer it so). All
 * datagrams: Raft tolerates their loss, duplication and reordering.
 */
import { decodeWith, encodeWith } from '../../ports/bytes.ts';
import { noMessages } from '../../ports/codec.ts';
import type { Protocol } from '../../ports/transport.ts';
import { readMessage, writeMessage } from '../../raft/message-codec.ts';
import type { Message } from '../../raft/messages.ts';
import { asNodeId, type NodeId } from '../../raft/types.ts';

/** Sent to a member that was removed but still sends Raft messages. */
export interface MemberRemovedNotice {
  readonly kind: 'MemberRemoved';
  readonly member: NodeId;
}

export type PeerDatagram = Message | MemberRemovedNotice;

/** Tag 0 is a Raft message, 1 the notice. */
const RAFT = 0;
const REMOVED = 1;

export const STORE_PEER_PROTOCOL: Protocol<{
  request: never;
  reply: never;
  open: never;
  stream: never;
  datagram: PeerDatagram;
}> = {
  name: 'store-peer',
  request: noMessages('store-peer requests'),
  reply: noMessages('store-peer replies'),
  streamOpen: noMessages('store-peer streams'),
  streamMessage: noMessages('store-peer streams'),
  datagram: {
    encode: (d) =>
      encodeWith(d, (w, msg) => {
        if (msg.kind === 'MemberRemoved') {
          w.u8(REMOVED);
          w.f64(msg.member);
        } else {
          w.u8(RAFT);
          writeMessage(w, msg);
        }
      }),
    decode: (bytes) =>
      decodeWith(bytes, 'store peer datagram', (r): PeerDatagram => {
        const tag = r.u8();
        if (tag === REMOVED) return { kind: 'MemberRemoved', member: asNodeId(r.f64()) };
        if (tag !== RAFT) r.fail(`unknown peer datagram tag ${tag}`);
        return readMessage(r);
      }),
  },
};
