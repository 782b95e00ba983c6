import { describe, expect, it } from 'vitest';
import {
  API_PROTOCOL,
  API_REQUEST_CODEC,
  API_RESPONSE_CODEC,
  WATCH_FRAME_CODEC,
} from '../../../core/api/http-codec.ts';
import { CodecError } from '../../../core/ports/codec.ts';
import { codecProperties } from '../../support/codec-properties.ts';
import { apiRequest, apiResponse, watchFrame } from '../../support/wire-arbitraries.ts';

codecProperties('API request', API_REQUEST_CODEC, apiRequest, { binary: false });
codecProperties('API response', API_RESPONSE_CODEC, apiResponse, { binary: false });
codecProperties('watch frame', WATCH_FRAME_CODEC, watchFrame, { binary: false });

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('API codecs', () => {
  it('speak JSON as Kubernetes does', () => {
    const frame = { type: 'ADDED' as const, object: { kind: 'Pod', metadata: { name: 'p' } } };
    expect(new TextDecoder().decode(WATCH_FRAME_CODEC.encode(frame))).toBe(
      '{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"p"}}}',
    );
  });

  it.each([
    ['not JSON', '{"kind":', /API request: not UTF-8 JSON/],
    ['an array', '[]', /API request: expected an object/],
    ['another kind', '{"kind":"grpc","method":"GET","path":"/"}', /kind must be "http"/],
    ['an unknown method', '{"kind":"http","method":"TRACE","path":"/"}', /unsupported method/],
    ['a relative path', '{"kind":"http","method":"GET","path":"api"}', /path must be a string/],
    [
      'a query that is not strings',
      '{"kind":"http","method":"GET","path":"/","query":{"limit":5}}',
      /query parameter limit must be a string/,
    ],
  ])('refuse a request that is %s', (_what, text, error) => {
    expect(() => API_REQUEST_CODEC.decode(bytes(text))).toThrow(CodecError);
    expect(() => API_REQUEST_CODEC.decode(bytes(text))).toThrow(error);
  });

  it('refuse a response without a status code and a frame of an unknown type', () => {
    expect(() => API_RESPONSE_CODEC.decode(bytes('{"status":"200"}'))).toThrow(/status must be/);
    expect(() => WATCH_FRAME_CODEC.decode(bytes('{"type":"UPSERT","object":{}}'))).toThrow(
      /unknown watch event type "UPSERT"/,
    );
    expect(() => API_PROTOCOL.datagram.decode(bytes('{}'))).toThrow(CodecError);
  });

  it('refuse bytes that are not UTF-8', () => {
    expect(() => WATCH_FRAME_CODEC.decode(new Uint8Array([0xff, 0xfe]))).toThrow(
      /watch frame: not UTF-8 JSON/,
    );
  });
});
