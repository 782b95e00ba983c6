import { getCondition } from '../../api/conditions.ts';
import type { Node } from '../../api/node-types.ts';
import { isBeingDeleted, keyOf } from '../../api/meta.ts';
import type { Pod, PodCondition } from '../../api/pod-types.ts';
import { formatTime, parseTime } from '../../api/time.ts';
import type { ApiClient } from '../../client/api-client.ts';
import { resourcePath } from '../../client/api-client.ts';
import type { Informer } from '../../client/informer.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import { describeFailure } from '../common/api-errors.ts';
import { waitForCacheSync } from '../common/cache-sync.ts';
import type { Controller } from '../common/controller.ts';
import type { SharedInformers } from '../common/shared-informers.ts';

export interface PodGcOptions {
  /** --terminated-pod-gc-threshold: finished pods kept before the oldest are deleted (0: off). */
  readonly terminatedPodThreshold: number;
  /** gcCheckPeriod. */
  readonly checkPeriodUs: number;
  /** quarantineTime: how long a node must stay missing before its pods are deleted. */
  readonly quarantineUs: number;
}

export const DEFAULT_POD_GC: PodGcOptions = {
  terminatedPodThreshold: 12_500,
  checkPeriodUs: 20_000_000,
  quarantineUs: 40_000_000,
};

/** The taint that says a node is out of service and its terminating pods may be removed. */
const OUT_OF_SERVICE_TAINT = 'node.kubernetes.io/out-of-service';

type Reason = 'terminated' | 'orphaned' | 'unscheduled-terminating' | 'out-of-service';

/**
 * The pod garbage collector (pkg/controller/podgc): every 20 s it deletes, with a zero grace
 * period, the oldest finished pods beyond the threshold (evicted ones first), pods bound to a
 * node that has been gone for the 40 s quarantine and that the API server confirms missing
 * (marked Failed with the DisruptionTarget condition DeletionByPodGC first), terminating pods
 * never scheduled, and terminating pods on NotReady nodes tainted out-of-service.
 */
export class PodGcController implements Controller {
  readonly name = 'podgc';
  private readonly pods: Informer<'Pod'>;
  private readonly nodes: Informer<'Node'>;
  /** Missing nodes and when they leave quarantine (the node queue's AddAfter). */
  private readonly quarantined = new Map<string, number>();
  private running = true;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly api: ApiClient,
    informers: SharedInformers,
    private readonly options: PodGcOptions = DEFAULT_POD_GC,
  ) {
    this.pods = informers.informer('Pod');
    this.nodes = informers.informer('Node');
  }

  async run(): Promise<void> {
    await waitForCacheSync(this.ports.clock, [this.pods, this.nodes]);
    while (this.running) {
      await this.gc();
      await this.ports.clock.sleep(this.options.checkPeriodUs);
    }
  }

  stop(): void {
    this.running = false;
  }

  private async gc(): Promise<void> {
    const pods = this.pods.list();
    const nodes = this.nodes.list();
    if (this.options.terminatedPodThreshold > 0) await this.gcTerminated(pods);
    await this.gcOutOfService(pods, nodes);
    await this.gcOrphaned(pods, nodes);
    await this.gcUnscheduledTerminating(pods);
  }

  private async gcTerminated(pods: readonly Pod[]): Promise<void> {
    const finished = pods.filter(
      (p) => p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed',
    );
    const excess = finished.length - this.options.terminatedPodThreshold;
    if (excess <= 0) return;
    // byEvictionAndCreationTimestamp: evicted pods go first, then the oldest.
    const evicted = (p: Pod) => (p.status?.reason === 'Evicted' ? 0 : 1);
    const created = (p: Pod) => parseTime(p.metadata.creationTimestamp ?? '') ?? 0;
    const order = [...finished].sort(
      (a, b) =>
        evicted(a) - evicted(b) || created(a) - created(b) || keyOf(a).localeCompare(keyOf(b)),
    );
    await Promise.all(order.slice(0, excess).map((p) => this.remove(p, 'terminated')));
  }

  private async gcOutOfService(pods: readonly Pod[], nodes: readonly Node[]): Promise<void> {
    const outOfService = new Set(
      nodes
        .filter(
          (n) => !isReady(n) && (n.spec?.taints ?? []).some((t) => t.key === OUT_OF_SERVICE_TAINT),
        )
        .map((n) => n.metadata.name ?? ''),
    );
    if (outOfService.size === 0) return;
    const stuck = pods.filter((p) => isBeingDeleted(p) && outOfService.has(p.spec.nodeName ?? ''));
    await Promise.all(stuck.map((p) => this.remove(p, 'out-of-service')));
  }

  private async gcOrphaned(pods: readonly Pod[], nodes: readonly Node[]): Promise<void> {
    const existing = new Set(nodes.map((n) => n.metadata.name ?? ''));
    const now = this.ports.clock.now();
    for (const p of pods) {
      const node = p.spec.nodeName ?? '';
      if (node !== '' && !existing.has(node) && !this.quarantined.has(node)) {
        this.quarantined.set(node, now + this.options.quarantineUs);
      }
    }
    // discoverDeletedNodes: out of quarantine, still missing, and the API server agrees.
    const deleted = new Set<string>();
    for (const [node, untilUs] of [...this.quarantined]) {
      if (untilUs > now) continue;
      this.quarantined.delete(node);
      if (existing.has(node)) continue;
      const r = await this.api.get('Node', undefined, node);
      if (!r.ok && r.status === 404) deleted.add(node);
    }
    if (deleted.size === 0) return;
    const orphans = pods.filter((p) => deleted.has(p.spec.nodeName ?? ''));
    const condition = (): PodCondition => ({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'DeletionByPodGC',
      message: 'PodGC: node no longer exists',
      lastTransitionTime: formatTime(this.ports.clock.now()),
    });
    await Promise.all(orphans.map((p) => this.remove(p, 'orphaned', condition())));
  }

  private async gcUnscheduledTerminating(pods: readonly Pod[]): Promise<void> {
    const stuck = pods.filter((p) => isBeingDeleted(p) && (p.spec.nodeName ?? '') === '');
    await Promise.all(stuck.map((p) => this.remove(p, 'unscheduled-terminating')));
  }

  /**
   * markFailedAndDeletePodWithCondition: a pod not yet finished is marked Failed (with the
   * condition, if any) so its controller sees why, then deleted at once.
   */
  private async remove(pod: Pod, reason: Reason, condition?: PodCondition): Promise<void> {
    const ns = pod.metadata.namespace;
    const name = pod.metadata.name ?? '';
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      const patched = await this.api.request('PATCH', resourcePath('Pod', ns, name, 'status'), {
        body: {
          status: {
            phase: 'Failed',
            ...(condition === undefined ? {} : { conditions: [condition] }),
          },
        },
        contentType: 'application/strategic-merge-patch+json',
      });
      if (!patched.ok && patched.status !== 404) {
        this.ports.trace.debug('podgc.error', {
          pod: keyOf(pod),
          error: `mark Failed: ${describeFailure(patched)}`,
        });
        return;
      }
    }
    const r = await this.api.delete('Pod', ns, name, { gracePeriodSeconds: 0 });
    if (!r.ok && r.status !== 404) {
      this.ports.trace.debug('podgc.error', { pod: keyOf(pod), error: describeFailure(r) });
      return;
    }
    if (r.ok) this.ports.trace.emit('podgc.delete', { pod: keyOf(pod), reason });
  }
}

function isReady(node: Node): boolean {
  return getCondition(node.status?.conditions, 'Ready')?.status === 'True';
}
