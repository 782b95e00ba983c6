/**
 * The kubelet's server (pkg/kubelet/server/server.go), reduced to the resource metrics that
 * metrics-server scrapes. Every request is authenticated (the cluster's client CA, as kubelet
 * --client-ca-file) and authorized as `get nodes/metrics` on this node by a SubjectAccessReview
 * to the API server (--authorization-mode=Webhook), whose answers are cached for upstream's
 * --authorization-webhook-cache-authorized-ttl (5 min) and -unauthorized-ttl (30 s).
 */
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

export const AUTHORIZED_TTL_US = 300_000_000;
export const UNAUTHORIZED_TTL_US = 30_000_000;

export interface KubeletServerEnv {
  readonly nodeName: string;
  readonly usage: () => Promise<NodeUsage | undefined>;
  readonly authenticate: RequestAuthenticator;
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
    });
  }

  private async resourceMetrics(authorization: string | undefined): Promise<KubeletReply> {
    const user = await this.env.authenticate(authorization);
    if (user === undefined) return { kind: 'error', code: 401, message: 'Unauthorized' };
    if (!(await this.authorized(user))) {
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

  private async authorized(user: RequestUser): Promise<boolean> {
    const key = `${user.user}|${user.groups.join(',')}`;
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
          verb: 'get',
          resource: 'nodes',
          subresource: 'metrics',
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
