import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../core/ports/codec.ts';
import { RAFT_MESSAGE_CODEC } from '../../../core/raft/message-codec.ts';
import type { Message } from '../../../core/raft/messages.ts';
import { asIndex, asNodeId, asTerm } from '../../../core/raft/types.ts';
import { codecProperties, f64Hex, hex, pinnedEncoding } from '../../support/codec-properties.ts';
import { raftMessage } from '../../support/wire-arbitraries.ts';

codecProperties('raft message', RAFT_MESSAGE_CODEC, raftMessage, { binary: true });

const app: Message = {
  kind: 'MsgApp',
  from: asNodeId(1),
  to: asNodeId(2),
  term: asTerm(5),
  prevIndex: asIndex(7),
  prevTerm: asTerm(5),
  entries: [{ index: asIndex(8), term: asTerm(5), type: 'normal', data: new Uint8Array([0xaa]) }],
  commit: asIndex(7),
};

describe('raft message layout', () => {
  it('is the kind, the envelope, then the fields in order (pinned bytes)', () => {
    pinnedEncoding(
      RAFT_MESSAGE_CODEC,
      app,
      hex(
        '00', // MsgApp
        f64Hex(1), // from
        f64Hex(2), // to
        f64Hex(5), // term
        f64Hex(7), // prevIndex
        f64Hex(5), // prevTerm
        '01000000', // one entry:
        f64Hex(8), //   index
        f64Hex(5), //   term
        '00', //   normal
        '01000000 aa', //   data
        f64Hex(7), // commit
      ),
    );
    pinnedEncoding(
      RAFT_MESSAGE_CODEC,
      { kind: 'MsgVoteResp', from: asNodeId(2), to: asNodeId(1), term: asTerm(5), reject: true },
      hex('03', f64Hex(2), f64Hex(1), f64Hex(5), '01'),
    );
  });
});

describe('raft message codec errors', () => {
  it('names the message, the field, the problem and the offset', () => {
    expect(() => RAFT_MESSAGE_CODEC.decode(new Uint8Array([99]))).toThrow(
      new CodecError('raft message: unknown raft message kind tag 99 (at byte 1)'),
    );
    expect(() => RAFT_MESSAGE_CODEC.decode(new Uint8Array([0, 1, 2]))).toThrow(
      new CodecError(
        'raft message: MsgApp.from: truncated: needs 8 more bytes, 2 left (at byte 1)',
      ),
    );
    const bytes = RAFT_MESSAGE_CODEC.encode(app);
    // Cut inside the first entry's data.
    expect(() => RAFT_MESSAGE_CODEC.decode(bytes.slice(0, bytes.byteLength - 9))).toThrow(
      new CodecError(
        'raft message: MsgApp.entries[0].data: truncated: needs 1 more bytes, 0 left (at byte 66)',
      ),
    );
  });

  it('refuses an entry count larger than the message could hold', () => {
    const header = new Uint8Array(1 + 24 + 16 + 4);
    const view = new DataView(header.buffer);
    view.setUint32(41, 0xffff_ffff, true);
    expect(() => RAFT_MESSAGE_CODEC.decode(header)).toThrow(
      /MsgApp\.entries: count 4294967295 exceeds/,
    );
  });
});
