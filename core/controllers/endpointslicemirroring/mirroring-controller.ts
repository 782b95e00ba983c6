import type { EndpointSlice } from '../../api/kinds/endpoint-slice.ts';
import type { Endpoints } from '../../api/kinds/endpoints.ts';
import { keyOf, newControllerRef, objectKey } from '../../api/meta.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { hasSelector } from '../common/service-pods.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';
import { MANAGED_BY_LABEL, SERVICE_NAME_LABEL } from '../endpointslice/endpointslice-controller.ts';
import {
  type AddressType,
  type Endpoint,
  type EndpointPort,
  portsKey,
} from '../endpointslice/pod-endpoints.ts';
import { type DesiredGroup, planSlices } from '../endpointslice/slice-plan.ts';
import { SliceTracker } from '../endpointslice/slice-tracker.ts';

export const MIRRORING_CONTROLLER_NAME = 'endpointslicemirroring-controller.k8s.io';
/** endpointslice.kubernetes.io/skip-mirror: Endpoints that say so are not mirrored. */
const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
const LAST_CHANGE_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const ENDPOINTS_GVK = { group: '', version: 'v1', kind: 'Endpoints' } as const;

export interface MirroringControllerOptions {
  /** --mirroring-concurrent-service-endpoint-syncs. */
  readonly workers: number;
  /** --mirroring-max-endpoints-per-subset: addresses past it in a subset are not mirrored. */
  readonly maxEndpointsPerSubset: number;
}

export const DEFAULT_MIRRORING_CONTROLLER: MirroringControllerOptions = {
  workers: 5,
  maxEndpointsPerSubset: 1000,
};

type SyncError = string | undefined;

/**
 * The EndpointSlice mirroring controller (pkg/controller/endpointslicemirroring): the
 * Endpoints of a Service without a selector, which their users write, become EndpointSlices
 * (owned by the Endpoints, managed by this controller), so kube-proxy, which reads only slices,
 * routes to them. Endpoints labelled skip-mirror, of a Service with a selector, or without a
 * Service lose their mirrored slices.
 */
export class EndpointSliceMirroringController implements Controller {
  readonly name = 'endpointslicemirroring';
  private readonly serviceInformer: Informer<'Service'>;
  private readonly endpointsInformer: Informer<'Endpoints'>;
  private readonly sliceInformer: Informer<'EndpointSlice'>;
  private readonly queue: WorkQueue<string>;
  private readonly tracker = new SliceTracker();

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: MirroringControllerOptions = DEFAULT_MIRRORING_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.serviceInformer = informers.informer('Service');
    this.endpointsInformer = informers.informer('Endpoints');
    this.sliceInformer = informers.informer('EndpointSlice');
    const enqueue = (o: { metadata: { namespace?: string; name?: string } }): void =>
      this.queue.add(objectKey(o.metadata.namespace, o.metadata.name ?? ''));
    for (const inf of [this.serviceInformer, this.endpointsInformer])
      inf.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n), onDelete: enqueue });
    const sliceChanged = (s: EndpointSlice): void => {
      if (s.metadata.labels?.[MANAGED_BY_LABEL] !== MIRRORING_CONTROLLER_NAME) return;
      const service = s.metadata.labels[SERVICE_NAME_LABEL];
      if (service !== undefined) this.queue.add(objectKey(s.metadata.namespace, service));
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
      this.endpointsInformer,
      this.sliceInformer,
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

  private async sync(key: string): Promise<SyncError> {
    const endpoints = this.endpointsInformer.get(key);
    const service = this.serviceInformer.get(key);
    const mirrored = this.sliceInformer
      .list()
      .filter(
        (s) =>
          objectKey(s.metadata.namespace, s.metadata.labels?.[SERVICE_NAME_LABEL] ?? '') === key &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === MIRRORING_CONTROLLER_NAME,
      );
    // Our own recent writes not in the cache yet: acting now would duplicate them.
    if (this.tracker.stale(key, mirrored))
      return `EndpointSlice informer cache is out of date for ${key}`;
    const wanted =
      endpoints !== undefined &&
      service !== undefined &&
      !hasSelector(service) &&
      endpoints.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    if (!wanted) {
      for (const s of mirrored) {
        const e = await this.deleteSlice(key, s);
        if (e !== undefined) return e;
      }
      return undefined;
    }
    const labels = sliceLabels(endpoints);
    let created = 0;
    let updated = 0;
    let deleted = 0;
    for (const addressType of ['IPv4', 'IPv6'] as const) {
      const desired = this.desiredGroups(endpoints, addressType);
      const existing = mirrored.filter((s) => s.addressType === addressType);
      const plan = planSlices(
        desired,
        existing,
        labels,
        addressType,
        this.options.maxEndpointsPerSubset,
      );
      for (const s of plan.delete) {
        const e = await this.deleteSlice(key, s);
        if (e !== undefined) return e;
        deleted++;
      }
      for (const s of plan.update) {
        const r = await this.api.update<EndpointSlice>(s);
        if (!r.ok) return `update EndpointSlice ${keyOf(s)}: ${describeFailure(r)}`;
        this.tracker.written(key, r.value);
        updated++;
      }
      // No placeholder slice for mirrored Endpoints: nothing to mirror, nothing to create.
      for (const c of plan.create.filter((c) => c.endpoints.length > 0)) {
        const slice: EndpointSlice = {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            generateName: `${endpoints.metadata.name ?? ''}-`,
            namespace: endpoints.metadata.namespace ?? 'default',
            labels,
            ...annotationsOf(endpoints),
            ownerReferences: [newControllerRef(endpoints, ENDPOINTS_GVK)],
          },
          addressType,
          endpoints: [...c.endpoints],
          ports: [...c.ports],
        };
        const r = await this.api.create(slice);
        if (!r.ok) return `create EndpointSlice for ${key}: ${describeFailure(r)}`;
        this.tracker.written(key, r.value);
        created++;
      }
    }
    if (created + updated + deleted > 0)
      this.ports.trace.emit('endpointslice.sync', { service: key, created, updated, deleted });
    return undefined;
  }

  /** Each subset's addresses of one family (at most maxEndpointsPerSubset), keyed by its ports. */
  private desiredGroups(endpoints: Endpoints, addressType: AddressType): Map<string, DesiredGroup> {
    const groups = new Map<string, { ports: EndpointPort[]; endpoints: Endpoint[] }>();
    for (const subset of endpoints.subsets ?? []) {
      const ports: EndpointPort[] = (subset.ports ?? []).map((p) => ({
        name: p.name ?? '',
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        ...(p.appProtocol === undefined ? {} : { appProtocol: p.appProtocol }),
      }));
      const k = portsKey(ports);
      let g = groups.get(k);
      if (g === undefined) groups.set(k, (g = { ports, endpoints: [] }));
      const all = [
        ...(subset.addresses ?? []).map((a) => ({ a, ready: true })),
        ...(subset.notReadyAddresses ?? []).map((a) => ({ a, ready: false })),
      ].slice(0, this.options.maxEndpointsPerSubset);
      for (const { a, ready } of all) {
        if (a.ip.includes(':') !== (addressType === 'IPv6')) continue;
        g.endpoints.push({
          addresses: [a.ip],
          conditions: { ready, serving: ready, terminating: false },
          ...(a.hostname === undefined ? {} : { hostname: a.hostname }),
          ...(a.nodeName === undefined ? {} : { nodeName: a.nodeName }),
          ...(a.targetRef === undefined ? {} : { targetRef: a.targetRef }),
        });
      }
    }
    for (const [k, g] of groups) if (g.endpoints.length === 0) groups.delete(k);
    return groups;
  }

  private async deleteSlice(key: string, s: EndpointSlice): Promise<SyncError> {
    const r = await this.api.delete('EndpointSlice', s.metadata.namespace, s.metadata.name ?? '');
    if (!r.ok && r.status !== 404) return `delete EndpointSlice ${keyOf(s)}: ${describeFailure(r)}`;
    this.tracker.deleted(key, s);
    return undefined;
  }
}

/** The Endpoints' labels, with the service name and this controller as the manager. */
function sliceLabels(endpoints: Endpoints): Record<string, string> {
  return {
    ...endpoints.metadata.labels,
    [SERVICE_NAME_LABEL]: endpoints.metadata.name ?? '',
    [MANAGED_BY_LABEL]: MIRRORING_CONTROLLER_NAME,
  };
}

/** Every annotation but the trigger time and kubectl's last-applied configuration. */
function annotationsOf(endpoints: Endpoints): { annotations?: Record<string, string> } {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(endpoints.metadata.annotations ?? {}))
    if (k !== LAST_CHANGE_ANNOTATION && k !== LAST_APPLIED_ANNOTATION) out[k] = v;
  return Object.keys(out).length === 0 ? {} : { annotations: out };
}
