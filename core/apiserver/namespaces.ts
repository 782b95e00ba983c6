/**
 * The system namespaces the API server creates at start (upstream's system namespaces
 * controller); admission/plugins/namespace-lifecycle.ts keeps creates out of namespaces that
 * are missing or terminating.
 */
import { mustDefinitionFor } from '../api/kinds/index.ts';
import type { Clock } from '../ports/clock.ts';
import type { Registry } from './registry/registry.ts';
import { requestInfoFor, type RequestInfo } from './request-info.ts';

/** Namespaces every cluster has (upstream's system namespaces controller creates them). */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const namespaces = (): RequestInfo =>
  requestInfoFor(mustDefinitionFor('Namespace'), 'create', undefined);

/** Creates the system namespaces, retrying until the store takes them. */
export async function ensureSystemNamespaces(registry: Registry, clock: Clock): Promise<void> {
  const info = namespaces();
  for (const name of SYSTEM_NAMESPACES) {
    while (true) {
      const r = await registry.create(info, {
        apiVersion: info.resource.apiVersion,
        kind: info.resource.kind,
        metadata: { name },
      });
      if (r.status === 201 || r.status === 409) break;
      await clock.sleep(1_000_000);
    }
  }
}
