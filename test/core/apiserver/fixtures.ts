import type { Pod } from '../../../core/api/pod-types.ts';
import type { ReplicaSet } from '../../../core/api/replica-set-types.ts';
import type { ApiClient, ApiResult } from '../../../core/client/api-client.ts';
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
