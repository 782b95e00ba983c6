/**
 * The admission plugins an API server runs, in upstream's order (kube-apiserver's
 * AllOrderedPlugins, with the default set and kubeadm's NodeRestriction enabled). Each
 * plugin's mutating half runs in this order, then each one's validating half. Plugins that
 * need kinds ksim does not serve yet have their place marked, so adding one is adding a line.
 */
import type { AdmissionPlugin } from './attributes.ts';
import { hookPlugins, type AdmissionHooks } from './hooks.ts';
import type { ObjectLookups } from './lookups.ts';
import { defaultTolerationSeconds } from './plugins/default-toleration-seconds.ts';
import { namespaceLifecycle } from './plugins/namespace-lifecycle.ts';
import { nodeRestriction } from './plugins/node-restriction.ts';
import { podSecurity } from './plugins/pod-security.ts';

export interface AdmissionOptions {
  /** In-process admission hooks (webhooks); the caller keeps the object to install more later. */
  readonly hooks?: AdmissionHooks;
  /** --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds. */
  readonly defaultTolerationSeconds?: number;
}

export function admissionPlugins(
  lookups: ObjectLookups,
  hooks: AdmissionHooks,
  options: AdmissionOptions = {},
): readonly AdmissionPlugin[] {
  return [
    namespaceLifecycle(lookups),
    // LimitRanger (LimitRange), then ServiceAccount (ServiceAccount) go here.
    nodeRestriction,
    podSecurity(lookups),
    // Priority (PriorityClass) goes here.
    defaultTolerationSeconds(options.defaultTolerationSeconds),
    // DefaultStorageClass (StorageClass) goes here.
    ...hookPlugins(hooks),
    // ResourceQuota (ResourceQuota) goes last.
  ];
}
