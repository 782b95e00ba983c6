/**
 * metrics-server (kubernetes-sigs/metrics-server): every --metric-resolution (15 s) it scrapes
 * the resource metrics of every node's kubelet at once, each within 90 % of the resolution
 * (its scrape timeout), keeps the latest round (storage.ts) and serves it as
 * metrics.k8s.io/v1beta1 to the API server, which proxies that group to it (API aggregation:
 * the APIService v1beta1.metrics.k8s.io that metrics-server's manifest installs).
 *
 * Requests must come from the aggregator: they carry its front-proxy credential
 * (--requestheader-allowed-names=front-proxy-client). The API server has authenticated and
 * authorized the user before proxying; upstream metrics-server also asks the API server again
 * (delegated authorization), which would only repeat that decision here.
 */
import * as errors from '../api/errors.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import type { ApiRequest, ApiResponse } from '../api/http.ts';
import { KUBELET_PROTOCOL, type RequestAuthenticator } from '../api/kubelet-protocol.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import type { ProcessPorts } from '../ports/process.ts';
import { serveMetrics } from './metrics-api.ts';
import { MetricsStorage, type NodeSample } from './storage.ts';

export interface MetricsServerOptions {
  /** --metric-resolution. */
  readonly resolutionUs: number;
  /** Users allowed to send requests (--requestheader-allowed-names). */
  readonly allowedNames: readonly string[];
}

export const FRONT_PROXY_USER = 'front-proxy-client';

export const DEFAULT_METRICS_SERVER: MetricsServerOptions = {
  resolutionUs: 15_000_000,
  allowedNames: [FRONT_PROXY_USER],
};

/** What the process needs beyond its ports and API client. */
export interface MetricsServerCredentials {
  /** The bearer token it presents to kubelets (its own identity). */
  readonly kubeletToken: string;
  /** Checks the credential of each request it is sent. */
  readonly authenticate: RequestAuthenticator;
}

export class MetricsServer {
  readonly storage = new MetricsStorage();
  private readonly nodes: Informer<'Node'>;
  private readonly pods: Informer<'Pod'>;
  private readonly options: MetricsServerOptions;

  constructor(
    private readonly ports: ProcessPorts,
    api: ApiClient,
    private readonly credentials: MetricsServerCredentials,
    options: Partial<MetricsServerOptions> = {},
  ) {
    this.options = { ...DEFAULT_METRICS_SERVER, ...options };
    this.nodes = new Informer(ports, api, 'Node');
    this.pods = new Informer(ports, api, 'Pod');
    this.nodes.start();
    this.pods.start();
    ports.transport.listen(API_PROTOCOL, { onRequest: (_from, req) => this.serve(req) });
    ports.spawn(() => this.scrapeLoop());
  }

  private async serve(req: ApiRequest): Promise<ApiResponse> {
    const user = await this.credentials.authenticate(req.authorization);
    if (user === undefined) return { status: 401, body: errors.unauthorized() };
    if (!this.options.allowedNames.includes(user.user)) {
      return {
        status: 403,
        body: errors.forbidden(
          '',
          '',
          `user ${JSON.stringify(user.user)} is not an allowed front proxy`,
        ),
      };
    }
    return serveMetrics(
      {
        nodes: () => this.nodes.list(),
        pods: () => this.pods.list(),
        storage: this.storage,
        nowUs: () => this.ports.clock.now(),
        window: `${this.options.resolutionUs / 1_000_000}s`,
      },
      req.method,
      req.path,
      req.query ?? {},
    );
  }

  private async scrapeLoop(): Promise<void> {
    for (;;) {
      await this.ports.clock.sleep(this.options.resolutionUs);
      await this.scrape();
    }
  }

  /** One round: every known node at once; the round's answers replace the stored ones. */
  async scrape(): Promise<void> {
    const names = this.nodes
      .list()
      .map((n) => n.metadata.name ?? '')
      .sort();
    const timeoutUs = Math.floor(this.options.resolutionUs * 0.9);
    const answers = await Promise.all(names.map((name) => this.scrapeNode(name, timeoutUs)));
    const batch = answers.filter((a): a is NodeSample => a !== undefined);
    this.storage.store(batch);
    this.ports.trace.debug('metrics-server.scrape', {
      nodes: names.length,
      answered: batch.length,
      pods: batch.reduce((n, b) => n + b.pods.length, 0),
    });
  }

  private async scrapeNode(name: string, timeoutUs: number): Promise<NodeSample | undefined> {
    const r = await this.ports.transport.request(
      KUBELET_PROTOCOL,
      name,
      { kind: 'resource-metrics', authorization: `Bearer ${this.credentials.kubeletToken}` },
      timeoutUs,
    );
    return r.kind === 'reply' && r.body.kind === 'resource-metrics' ? r.body : undefined;
  }
}
