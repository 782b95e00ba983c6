import { getCondition, setCondition } from '../api/conditions.ts';
import { keyOf } from '../api/meta.ts';
import { toleratesTaint } from '../api/node-affinity.ts';
import type { Node } from '../api/node-types.ts';
import { podRequestsMillis } from '../api/pod-helpers.ts';
import type { Pod } from '../api/pod-types.ts';
import { cpuMillis, bytes } from '../api/resource-list.ts';
import { formatTime } from '../api/time.ts';
import type { ApiClient } from '../client/api-client.ts';
import { Informer } from '../client/informer.ts';
import { WorkQueue } from '../client/workqueue.ts';
import type { ProcessPorts } from '../ports/process.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

/** Upstream's pod backoff: 1 s doubling to 10 s. */
const BACKOFF_INITIAL_US = 1_000_000;
const BACKOFF_MAX_US = 10_000_000;

interface NodeUsage {
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

/**
 * The walking skeleton's scheduler: one queue, a fit check on cpu, memory and pod count plus
 * taints and node readiness, least-allocated scoring with a seeded tie-break, an assume cache
 * so that back-to-back decisions see each other, and binding through the API's binding
 * subresource. The scheduling framework (queue with backoff/unschedulable pools, plugins,
 * preemption) replaces it.
 */
export class SimpleScheduler {
  private readonly pods: Informer<'Pod'>;
  private readonly nodes: Informer<'Node'>;
  private readonly queue: WorkQueue<string>;
  /** Pods bound by us whose binding the informer has not shown yet: key -> node. */
  private readonly assumed = new Map<string, { node: string; pod: Pod }>();
  private usageCache: Map<string, NodeUsage> | undefined;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    private readonly schedulerName = DEFAULT_SCHEDULER_NAME,
  ) {
    this.queue = new WorkQueue(ports.clock, BACKOFF_INITIAL_US, BACKOFF_MAX_US);
    this.pods = new Informer(ports, api, 'Pod');
    this.nodes = new Informer(ports, api, 'Node');
    this.pods.addIndexer('node', (p) => (p.spec.nodeName ? [p.spec.nodeName] : []));
    this.pods.addEventHandler({
      onAdd: (p) => this.onPod(p),
      onUpdate: (_o, p) => this.onPod(p),
      onDelete: (p) => {
        this.assumed.delete(keyOf(p));
        this.usageCache = undefined;
        this.requeueAll();
      },
    });
    this.nodes.addEventHandler({ onAdd: () => this.requeueAll(), onUpdate: () => this.requeueAll() });
    this.pods.start();
    this.nodes.start();
    ports.spawn(() => this.run());
  }

  private onPod(p: Pod): void {
    const key = keyOf(p);
    this.usageCache = undefined;
    if (p.spec.nodeName) {
      this.assumed.delete(key);
      return;
    }
    if (this.isOurs(p)) this.queue.add(key);
  }

  private isOurs(p: Pod): boolean {
    return (p.spec.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.schedulerName && p.metadata.deletionTimestamp === undefined;
  }

  /** A cluster change may make waiting pods schedulable. */
  private requeueAll(): void {
    this.usageCache = undefined;
    for (const p of this.pods.list()) if (!p.spec.nodeName && this.isOurs(p)) this.queue.add(keyOf(p));
  }

  private async run(): Promise<void> {
    while (true) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.scheduleOne(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async scheduleOne(key: string): Promise<void> {
    const pod = this.pods.get(key);
    if (pod === undefined || pod.spec.nodeName || !this.isOurs(pod) || this.assumed.has(key)) return;
    const choice = this.pick(pod);
    if (choice.node === undefined) {
      this.ports.trace.emit('scheduler.unschedulable', { pod: key, message: choice.message });
      await this.markUnschedulable(pod, choice.message);
      this.queue.addRateLimited(key);
      return;
    }
    this.assumed.set(key, { node: choice.node, pod });
    this.usageCache = undefined;
    const r = await this.api.bind(pod.metadata.namespace ?? 'default', pod.metadata.name ?? '', choice.node);
    if (r.ok) {
      this.queue.forget(key);
      this.ports.trace.emit('scheduler.bind', { pod: key, node: choice.node });
      return;
    }
    // Forget the assumption; a 409 usually means someone else bound it, which the informer shows.
    this.assumed.delete(key);
    this.usageCache = undefined;
    this.ports.trace.emit('scheduler.bind-failed', { pod: key, node: choice.node, status: r.status, reason: r.error.reason ?? '' });
    this.queue.addRateLimited(key);
  }

  /** Filters and scores nodes; ties among the best are broken by the seeded random stream. */
  private pick(pod: Pod): { node?: string; message: string } {
    const req = podRequestsMillis(pod);
    const cpu = req.cpu ?? 0;
    const mem = req.memory ?? 0;
    const usage = this.usage();
    const reasons = new Map<string, number>();
    const reject = (r: string): void => {
      reasons.set(r, (reasons.get(r) ?? 0) + 1);
    };
    let best: string[] = [];
    let bestScore = -1;
    const nodes = this.nodes.list().sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    for (const node of nodes) {
      const name = node.metadata.name ?? '';
      const why = this.unfit(node, pod);
      if (why !== undefined) {
        reject(why);
        continue;
      }
      const alloc = node.status?.allocatable ?? {};
      const capCpu = cpuMillis(alloc.cpu ?? '0');
      const capMem = bytes(alloc.memory ?? '0');
      const capPods = Number(alloc.pods ?? '110');
      const used = usage.get(name) ?? { cpuMillis: 0, memoryBytes: 0, pods: 0 };
      if (used.pods + 1 > capPods) reject('Too many pods');
      else if (used.cpuMillis + cpu > capCpu) reject('Insufficient cpu');
      else if (used.memoryBytes + mem > capMem) reject('Insufficient memory');
      else {
        // NodeResourcesFit LeastAllocated: mean free fraction after placing the pod, 0..100.
        const free = (c: number, u: number) => (c <= 0 ? 0 : ((c - u) * 100) / c);
        const score = Math.floor((free(capCpu, used.cpuMillis + cpu) + free(capMem, used.memoryBytes + mem)) / 2);
        if (score > bestScore) {
          bestScore = score;
          best = [name];
        } else if (score === bestScore) best.push(name);
        continue;
      }
    }
    if (best.length > 0) return { node: best[this.ports.random.int(best.length)] as string, message: '' };
    const detail = [...reasons].sort(([a], [b]) => (a < b ? -1 : 1)).map(([r, n]) => `${n} ${r}`).join(', ');
    return { message: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ''}.` };
  }

  private unfit(node: Node, pod: Pod): string | undefined {
    if (node.spec?.unschedulable) return "node(s) were unschedulable";
    if (getCondition(node.status?.conditions, 'Ready')?.status !== 'True') return 'node(s) were not ready';
    for (const taint of node.spec?.taints ?? []) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (!(pod.spec.tolerations ?? []).some((t) => toleratesTaint(t, taint))) return 'node(s) had untolerated taint';
    }
    return undefined;
  }

  /** Requested resources per node: bound non-terminal pods plus our assumptions. */
  private usage(): Map<string, NodeUsage> {
    if (this.usageCache !== undefined) return this.usageCache;
    const usage = new Map<string, NodeUsage>();
    const add = (node: string, pod: Pod): void => {
      if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
      const r = podRequestsMillis(pod);
      const u = usage.get(node) ?? { cpuMillis: 0, memoryBytes: 0, pods: 0 };
      u.cpuMillis += r.cpu ?? 0;
      u.memoryBytes += r.memory ?? 0;
      u.pods += 1;
      usage.set(node, u);
    };
    for (const node of this.nodes.list()) {
      const name = node.metadata.name ?? '';
      for (const pod of this.pods.byIndex('node', name)) add(name, pod);
    }
    for (const { node, pod } of this.assumed.values()) add(node, pod);
    this.usageCache = usage;
    return usage;
  }

  private async markUnschedulable(pod: Pod, message: string): Promise<void> {
    const current = getCondition(pod.status?.conditions, 'PodScheduled');
    if (current?.status === 'False' && current.message === message) return;
    const conditions = setCondition(
      pod.status?.conditions ?? [],
      { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message },
      formatTime(this.ports.clock.now()),
    );
    await this.api.updateStatus({ ...pod, status: { ...pod.status, conditions } });
  }
}
