/**
 * What store members say to one another: Raft messages, and the notice that tells a member it
 * was removed (one that missed its own removal keeps sending; etcd's peers answer it so). All
 * datagrams: Raft tolerates their loss, duplication and reordering.
 */
import { noMessages } from '../../ports/codec.ts';
import { binaryCodec, f64As, union } from '../../ports/struct-codec.ts';
import type { Protocol } from '../../ports/transport.ts';
import { RAFT_MESSAGE_VARIANTS } from '../../raft/message-codec.ts';
import type { Message } from '../../raft/messages.ts';
import { asNodeId, type NodeId } from '../../raft/types.ts';

/** Sent to a member that was removed but still sends Raft messages. */
export interface MemberRemovedNotice {
  readonly kind: 'MemberRemoved';
  readonly member: NodeId;
}

export type PeerDatagram = Message | MemberRemovedNotice;

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
  // One tag space: a datagram that carries a Raft message is the Raft codec's encoding of it.
  datagram: binaryCodec(
    'store peer datagram',
    union<PeerDatagram>('store peer datagram', 'kind', {
      ...RAFT_MESSAGE_VARIANTS,
      MemberRemoved: { member: f64As(asNodeId) },
    }),
  ),
};
