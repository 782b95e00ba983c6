import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../core/ports/codec.ts';
import { STORE_CLIENT_PROTOCOL } from '../../../core/store/client-protocol.ts';
import { STORE_PEER_PROTOCOL } from '../../../core/store/member/peer-protocol.ts';
import { RAFT_MESSAGE_CODEC } from '../../../core/raft/message-codec.ts';
import type { Message } from '../../../core/raft/messages.ts';
import { asNodeId, asTerm } from '../../../core/raft/types.ts';
import { leaseId, revision, watchId, type KeyValue } from '../../../core/store/types.ts';
import {
  codecProperties,
  f64Hex,
  hex,
  pinnedEncoding,
  strHex,
} from '../../support/codec-properties.ts';
import {
  memberReply,
  memberRequest,
  peerDatagram,
  watchOpen,
  watchStreamMessage,
} from '../../support/wire-arbitraries.ts';

const client = STORE_CLIENT_PROTOCOL;
codecProperties('store request', client.request, memberRequest, { binary: true });
codecProperties('store reply', client.reply, memberReply, { binary: true });
codecProperties('watch open', client.streamOpen, watchOpen, { binary: true });
codecProperties('watch stream message', client.streamMessage, watchStreamMessage, {
  binary: true,
});
codecProperties('store peer datagram', STORE_PEER_PROTOCOL.datagram, peerDatagram, {
  binary: true,
});

const kv: KeyValue = {
  key: 'k',
  value: 'v',
  createRevision: revision(1),
  modRevision: revision(2),
  version: 1,
  lease: leaseId(0),
};
const KV_BYTES = [strHex('k'), strHex('v'), f64Hex(1), f64Hex(2), f64Hex(1), f64Hex(0)];

describe('store codec layouts (pinned bytes)', () => {
  it('an op: request kind, op kind, flags of the optional fields, required then optional', () => {
    pinnedEncoding(
      client.request,
      { kind: 'kv', op: { kind: 'put', key: 'k', value: 'v', prevKv: true } },
      hex('00', '00', '02', strHex('k'), strHex('v'), '01'),
    );
    pinnedEncoding(
      client.request,
      { kind: 'kv', op: { kind: 'range', key: 'k', revision: revision(7), keysOnly: true } },
      hex('00', '01', '14', strHex('k'), f64Hex(7), '01'),
    );
  });

  it('a result: reply kind, result kind, header, fields; no flags byte without optional fields', () => {
    pinnedEncoding(
      client.reply,
      {
        kind: 'result',
        result: {
          kind: 'range',
          header: { revision: revision(7) },
          kvs: [kv],
          count: 1,
          more: false,
        },
      },
      hex('00', '01', f64Hex(7), '01000000', ...KV_BYTES, f64Hex(1), '00'),
    );
    pinnedEncoding(
      client.reply,
      { kind: 'result', result: { kind: 'put', header: { revision: revision(7) }, prevKv: kv } },
      hex('00', '00', '01', f64Hex(7), ...KV_BYTES),
    );
  });

  it('a store error: flags first, then reason, header and the optional compact revision', () => {
    pinnedEncoding(
      client.reply,
      {
        kind: 'result',
        result: {
          kind: 'error',
          reason: 'compacted',
          header: { revision: revision(9) },
          compactRevision: revision(5),
        },
      },
      hex('00', '07', '01', '01', f64Hex(9), f64Hex(5)),
    );
    pinnedEncoding(
      client.reply,
      {
        kind: 'result',
        result: { kind: 'error', reason: 'future-revision', header: { revision: revision(9) } },
      },
      hex('00', '07', '00', '02', f64Hex(9)),
    );
    pinnedEncoding(client.reply, { kind: 'not-leader', leader: 'k' }, hex('01', '01', strHex('k')));
  });

  it('watch messages', () => {
    pinnedEncoding(
      client.streamOpen,
      { kind: 'watch', request: { key: 'k', startRevision: revision(5) } },
      hex('02', strHex('k'), f64Hex(5)),
    );
    pinnedEncoding(
      client.streamMessage,
      {
        kind: 'events',
        response: {
          watchId: watchId(3),
          revision: revision(7),
          events: [{ type: 'DELETE', kv }],
        },
      },
      hex('01', f64Hex(3), f64Hex(7), '01000000', '00', '01', ...KV_BYTES),
    );
  });

  it('a peer datagram: a Raft message as the Raft codec encodes it, or the removal notice', () => {
    const vote: Message = {
      kind: 'MsgVoteResp',
      from: asNodeId(2),
      to: asNodeId(1),
      term: asTerm(5),
      reject: true,
    };
    pinnedEncoding(STORE_PEER_PROTOCOL.datagram, vote, RAFT_MESSAGE_CODEC.encode(vote));
    pinnedEncoding(
      STORE_PEER_PROTOCOL.datagram,
      { kind: 'MemberRemoved', member: asNodeId(2) },
      hex('0e', f64Hex(2)),
    );
  });
});

describe('store codecs', () => {
  it('keep a Uint8Array payload byte for byte, as a buffer of its own', () => {
    const data = new Uint8Array([0, 1, 2, 255]);
    const bytes = client.reply.encode({ kind: 'snapshot', revision: 7 as never, data });
    const decoded = client.reply.decode(bytes);
    expect(decoded).toEqual({ kind: 'snapshot', revision: 7, data });
    if (decoded.kind !== 'snapshot') throw new Error('not a snapshot');
    expect(decoded.data.buffer).not.toBe(bytes.buffer);
  });

  it('carry a reply far larger than the encoder starts with', () => {
    const kvs = Array.from({ length: 2_000 }, (_, i) => ({
      key: `/registry/pods/default/pod-${i}`,
      value: 'é'.repeat(i % 50),
      createRevision: revision(i + 1),
      modRevision: revision(i + 2),
      version: 1,
      lease: leaseId(0),
    }));
    const reply = {
      kind: 'result' as const,
      result: {
        kind: 'range' as const,
        header: { revision: revision(9) },
        kvs,
        count: 2_000,
        more: false,
      },
    };
    expect(client.reply.decode(client.reply.encode(reply))).toStrictEqual(reply);
  });

  it('refuse flags the message does not define', () => {
    // A put op whose flags byte sets a bit beyond its four optional fields.
    const bytes = client.request.encode({ kind: 'kv', op: { kind: 'put', key: 'k', value: 'v' } });
    const bad = Uint8Array.from(bytes);
    bad[2] = 0x10;
    expect(() => client.request.decode(bad)).toThrow(
      new CodecError(
        'store request: kv.op.put: unknown flags 16 for 4 optional fields (at byte 3)',
      ),
    );
  });

  it('refuse a txn branch that holds an op a txn may not', () => {
    const bytes = client.request.encode({
      kind: 'kv',
      op: { kind: 'txn', compare: [], success: [{ kind: 'range', key: 'a' }], failure: [] },
    });
    const bad = Uint8Array.from(bytes);
    // The branch op's tag follows: request tag, op tag, compare count, success count.
    bad[1 + 1 + 4 + 4] = 4;
    expect(() => client.request.decode(bad)).toThrow(
      /^store request: kv\.op\.txn\.success\[0\]: a txn branch cannot hold a compact \(at byte \d+\)$/,
    );
  });

  it('name the field a decoding error is in', () => {
    const reply = {
      kind: 'result' as const,
      result: {
        kind: 'range' as const,
        header: { revision: revision(7) },
        kvs: [kv, { ...kv, value: 'é' }],
        count: 2,
        more: false,
      },
    };
    const bad = Uint8Array.from(client.reply.encode(reply));
    // The second key-value's value: two UTF-8 bytes, the first of which becomes a lone 0xff.
    const at = 1 + 1 + 8 + 4 + (5 + 5 + 32) + 5 + 4;
    expect(bad[at]).toBe(0xc3);
    bad[at] = 0xff;
    expect(() => client.reply.decode(bad)).toThrow(
      new CodecError(
        `store reply: result.result.range.kvs[1].value: string is not valid UTF-8 (at byte ${at})`,
      ),
    );
  });

  it('refuse every shape the peer protocol does not carry', () => {
    expect(() => STORE_PEER_PROTOCOL.request.decode(new Uint8Array([1]))).toThrow(CodecError);
    expect(() => client.datagram.decode(new Uint8Array([1]))).toThrow(CodecError);
  });
});
