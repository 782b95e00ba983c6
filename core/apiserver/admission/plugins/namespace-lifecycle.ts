/**
 * NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle): nothing is created in a
 * namespace that does not exist or is being deleted. (Upstream also refuses deleting the
 * system namespaces; ksim's namespace controller does not delete them either way.)
 */
import * as errors from '../../../api/errors.ts';
import { ADMIT, deny, forbidden, handlesOnly, type AdmissionPlugin } from '../attributes.ts';
import type { ObjectLookups } from '../lookups.ts';

export const NAMESPACE_LIFECYCLE = 'NamespaceLifecycle';

export function namespaceLifecycle(lookups: ObjectLookups): AdmissionPlugin {
  return {
    name: NAMESPACE_LIFECYCLE,
    handles: handlesOnly('CREATE'),
    validate: async (a) => {
      if (a.namespace === '' || (a.resource.group === '' && a.resource.resource === 'namespaces')) {
        return ADMIT;
      }
      const ns = await lookups.get('Namespace', undefined, a.namespace);
      if (errors.isStatus(ns)) {
        return deny(ns.code === 404 ? errors.notFound('namespaces', a.namespace) : ns);
      }
      if (ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating') {
        return deny(
          forbidden(
            a,
            `unable to create new content in namespace ${a.namespace} because it is being terminated`,
          ),
        );
      }
      return ADMIT;
    },
  };
}
