/**
 * The admission plugins an API server runs, in upstream's order (kube-apiserver's
 * AllOrderedPlugins, with the default set and kubeadm's NodeRestriction enabled). Each
 * plugin's mutating half runs in this order, then each one's validating half. Plugins that
 * need kinds ksim does not serve yet have their place marked, so adding one is adding a line.
 */
import type { AdmissionPlugin } from './attributes.ts';
import { hookPlugins, type AdmissionHooks } from './hooks.ts';
import type { ObjectLookups } from './lookups.ts';
import { defaultStorageClass } from './plugins/default-storage-class.ts';
import { defaultTolerationSeconds } from './plugins/default-toleration-seconds.ts';
import { limitRanger } from './plugins/limit-ranger.ts';
import { namespaceLifecycle } from './plugins/namespace-lifecycle.ts';
import { nodeRestriction } from './plugins/node-restriction.ts';
import { podSecurity } from './plugins/pod-security.ts';
import { priority } from './plugins/priority.ts';
import { resourceQuota, type LimitedResource, type QuotaAccess } from './plugins/resource-quota.ts';
import { serviceAccount } from './plugins/service-account.ts';
import { storageObjectInUseProtection } from './plugins/storage-object-in-use-protection.ts';

export interface AdmissionOptions {
  /** In-process admission hooks (webhooks); the caller keeps the object to install more later. */
  readonly hooks?: AdmissionHooks;
  /** --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
  readonly defaultTolerationSeconds?: number;
  /**
   * Runs the ServiceAccount plugin, which refuses pods whose service account does not exist.
   * Off by default: a cluster must then run the ServiceAccounts controller (or create every
   * namespace's `default` ServiceAccount), which not every ksim cluster and test does yet.
   */
  readonly serviceAccount?: boolean;
  /** The ResourceQuota plugin's configuration (ResourceQuotaConfiguration). */
  readonly resourceQuota?: { readonly limitedResources?: readonly LimitedResource[] };
}

/** What plugins read besides lookups: the virtual clock, and where quotas are kept. */
export interface AdmissionPorts {
  /** For plugins that wait and look again (ServiceAccount, for the default account). */
  sleep(us: number): Promise<void>;
  /**
   * Virtual time (NamespaceLifecycle's force-live-lookup entries, LimitRanger's live lookups,
   * quota accounting).
   */
  now(): number;
  /** Where ResourceQuota reads and charges quotas (the plugin is left out without it). */
  readonly quotas?: QuotaAccess;
}

const NO_PORTS: AdmissionPorts = { sleep: async () => undefined, now: () => 0 };

export function admissionPlugins(
  lookups: ObjectLookups,
  hooks: AdmissionHooks,
  options: AdmissionOptions = {},
  ports: AdmissionPorts = NO_PORTS,
): readonly AdmissionPlugin[] {
  const quotas = ports.quotas;
  return [
    namespaceLifecycle(lookups, ports.now),
    limitRanger(lookups, ports.now),
    ...(options.serviceAccount === true ? [serviceAccount(lookups, ports.sleep)] : []),
    nodeRestriction,
    podSecurity(lookups),
    priority(lookups),
    defaultTolerationSeconds(options.defaultTolerationSeconds),
    defaultStorageClass(lookups),
    storageObjectInUseProtection,
    ...hookPlugins(hooks),
    ...(quotas === undefined
      ? []
      : [resourceQuota(quotas, () => ports.now(), options.resourceQuota?.limitedResources ?? [])]),
  ];
}
