/**
 * kube-aggregator's proxy (staging/src/k8s.io/kube-aggregator/pkg/apiserver/handler_proxy.go):
 * requests under /apis/<group>/<version> of an aggregated API go, once the API server has
 * authenticated and authorized them, to the process that serves it, with the aggregator's own
 * front-proxy credential; /apis and /apis/<group> list the group. A backend that does not
 * answer is a 503, as upstream's "the server is currently unable to handle the request".
 */
import type { AggregatedApi } from '../api/aggregation.ts';
import * as errors from '../api/errors.ts';
import { API_PROTOCOL } from '../api/http-codec.ts';
import type { ApiRequest, ApiResponse } from '../api/http.ts';
import type { Transport } from '../ports/transport.ts';

/** How long the proxy waits for a backend (upstream's proxy has no shorter deadline). */
export const AGGREGATED_REQUEST_TIMEOUT_US = 10_000_000;

/** One group of the /apis list (metav1.APIGroup). */
export interface AggregatedGroup {
  readonly name: string;
  readonly versions: readonly { readonly groupVersion: string; readonly version: string }[];
  readonly preferredVersion: { readonly groupVersion: string; readonly version: string };
}

export class Aggregator {
  private groupList: readonly AggregatedGroup[] | undefined;

  constructor(
    private readonly transport: Transport,
    readonly apis: readonly AggregatedApi[],
    /** The front-proxy credential (a bearer token); undefined when the cluster has no key. */
    private readonly credential: string | undefined,
  ) {}

  /** The aggregated API a path belongs to. */
  find(path: string): AggregatedApi | undefined {
    if (this.apis.length === 0) return undefined;
    return this.apis.find((a) => {
      const prefix = `/apis/${a.group}/${a.version}`;
      return path === prefix || path.startsWith(`${prefix}/`);
    });
  }

  /** The APIGroup entries /apis lists for the aggregated groups (made once: `apis` is fixed). */
  get groups(): readonly AggregatedGroup[] {
    this.groupList ??= groupsOf(this.apis);
    return this.groupList;
  }

  /**
   * Each aggregated group version's discovery document (its APIResourceList), asked of its
   * server once and kept (upstream's discovery manager keeps them fresh; these APIs do not
   * change while they run); undefined while one does not answer, so /apis stays legacy.
   */
  async resourceLists(): Promise<ReadonlyMap<string, unknown> | undefined> {
    for (const a of this.apis) {
      const gv = `${a.group}/${a.version}`;
      if (this.discovered.has(gv)) continue;
      const r = await this.proxy(a, { kind: 'http', method: 'GET', path: `/apis/${gv}` });
      if (r.status !== 200) return undefined;
      this.discovered.set(gv, r.body);
    }
    return this.discovered;
  }

  private readonly discovered = new Map<string, unknown>();

  async proxy(api: AggregatedApi, req: ApiRequest): Promise<ApiResponse> {
    const { authorization: _user, rawBody: _raw, ...rest } = req;
    const forwarded: ApiRequest = {
      ...rest,
      ...(this.credential === undefined ? {} : { authorization: `Bearer ${this.credential}` }),
    };
    const r = await this.transport.request(
      API_PROTOCOL,
      api.service,
      forwarded,
      AGGREGATED_REQUEST_TIMEOUT_US,
    );
    if (r.kind === 'reply') return r.body;
    const s = errors.serviceUnavailable('the server is currently unable to handle the request');
    return { status: 503, body: s };
  }
}

function groupsOf(apis: readonly AggregatedApi[]): readonly AggregatedGroup[] {
  const byGroup = new Map<string, AggregatedGroup['versions'][number][]>();
  for (const a of apis) {
    const versions = byGroup.get(a.group) ?? [];
    versions.push({ groupVersion: `${a.group}/${a.version}`, version: a.version });
    byGroup.set(a.group, versions);
  }
  return [...byGroup].map(([name, versions]) => ({
    name,
    versions,
    preferredVersion: versions[0] as AggregatedGroup['versions'][number],
  }));
}
