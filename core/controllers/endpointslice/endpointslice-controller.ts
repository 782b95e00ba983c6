import type { EndpointSlice } from '../../api/kinds/endpoint-slice.ts';
import type { Service } from '../../api/kinds/service-types.ts';
import { keyOf, newControllerRef, objectKey } from '../../api/meta.ts';
import type { Pod } from '../../api/pod-types.ts';
import { formatRfc3339Nano } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import {
  HEADLESS_LABEL,
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
import {
  type AddressType,
  endpointPorts,
  podBelongsInSlices,
  podToEndpoint,
  portsKey,
} from './pod-endpoints.ts';
import { type DesiredGroup, planSlices } from './slice-plan.ts';
import { SliceTracker } from './slice-tracker.ts';

export interface EndpointSliceControllerOptions {
  /** --concurrent-service-endpoint-syncs. */
  readonly workers: number;
  /** --max-endpoints-per-slice. */
  readonly maxEndpointsPerSlice: number;
}

export const DEFAULT_ENDPOINT_SLICE_CONTROLLER: EndpointSliceControllerOptions = {
  workers: 5,
  maxEndpointsPerSlice: 100,
};

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
const SERVICE_GVK = { group: '', version: 'v1', kind: 'Service' } as const;
const ZONE_LABEL = 'topology.kubernetes.io/zone';

type SyncError = string | undefined;

/**
 * The EndpointSlice controller (pkg/controller/endpointslice/endpointslice_controller.go with
 * the reconciler of staging/src/k8s.io/endpointslice): for every Service with a selector, the
 * selected pods that have an IP become endpoints, ready/serving/terminating from readiness and
 * deletion, grouped by the ports they resolve to, in slices of at most maxEndpointsPerSlice.
 * Services without a selector are left to the mirroring controller.
 */
export class EndpointSliceController implements Controller {
  readonly name = 'endpointslice';
  private readonly serviceInformer: Informer<'Service'>;
  private readonly podInformer: Informer<'Pod'>;
  private readonly sliceInformer: Informer<'EndpointSlice'>;
  private readonly nodeInformer: Informer<'Node'>;
  private readonly queue: WorkQueue<string>;
  private readonly tracker = new SliceTracker();
  private readonly triggerTimes = new TriggerTimeTracker();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: EndpointSliceControllerOptions = DEFAULT_ENDPOINT_SLICE_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.serviceInformer = informers.informer('Service');
    this.podInformer = informers.informer('Pod');
    this.sliceInformer = informers.informer('EndpointSlice');
    this.nodeInformer = informers.informer('Node');
    indexPodsByNamespace(informers);
    this.serviceInformer.addEventHandler({
      onAdd: (s) => this.queue.add(keyOf(s)),
      onUpdate: (_o, s) => this.queue.add(keyOf(s)),
      onDelete: (s) => {
        this.tracker.forgetService(keyOf(s));
        this.queue.add(keyOf(s));
      },
    });
    this.podInformer.addEventHandler({
      onAdd: (pod) => this.podChanged(pod, undefined),
      onUpdate: (old, pod) => this.podChanged(pod, old),
      onDelete: (pod) => this.podChanged(pod, undefined),
    });
    const sliceChanged = (slice: EndpointSlice): void => {
      const service = serviceOfSlice(slice);
      if (service !== undefined) this.queue.add(service);
    };
    this.sliceInformer.addEventHandler({
      onAdd: sliceChanged,
      onUpdate: (_o, s) => sliceChanged(s),
      onDelete: sliceChanged,
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [
      this.serviceInformer,
      this.podInformer,
      this.sliceInformer,
      this.nodeInformer,
    ]);
    for (let i = 0; i < this.options.workers; i++)
      this.ports.spawn(() =>
        runWorker(
          this.queue,
          (key) => this.sync(key),
          (key, error) =>
            this.ports.trace.debug('endpointslice.sync-error', { service: key, error }),
        ),
      );
  }

  stop(): void {
    this.queue.shutDown();
  }

  private podChanged(pod: Pod, old: Pod | undefined): void {
    for (const key of servicesOfPodChange(this.serviceInformer, pod, old)) this.queue.add(key);
  }

  private async sync(key: string): Promise<SyncError> {
    const service = this.serviceInformer.get(key);
    // A deleted Service's slices go with it (their owner reference); nothing to do here.
    if (service === undefined) {
      this.triggerTimes.deleteService(key);
      return undefined;
    }
    const selector = service.spec?.selector;
    if (selector === undefined || Object.keys(selector).length === 0) return undefined;
    if (service.spec?.type === 'ExternalName') return undefined;
    const slices = this.sliceInformer
      .list()
      .filter(
        (s) =>
          s.metadata.namespace === service.metadata.namespace &&
          s.metadata.labels?.[SERVICE_NAME_LABEL] === service.metadata.name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === CONTROLLER_NAME,
      );
    // Our own recent writes not in the cache yet: acting now would duplicate them.
    if (this.tracker.stale(key, slices))
      return `EndpointSlice informer cache is out of date for ${key}`;
    const selected = selectedPods(this.podInformer, service);
    // Computed on every sync, a no-op one included, so the tracker's state stays current.
    const triggerTime = this.triggerTimes.compute(service, selected);
    const pods = selected.filter(podBelongsInSlices);
    const errors: string[] = [];
    for (const addressType of addressTypes(service)) {
      const desired = this.desiredGroups(service, pods, addressType);
      const existing = slices.filter((s) => s.addressType === addressType);
      const plan = planSlices(
        desired,
        existing,
        sliceLabels(service),
        addressType,
        this.options.maxEndpointsPerSlice,
      );
      const e = await this.apply(key, service, addressType, plan, triggerTime);
      if (e !== undefined) errors.push(e);
    }
    // Slices of an address type the Service no longer has.
    const types = new Set(addressTypes(service));
    for (const s of slices) {
      if (types.has(s.addressType as AddressType)) continue;
      const e = await this.deleteSlice(key, s);
      if (e !== undefined) errors.push(e);
    }
    return errors[0];
  }

  private desiredGroups(
    service: Service,
    pods: readonly Pod[],
    addressType: AddressType,
  ): Map<string, DesiredGroup> {
    const groups = new Map<
      string,
      { ports: DesiredGroup['ports']; endpoints: DesiredGroup['endpoints'][number][] }
    >();
    for (const pod of pods) {
      const endpoint = podToEndpoint(pod, service, addressType, this.zoneOf(pod));
      if (endpoint.addresses.length === 0) continue;
      const ports = endpointPorts(service, pod);
      const k = portsKey(ports);
      let g = groups.get(k);
      if (g === undefined) {
        g = { ports, endpoints: [] };
        groups.set(k, g);
      }
      g.endpoints.push(endpoint);
    }
    return groups;
  }

  private zoneOf(pod: Pod): string | undefined {
    const node = pod.spec.nodeName;
    if (!node) return undefined;
    return this.nodeInformer.get(objectKey(undefined, node))?.metadata.labels?.[ZONE_LABEL];
  }

  private async apply(
    key: string,
    service: Service,
    addressType: AddressType,
    plan: ReturnType<typeof planSlices>,
    triggerTime: number | undefined,
  ): Promise<SyncError> {
    for (const s of plan.delete) {
      const e = await this.deleteSlice(key, s);
      if (e !== undefined) return e;
    }
    for (const s of plan.update) {
      const r = await this.api.update<EndpointSlice>(withTriggerTime(s, triggerTime));
      if (!r.ok) return `update EndpointSlice ${keyOf(s)}: ${describeFailure(r)}`;
      this.tracker.written(key, r.value);
    }
    for (const c of plan.create) {
      const slice: EndpointSlice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          generateName: `${service.metadata.name ?? ''}-`,
          namespace: service.metadata.namespace ?? 'default',
          labels: sliceLabels(service),
          ownerReferences: [newControllerRef(service, SERVICE_GVK)],
        },
        addressType,
        endpoints: [...c.endpoints],
        ports: [...c.ports],
      };
      const r = await this.api.create(withTriggerTime(slice, triggerTime));
      if (!r.ok) return `create EndpointSlice for ${key}: ${describeFailure(r)}`;
      this.tracker.written(key, r.value);
    }
    const changes = plan.create.length + plan.update.length + plan.delete.length;
    if (changes > 0)
      this.ports.trace.emit('endpointslice.sync', {
        service: key,
        created: plan.create.length,
        updated: plan.update.length,
        deleted: plan.delete.length,
      });
    return undefined;
  }

  private async deleteSlice(key: string, s: EndpointSlice): Promise<SyncError> {
    const r = await this.api.delete('EndpointSlice', s.metadata.namespace, s.metadata.name ?? '');
    if (!r.ok && r.status !== 404) return `delete EndpointSlice ${keyOf(s)}: ${describeFailure(r)}`;
    this.tracker.deleted(key, s);
    return undefined;
  }
}

/** The Service's IP families as address types (IPv4 for a Service that names none). */
function addressTypes(service: Service): AddressType[] {
  const families = service.spec?.ipFamilies ?? [];
  const types = families.filter((f): f is AddressType => f === 'IPv4' || f === 'IPv6');
  return types.length === 0 ? ['IPv4'] : types;
}

/** setEndpointSliceLabels: the Service's labels, the headless mark, the service and manager. */
export function sliceLabels(service: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(service.metadata.labels ?? {}))
    if (k !== SERVICE_NAME_LABEL && k !== MANAGED_BY_LABEL && k !== HEADLESS_LABEL) labels[k] = v;
  if (isHeadless(service)) labels[HEADLESS_LABEL] = '';
  labels[SERVICE_NAME_LABEL] = service.metadata.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

function serviceOfSlice(slice: EndpointSlice): string | undefined {
  if (slice.metadata.labels?.[MANAGED_BY_LABEL] !== CONTROLLER_NAME) return undefined;
  const name = slice.metadata.labels[SERVICE_NAME_LABEL];
  return name === undefined ? undefined : objectKey(slice.metadata.namespace, name);
}

/** addTriggerTimeAnnotation: the slice as written, with the trigger time or without any. */
function withTriggerTime(slice: EndpointSlice, triggerTime: number | undefined): EndpointSlice {
  const { [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: _old, ...rest } = slice.metadata.annotations ?? {};
  const annotations =
    triggerTime === undefined
      ? rest
      : { ...rest, [LAST_CHANGE_TRIGGER_TIME_ANNOTATION]: formatRfc3339Nano(triggerTime) };
  const { annotations: _replaced, ...meta } = slice.metadata;
  return {
    ...slice,
    metadata: { ...meta, ...(Object.keys(annotations).length === 0 ? {} : { annotations }) },
  };
}
