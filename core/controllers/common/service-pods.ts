/**
 * What the Endpoints and EndpointSlice controllers share about a Service and its pods: the pods
 * it selects (from a namespace index of the pod informer), the Services a pod change concerns
 * (GetPodServiceMemberships), and the headless mark.
 */
import type { Service } from '../../api/kinds/service-types.ts';
import { keyOf } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import { selectorFromSet } from '../../api/selectors.ts';
import type { Informer } from '../../client/informer.ts';
import type { SharedInformers } from './shared-informers.ts';

export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const POD_NAMESPACE_INDEX = 'namespace';

/** A Service without a cluster IP (unset or None). */
export function isHeadless(service: Service): boolean {
  const ip = service.spec?.clusterIP;
  return ip === undefined || ip === '' || ip === 'None';
}

/** Adds the pod informer's namespace index the lookups below read. */
export function indexPodsByNamespace(informers: SharedInformers): void {
  informers.addIndexer('Pod', undefined, POD_NAMESPACE_INDEX, (p) => [p.metadata.namespace ?? '']);
}

/** The Service's selector as a matcher, undefined for a Service without one. */
function selectorOf(service: Service) {
  const selector = service.spec?.selector;
  if (selector === undefined || Object.keys(selector).length === 0) return undefined;
  return selectorFromSet(selector);
}

export function hasSelector(service: Service): boolean {
  return selectorOf(service) !== undefined;
}

/** The pods of the Service's namespace its selector matches (none without a selector). */
export function selectedPods(pods: Informer<'Pod'>, service: Service): Pod[] {
  const m = selectorOf(service);
  if (m === undefined) return [];
  return pods
    .byIndex(POD_NAMESPACE_INDEX, service.metadata.namespace ?? '')
    .filter((p) => m.matches(p.metadata.labels));
}

/** GetPodServiceMemberships: keys of the Services selecting the pod now or before the change. */
export function servicesOfPodChange(
  services: Informer<'Service'>,
  pod: Pod,
  old: Pod | undefined,
): string[] {
  if (old !== undefined && old.metadata.resourceVersion === pod.metadata.resourceVersion) return [];
  const out: string[] = [];
  for (const s of services.list()) {
    if (s.metadata.namespace !== pod.metadata.namespace) continue;
    const m = selectorOf(s);
    if (m === undefined) continue;
    if (m.matches(pod.metadata.labels) || (old !== undefined && m.matches(old.metadata.labels)))
      out.push(keyOf(s));
  }
  return out;
}
