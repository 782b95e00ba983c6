import { getCondition, setCondition } from '../../api/conditions.ts';
import { keyOf } from '../../api/meta.ts';
import type { Node, NodeCondition } from '../../api/node-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import { WorkQueue } from '../../client/workqueue.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { POD_NODE_INDEX, podNodeIndex } from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { evaluateNodeHealth, type NodeHealth } from './node-health.ts';
import {
  describeTaint,
  noScheduleTaintDiff,
  NOT_READY_NO_EXECUTE,
  taintExists,
  UNREACHABLE_NO_EXECUTE,
  type TaintDiff,
} from './node-taints.ts';
import { updateNodeTaints } from './update-node-taints.ts';
import {
  computeZoneState,
  LABEL_EXCLUDE_DISRUPTION,
  RateLimitedTimedQueue,
  zoneKey,
  type TryOutcome,
  type ZoneState,
} from './zone-disruption.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleOptions {
  /** --node-monitor-period. */
  readonly nodeMonitorPeriodUs: number;
  /** --node-monitor-grace-period (40 s; upstream raised it to 50 s in v1.32). */
  readonly nodeMonitorGracePeriodUs: number;
  /** --node-startup-grace-period: for nodes whose kubelet never posted a Ready condition. */
  readonly nodeStartupGracePeriodUs: number;
  /** --node-eviction-rate, nodes per second tainted NoExecute per zone. */
  readonly nodeEvictionRate: number;
  /** --secondary-node-eviction-rate, for partially disrupted large zones. */
  readonly secondaryNodeEvictionRate: number;
  /** --large-cluster-size-threshold. */
  readonly largeClusterSizeThreshold: number;
  /** --unhealthy-zone-threshold. */
  readonly unhealthyZoneThreshold: number;
  /** scheduler.NodeEvictionPeriod: how often the NoExecute taint queues are drained. */
  readonly noExecuteTaintingPeriodUs: number;
  /** Workers for NoSchedule tainting on node updates (scheduler.UpdateWorkerSize). */
  readonly workers: number;
}

export const DEFAULT_NODE_LIFECYCLE: NodeLifecycleOptions = {
  nodeMonitorPeriodUs: 5_000_000,
  nodeMonitorGracePeriodUs: 40_000_000,
  nodeStartupGracePeriodUs: 60_000_000,
  nodeEvictionRate: 0.1,
  secondaryNodeEvictionRate: 0.01,
  largeClusterSizeThreshold: 50,
  unhealthyZoneThreshold: 0.55,
  noExecuteTaintingPeriodUs: 100_000,
  workers: 8,
};

/** NodeHealthUpdateRetry and retrySleepTime of monitorNodeHealth. */
const HEALTH_UPDATE_RETRIES = 5;
const HEALTH_RETRY_SLEEP_US = 20_000;
/** doNoExecuteTaintingPass retries a node without a Ready condition after 50 ms. */
const NO_READY_CONDITION_RETRY_US = 50_000;

/**
 * The node lifecycle controller (pkg/controller/nodelifecycle/node_lifecycle_controller.go):
 * - every nodeMonitorPeriod, marks nodes whose kubelet stopped renewing its Lease (and posting
 *   status) for nodeMonitorGracePeriod as Ready=Unknown, and marks their pods not ready;
 * - keeps NoSchedule taints in step with node conditions (not-ready, unreachable, pressure,
 *   unschedulable) on every node update;
 * - queues unhealthy nodes for the not-ready/unreachable NoExecute taint, drained per zone at
 *   nodeEvictionRate, slowed or stopped when a zone or the whole cluster looks disrupted;
 *   removes the NoExecute taints when the node is Ready again.
 * The evictions themselves are the taint eviction controller's job.
 *
 * As upstream, the NoExecute taint uses the Ready condition seen at the *start* of a pass, so it
 * lands one monitor period after the node turns Unknown: 40 s grace + up to two 5 s periods.
 */
export class NodeLifecycleController implements Controller {
  readonly name = 'node-lifecycle';
  private readonly nodes: Informer<'Node'>;
  private readonly leases: Informer<'Lease'>;
  private readonly pods: Informer<'Pod'>;
  private readonly nodeUpdates: WorkQueue<string>;
  private readonly health = new Map<string, NodeHealth>();
  private readonly knownNodes = new Set<string>();
  private readonly zoneStates = new Map<string, ZoneState>();
  private readonly zoneTainters = new Map<string, RateLimitedTimedQueue>();
  /** Nodes whose pods could not all be marked not ready (nodesToRetry). */
  private readonly podsToRetry = new Set<string>();
  /** Nodes traced as not Ready, so their return to Ready is traced once (node-ready). */
  private readonly tracedNotReady = new Set<string>();
  private stopped = false;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: NodeLifecycleOptions = DEFAULT_NODE_LIFECYCLE,
  ) {
    this.nodeUpdates = new WorkQueue(ports);
    this.nodes = informers.informer('Node');
    // All namespaces, as upstream's shared LeaseInformer (startNodeLifecycleController in
    // cmd/kube-controller-manager/app/core.go; the lister looks up kube-node-lease/<node>):
    // the garbage collector watches every Lease already, so one watch serves both instead of a
    // second stream carrying each node's renewal again.
    this.leases = informers.informer('Lease');
    this.pods = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_NODE_INDEX, podNodeIndex);
    this.nodes.addEventHandler({
      onAdd: (node) => this.nodeUpdates.add(keyOf(node)),
      onUpdate: (_old, node) => this.nodeUpdates.add(keyOf(node)),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.nodes, this.leases, this.pods]);
    for (let i = 0; i < this.options.workers; i++) this.ports.spawn(() => this.noScheduleWorker());
    this.ports.spawn(() => this.monitorLoop());
    this.ports.spawn(() => this.noExecuteLoop());
  }

  stop(): void {
    this.stopped = true;
    this.nodeUpdates.shutDown();
  }

  // ---- NoSchedule taints follow conditions ------------------------------------------------------

  private async noScheduleWorker(): Promise<void> {
    while (true) {
      const name = await this.nodeUpdates.get();
      if (name === undefined) return;
      const node = this.nodes.get(name);
      const diff = node === undefined ? undefined : noScheduleTaintDiff(node);
      // Upstream only logs a failure here and waits for the next node update; a lost request
      // would then leave the taint missing until the kubelet's next status report, so retry.
      if (
        node !== undefined &&
        diff !== undefined &&
        (diff.add.length > 0 || diff.remove.length > 0)
      ) {
        if (await this.swapTaints(node, diff)) this.nodeUpdates.forget(name);
        else this.nodeUpdates.addRateLimited(name);
      }
      this.nodeUpdates.done(name);
    }
  }

  // ---- health monitor ----------------------------------------------------------------------------

  private async monitorLoop(): Promise<void> {
    while (!this.stopped) {
      await this.monitorNodeHealth();
      await this.ports.clock.sleep(this.options.nodeMonitorPeriodUs);
    }
  }

  private async monitorNodeHealth(): Promise<void> {
    const nodes = this.nodes.list();
    const names = new Set(nodes.map((n) => keyOf(n)));
    for (const node of nodes) {
      this.ensureZone(zoneKey(node));
      if (this.knownNodes.has(keyOf(node))) continue;
      this.knownNodes.add(keyOf(node));
      // A node seen for the first time starts without controller NoExecute taints.
      await this.markNodeAsReachable(node);
    }
    for (const name of [...this.knownNodes]) if (!names.has(name)) this.knownNodes.delete(name);
    const zoneReady = new Map<string, (string | undefined)[]>();
    for (const node of nodes) {
      const ready = this.healthyPass(node) ?? (await this.updateNodeHealth(node));
      if (ready === undefined) continue;
      if (node.metadata.labels?.[LABEL_EXCLUDE_DISRUPTION] !== undefined) continue;
      const zone = zoneKey(node);
      const list = zoneReady.get(zone) ?? [];
      list.push(ready.current?.status);
      zoneReady.set(zone, list);
    }
    await this.handleDisruption(zoneReady, nodes);
  }

  /**
   * A node that is Ready and stays Ready, with nothing to write, retry or untaint: its pass,
   * done without awaiting anything (every node takes one every 5 s; on an idle cluster all
   * of them are this case). Undefined when the full pass must run instead; it evaluates again,
   * from the same saved health, so nothing recorded here is lost.
   */
  private healthyPass(node: Node): { current: NodeCondition } | undefined {
    const name = keyOf(node);
    const ev = evaluateNodeHealth(
      node,
      this.health.get(name),
      this.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`),
      this.ports.clock.now(),
      this.options,
    );
    const current = ev.currentReady;
    if (ev.write !== undefined || current?.status !== 'True' || ev.observedReady.status !== 'True')
      return undefined;
    if (this.podsToRetry.has(name) || this.tracedNotReady.has(name)) return undefined;
    const taints = node.spec?.taints;
    if (taintExists(taints, UNREACHABLE_NO_EXECUTE) || taintExists(taints, NOT_READY_NO_EXECUTE))
      return undefined;
    this.health.set(name, ev.health);
    // markNodeAsReachable with no taint to remove.
    this.ensureZone(zoneKey(node)).remove(name);
    return { current };
  }

  /** One node's pass; the Ready condition before and after, or undefined if it could not be updated. */
  private async updateNodeHealth(
    cached: Node,
  ): Promise<{ current: NodeCondition | undefined } | undefined> {
    let node: Node = cached;
    const name = keyOf(cached);
    for (let attempt = 0; attempt < HEALTH_UPDATE_RETRIES; attempt++) {
      const now = this.ports.clock.now();
      const ev = evaluateNodeHealth(
        node,
        this.health.get(name),
        this.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`),
        now,
        this.options,
      );
      this.health.set(name, ev.health);
      let written = node;
      if (ev.write !== undefined) {
        const r = await this.api.updateStatus({
          ...node,
          status: { ...node.status, conditions: ev.write.conditions },
        });
        if (!r.ok) {
          await this.ports.clock.sleep(HEALTH_RETRY_SLEEP_US);
          const fresh = await this.api.get('Node', undefined, name);
          if (!fresh.ok) return undefined;
          node = fresh.value;
          continue;
        }
        written = r.value;
        this.health.set(name, ev.write.health);
        if (ev.currentReady?.status === 'Unknown')
          this.ports.trace.emit('node-lifecycle.node-unknown', { node: name });
      }
      if (ev.currentReady !== undefined)
        await this.afterHealthUpdate(written, ev.observedReady, ev.currentReady);
      return { current: ev.currentReady };
    }
    return undefined;
  }

  private async afterHealthUpdate(
    node: Node,
    observed: NodeCondition,
    current: NodeCondition,
  ): Promise<void> {
    const name = keyOf(node);
    await this.processTaintBaseEviction(node, observed);
    const becameNotReady = current.status !== 'True' && observed.status === 'True';
    if (current.status === 'True' && this.tracedNotReady.delete(name))
      this.ports.trace.emit('node-lifecycle.node-ready', { node: name });
    if (becameNotReady || (this.podsToRetry.has(name) && observed.status !== 'True')) {
      this.tracedNotReady.add(name);
      this.ports.trace.emit('node-lifecycle.node-not-ready', {
        node: name,
        status: current.status,
      });
      if (!(await this.markPodsNotReady(name))) {
        this.podsToRetry.add(name);
        return;
      }
    }
    this.podsToRetry.delete(name);
  }

  private async processTaintBaseEviction(node: Node, observed: NodeCondition): Promise<void> {
    const taints = node.spec?.taints;
    switch (observed.status) {
      case 'False':
        if (taintExists(taints, UNREACHABLE_NO_EXECUTE))
          await this.swapTaints(node, {
            add: [NOT_READY_NO_EXECUTE],
            remove: [UNREACHABLE_NO_EXECUTE],
          });
        else this.markNodeForTainting(node, NOT_READY_NO_EXECUTE);
        return;
      case 'Unknown':
        if (taintExists(taints, NOT_READY_NO_EXECUTE))
          await this.swapTaints(node, {
            add: [UNREACHABLE_NO_EXECUTE],
            remove: [NOT_READY_NO_EXECUTE],
          });
        else this.markNodeForTainting(node, UNREACHABLE_NO_EXECUTE);
        return;
      case 'True':
        await this.markNodeAsReachable(node);
        return;
    }
  }

  private markNodeForTainting(node: Node, taint: typeof UNREACHABLE_NO_EXECUTE): void {
    const tainter = this.ensureZone(zoneKey(node));
    // The taint is missing (removed by hand, or never added): let the node be queued again.
    if (!taintExists(node.spec?.taints, taint)) tainter.remove(keyOf(node));
    tainter.add(keyOf(node));
  }

  private async markNodeAsReachable(node: Node): Promise<boolean> {
    this.ensureZone(zoneKey(node)).remove(keyOf(node));
    const remove = [UNREACHABLE_NO_EXECUTE, NOT_READY_NO_EXECUTE].filter((t) =>
      taintExists(node.spec?.taints, t),
    );
    if (remove.length === 0) return true;
    return this.swapTaints(node, { add: [], remove });
  }

  /** MarkPodsNotReady (pkg/controller/util/node): Ready=False on every pod of the node. */
  private async markPodsNotReady(nodeName: string): Promise<boolean> {
    let ok = true;
    const nowIso = formatTime(this.ports.clock.now());
    for (const pod of this.pods.byIndex(POD_NODE_INDEX, nodeName)) {
      const ready = getCondition(pod.status?.conditions, 'Ready');
      if (ready === undefined || ready.status === 'False') continue;
      const conditions = setCondition(
        pod.status?.conditions,
        { ...ready, status: 'False' },
        nowIso,
      );
      const r = await this.api.updateStatus<Pod>({ ...pod, status: { ...pod.status, conditions } });
      if (!r.ok && r.status !== 404) ok = false;
    }
    return ok;
  }

  // ---- zones and NoExecute tainting -------------------------------------------------------------

  private ensureZone(zone: string): RateLimitedTimedQueue {
    let tainter = this.zoneTainters.get(zone);
    if (tainter === undefined) {
      tainter = new RateLimitedTimedQueue(this.ports.clock, this.options.nodeEvictionRate);
      this.zoneTainters.set(zone, tainter);
      this.zoneStates.set(zone, 'Initial');
    }
    return tainter;
  }

  private async handleDisruption(
    zoneReady: Map<string, (string | undefined)[]>,
    nodes: readonly Node[],
  ): Promise<void> {
    const newStates = new Map<string, ZoneState>();
    let allFully = zoneReady.size > 0;
    for (const [zone, statuses] of zoneReady) {
      const { state } = computeZoneState(statuses, this.options.unhealthyZoneThreshold);
      if (state !== 'FullDisruption') allFully = false;
      newStates.set(zone, state);
    }
    let allWereFully = true;
    for (const [zone, state] of [...this.zoneStates]) {
      if (!zoneReady.has(zone)) {
        this.zoneStates.delete(zone);
        continue;
      }
      if (state !== 'FullDisruption') allWereFully = false;
    }
    if (allFully && allWereFully) return;
    if (allFully) {
      // Every node looks dead: more likely we are cut off. Stop tainting and lift NoExecute taints.
      this.ports.trace.emit('node-lifecycle.zone-state', { zone: '*', state: 'FullDisruption' });
      for (const node of nodes) await this.markNodeAsReachable(node);
      for (const zone of this.zoneStates.keys()) {
        this.zoneTainters.get(zone)?.swapLimiter(0);
        this.zoneStates.set(zone, 'FullDisruption');
      }
      return;
    }
    if (allWereFully) {
      const now = this.ports.clock.now();
      for (const node of nodes) {
        const h = this.health.get(keyOf(node));
        if (h !== undefined)
          this.health.set(keyOf(node), {
            ...h,
            probeTimestampUs: now,
            readyTransitionTimestampUs: now,
          });
      }
    }
    for (const [zone, state] of this.zoneStates) {
      const next = newStates.get(zone) ?? state;
      if (next === state && !allWereFully) continue;
      this.setZoneLimiter(zone, zoneReady.get(zone)?.length ?? 0, next);
      this.zoneStates.set(zone, next);
      this.ports.trace.emit('node-lifecycle.zone-state', { zone, state: next });
    }
  }

  private setZoneLimiter(zone: string, zoneSize: number, state: ZoneState): void {
    const tainter = this.zoneTainters.get(zone);
    if (tainter === undefined) return;
    switch (state) {
      case 'Normal':
      case 'FullDisruption':
      case 'Initial':
        tainter.swapLimiter(this.options.nodeEvictionRate);
        return;
      case 'PartialDisruption':
        tainter.swapLimiter(
          zoneSize > this.options.largeClusterSizeThreshold
            ? this.options.secondaryNodeEvictionRate
            : 0,
        );
        return;
    }
  }

  private async noExecuteLoop(): Promise<void> {
    while (!this.stopped) {
      await this.ports.clock.sleep(this.options.noExecuteTaintingPeriodUs);
      for (const tainter of this.zoneTainters.values())
        await tainter.try((name) => this.taintNoExecute(name));
    }
  }

  private async taintNoExecute(name: string): Promise<TryOutcome> {
    const node = this.nodes.get(name);
    if (node === undefined) return { done: true, retryUs: 0 };
    const ready = getCondition(node.status?.conditions, 'Ready');
    if (ready === undefined) return { done: false, retryUs: NO_READY_CONDITION_RETRY_US };
    // not-ready and unreachable mirror Ready=False/Unknown, so they exclude each other.
    let diff: TaintDiff;
    if (ready.status === 'False')
      diff = { add: [NOT_READY_NO_EXECUTE], remove: [UNREACHABLE_NO_EXECUTE] };
    else if (ready.status === 'Unknown')
      diff = { add: [UNREACHABLE_NO_EXECUTE], remove: [NOT_READY_NO_EXECUTE] };
    else return { done: true, retryUs: 0 };
    return { done: await this.swapTaints(node, diff), retryUs: 0 };
  }

  private async swapTaints(node: Node, diff: TaintDiff): Promise<boolean> {
    const r = await updateNodeTaints(this.api, this.ports.clock, node, diff);
    if (!r.ok) {
      this.ports.trace.debug('node-lifecycle.taint-error', { node: keyOf(node), error: r.error });
      return false;
    }
    if (r.changed) {
      this.ports.trace.emit('node-lifecycle.taint', {
        node: keyOf(node),
        taints: r.taints.map(describeTaint),
        added: diff.add.map(describeTaint),
        removed: diff.remove.map(describeTaint),
      });
    }
    return true;
  }
}
