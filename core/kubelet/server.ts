/**
 * The kubelet's server (pkg/kubelet/server/server.go), reduced to the resource metrics that
 * metrics-server scrapes and the container logs and exec streams the API server proxies. Every
 * request is authenticated (the cluster's client CA, as kubelet --client-ca-file) and
 * authorized on this node by a SubjectAccessReview to the API server
 * (--authorization-mode=Webhook) — `get nodes/metrics`, and as upstream's auth.go maps the
 * other paths, `get nodes/proxy` for /containerLogs and `create nodes/proxy` for /exec and
 * /attach — whose
 * answers are cached for upstream's --authorization-webhook-cache-authorized-ttl (5 min) and
 * -unauthorized-ttl (30 s).
 */
import * as errors from '../api/errors.ts';
import {
  refusal,
  type KubeletStreamRequest,
  type StreamFrame,
  type StreamInput,
} from '../api/node-stream.ts';
import type { Status } from '../api/status-types.ts';
import type { ServerStream } from '../ports/transport.ts';
import type { Runtime } from '../ports/runtime.ts';
import { streamLog } from './container-logs.ts';
import { runExec, runInteractiveExec } from './container-exec.ts';
import { runAttach } from './container-attach.ts';
import type { SubjectAccessReview } from '../api/access-review-types.ts';
import {
  KUBELET_PROTOCOL,
  type KubeletReply,
  type PodSample,
  type RequestAuthenticator,
  type RequestUser,
} from '../api/kubelet-protocol.ts';
import type { ApiClient } from '../client/api-client.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type { NodeUsage } from './resource-usage.ts';
import { assertNever } from '../util/assert.ts';

export const AUTHORIZED_TTL_US = 300_000_000;
export const UNAUTHORIZED_TTL_US = 30_000_000;

export interface KubeletServerEnv {
  readonly nodeName: string;
  readonly usage: () => Promise<NodeUsage | undefined>;
  readonly authenticate: RequestAuthenticator;
  readonly runtime: Runtime;
  /**
   * The runtime container a log or exec request reaches (the previous instance for `previous`),
   * or why there is none, in upstream's words (validateContainerLogStatus).
   */
  readonly container: (req: KubeletStreamRequest, previous: boolean) => string | Status;
}

export class KubeletServer {
  /** user|groups -> (allowed, until when). */
  private readonly decisions = new Map<string, { allowed: boolean; untilUs: number }>();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly env: KubeletServerEnv,
  ) {
    ports.transport.listen(KUBELET_PROTOCOL, {
      onRequest: (_from, req) => this.resourceMetrics(req.authorization),
      onStream: (_from, req, stream) => ports.spawn(() => this.containerStream(req, stream)),
    });
  }

  private async containerStream(
    req: KubeletStreamRequest,
    stream: ServerStream<StreamFrame, StreamInput>,
  ): Promise<void> {
    const refused = await this.admitStream(req);
    if (errors.isStatus(refused)) {
      stream.send(refusal(refused));
      stream.close();
      return;
    }
    switch (req.kind) {
      case 'container-logs':
        await streamLog(this.ports.clock, this.env.runtime, refused, req.options, stream);
        break;
      case 'exec':
        if (req.streams !== undefined && (req.streams.stdin || req.streams.tty))
          await runInteractiveExec(this.env.runtime, refused, req.command, req.streams, stream);
        else await runExec(this.env.runtime, refused, req.command, stream);
        break;
      case 'attach':
        await runAttach(this.env.runtime, refused, req.streams, stream);
        break;

      default:
        assertNever(req, 'kubelet stream request');
    }
    stream.close();
  }

  /** The container id the stream reads, once its caller is known and allowed. */
  private async admitStream(req: KubeletStreamRequest): Promise<string | Status> {
    const user = await this.env.authenticate(req.authorization);
    if (user === undefined) return errors.unauthorized();
    const verb = req.kind === 'container-logs' ? 'get' : 'create';
    if (!(await this.authorized(user, verb, 'proxy'))) {
      return errors.forbidden(
        'nodes',
        this.env.nodeName,
        `User "${user.user}" cannot ${verb} resource "nodes/proxy" in API group "" at the cluster scope`,
      );
    }
    return this.env.container(req, req.kind === 'container-logs' && req.options.previous);
  }

  private async resourceMetrics(authorization: string | undefined): Promise<KubeletReply> {
    const user = await this.env.authenticate(authorization);
    if (user === undefined) return { kind: 'error', code: 401, message: 'Unauthorized' };
    if (!(await this.authorized(user, 'get', 'metrics'))) {
      return {
        kind: 'error',
        code: 403,
        message: `Forbidden (user=${user.user}, verb=get, resource=nodes, subresource(s)=[metrics])`,
      };
    }
    const timestampUs = this.ports.clock.now();
    const usage = await this.env.usage();
    if (usage === undefined)
      return { kind: 'error', code: 503, message: 'the container runtime gave no stats' };
    return {
      kind: 'resource-metrics',
      node: this.env.nodeName,
      timestampUs,
      cpuMillicores: usage.cpuMillicores,
      memoryBytes: usage.memoryBytes,
      pods: usage.pods.map((p): PodSample => {
        const slash = p.pod.indexOf('/');
        return {
          namespace: p.pod.slice(0, slash),
          name: p.pod.slice(slash + 1),
          uid: p.uid,
          containers: p.containers,
        };
      }),
    };
  }

  private async authorized(
    user: RequestUser,
    verb: 'get' | 'create',
    subresource: 'metrics' | 'proxy',
  ): Promise<boolean> {
    const key = `${verb}|${subresource}|${user.user}|${user.groups.join(',')}`;
    const now = this.ports.clock.now();
    const cached = this.decisions.get(key);
    if (cached !== undefined && cached.untilUs > now) return cached.allowed;
    const review: SubjectAccessReview = {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      metadata: {},
      spec: {
        user: user.user,
        groups: [...user.groups],
        resourceAttributes: {
          verb,
          resource: 'nodes',
          subresource,
          name: this.env.nodeName,
        },
      },
    };
    const r = await this.api.create(review);
    // An unanswered review is a denial that is not remembered (upstream retries the webhook).
    if (!r.ok) return false;
    const allowed = r.value.status?.allowed === true;
    const ttl = allowed ? AUTHORIZED_TTL_US : UNAUTHORIZED_TTL_US;
    this.decisions.set(key, { allowed, untilUs: now + ttl });
    return allowed;
  }
}
