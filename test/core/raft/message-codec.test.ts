import { describe, expect, it } from 'vitest';
import { CodecError } from '../../../core/ports/codec.ts';
import { RAFT_MESSAGE_CODEC } from '../../../core/raft/message-codec.ts';
import { codecProperties } from '../../support/codec-properties.ts';
import { raftMessage } from '../../support/wire-arbitraries.ts';

codecProperties('raft message', RAFT_MESSAGE_CODEC, raftMessage, { binary: true });

describe('raft message codec errors', () => {
  it('names the message, the problem and the offset', () => {
    expect(() => RAFT_MESSAGE_CODEC.decode(new Uint8Array([99]))).toThrow(
      new CodecError('raft message: unknown raft message kind tag 99 (at byte 1)'),
    );
    expect(() => RAFT_MESSAGE_CODEC.decode(new Uint8Array([0, 1, 2]))).toThrow(
      /raft message: truncated: needs 8 more bytes, 2 left \(at byte 1\)/,
    );
  });

  it('refuses an entry count larger than the message could hold', () => {
    const header = new Uint8Array(1 + 24 + 16 + 4);
    const view = new DataView(header.buffer);
    view.setUint32(41, 0xffff_ffff, true);
    expect(() => RAFT_MESSAGE_CODEC.decode(header)).toThrow(/count 4294967295 exceeds/);
  });
});
