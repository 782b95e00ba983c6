/**
 * The node agent: registers its Node and keeps the node lease, watches the pods bound to its
 * node (field selector spec.nodeName), admits them against allocatable, and runs each through
 * a per-pod worker (sync-pod.ts) against the Runtime port. Container state changes reach the
 * workers through the PLEG (the runtime's events, and relists as a safety net); statuses reach
 * the API server through the status manager.
 *
 * Everything is kept per pod UID and per container id, so an event costs work proportional to
 * the pod it concerns, never to the number of pods on the node.
 */
import { deepEqual } from '../api/meta-validation.ts';
import { isPodTerminal } from '../api/pod-helpers.ts';
import type { Pod, PodStatus } from '../api/pod-types.ts';
import { computePodQOS } from '../api/pod-helpers.ts';
import { formatTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import type { ProbeNetwork } from '../ports/probe-network.ts';
import type { ProcessPorts } from '../ports/process.ts';
import type {
  ContainerStatus as RuntimeContainer,
  Runtime,
  SandboxStatus,
} from '../ports/runtime.ts';
import {
  addUsage,
  admitPod,
  emptyUsage,
  podUsage,
  usageOf,
  type ResourceUsage,
} from './admission.ts';
import {
  nodeAllocatable,
  resolveKubeletConfig,
  type KubeletConfig,
  type KubeletOptions,
} from './config.ts';
import { EvictionManager } from './eviction/eviction-manager.ts';
import {
  IMAGE_GC_PERIOD_US,
  ImageGCManager,
  type ImageFsStats,
} from './images/image-gc-manager.ts';
import { nodeStatusImages } from './images/node-images.ts';
import type { ContainerImage } from '../api/node-types.ts';
import { RESOURCE_EPHEMERAL_STORAGE, resourceAmount } from '../api/resource-list.ts';
import { KubeletEvents } from './events.ts';
import { summarizeUsage, type NodeUsage } from './resource-usage.ts';
import { NodeLease } from './node-lease.ts';
import { PROBE_TYPE_NAMES } from './prober/probe-spec.ts';
import { ProberManager } from './prober/prober-manager.ts';
import type { ProbeView } from './prober/worker.ts';
import { NodeStatusReporter } from './node-status.ts';
import { newPodRecord, type PodRecord } from './pod-record.ts';
import { PodWorkers } from './pod-workers.ts';
import { Pleg } from './pleg.ts';
import { StatusManager } from './status-manager.ts';
import { PodSync, type SyncEnv } from './sync-pod.ts';
import { KubeletServer } from './server.ts';
import { MirrorPods } from './mirror-pods.ts';
import { isMirrorPod, staticPod } from './static-pods.ts';
import { streamTarget } from './stream-target.ts';
import type { RequestAuthenticator } from '../api/kubelet-protocol.ts';

/** How often the image cache behind status.images is refreshed (image_gc_manager.go). */
const IMAGE_CACHE_REFRESH_US = 30_000_000;

export class Kubelet {
  readonly config: KubeletConfig;
  private readonly records = new Map<string, PodRecord>();
  /** Container id -> pod UID, for PLEG events. */
  private readonly containerOwners = new Map<string, string>();
  private readonly used: ResourceUsage = emptyUsage();
  private readonly allocatable: ResourceUsage;
  private readonly informer: Informer<'Pod'>;
  private readonly workers: PodWorkers;
  private readonly statusManager: StatusManager;
  private readonly pleg: Pleg;
  private readonly podSync: PodSync;
  private readonly nodeStatus: NodeStatusReporter;
  private readonly lease: NodeLease;
  private readonly prober: ProberManager;
  private readonly events: KubeletEvents;
  private readonly eviction: EvictionManager;
  private readonly imageGC: ImageGCManager;
  /** UIDs of the static pods (the kubelet's own configuration's pods). */
  private readonly staticUids = new Set<string>();
  private readonly mirrorPods: MirrorPods;
  /** status.images as of the last image cache refresh (every 30 s). */
  private nodeImages: readonly ContainerImage[] = [];

  /**
   * `probes` is the node's network as the kubelet's probes and hooks reach pods through it;
   * `authenticate` checks the credentials of callers of the kubelet's server, which runs only
   * when it is given.
   */
  constructor(
    private readonly ports: ProcessPorts,
    private readonly runtime: Runtime,
    api: ApiClient,
    options: KubeletOptions,
    probes: ProbeNetwork,
    authenticate?: RequestAuthenticator,
  ) {
    this.config = resolveKubeletConfig(options);
    this.allocatable = usageOf(nodeAllocatable(this.config));
    this.workers = new PodWorkers(ports, (uid) => this.syncPod(uid));
    this.statusManager = new StatusManager(ports, api, { onPodGone: (uid) => this.podGone(uid) });
    this.pleg = new Pleg(
      ports.clock,
      runtime,
      {
        containerChanged: (s, before) => this.containerChanged(s, before),
        sandboxStopped: (s) => this.sandboxStopped(s),
      },
      {
        evented: this.config.eventedPLEG,
        relistPeriodUs: this.config.plegRelistPeriodUs,
        eventedRelistPeriodUs: this.config.plegEventedRelistPeriodUs,
      },
    );
    this.events = new KubeletEvents(ports, api, this.config.nodeName);
    this.prober = new ProberManager(
      {
        clock: ports.clock,
        view: (uid, name) => this.probeView(uid, name),
        podIP: (uid) => this.records.get(uid)?.podIP,
        resultChanged: (uid) => this.workers.update(uid),
        resultTraced: (uid, container, probe, result, output) => {
          if (result === 'unknown') return;
          this.ports.trace.emit('kubelet.probe-result', {
            pod: this.records.get(uid)?.key ?? uid,
            container,
            probe,
            result,
            output: result === 'success' ? '' : output,
            node: this.config.nodeName,
          });
        },
        probeFailed: (uid, container, type, output, errored) => {
          const rec = this.records.get(uid);
          if (rec === undefined) return;
          const what = errored ? 'errored' : 'failed';
          const init = !rec.pod.spec.containers.some((c) => c.name === container.name);
          this.events.container(
            rec.pod,
            container.name,
            init,
            'Warning',
            'Unhealthy',
            `${PROBE_TYPE_NAMES[type]} probe ${what}: ${output}`,
          );
        },
      },
      { runtime, network: probes },
      ports.random.fork('prober'),
      (task) => ports.spawn(task),
    );
    const env: SyncEnv = {
      ports,
      runtime,
      prober: this.prober,
      probeNetwork: probes,
      events: this.events,
      config: this.config,
      pleg: this.pleg,
      statusManager: {
        // A static pod's status goes to its mirror pod.
        setStatus: (pod, status) =>
          this.staticUids.has(pod.metadata.uid ?? '')
            ? this.mirrorPods.setStatus(pod, status)
            : this.statusManager.setStatus(pod, status),
        deleteWhenWritten: (pod) => this.statusManager.deleteWhenWritten(pod),
      },
      workers: this.workers,
      containerCreated: (id, rec) => this.containerOwners.set(id, rec.uid),
      containerRemoved: (id) => this.containerOwners.delete(id),
      release: (rec) => this.release(rec),
      forget: (rec) => this.forget(rec),
      unboundClaims: async (pod) => {
        const out: string[] = [];
        for (const v of pod.spec.volumes ?? []) {
          const name = v.persistentVolumeClaim?.claimName;
          if (!name) continue;
          const r = await api.get('PersistentVolumeClaim', pod.metadata.namespace, name);
          if (!r.ok || r.value.status?.phase !== 'Bound' || !r.value.spec?.volumeName)
            out.push(v.name);
        }
        return out;
      },
    };
    this.podSync = new PodSync(env);
    this.imageGC = new ImageGCManager(
      ports,
      runtime,
      {
        highThresholdPercent: this.config.imageGCHighThresholdPercent,
        lowThresholdPercent: this.config.imageGCLowThresholdPercent,
        minAgeUs: this.config.imageMinimumGCAgeUs,
        maxAgeUs: this.config.imageMaximumGCAgeUs,
      },
      {
        imageFsStats: () => this.imageFsStats(),
        removed: (image, trigger) =>
          this.ports.trace.emit('kubelet.image-removed', {
            node: this.config.nodeName,
            image: image.id,
            names: [...image.repoDigests, ...image.repoTags],
            sizeBytes: image.sizeBytes,
            trigger,
          }),
        warn: (reason, message) => this.events.node('Warning', reason, message),
      },
    );
    this.eviction = new EvictionManager(ports, this.config, {
      usage: () => this.resourceUsage(),
      imageFs: async () => {
        const r = await this.runtime.imageFsInfo();
        return r.ok ? r.value : undefined;
      },
      reclaimDisk: async () => {
        await this.imageGC.deleteUnusedImages();
      },
      activePods: () =>
        [...this.records.values()].filter(
          (r) =>
            r.admission === 'admitted' &&
            !r.finished &&
            !r.removed &&
            r.evicted === undefined &&
            r.pod.metadata.deletionTimestamp === undefined,
        ),
      evict: (uid, message, graceSeconds) => this.evict(uid, message, graceSeconds),
    });
    this.nodeStatus = new NodeStatusReporter(
      ports,
      api,
      this.config,
      (condition) => this.eviction.under(condition),
      () => this.nodeImages,
    );
    this.lease = new NodeLease(ports, api, this.config, () => this.nodeStatus.nodeUid);
    this.mirrorPods = new MirrorPods(ports, api, this.statusManager, {
      nodeName: this.config.nodeName,
      nodeUid: () => this.nodeStatus.nodeUid,
      wake: (uid) => this.workers.update(uid),
    });
    this.informer = new Informer(ports, api, 'Pod', {
      fieldSelector: `spec.nodeName=${this.config.nodeName}`,
    });
    this.informer.addEventHandler({
      onAdd: (pod) => (isMirrorPod(pod) ? this.mirrorPods.seen(pod) : this.podAdded(pod)),
      onUpdate: (old, pod) =>
        isMirrorPod(pod) ? this.mirrorPods.seen(pod) : this.podUpdated(old, pod),
      onDelete: (pod) => (isMirrorPod(pod) ? this.mirrorPods.gone(pod) : this.podDeleted(pod)),
    });
    for (const manifest of this.config.staticPods) this.addStaticPod(manifest);
    ports.spawn(() => this.configureRuntime(runtime));
    if (authenticate !== undefined) {
      new KubeletServer(ports, api, {
        nodeName: this.config.nodeName,
        usage: () => this.resourceUsage(),
        authenticate,
        runtime,
        container: (req, previous) =>
          streamTarget(this.records.get(req.uid), req, previous, (id) => this.pleg.get(id)),
      });
    }
    ports.spawn(() => this.refreshImageCache());
    if (this.config.imageGCHighThresholdPercent < 100) ports.spawn(() => this.collectImages());
    this.nodeStatus.start();
    this.eviction.start();
    this.lease.start();
    this.pleg.start();
    this.informer.start();
  }

  /** Pods the kubelet currently tracks. */
  get podCount(): number {
    return this.records.size;
  }

  /**
   * What the node's pods use now, per container, pod and node (from the runtime's container
   * stats); undefined when the runtime cannot say.
   */
  async resourceUsage(): Promise<NodeUsage | undefined> {
    const stats = await this.runtime.listContainerStats();
    if (!stats.ok) return undefined;
    return summarizeUsage(this.config.nodeName, stats.value, (id) => {
      const rec = this.records.get(this.containerOwners.get(id) ?? '');
      const c = rec?.containers.find((x) => x.containerId === id);
      return rec === undefined || c === undefined
        ? undefined
        : { uid: rec.uid, pod: rec.key, container: c.spec.name };
    });
  }

  /**
   * The image filesystem as image GC sees it: the node's ephemeral storage, of which the
   * images and the containers' writable layers and logs take their share (one filesystem).
   */
  private async imageFsStats(): Promise<ImageFsStats | undefined> {
    const text = this.config.capacity[RESOURCE_EPHEMERAL_STORAGE];
    const images = await this.runtime.imageFsInfo();
    if (text === undefined || !images.ok) return undefined;
    const capacityBytes = resourceAmount(RESOURCE_EPHEMERAL_STORAGE, text);
    const usage = await this.resourceUsage();
    const used = images.value.usedBytes + (usage?.rootfsBytes ?? 0);
    return { capacityBytes, availableBytes: capacityBytes - used };
  }

  /**
   * StartGarbageCollection's image loop: a collection every ImageGCPeriod (the first at
   * start); a failure twice in a row is an ImageGCFailed Event, as upstream only reports
   * repeated failures (the first may be stats not yet initialised).
   */
  private async collectImages(): Promise<void> {
    let failedBefore = false;
    for (;;) {
      const error = await this.imageGC.garbageCollect();
      if (error !== undefined && failedBefore) this.events.node('Warning', 'ImageGCFailed', error);
      failedBefore = error !== undefined;
      await this.ports.clock.sleep(IMAGE_GC_PERIOD_US);
    }
  }

  /** The image manager's cache for node status, refreshed every 30 s. */
  private async refreshImageCache(): Promise<void> {
    for (;;) {
      const images = await this.runtime.listImages();
      if (images.ok) {
        // The same list keeps its identity, by which the node status check knows it unchanged.
        const next = nodeStatusImages(images.value);
        if (!deepEqual(next, this.nodeImages)) this.nodeImages = next;
      }
      await this.ports.clock.sleep(IMAGE_CACHE_REFRESH_US);
    }
  }

  /** Requests of the admitted, active pods (cpu in millicores, memory and storage in bytes). */
  get usage(): Readonly<ResourceUsage> {
    return this.used;
  }

  private podAdded(pod: Pod): void {
    const uid = pod.metadata.uid ?? '';
    if (this.records.has(uid)) return this.podUpdated(pod, pod);
    const rec = newPodRecord(pod);
    this.records.set(uid, rec);
    if (pod.metadata.deletionTimestamp === undefined && !isPodTerminal(pod)) this.admit(rec);
    else rec.finished = isPodTerminal(pod) && pod.metadata.deletionTimestamp === undefined;
    this.workers.update(uid);
  }

  private podUpdated(old: Pod, pod: Pod): void {
    if (old.metadata.uid !== pod.metadata.uid) {
      this.podDeleted(old);
      this.podAdded(pod);
      return;
    }
    const rec = this.records.get(pod.metadata.uid ?? '');
    if (rec === undefined) return this.podAdded(pod);
    rec.pod = pod;
    this.statusManager.podUpdated(pod);
    // Our own status writes come back as updates; only what someone else changed needs a sync.
    const ours =
      old.metadata.deletionTimestamp === pod.metadata.deletionTimestamp &&
      old.metadata.generation === pod.metadata.generation &&
      rec.admission !== 'rejected' &&
      this.statusManager.isDesired(pod);
    if (!ours) this.workers.update(rec.uid);
  }

  private podDeleted(pod: Pod): void {
    this.podGone(pod.metadata.uid ?? '');
  }

  private podGone(uid: string): void {
    const rec = this.records.get(uid);
    if (rec === undefined || rec.removed) return;
    rec.removed = true;
    this.workers.update(uid);
  }

  /** Admission happens in arrival order, synchronously, so two pods never race for the same room. */
  private admit(rec: PodRecord): void {
    const request = podUsage(rec.pod);
    const verdict = admitPod(request, this.used, this.allocatable);
    if (!verdict.admit) {
      rec.admission = 'rejected';
      rec.finished = true;
      const old = rec.pod.status ?? {};
      const status: PodStatus = {
        ...old,
        phase: 'Failed',
        reason: verdict.reason,
        message: verdict.message,
        qosClass: old.qosClass ?? computePodQOS(rec.pod),
        startTime: old.startTime ?? formatTime(this.ports.clock.now()),
      };
      this.statusManager.setStatus(rec.pod, status);
      rec.phase = 'Failed';
      this.ports.trace.emit('kubelet.pod-rejected', {
        pod: rec.key,
        reason: verdict.reason,
        node: this.config.nodeName,
      });
      this.ports.trace.emit('kubelet.pod-phase', {
        pod: rec.key,
        phase: 'Failed',
        node: this.config.nodeName,
      });
      return;
    }
    rec.admission = 'admitted';
    rec.usage = request;
    addUsage(this.used, request, 1);
    this.prober.addPod(rec.uid, rec.pod);
  }

  private release(rec: PodRecord): void {
    if (rec.usage === undefined) return;
    addUsage(this.used, rec.usage, -1);
    rec.usage = undefined;
  }

  private forget(rec: PodRecord): void {
    this.release(rec);
    this.prober.removePod(rec.uid);
    for (const c of rec.containers) {
      if (c.containerId !== undefined) this.containerOwners.delete(c.containerId);
      if (c.previousId !== undefined) this.containerOwners.delete(c.previousId);
    }
    this.records.delete(rec.uid);
    this.statusManager.forget(rec.uid);
    this.workers.forget(rec.uid);
  }

  /**
   * Hands the pod CIDR to the runtime (CRI UpdateRuntimeConfig), retrying until it takes it:
   * until then sandboxes fail with a network that is not ready, and their pods retry.
   */
  private async configureRuntime(runtime: Runtime): Promise<void> {
    const podCIDR = await this.podCIDR();
    for (;;) {
      const r = await runtime.updateRuntimeConfig({ podCIDR });
      if (r.ok) return;
      await this.ports.clock.sleep(this.config.plegRelistPeriodUs);
    }
  }

  /**
   * --pod-cidr, or else the Node's spec.podCIDR (upstream's updatePodCIDR from the node status
   * loop): read again every relist period until node IPAM has set it.
   */
  private async podCIDR(): Promise<string> {
    if (this.config.podCIDR !== '') return this.config.podCIDR;
    for (;;) {
      const assigned = this.nodeStatus.assignedPodCIDR;
      if (assigned !== undefined) {
        this.ports.trace.emit('kubelet.pod-cidr', {
          node: this.config.nodeName,
          podCIDR: assigned,
        });
        return assigned;
      }
      await this.ports.clock.sleep(this.config.plegRelistPeriodUs);
      await this.nodeStatus.refresh();
    }
  }

  /** eviction_manager.go evictPod: the Evicted Event, then the pod's worker kills and fails it. */
  private evict(uid: string, message: string, gracePeriodSeconds: number): void {
    const rec = this.records.get(uid);
    if (rec === undefined) return;
    rec.evicted = message;
    rec.evictionGracePeriodSeconds = gracePeriodSeconds;
    this.ports.trace.emit('kubelet.pod-evicted', {
      pod: rec.key,
      node: this.config.nodeName,
      message,
      gracePeriodUs: gracePeriodSeconds * 1_000_000,
    });
    this.events.pod(rec.pod, 'Warning', 'Evicted', message);
    this.workers.update(uid);
  }

  /** What a probe worker sees of its container: the current instance as the PLEG knows it. */
  private probeView(uid: string, name: string): ProbeView | undefined {
    const rec = this.records.get(uid);
    const c = rec?.containers.find((x) => x.spec.name === name);
    if (rec === undefined || c === undefined) return undefined;
    const rt = c.containerId === undefined ? undefined : this.pleg.get(c.containerId);
    return {
      podTerminal: rec.finished || rec.phase === 'Succeeded' || rec.phase === 'Failed',
      deleting: rec.pod.metadata.deletionTimestamp !== undefined || rec.removed,
      restartPolicy: rec.pod.spec.restartPolicy ?? 'Always',
      instance:
        rt === undefined ? undefined : { id: rt.id, state: rt.state, startedAtUs: rt.startedAtUs },
      started: rt !== undefined && this.prober.isStarted(uid, name, rt.id, rt.state === 'running'),
    };
  }

  private async syncPod(uid: string): Promise<void> {
    const rec = this.records.get(uid);
    if (rec === undefined) return;
    await this.podSync.sync(rec);
    // After the pod's own sync, so an API server that does not answer never delays the pod.
    if (this.staticUids.has(uid)) await this.mirrorPods.sync(rec.pod);
  }

  /**
   * A static pod runs from the kubelet's configuration alone: admitted and synced at once,
   * whether or not the API server answers.
   */
  private addStaticPod(manifest: Pod): void {
    const pod = staticPod(manifest, this.config.nodeName, formatTime(this.ports.clock.now()));
    const rec = newPodRecord(pod);
    this.staticUids.add(rec.uid);
    this.mirrorPods.addStatic(pod);
    this.records.set(rec.uid, rec);
    this.admit(rec);
    this.workers.update(rec.uid);
  }

  private containerChanged(s: RuntimeContainer, before: RuntimeContainer | undefined): void {
    const uid = this.containerOwners.get(s.id);
    if (uid === undefined) return;
    const rec = this.records.get(uid);
    if (s.state === 'exited' && before?.state !== 'exited') {
      this.ports.trace.emit('kubelet.container-exit', {
        pod: rec?.key ?? uid,
        container: s.name,
        exitCode: s.exitCode ?? 0,
        reason: s.reason ?? '',
        // The PLEG notices up to a relist period later than the exit itself.
        finishedAtUs: s.finishedAtUs ?? this.ports.clock.now(),
        node: this.config.nodeName,
      });
    }
    this.workers.update(uid);
  }

  /** A sandbox the kubelet did not stop itself died: the next sync creates a new one. */
  private sandboxStopped(s: SandboxStatus): void {
    const rec = this.records.get(s.podUid);
    if (rec?.sandbox?.id !== s.id || !rec.sandboxReady) return;
    rec.sandboxReady = false;
    this.workers.update(rec.uid);
  }
}
