/**
 * Namespaces as the scope of every namespaced object: the system namespaces the API server
 * creates at start (upstream's system namespaces controller) and the NamespaceLifecycle
 * admission check of every create. This is the one place outside core/api that names a kind:
 * namespaces are what the other kinds live in.
 */
import * as errors from '../api/errors.ts';
import type { Namespace } from '../api/cluster-types.ts';
import { mustDefinitionFor } from '../api/kinds/index.ts';
import { qualifiedResource } from '../api/resources.ts';
import type { Status } from '../api/status-types.ts';
import type { Clock } from '../ports/clock.ts';
import { keyFor, storageFailure, type RegistryContext } from './registry/context.ts';
import type { Registry } from './registry/registry.ts';
import { requestInfoFor, type RequestInfo } from './request-info.ts';

/** Namespaces every cluster has (upstream's system namespaces controller creates them). */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const namespaces = (): RequestInfo =>
  requestInfoFor(mustDefinitionFor('Namespace'), 'create', undefined);

/**
 * NamespaceLifecycle: objects are created only in a namespace that exists and is not being
 * deleted. `info` and `name` are the object's, for the message.
 */
export async function checkNamespaceAdmits(
  ctx: RegistryContext,
  info: RequestInfo,
  namespace: string,
  name: string,
): Promise<Status | undefined> {
  const nsInfo = namespaces();
  const ns = await ctx.storage.get<Namespace>(keyFor(nsInfo, namespace));
  if (!ns.ok) {
    return ns.failure.kind === 'not-found'
      ? errors.notFound(qualifiedResource(nsInfo.resource), namespace)
      : storageFailure(info, name, ns.failure);
  }
  if (ns.value.metadata.deletionTimestamp !== undefined) {
    return errors.forbidden(
      qualifiedResource(info.resource),
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`,
    );
  }
  return undefined;
}

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
