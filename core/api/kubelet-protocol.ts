/**
 * The kubelet's server (port 10250 upstream), reduced to what metrics-server reads of it (the
 * resource metrics of the node and its pods, upstream's /metrics/resource, as the summary API
 * computes them) and the container logs and exec streams the API server proxies
 * (node-stream.ts). A request carries the caller's bearer token; the kubelet authenticates it
 * against the cluster's client CA and authorizes `get nodes/metrics` with a SubjectAccessReview,
 * as kubelet --authentication-token-webhook / --authorization-mode=Webhook do.
 */
import { isRecord, jsonCodec, noMessages, type Codec } from '../ports/codec.ts';
import type { Protocol } from '../ports/transport.ts';
import {
  KUBELET_STREAM_REQUEST_CODEC,
  STREAM_FRAME_CODEC,
  STREAM_INPUT_CODEC,
  type KubeletStreamRequest,
  type StreamFrame,
  type StreamInput,
} from './node-stream.ts';

export interface ResourceMetricsRequest {
  readonly kind: 'resource-metrics';
  /** "Bearer <token>". */
  readonly authorization?: string;
}

export interface ContainerSample {
  readonly name: string;
  readonly cpuMillicores: number;
  readonly memoryBytes: number;
}

export interface PodSample {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly containers: readonly ContainerSample[];
}

export type KubeletReply =
  | {
      readonly kind: 'resource-metrics';
      readonly node: string;
      /** When the kubelet sampled the usage (Unix microseconds). */
      readonly timestampUs: number;
      readonly cpuMillicores: number;
      readonly memoryBytes: number;
      readonly pods: readonly PodSample[];
    }
  /** 401 (no or a bad credential), 403 (not allowed), 503 (the runtime cannot say). */
  | { readonly kind: 'error'; readonly code: 401 | 403 | 503; readonly message: string };

function checkRequest(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  if (v.kind !== 'resource-metrics') return `unknown request ${JSON.stringify(v.kind)}`;
  if (v.authorization !== undefined && typeof v.authorization !== 'string')
    return 'authorization must be a string';
  return undefined;
}

const isNumber = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x);

function checkContainer(c: unknown): string | undefined {
  if (!isRecord(c) || typeof c.name !== 'string') return 'a container sample needs a name';
  if (!isNumber(c.cpuMillicores) || !isNumber(c.memoryBytes))
    return `container ${c.name}: usage must be numbers`;
  return undefined;
}

function checkPod(p: unknown): string | undefined {
  if (!isRecord(p)) return 'a pod sample must be an object';
  for (const f of ['namespace', 'name', 'uid'] as const)
    if (typeof p[f] !== 'string') return `a pod sample's ${f} must be a string`;
  if (!Array.isArray(p.containers)) return `pod ${String(p.name)}: containers must be a list`;
  for (const c of p.containers) {
    const problem = checkContainer(c);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function checkReply(v: unknown): string | undefined {
  if (!isRecord(v)) return 'expected an object';
  if (v.kind === 'error') {
    if (v.code !== 401 && v.code !== 403 && v.code !== 503) return 'unknown error code';
    return typeof v.message === 'string' ? undefined : 'message must be a string';
  }
  if (v.kind !== 'resource-metrics') return `unknown reply ${JSON.stringify(v.kind)}`;
  if (typeof v.node !== 'string') return 'node must be a string';
  for (const f of ['timestampUs', 'cpuMillicores', 'memoryBytes'] as const)
    if (!isNumber(v[f])) return `${f} must be a number`;
  if (!Array.isArray(v.pods)) return 'pods must be a list';
  for (const p of v.pods) {
    const problem = checkPod(p);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

export const RESOURCE_METRICS_REQUEST_CODEC: Codec<ResourceMetricsRequest> = jsonCodec(
  'kubelet request',
  checkRequest,
);
export const KUBELET_REPLY_CODEC: Codec<KubeletReply> = jsonCodec('kubelet reply', checkReply);

export interface KubeletTypes {
  readonly request: ResourceMetricsRequest;
  readonly reply: KubeletReply;
  /** Container logs and exec (node-stream.ts), which the API server proxies. */
  readonly open: KubeletStreamRequest;
  readonly stream: StreamFrame;
  readonly input: StreamInput;
  readonly datagram: never;
}

export const KUBELET_PROTOCOL: Protocol<KubeletTypes> = {
  name: 'kubelet',
  request: RESOURCE_METRICS_REQUEST_CODEC,
  reply: KUBELET_REPLY_CODEC,
  streamOpen: KUBELET_STREAM_REQUEST_CODEC,
  streamMessage: STREAM_FRAME_CODEC,
  streamInput: STREAM_INPUT_CODEC,
  datagram: noMessages('kubelet datagrams'),
};

/**
 * Who the API server is to kubelets when it proxies logs and exec (kubeadm's
 * apiserver-kubelet-client certificate, whose organization is system:masters).
 */
export const KUBE_APISERVER_KUBELET_CLIENT = {
  user: 'kube-apiserver-kubelet-client',
  groups: ['system:masters'],
} as const;

/** Who presented a credential, as a server outside the API server learns it. */
export interface RequestUser {
  readonly user: string;
  readonly groups: readonly string[];
}

/**
 * Authenticates an Authorization header ("Bearer <token>") the way the API server would; the
 * cluster assembly builds it from the cluster's key (a server with the client CA).
 */
export type RequestAuthenticator = (
  authorization: string | undefined,
) => Promise<RequestUser | undefined>;
