/**
 * The streaming subresources a kubelet serves and the API server proxies (pods/log,
 * pods/exec and pods/attach; upstream's pod LogLocation / ExecLocation / AttachLocation and the
 * kubelet's /containerLogs, /exec and /attach handlers). A client opens a stream on API_STREAM_PROTOCOL with the HTTP-shaped request;
 * the API server authenticates and authorizes it, finds the pod's node and opens a stream to
 * that node's kubelet (KUBELET_PROTOCOL), whose frames it relays. The HTTP front turns the
 * frames into a chunked body (logs) or WebSocket channels (exec, attach).
 *
 * The client's input (stdin, its end, terminal resizes) goes the other way on the same
 * streams, and the API server relays it to the kubelet as it relays frames back.
 *
 * Frames: `start` once the request was accepted (the front then sends its 200 or its
 * WebSocket upgrade), `data` for each piece of output, `end` with exec's or attach's outcome as
 * upstream's error-channel Status; or a single `error` with the HTTP answer when it was refused. The server
 * closes the stream after `end` or `error`; the end of a log is the close itself.
 */
import { isRecord, jsonCodec, type Codec } from '../ports/codec.ts';
import type { Protocol } from '../ports/transport.ts';
import { API_REQUEST_CODEC } from './http-codec.ts';
import type { ApiRequest, ApiResponse } from './http.ts';
import { noMessages } from '../ports/codec.ts';
import type { Status } from './status-types.ts';

export type OutputChannel = 'stdout' | 'stderr';

/** The Status of exec's and attach's error channel (upstream writes it without apiVersion and kind). */
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

/**
 * What the client sends on an exec stream (remotecommand's channels 0 and 4, and v5's
 * close of stdin): stdin bytes, the end of stdin, a terminal's new size.
 */
export type StreamInput =
  | { readonly kind: 'stdin'; readonly data: string }
  | { readonly kind: 'stdin-close' }
  | { readonly kind: 'resize'; readonly width: number; readonly height: number };

/** The streams an exec asks for (PodExecOptions). */
export interface StreamOptions {
  readonly stdin: boolean;
  readonly stdout: boolean;
  readonly stderr: boolean;
  /** A terminal: stdout and stderr are one stream (stdout), resizes are carried. */
  readonly tty: boolean;
}

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
      /** Absent: output only, no terminal (what older senders meant). */
      readonly streams?: StreamOptions;
      readonly authorization?: string;
    }
  | {
      /** kubectl attach: the container's main process's stdio (PodAttachOptions). */
      readonly kind: 'attach';
      readonly namespace: string;
      readonly pod: string;
      readonly uid: string;
      readonly container: string;
      readonly streams: StreamOptions;
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
    return v.streams === undefined ? undefined : checkStreamOptions(v.streams);
  }
  if (v.kind === 'attach') return checkStreamOptions(v.streams);
  if (v.kind !== 'container-logs') return `unknown stream request ${JSON.stringify(v.kind)}`;
  const o = v.options;
  if (!isRecord(o)) return 'options must be an object';
  for (const f of ['follow', 'previous', 'timestamps'] as const)
    if (typeof o[f] !== 'boolean') return `options.${f} must be a boolean`;
  for (const f of ['tailLines', 'limitBytes', 'sinceUs'] as const)
    if (!isOptionalNumber(o[f])) return `options.${f} must be a number`;
  return undefined;
}

function checkStreamOptions(o: unknown): string | undefined {
  if (!isRecord(o)) return 'streams must be an object';
  for (const f of ['stdin', 'stdout', 'stderr', 'tty'] as const)
    if (typeof o[f] !== 'boolean') return `streams.${f} must be a boolean`;
  return undefined;
}

const isDimension = (x: unknown): boolean =>
  typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff;

/** Why `v` is not a StreamInput, or undefined. */
export function checkStreamInput(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  switch (v.kind) {
    case 'stdin':
      return typeof v.data === 'string' ? undefined : 'data must be a string';
    case 'stdin-close':
      return undefined;
    case 'resize':
      return isDimension(v.width) && isDimension(v.height)
        ? undefined
        : 'width and height must be integers from 0 to 65535';
    default:
      return `unknown stream input ${JSON.stringify(v.kind)}`;
  }
}

export const STREAM_INPUT_CODEC: Codec<StreamInput> = jsonCodec('stream input', checkStreamInput);

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
  readonly input: StreamInput;
  readonly datagram: never;
}

/**
 * Streaming requests to the API server (pods/log, pods/exec), beside
 * API_PROTOCOL's watches; the client's stdin and resizes travel on the stream.
 */
export const API_STREAM_PROTOCOL: Protocol<ApiStreamTypes> = {
  name: 'api-stream',
  request: noMessages('API stream requests'),
  reply: noMessages('API stream replies'),
  streamOpen: API_REQUEST_CODEC,
  streamMessage: STREAM_FRAME_CODEC,
  streamInput: STREAM_INPUT_CODEC,
  datagram: noMessages('API stream datagrams'),
};

/** The frame that refuses a stream with a Status (its code is the HTTP status). */
export function refusal(status: Status): StreamFrame {
  return { kind: 'error', response: { status: status.code ?? 500, body: status } };
}
