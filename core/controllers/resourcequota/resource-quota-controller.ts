import { resourceFor, type ResourceInfo } from '../../api/resources.ts';
import type { ResourceQuota } from '../../api/kinds/resource-quota.ts';
import { keyOf } from '../../api/meta.ts';
import {
  calculateUsage,
  podCountsForQuota,
  quotaEvaluators,
  type QuotaEvaluator,
} from '../../api/quota/evaluators.ts';
import { add, equal, fromList, mask, toList } from '../../api/quota/resource-lists.ts';
import type { Pod } from '../../api/pod-types.ts';
import type { Kind, KObject } from '../../api/types.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { runWorker } from '../common/worker.ts';

export interface ResourceQuotaControllerOptions {
  /** --concurrent-resource-quota-syncs. */
  readonly workers: number;
  /** --resource-quota-sync-period: every quota is recounted this often. */
  readonly resyncPeriodUs: number;
}

export const DEFAULT_RESOURCE_QUOTA_CONTROLLER: ResourceQuotaControllerOptions = {
  workers: 5,
  resyncPeriodUs: 300_000_000,
};

const NAMESPACE_INDEX = 'namespace';
const byNamespace = (obj: KObject): readonly string[] => [obj.metadata.namespace ?? ''];

/** How often discovery is read again while a quota names a resource nobody serves yet. */
const DISCOVERY_RESYNC_US = 30_000_000;

/** A resource whose objects the controller counts: its evaluator and its informer. */
interface Monitor {
  readonly evaluator: QuotaEvaluator;
  readonly informer: Informer<Kind>;
}

/**
 * The resource quota controller (pkg/controller/resourcequota): keeps each ResourceQuota's
 * status.hard equal to its spec and status.used equal to what the namespace's objects use,
 * counted from informers. Admission charges creates as they happen; this controller gives back
 * what deletions and finished pods free (replenishment), recounts a quota whose spec changed or
 * that has no usage yet, and recounts every quota each resync period. Which resources it watches
 * follows the quotas (upstream's QuotaMonitor watches every quotable resource the server
 * discovers; watching only what some quota names keeps clusters without quotas free of the
 * cost).
 */
export class ResourceQuotaController implements Controller {
  readonly name = 'resourcequota';
  private readonly quotaInformer: Informer<'ResourceQuota'>;
  private readonly queue: WorkQueue<string>;
  /** Quotas that have no usage yet or whose spec changed: synced before the others. */
  private readonly missingUsageQueue: WorkQueue<string>;
  private readonly monitors = new Map<string, Monitor>();
  /** Custom resources discovery lists, by `<resource>.<group>`. */
  private readonly customResources = new Map<string, ResourceInfo>();
  /** A quota names a `count/` resource that is not built in: discovery is being read. */
  private discovering = false;
  private running = true;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly informers: SharedInformers,
    private readonly options: ResourceQuotaControllerOptions = DEFAULT_RESOURCE_QUOTA_CONTROLLER,
  ) {
    this.queue = new WorkQueue(ports);
    this.missingUsageQueue = new WorkQueue(ports);
    this.quotaInformer = informers.informer('ResourceQuota');
    informers.addIndexer('ResourceQuota', undefined, NAMESPACE_INDEX, byNamespace);
    this.quotaInformer.addEventHandler({
      onAdd: (q) => this.addQuota(q),
      // Status-only changes (admission's charges, this controller's own writes) are not work.
      onUpdate: (old, q) => {
        if (!equal(fromList(old.spec?.hard), fromList(q.spec?.hard))) this.addQuota(q);
      },
      onDelete: (q) => this.queue.add(keyOf(q)),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.quotaInformer]);
    for (const q of this.quotaInformer.list()) this.watchResourcesOf(q);
    const onError = (key: string, error: string) =>
      this.ports.trace.debug('resourcequota.sync-error', { quota: key, error });
    for (let i = 0; i < this.options.workers; i++) {
      this.ports.spawn(() => runWorker(this.queue, (k) => this.sync(k), onError));
      this.ports.spawn(() => runWorker(this.missingUsageQueue, (k) => this.sync(k), onError));
    }
    this.ports.spawn(() => this.resyncLoop());
  }

  stop(): void {
    this.running = false;
    this.queue.shutDown();
    this.missingUsageQueue.shutDown();
  }

  /** enqueueAll every resync period. */
  private async resyncLoop(): Promise<void> {
    while (this.running) {
      await this.ports.clock.sleep(this.options.resyncPeriodUs);
      if (!this.running) return;
      for (const q of this.quotaInformer.list()) this.queue.add(keyOf(q));
    }
  }

  /** addQuota: a quota needing a count goes to the priority queue. */
  private addQuota(q: ResourceQuota): void {
    this.watchResourcesOf(q);
    const key = keyOf(q);
    const hard = fromList(q.spec?.hard);
    const needsCount =
      !equal(hard, fromList(q.status?.hard)) ||
      [...hard.keys()].some((name) => q.status?.used?.[name] === undefined);
    (needsCount ? this.missingUsageQueue : this.queue).add(key);
  }

  /** A namespaced resource the server serves: built in, or a custom resource discovered. */
  private servedResource(group: string, resource: string): ResourceInfo | undefined {
    const info = resourceFor(group, resource) ?? this.customResources.get(`${resource}.${group}`);
    return info?.namespaced === true ? info : undefined;
  }

  /** Starts counting every resource the quota names that is not counted yet. */
  private watchResourcesOf(q: ResourceQuota): void {
    const names = Object.keys(q.spec?.hard ?? {});
    if (names.some((n) => this.isUnknownCount(n))) this.discoverCustomResources();
    const served = (group: string, resource: string): boolean =>
      this.servedResource(group, resource) !== undefined;
    for (const evaluator of quotaEvaluators(names, served)) {
      const id = `${evaluator.resource}.${evaluator.group}`;
      if (this.monitors.has(id)) continue;
      const info = this.servedResource(evaluator.group, evaluator.resource);
      if (info === undefined) continue;
      const informer = this.informerFor(info);
      informer.addEventHandler({
        onUpdate: (old, obj) => {
          if (this.freesUsage(evaluator, old, obj)) this.replenish(evaluator, obj);
        },
        onDelete: (obj) => this.replenish(evaluator, obj),
      });
      this.monitors.set(id, { evaluator, informer });
      if (resourceFor(info.group, info.resource) === undefined) informer.start();
      else this.informers.start();
    }
  }

  /**
   * A built-in kind's shared informer, or an informer of its own for a custom resource (the
   * shared factory knows built-in kinds only), indexed by namespace either way.
   */
  private informerFor(info: ResourceInfo): Informer<Kind> {
    if (resourceFor(info.group, info.resource) !== undefined) {
      this.informers.addIndexer(info.kind, undefined, NAMESPACE_INDEX, byNamespace);
      return this.informers.informer(info.kind) as Informer<Kind>;
    }
    const informer = new Informer(this.ports, this.api, info.kind, { resource: info });
    informer.addIndexer(NAMESPACE_INDEX, byNamespace);
    return informer;
  }

  /** `count/<resource>.<group>` of a resource that is neither built in nor discovered yet. */
  private isUnknownCount(name: string): boolean {
    if (!name.startsWith('count/')) return false;
    const qualified = name.slice('count/'.length);
    const dot = qualified.indexOf('.');
    if (dot < 0) return false;
    return this.servedResource(qualified.slice(dot + 1), qualified.slice(0, dot)) === undefined;
  }

  /**
   * Upstream's QuotaMonitor follows discovery for every resource; here discovery is read only
   * while some quota names a `count/` resource that is not served yet (its CRD may come later),
   * every 30 s, and each quota naming one is recounted once it appears.
   */
  private discoverCustomResources(): void {
    if (this.discovering) return;
    this.discovering = true;
    this.ports.spawn(async () => {
      while (this.running) {
        const found = await this.api.discoverCustomResources();
        if (found.ok) {
          for (const r of found.value) this.customResources.set(`${r.resource}.${r.group}`, r);
          for (const q of this.quotaInformer.list()) this.addQuota(q);
        }
        const waiting = this.quotaInformer
          .list()
          .some((q) => Object.keys(q.spec?.hard ?? {}).some((n) => this.isUnknownCount(n)));
        if (!waiting) break;
        await this.ports.clock.sleep(DISCOVERY_RESYNC_US);
      }
      this.discovering = false;
    });
  }

  /**
   * The QuotaMonitor's update filter: a pod that stops counting (terminal), a Service whose
   * type changes between counted types, a claim whose allocated size changes.
   */
  private freesUsage(e: QuotaEvaluator, old: KObject, obj: KObject): boolean {
    const now = this.ports.clock.now();
    switch (`${e.resource}.${e.group}`) {
      case 'pods.':
        return podCountsForQuota(old as Pod, now) && !podCountsForQuota(obj as Pod, now);
      case 'services.':
        return quotaServiceType(old) !== quotaServiceType(obj);
      case 'persistentvolumeclaims.':
        return allocatedStorage(old) !== allocatedStorage(obj);
      default:
        return false;
    }
  }

  /** replenishQuota: every quota of the namespace that tracks what the evaluator counts. */
  private replenish(e: QuotaEvaluator, obj: KObject): void {
    const namespace = obj.metadata.namespace ?? '';
    for (const q of this.quotaInformer.byIndex(NAMESPACE_INDEX, namespace)) {
      if (e.matchingResources(Object.keys(q.status?.hard ?? {})).length > 0) {
        this.queue.add(keyOf(q));
      }
    }
  }

  /** syncResourceQuota: status.hard from the spec, status.used counted afresh. */
  private async sync(key: string): Promise<string | undefined> {
    const q = this.quotaInformer.get(key);
    if (q === undefined) return undefined;
    this.watchResourcesOf(q);
    const hardNames = Object.keys(q.spec?.hard ?? {});
    const monitors = [...this.monitors.values()].filter(
      (m) => m.evaluator.matchingResources(hardNames).length > 0,
    );
    await waitForCacheSync(
      this.ports.clock,
      monitors.map((m) => m.informer),
    );
    const namespace = q.metadata.namespace ?? '';
    const counted = calculateUsage(
      q,
      hardNames,
      monitors.map((m) => m.evaluator),
      (e) => this.monitorOf(e).informer.byIndex(NAMESPACE_INDEX, namespace),
      this.ports.clock.now(),
    );
    // Usage of resources nobody counts is kept as it was; names without a hard limit are dropped.
    const used = mask(
      add(withoutNames(fromList(q.status?.used), counted.keys()), counted),
      hardNames,
    );
    const hard = q.spec?.hard ?? {};
    if (equal(fromList(hard), fromList(q.status?.hard)) && equal(used, fromList(q.status?.used))) {
      return undefined;
    }
    const r = await this.api.updateStatus({ ...q, status: { hard, used: toList(used) } });
    if (!r.ok) return `update ResourceQuota ${key} status: ${describeFailure(r)}`;
    this.ports.trace.emit('resourcequota.usage', { quota: key, used: toList(used) });
    return undefined;
  }

  private monitorOf(e: QuotaEvaluator): Monitor {
    const m = this.monitors.get(`${e.resource}.${e.group}`);
    if (m === undefined) throw new Error(`no monitor for ${e.resource}.${e.group}`);
    return m;
  }
}

function withoutNames<V>(map: ReadonlyMap<string, V>, names: Iterable<string>): Map<string, V> {
  const out = new Map(map);
  for (const n of names) out.delete(n);
  return out;
}

/** GetQuotaServiceType: NodePort and LoadBalancer count; other types are all the same. */
function quotaServiceType(obj: KObject): string {
  const type = (obj as { spec?: { type?: string } }).spec?.type;
  return type === 'NodePort' || type === 'LoadBalancer' ? type : '';
}

function allocatedStorage(obj: KObject): string | undefined {
  return (obj as { status?: { allocatedResources?: Record<string, string> } }).status
    ?.allocatedResources?.['storage'];
}
