/**
 * The streaming subresources a kubelet serves and the API server proxies (pods/log and
 * pods/exec; upstream's pod LogLocation / ExecLocation and the kubelet's /containerLogs and
 * /exec handlers). A client opens a stream on API_STREAM_PROTOCOL with the HTTP-shaped request;
 * the API server authenticates and authorizes it, finds the pod's node and opens a stream to
 * that node's kubelet (KUBELET_PROTOCOL), whose frames it relays. The HTTP front turns the
 * frames into a chunked body (logs) or WebSocket channels (exec).
 *
 * Frames: `start` once the request was accepted (the front then sends its 200 or its
 * WebSocket upgrade), `data` for each piece of output, `end` with exec's outcome as upstream's
 * error-channel Status; or a single `error` with the HTTP answer when it was refused. The server
 * closes the stream after `end` or `error`; the end of a log is the close itself.
 */
import { isRecord, jsonCodec, type Codec } from '../ports/codec.ts';
import type { Protocol } from '../ports/transport.ts';
import { API_REQUEST_CODEC } from './http-codec.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { noMessages } from '../ports/codec.ts';
import type { Status } from './status-types.ts';

export type OutputChannel = 'stdout' | 'stderr';

/** The Status of exec's error channel (upstream writes it without apiVersion and kind). */
export interface ExecStatus {
  readonly metadata: object;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: {
    readonly causes?: readonly { readonly reason?: string; readonly message?: string }[];
  };
}

export type StreamFrame =
  | { readonly kind: 'start' }
  | { readonly kind: 'data'; readonly channel: OutputChannel; readonly data: string }
  | { readonly kind: 'end'; readonly status: ExecStatus }
  | { readonly kind: 'error'; readonly response: ApiResponse };

/** What a log request asks of the kubelet (upstream's PodLogOptions, validated). */
export interface LogOptions {
  readonly follow: boolean;
  readonly previous: boolean;
  readonly timestamps: boolean;
  readonly tailLines?: number;
  readonly limitBytes?: number;
  /** Only lines written at or after this time (Unix microseconds): sinceSeconds or sinceTime. */
  readonly sinceUs?: number;
}

export type KubeletStreamRequest =
  | {
      readonly kind: 'container-logs';
      readonly namespace: string;
      readonly pod: string;
      readonly uid: string;
      readonly container: string;
      readonly options: LogOptions;
      readonly authorization?: string;
    }
  | {
      readonly kind: 'exec';
      readonly namespace: string;
      readonly pod: string;
      readonly uid: string;
      readonly container: string;
      readonly command: readonly string[];
      readonly authorization?: string;
    };

const CHANNELS: readonly string[] = ['stdout', 'stderr'];

function checkFrame(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  switch (v.kind) {
    case 'start':
      return undefined;
    case 'data':
      if (!CHANNELS.includes(v.channel as string)) return 'unknown channel';
      return typeof v.data === 'string' ? undefined : 'data must be a string';
    case 'end':
      return isRecord(v.status) ? undefined : 'status must be an object';
    case 'error':
      if (!isRecord(v.response) || typeof v.response.status !== 'number')
        return 'response must be an HTTP answer';
      return undefined;
    default:
      return `unknown frame ${JSON.stringify(v.kind)}`;
  }
}

const isOptionalNumber = (x: unknown): boolean =>
  x === undefined || (typeof x === 'number' && Number.isFinite(x));

function checkStreamRequest(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  for (const f of ['namespace', 'pod', 'uid', 'container'] as const)
    if (typeof v[f] !== 'string') return `${f} must be a string`;
  if (v.authorization !== undefined && typeof v.authorization !== 'string')
    return 'authorization must be a string';
  if (v.kind === 'exec') {
    if (!Array.isArray(v.command) || v.command.some((w) => typeof w !== 'string'))
      return 'command must be a list of strings';
    return undefined;
  }
  if (v.kind !== 'container-logs') return `unknown stream request ${JSON.stringify(v.kind)}`;
  const o = v.options;
  if (!isRecord(o)) return 'options must be an object';
  for (const f of ['follow', 'previous', 'timestamps'] as const)
    if (typeof o[f] !== 'boolean') return `options.${f} must be a boolean`;
  for (const f of ['tailLines', 'limitBytes', 'sinceUs'] as const)
    if (!isOptionalNumber(o[f])) return `options.${f} must be a number`;
  return undefined;
}

export const STREAM_FRAME_CODEC: Codec<StreamFrame> = jsonCodec('stream frame', checkFrame);
export const KUBELET_STREAM_REQUEST_CODEC: Codec<KubeletStreamRequest> = jsonCodec(
  'kubelet stream request',
  checkStreamRequest,
);

export interface ApiStreamTypes {
  readonly request: never;
  readonly reply: never;
  readonly open: ApiRequest;
  readonly stream: StreamFrame;
  readonly datagram: never;
}

/** Streaming requests to the API server (pods/log, pods/exec), beside API_PROTOCOL's watches. */
export const API_STREAM_PROTOCOL: Protocol<ApiStreamTypes> = {
  name: 'api-stream',
  request: noMessages('API stream requests'),
  reply: noMessages('API stream replies'),
  streamOpen: API_REQUEST_CODEC,
  streamMessage: STREAM_FRAME_CODEC,
  datagram: noMessages('API stream datagrams'),
};

/** The frame that refuses a stream with a Status (its code is the HTTP status). */
export function refusal(status: Status): StreamFrame {
  return { kind: 'error', response: { status: status.code ?? 500, body: status } };
}
