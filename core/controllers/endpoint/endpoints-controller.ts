import type { Endpoints } from '../../api/kinds/endpoints.ts';
import type { Service } from '../../api/kinds/service-types.ts';
import { keyOf } from '../../api/meta.ts';
import { formatRfc3339Nano } from '../../api/time.ts';
import { isPodReady, isPodTerminal } from '../../api/pod-helpers.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import {
  HEADLESS_LABEL,
  hasSelector,
  indexPodsByNamespace,
  isHeadless,
  selectedPods,
  servicesOfPodChange,
} from '../common/service-pods.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import {
  LAST_CHANGE_TRIGGER_TIME_ANNOTATION,
  TriggerTimeTracker,
} from '../common/trigger-time-tracker.ts';
import { runWorker } from '../common/worker.ts';
import { type AddressType, endpointPorts, podAddresses } from '../endpointslice/pod-endpoints.ts';
import {
  type Address,
  endpointSubset,
  OVER_CAPACITY_ANNOTATION,
  repackSubsets,
  type Subset,
  truncateSubsets,
} from './subsets.ts';

export interface EndpointsControllerOptions {
  /** --concurrent-endpoint-syncs. */
  readonly workers: number;
}

export const DEFAULT_ENDPOINTS_CONTROLLER: EndpointsControllerOptions = { workers: 5 };

/** resourcelock.LeaderElectionRecordAnnotationKey: Endpoints that are a leader lock, not a Service's. */
const LEADER_ANNOTATION = 'control-plane.alpha.kubernetes.io/leader';

type SyncError = string | undefined;

/**
 * The Endpoints controller (pkg/controller/endpoint/endpoints_controller.go): for every Service
 * with a selector, an Endpoints object of the same name listing the selected pods that have an
 * IP, ready ones under addresses and the others under notReadyAddresses, for each Service port
 * the pod resolves; terminating pods only when the Service publishes not-ready addresses.
 * At most 1,000 addresses (the over-capacity annotation says when more were cut). A Service's
 * deletion deletes its Endpoints; so does, at start, an Endpoints object whose Service is gone.
 * Services without a selector keep the Endpoints their users write.
 */
export class EndpointsController implements Controller {
  readonly name = 'endpoint';
  private readonly serviceInformer: Informer<'Service'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly endpointsInformer: Informer<'Endpoints'>;
  private readonly queue: WorkQueue<string>;
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: EndpointsControllerOptions = DEFAULT_ENDPOINTS_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.serviceInformer = informers.informer('Service');
    this.podInformer = informers.informer('Pod');
    this.endpointsInformer = informers.informer('Endpoints');
    indexPodsByNamespace(informers);
    this.serviceInformer.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
      onDelete: (s) => this.queue.add(keyOf(s)),
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod, undefined),
      onUpdate: (old, pod) => this.podChanged(pod, old),
      onDelete: (pod) => this.podChanged(pod, undefined),
    });
    // onEndpointsDelete: a Service whose Endpoints someone deleted gets them back.
    this.endpointsInformer.addEventHandler({
      onDelete: (ep) => {
        if (this.serviceInformer.get(keyOf(ep)) !== undefined) this.queue.add(keyOf(ep));
      },
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [
      this.serviceInformer,
      this.podInformer,
      this.endpointsInformer,
    ]);
    this.checkLeftoverEndpoints();
    for (let i = 0; i < this.options.workers; i++)
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) => this.ports.trace.debug('endpoints.sync-error', { service: key, error }),
        ),
      );
  }

  stop(): void {
    this.queue.shutDown();
  }

  /** checkLeftoverEndpoints: every Endpoints is synced once, so those of gone Services go. */
  private checkLeftoverEndpoints(): void {
    for (const ep of this.endpointsInformer.list())
      if (ep.metadata.annotations?.[LEADER_ANNOTATION] === undefined) this.queue.add(keyOf(ep));
  }

  private podChanged(pod: Pod, old: Pod | undefined): void {
    for (const key of servicesOfPodChange(this.serviceInformer, pod, old)) this.queue.add(key);
  }

  /** syncService. */
  private async sync(key: string): Promise<SyncError> {
    const service = this.serviceInformer.get(key);
    const current = this.endpointsInformer.get(key);
    if (service === undefined) {
      this.triggerTimes.deleteService(key);
      if (current === undefined) return undefined;
      const r = await this.api.delete(
        'Endpoints',
        current.metadata.namespace,
        current.metadata.name ?? '',
      );
      if (!r.ok && r.status !== 404) return `delete Endpoints ${key}: ${describeFailure(r)}`;
      this.ports.trace.emit('endpoints.sync', {
        service: key,
        action: 'deleted',
        ready: 0,
        notReady: 0,
      });
      return undefined;
    }
    if (!hasSelector(service)) return undefined;
    const pods = selectedPods(this.podInformer, service);
    const triggerTime = this.triggerTimes.compute(service, pods);
    let subsets = repackSubsets(desiredSubsets(service, pods));
    const truncated = truncateSubsets(subsets);
    if (truncated !== undefined) subsets = truncated;
    const labels = endpointsLabels(service);
    const overCapacity = truncated === undefined ? undefined : 'truncated';
    // Upstream's check: the trigger time alone never causes a write.
    if (
      current !== undefined &&
      JSON.stringify(repackSubsets(current.subsets ?? [])) === JSON.stringify(subsets) &&
      sameMap(current.metadata.labels, labels) &&
      current.metadata.annotations?.[OVER_CAPACITY_ANNOTATION] === overCapacity
    )
      return undefined;
    const annotations = { ...current?.metadata.annotations };
    if (overCapacity !== undefined) annotations[OVER_CAPACITY_ANNOTATION] = overCapacity;
    else delete annotations[OVER_CAPACITY_ANNOTATION];
    if (triggerTime !== undefined) {
      annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION] = formatRfc3339Nano(triggerTime);
    } else delete annotations[LAST_CHANGE_TRIGGER_TIME_ANNOTATION];
    const { annotations: _replaced, ...meta } = current?.metadata ?? {};
    const next: Endpoints = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      ...current,
      metadata: {
        ...meta,
        name: service.metadata.name ?? '',
        namespace: service.metadata.namespace ?? 'default',
        labels,
        ...(Object.keys(annotations).length === 0 ? {} : { annotations }),
      },
      subsets,
    };
    const r = current === undefined ? await this.api.create(next) : await this.api.update(next);
    if (!r.ok) {
      // Created by someone else meanwhile, or our cache is behind: try again on a fresh view.
      return `${current === undefined ? 'create' : 'update'} Endpoints ${key}: ${describeFailure(r)}`;
    }
    let ready = 0;
    let notReady = 0;
    for (const s of subsets) {
      ready += s.addresses?.length ?? 0;
      notReady += s.notReadyAddresses?.length ?? 0;
    }
    this.ports.trace.emit('endpoints.sync', {
      service: key,
      action: current === undefined ? 'created' : 'updated',
      ready,
      notReady,
    });
    return undefined;
  }
}

/** The subsets before repacking: one per address and port (syncService's pod loop). */
function desiredSubsets(service: Service, pods: readonly Pod[]): Subset[] {
  const publish = service.spec?.publishNotReadyAddresses === true;
  const family = primaryFamily(service);
  const out: Subset[] = [];
  for (const pod of pods) {
    if (!podBelongsInEndpoints(pod, publish)) continue;
    const ip = podAddresses(pod, family)[0];
    if (ip === undefined) continue;
    const address = endpointAddress(service, pod, ip);
    const ready = publish || isPodReady(pod);
    if ((service.spec?.ports ?? []).length === 0) {
      // A headless Service without ports still lists its pods.
      if (service.spec?.clusterIP === 'None') out.push(endpointSubset(address, undefined, ready));
      continue;
    }
    for (const p of endpointPorts(service, pod)) {
      const port = {
        ...(p.name ? { name: p.name } : {}),
        port: p.port ?? 0,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol === undefined ? {} : { appProtocol: p.appProtocol }),
      };
      out.push(endpointSubset(address, port, ready));
    }
  }
  return out;
}

/**
 * ShouldPodBeInEndpoints: an IP is required (checked by the caller), a terminal pod never
 * serves, a terminating one only where the Service publishes not-ready addresses.
 */
function podBelongsInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  return includeTerminating || pod.metadata.deletionTimestamp === undefined;
}

/** podToEndpointAddressForService. */
function endpointAddress(service: Service, pod: Pod, ip: string): Address {
  const hostname = pod.spec.hostname;
  const setHostname =
    hostname !== undefined &&
    hostname !== '' &&
    (pod.spec as { readonly subdomain?: string }).subdomain === service.metadata.name &&
    pod.metadata.namespace === service.metadata.namespace;
  return {
    ip,
    ...(setHostname ? { hostname } : {}),
    ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
    targetRef: {
      kind: 'Pod',
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      uid: pod.metadata.uid ?? '',
    },
  };
}

/** The family of the cluster IP, or the first of ipFamilies for a headless Service. */
function primaryFamily(service: Service): AddressType {
  const ip = service.spec?.clusterIP;
  if (ip !== undefined && ip !== '' && ip !== 'None') return ip.includes(':') ? 'IPv6' : 'IPv4';
  return service.spec?.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4';
}

/** The Service's labels, with the headless mark exactly when the Service has no cluster IP. */
function endpointsLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = { ...service.metadata.labels };
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  return labels;
}

function sameMap(
  a: Readonly<Record<string, string>> | undefined,
  b: Readonly<Record<string, string>>,
): boolean {
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a?.[k] === b[k]);
}
