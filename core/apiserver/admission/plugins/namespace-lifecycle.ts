/**
 * NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle): nothing is created in a
 * namespace that does not exist or is being deleted, and the immortal namespaces (default,
 * kube-system, kube-public) may not be deleted.
 */
import * as errors from '../../../api/errors.ts';
import { ADMIT, deny, forbidden, handlesOnly, type AdmissionPlugin } from '../attributes.ts';
import type { ObjectLookups } from '../lookups.ts';

export const NAMESPACE_LIFECYCLE = 'NamespaceLifecycle';

/** The plugin's immortalNamespaces. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** v1.NamespaceTerminatingCause. */
export const NAMESPACE_TERMINATING_CAUSE = 'NamespaceTerminating';

export function namespaceLifecycle(lookups: ObjectLookups): AdmissionPlugin {
  return {
    name: NAMESPACE_LIFECYCLE,
    handles: handlesOnly('CREATE', 'DELETE'),
    validate: async (a) => {
      const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
      if (a.operation === 'DELETE') {
        if (!isNamespace || a.subresource !== '' || !IMMORTAL_NAMESPACES.has(a.name)) return ADMIT;
        return deny(errors.forbidden('namespaces', a.name, 'this namespace may not be deleted'));
      }
      if (a.namespace === '' || isNamespace) return ADMIT;
      const ns = await lookups.get('Namespace', undefined, a.namespace);
      if (errors.isStatus(ns)) {
        return deny(ns.code === 404 ? errors.notFound('namespaces', a.namespace) : ns);
      }
      if (ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating') {
        const refused = forbidden(
          a,
          `unable to create new content in namespace ${a.namespace} because it is being terminated`,
        );
        // The NamespaceTerminating cause lets controllers tell this refusal from others.
        const cause = {
          reason: NAMESPACE_TERMINATING_CAUSE,
          message: `namespace ${a.namespace} is being terminated`,
          field: 'metadata.namespace',
        };
        const details = refused.details ?? {};
        return deny({
          ...refused,
          details: { ...details, causes: [...(details.causes ?? []), cause] },
        });
      }
      return ADMIT;
    },
  };
}
