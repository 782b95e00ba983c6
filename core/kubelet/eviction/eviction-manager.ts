/**
 * The eviction manager (pkg/kubelet/eviction/eviction_manager.go), for the memory.available
 * hard threshold: every monitoring period (10 s) it compares the node's memory capacity minus
 * the pods' working set with the threshold; while the threshold is crossed, and for the
 * pressure transition period (5 min) after, the node reports MemoryPressure (the node lifecycle
 * controller taints it); while it is crossed, it evicts one pod per period, ranked as
 * rankMemoryPressure does, with upstream's message.
 */
import type { Pod } from '../../api/pod-types.ts';
import { formatQuantity, quantityFromNanos } from '../../api/quantity.ts';
import { RESOURCE_MEMORY, resourceAmount } from '../../api/resource-list.ts';
import type { ProcessPorts } from '../../ports/process.ts';
import type { KubeletConfig } from '../config.ts';
import type { NodeUsage } from '../resource-usage.ts';
import { memoryRequest, rankMemoryPressure, type EvictionCandidate } from './rank.ts';

/** evictionMonitoringPeriod. */
const MONITORING_PERIOD_US = 10_000_000;
/** --eviction-pressure-transition-period. */
const PRESSURE_TRANSITION_US = 300_000_000;

export interface EvictionHost {
  usage(): Promise<NodeUsage | undefined>;
  /** The pods the kubelet runs and could evict (admitted, not terminal, not being deleted). */
  activePods(): readonly { readonly uid: string; readonly pod: Pod }[];
  evict(uid: string, message: string): void;
}

export class EvictionManager {
  private lastObservedUs: number | undefined;
  private pressure = false;

  constructor(
    private readonly ports: ProcessPorts,
    private readonly config: KubeletConfig,
    private readonly host: EvictionHost,
  ) {}

  /** The node is under memory pressure (or was, within the transition period). */
  get memoryPressure(): boolean {
    return this.pressure;
  }

  start(): void {
    this.ports.spawn(async () => {
      for (;;) {
        await this.ports.clock.sleep(MONITORING_PERIOD_US);
        await this.synchronize();
      }
    });
  }

  async synchronize(): Promise<void> {
    const usage = await this.host.usage();
    const capacity = this.config.capacity[RESOURCE_MEMORY];
    if (usage === undefined || capacity === undefined) return;
    const thresholdText = this.config.evictionHard.memoryAvailable;
    const availableBytes = resourceAmount(RESOURCE_MEMORY, capacity) - usage.memoryBytes;
    const crossed = availableBytes < resourceAmount(RESOURCE_MEMORY, thresholdText);
    const nowUs = this.ports.clock.now();
    if (crossed) this.lastObservedUs = nowUs;
    const pressure =
      this.lastObservedUs !== undefined && nowUs - this.lastObservedUs < PRESSURE_TRANSITION_US;
    if (pressure !== this.pressure) {
      this.pressure = pressure;
      this.ports.trace.emit('kubelet.node-pressure', {
        node: this.config.nodeName,
        condition: 'MemoryPressure',
        status: pressure,
        availableBytes,
      });
    }
    if (!crossed) return;
    const byUid = new Map(usage.pods.map((p) => [p.uid, p]));
    const candidates: EvictionCandidate[] = this.host
      .activePods()
      .map((p) => ({ uid: p.uid, pod: p.pod, memoryBytes: byUid.get(p.uid)?.memoryBytes ?? 0 }));
    const victim = rankMemoryPressure(candidates)[0];
    if (victim === undefined) return;
    const message = evictionMessage(
      victim.pod,
      byUid.get(victim.uid),
      thresholdText,
      availableBytes,
    );
    this.host.evict(victim.uid, message);
  }
}

/** helpers.go evictionMessage for memory, trailing spaces and all. */
function evictionMessage(
  pod: Pod,
  usage: NodeUsage['pods'][number] | undefined,
  threshold: string,
  availableBytes: number,
): string {
  let message = `The node was low on resource: memory. Threshold quantity: ${threshold}, available: ${bytesText(availableBytes)}. `;
  for (const c of pod.spec.containers) {
    const used = usage?.containers.find((x) => x.name === c.name)?.memoryBytes ?? 0;
    const request = memoryRequest(c.resources?.requests);
    if (used > request)
      message += `Container ${c.name} was using ${bytesText(used)}, request is ${bytesText(request)}, has larger consumption of memory. `;
  }
  return message;
}

function bytesText(bytes: number): string {
  const b = BigInt(Math.max(0, Math.round(bytes)));
  return formatQuantity(quantityFromNanos(b * 1_000_000_000n, 'BinarySI'));
}
