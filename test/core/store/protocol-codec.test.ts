import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../core/ports/codec.ts';
import { STORE_CLIENT_PROTOCOL } from '../../../core/store/client-protocol.ts';
import { STORE_PEER_PROTOCOL } from '../../../core/store/member/peer-protocol.ts';
import { leaseId, revision } from '../../../core/store/types.ts';
import { codecProperties } from '../../support/codec-properties.ts';
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
      new CodecError('store request: unknown put flags 16 (at byte 3)'),
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
    expect(() => client.request.decode(bad)).toThrow(/a txn branch holds a compact op/);
  });

  it('refuse every shape the peer protocol does not carry', () => {
    expect(() => STORE_PEER_PROTOCOL.request.decode(new Uint8Array([1]))).toThrow(CodecError);
    expect(() => client.datagram.decode(new Uint8Array([1]))).toThrow(CodecError);
  });
});
