import { setCondition } from '../../api/conditions.ts';
import { keyOf, splitObjectKey } from '../../api/meta.ts';
import type { Node, Taint } from '../../api/node-types.ts';
import type { Pod } from '../../api/pod-types.ts';
import { formatTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import type { TimerId } from '../../ports/clock.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import { POD_NODE_INDEX, podNodeIndex } from '../common/pod-indexes.ts';
import type { SharedInformers } from '../common/shared-informers.ts';
import { matchingTolerations, minTolerationUs } from './tolerations.ts';

/** deletePodHandler: 5 attempts, 10 ms apart. */
const DELETE_ATTEMPTS = 5;
const DELETE_RETRY_US = 10_000;

interface ScheduledEviction {
  readonly nodeName: string;
  readonly createdAtUs: number;
  readonly fireAtUs: number;
  timer: TimerId | undefined;
  /** Fired and succeeded: kept so later updates do not schedule the pod again (TimedWorkerQueue). */
  done: boolean;
}

/**
 * The taint eviction controller (pkg/controller/tainteviction/taint_eviction.go): deletes pods
 * bound to nodes with NoExecute taints they do not tolerate, at once, or when the shortest
 * tolerationSeconds of the tolerations used has passed; cancels a pending eviction when the
 * taint goes or the pod starts tolerating it forever.
 *
 * As upstream, the countdown starts when this controller first sees the pod under the taint
 * (the node update arrives milliseconds after the taint's timeAdded), so a restarted controller
 * starts counting again. Upstream hands node and pod updates to sharded worker goroutines; here
 * the informer handlers process them in event order, which gives the same decisions without
 * the plumbing, and only the deletions are asynchronous.
 */
export class TaintEvictionController implements Controller {
  readonly name = 'taint-eviction';
  private readonly nodes: Informer<'Node'>;
  private readonly pods: Informer<'Pod'>;
  /** NoExecute taints per node, for nodes that have some. */
  private readonly taintedNodes = new Map<string, readonly Taint[]>();
  private readonly evictions = new Map<string, ScheduledEviction>();
  private running = false;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
  ) {
    this.nodes = informers.informer('Node');
    this.pods = informers.informer('Pod');
    informers.addIndexer('Pod', undefined, POD_NODE_INDEX, podNodeIndex);
    this.nodes.addEventHandler({
      onAdd: (node) => this.nodeUpdated(undefined, node),
      onUpdate: (old, node) => this.nodeUpdated(old, node),
      onDelete: (node) => this.nodeUpdated(node, undefined),
    });
    this.pods.addEventHandler({
      onAdd: (pod) => this.podUpdated(undefined, pod),
      onUpdate: (old, pod) => this.podUpdated(old, pod),
      onDelete: (pod) => this.podUpdated(pod, undefined),
    });
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.nodes, this.pods]);
    this.running = true;
    for (const node of this.nodes.list()) this.handleNode(keyOf(node));
  }

  stop(): void {
    this.running = false;
    for (const e of this.evictions.values())
      if (e.timer !== undefined) this.ports.clock.cancelTimer(e.timer);
    this.evictions.clear();
  }

  /** Pods scheduled for eviction and when (virtual µs), for tests and reports. */
  scheduled(): ReadonlyMap<string, number> {
    return new Map([...this.evictions].filter(([, e]) => !e.done).map(([k, e]) => [k, e.fireAtUs]));
  }

  private nodeUpdated(old: Node | undefined, cur: Node | undefined): void {
    if (!this.running) return;
    const name = keyOf((cur ?? old) as Node);
    if (old !== undefined && cur !== undefined && sameTaints(noExecute(old), noExecute(cur)))
      return;
    this.handleNode(name);
  }

  private podUpdated(old: Pod | undefined, cur: Pod | undefined): void {
    if (!this.running) return;
    if (old !== undefined && cur !== undefined) {
      const same =
        old.spec.nodeName === cur.spec.nodeName &&
        JSON.stringify(old.spec.tolerations ?? []) === JSON.stringify(cur.spec.tolerations ?? []);
      if (same) return;
    }
    this.handlePod(keyOf((cur ?? old) as Pod));
  }

  private handleNode(name: string): void {
    const node = this.nodes.get(name);
    const taints = node === undefined ? [] : noExecute(node);
    if (taints.length === 0) this.taintedNodes.delete(name);
    else this.taintedNodes.set(name, taints);
    const pods = this.pods.byIndex(POD_NODE_INDEX, name);
    const now = this.ports.clock.now();
    for (const pod of pods) {
      if (taints.length === 0) this.cancel(keyOf(pod));
      else this.processPodOnNode(pod, name, taints, now);
    }
  }

  private handlePod(podKey: string): void {
    const pod = this.pods.get(podKey);
    if (pod === undefined) {
      this.cancel(podKey);
      return;
    }
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const taints = this.taintedNodes.get(nodeName);
    if (taints === undefined) return;
    this.processPodOnNode(pod, nodeName, taints, this.ports.clock.now());
  }

  private processPodOnNode(
    pod: Pod,
    nodeName: string,
    taints: readonly Taint[],
    nowUs: number,
  ): void {
    const podKey = keyOf(pod);
    const { allTolerated, used } = matchingTolerations(taints, pod.spec.tolerations);
    if (!allTolerated) {
      this.cancel(podKey);
      this.schedule(podKey, nodeName, nowUs, nowUs);
      return;
    }
    const tolerationUs = minTolerationUs(used);
    if (tolerationUs < 0) {
      this.cancel(podKey);
      return;
    }
    let startUs = nowUs;
    const existing = this.evictions.get(podKey);
    if (existing !== undefined) {
      startUs = existing.createdAtUs;
      // Keep an earlier deadline: re-observing the pod must not postpone its eviction.
      if (startUs + tolerationUs < nowUs + tolerationUs) return;
      this.cancel(podKey);
    }
    this.schedule(podKey, nodeName, startUs, startUs + tolerationUs);
  }

  private schedule(podKey: string, nodeName: string, createdAtUs: number, fireAtUs: number): void {
    if (this.evictions.has(podKey)) return;
    const e: ScheduledEviction = { nodeName, createdAtUs, fireAtUs, timer: undefined, done: false };
    this.evictions.set(podKey, e);
    const delayUs = Math.max(0, fireAtUs - this.ports.clock.now());
    this.ports.trace.debug('taint-eviction.scheduled', { pod: podKey, node: nodeName, fireAtUs });
    e.timer = this.ports.clock.setTimer(delayUs, () => {
      e.timer = undefined;
      this.ports.spawn(() => this.evict(podKey, e));
    });
  }

  private cancel(podKey: string): void {
    const e = this.evictions.get(podKey);
    if (e === undefined) return;
    if (e.timer !== undefined) this.ports.clock.cancelTimer(e.timer);
    this.evictions.delete(podKey);
    if (!e.done) this.ports.trace.debug('taint-eviction.cancelled', { pod: podKey });
  }

  /** deletePodHandler + addConditionAndDeletePod: mark DisruptionTarget, then delete. */
  private async evict(podKey: string, e: ScheduledEviction): Promise<void> {
    let error = '';
    for (let attempt = 0; attempt < DELETE_ATTEMPTS; attempt++) {
      if (this.evictions.get(podKey) !== e) return;
      if (attempt > 0) await this.ports.clock.sleep(DELETE_RETRY_US);
      const r = await this.deleteWithCondition(podKey);
      if (r === undefined) {
        e.done = true;
        this.ports.trace.emit('taint-eviction.delete', { pod: podKey, node: e.nodeName });
        return;
      }
      error = r;
    }
    this.ports.trace.debug('taint-eviction.delete-failed', { pod: podKey, error });
    if (this.evictions.get(podKey) === e) this.evictions.delete(podKey);
  }

  private async deleteWithCondition(podKey: string): Promise<string | undefined> {
    const { namespace, name } = splitObjectKey(podKey);
    const got = await this.api.get('Pod', namespace, name);
    if (!got.ok) return got.status === 404 ? undefined : describeFailure(got);
    const pod = got.value;
    const nowIso = formatTime(this.ports.clock.now());
    const conditions = setCondition(
      pod.status?.conditions,
      {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'DeletionByTaintManager',
        message: 'Taint manager: deleting due to NoExecute taint',
      },
      nowIso,
    );
    if (conditions !== pod.status?.conditions) {
      const s = await this.api.updateStatus<Pod>({ ...pod, status: { ...pod.status, conditions } });
      if (!s.ok) return s.status === 404 ? undefined : describeFailure(s);
    }
    const d = await this.api.delete('Pod', namespace, name, {
      preconditions: { uid: pod.metadata.uid ?? '' },
    });
    if (d.ok || d.status === 404) return undefined;
    return describeFailure(d);
  }
}

function noExecute(node: Node): Taint[] {
  return (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
}

function sameTaints(a: readonly Taint[], b: readonly Taint[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
