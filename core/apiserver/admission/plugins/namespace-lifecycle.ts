/**
 * NamespaceLifecycle (staging/src/k8s.io/apiserver/pkg/admission/plugin/namespace/lifecycle):
 * nothing is created in a namespace that does not exist or is being deleted, and the immortal
 * namespaces (default, kube-system, kube-public) may not be deleted.
 *
 * As upstream's, the plugin reads the server's namespace informer and reads the store only
 * when the informer cannot be trusted: the namespace is not in it (just created, or the
 * informer has not synced), or was deleted through this server in the last 30 s while the
 * informer still shows it active (upstream's forceLiveLookupCache). Two differences: upstream
 * first waits 50 ms for its informer before the live read, to spare etcd, which here would only
 * add latency; and a namespace the informer shows terminating is read again before the create
 * is refused, so a namespace deleted and created again is never refused for the old one's
 * state (upstream refuses from its cache).
 */
import * as errors from '../../../api/errors.ts';
import type { Namespace } from '../../../api/cluster-types.ts';
import type { Status } from '../../../api/status-types.ts';
import {
  ADMIT,
  deny,
  forbidden,
  handlesOnly,
  type AdmissionAttributes,
  type AdmissionPlugin,
  type AdmissionResult,
} from '../attributes.ts';
import type { ObjectLookups } from '../lookups.ts';

export const NAMESPACE_LIFECYCLE = 'NamespaceLifecycle';

/** The plugin's immortalNamespaces. */
const IMMORTAL_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);

/** v1.NamespaceTerminatingCause. */
export const NAMESPACE_TERMINATING_CAUSE = 'NamespaceTerminating';

/** forceLiveLookupTTL: how long a namespace deleted through this server is read live. */
export const FORCE_LIVE_LOOKUP_TTL_US = 30_000_000;

/** The size of upstream's forceLiveLookupCache (an LRUExpireCache of 100 entries). */
const FORCE_LIVE_LOOKUP_ENTRIES = 100;

/** `now`: the virtual clock, for the force-live-lookup entries' expiry. */
export function namespaceLifecycle(lookups: ObjectLookups, now: () => number): AdmissionPlugin {
  const forceLive = new ForceLiveLookups(now);
  return {
    name: NAMESPACE_LIFECYCLE,
    informed: ['Namespace'],
    handles: handlesOnly('CREATE', 'DELETE'),
    validate: (a) => {
      const isNamespace = a.resource.group === '' && a.resource.resource === 'namespaces';
      if (a.operation === 'DELETE') {
        if (!isNamespace || a.subresource !== '') return ADMIT;
        if (IMMORTAL_NAMESPACES.has(a.name)) {
          return deny(errors.forbidden('namespaces', a.name, 'this namespace may not be deleted'));
        }
        // Creates in it must now see it terminating, though the informer may not yet.
        forceLive.add(a.name);
        return ADMIT;
      }
      if (a.namespace === '' || isNamespace) return ADMIT;
      const cached = lookups.cached('Namespace', undefined, a.namespace);
      if (cached !== undefined && !isTerminating(cached) && !forceLive.has(a.namespace)) {
        return ADMIT;
      }
      return lookups.get('Namespace', undefined, a.namespace).then((ns) => admitIn(a, ns));
    },
  };
}

/** The create's answer from the namespace as the store has it. */
function admitIn(a: AdmissionAttributes, ns: Namespace | Status): AdmissionResult {
  if (errors.isStatus(ns)) {
    return deny(ns.code === 404 ? errors.notFound('namespaces', a.namespace) : ns);
  }
  if (!isTerminating(ns)) return ADMIT;
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

function isTerminating(ns: Namespace): boolean {
  return ns.metadata.deletionTimestamp !== undefined || ns.status?.phase === 'Terminating';
}

/**
 * forceLiveLookupCache: namespaces deleted through this server, each until its entry expires;
 * beyond the capacity the entry added longest ago goes first.
 */
class ForceLiveLookups {
  /** Expiry in virtual µs by name, in the order added. */
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  add(name: string): void {
    this.until.delete(name);
    this.until.set(name, this.now() + FORCE_LIVE_LOOKUP_TTL_US);
    if (this.until.size > FORCE_LIVE_LOOKUP_ENTRIES) {
      const oldest = this.until.keys().next();
      if (oldest.done !== true) this.until.delete(oldest.value);
    }
  }

  has(name: string): boolean {
    if (this.until.size === 0) return false;
    const until = this.until.get(name);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.until.delete(name);
    return false;
  }
}
