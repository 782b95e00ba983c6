import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
import { API_PROTOCOL } from '../../../core/api/http-codec.ts';
import type { ApiRequest, ApiResponse } from '../../../core/api/http.ts';
import { API_SERVER } from '../../../core/cluster/identities.ts';
import type { ProcessPorts } from '../../../core/ports/process.ts';
import { controlPlane, runScript } from '../../support/cluster.ts';

export const pod = (
  name: string,
  labels: Record<string, string> = {},
  namespace = 'default',
): Pod =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
  }) as Pod;

export const replicaSet = (name: string, replicas = 2, namespace = 'default'): ReplicaSet => ({
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name, namespace },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
    },
  },
});

/** The value of a successful result; a failure fails the test with the server's message. */
export function ok<T>(r: ApiResult<T>): T {
  if (!r.ok) throw new Error(`request failed: ${r.status} ${r.error.message ?? ''}`);
  return r.value;
}

/** Runs `script` against a fresh single-member control plane. */
export async function withApi(script: (api: ApiClient) => Promise<void>): Promise<void> {
  const sim = controlPlane();
  await runScript(sim, script);
}

/** Sends `req` as it is (no client defaults) and returns the server's answer. */
export async function send(
  ports: ProcessPorts,
  req: Omit<ApiRequest, 'kind'>,
): Promise<ApiResponse> {
  const r = await ports.transport.request(
    API_PROTOCOL,
    API_SERVER,
    { kind: 'http', ...req },
    10_000_000,
  );
  if (r.kind !== 'reply') throw new Error(`no answer: ${r.kind}`);
  return r.body;
}

/** Runs `script` against a fresh control plane, with the script's ports for raw requests. */
export async function withPorts(
  script: (api: ApiClient, ports: ProcessPorts) => Promise<void>,
): Promise<void> {
  await runScript(controlPlane(), script);
}
