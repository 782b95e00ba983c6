/**
 * What a client sends on an exec stream: the codec keeps every valid input and names what is
 * wrong with any other; the kubelet request carries the exec's streams; and the HTTP front
 * reads remotecommand's WebSocket channels (0 stdin, 4 resize, v5's 255 close) into inputs.
 */
import { describe, expect, it } from 'vitest';
import {
  KUBELET_STREAM_REQUEST_CODEC,
  STREAM_INPUT_CODEC,
  type StreamInput,
} from '../../../core/api/node-stream.ts';
import { clientInput } from '../../../real/http/node-streams.ts';

const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));

describe('stream input codec', () => {
  it('round-trips every kind of input', () => {
    const inputs: StreamInput[] = [
      { kind: 'stdin', data: 'hi\n\u0004é' },
      { kind: 'stdin-close' },
      { kind: 'resize', width: 100, height: 30 },
    ];
    for (const i of inputs)
      expect(STREAM_INPUT_CODEC.decode(STREAM_INPUT_CODEC.encode(i))).toEqual(i);
  });

  it.each([
    [{ kind: 'stdin' }, 'data must be a string'],
    [{ kind: 'resize', width: -1, height: 2 }, 'width and height must be integers'],
    [{ kind: 'resize', width: 1.5, height: 2 }, 'width and height must be integers'],
    [{ kind: 'signal' }, 'unknown stream input "signal"'],
    ['text', 'expected an object'],
  ])('refuses %j', (v, message) => {
    expect(() => STREAM_INPUT_CODEC.decode(bytes(v))).toThrow(message);
  });

  it('carries the streams of an exec to the kubelet, and checks them', () => {
    const req = {
      kind: 'exec',
      namespace: 'default',
      pod: 'p',
      uid: 'u',
      container: 'c',
      command: ['sh'],
      streams: { stdin: true, stdout: true, stderr: false, tty: true },
    };
    expect(KUBELET_STREAM_REQUEST_CODEC.decode(bytes(req))).toEqual(req);
    expect(() =>
      KUBELET_STREAM_REQUEST_CODEC.decode(bytes({ ...req, streams: { stdin: 'yes' } })),
    ).toThrow('streams.stdin must be a boolean');
  });
});

describe('WebSocket channels to stream input', () => {
  const msg = (channel: number, payload: string | number[]): Buffer =>
    Buffer.concat([
      Buffer.from([channel]),
      typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload),
    ]);

  it.each([
    [msg(0, 'hi\n'), { kind: 'stdin', data: 'hi\n' }],
    [msg(4, '{"Width":80,"Height":24}'), { kind: 'resize', width: 80, height: 24 }],
    [msg(255, [0]), { kind: 'stdin-close' }],
    [msg(0, ''), undefined],
    [msg(255, [1]), undefined],
    [msg(4, '{"Width":"80"}'), undefined],
    [msg(4, 'not json'), undefined],
    [msg(7, 'x'), undefined],
  ])('%#: reads the message', (data, expected) => {
    expect(clientInput(data)).toEqual(expected);
  });
});
